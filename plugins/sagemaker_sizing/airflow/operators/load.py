"""The load step: a BashOperator running the Gatling jar, with AWS credentials in its environment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.bash import BashOperator

from sagemaker_sizing.airflow.links import GatlingReportLink

if TYPE_CHECKING:
    from airflow.sdk import Context


class GatlingLoadOperator(BashOperator):
    """Runs one Gatling injector: ``bash_command`` is the rendered ``java ... -jar`` line (templated).

    Credentials come from the AWS connection at run time and reach Java only through the
    environment: never the command line (process lists), never a rendered template field. The
    hook registers the secret key and token with Airflow's secrets masker, so logs show ``***``.

    :param aws_conn_id: the AWS connection whose credentials sign the requests.
    :param conf: the validated conf (templated): its region and ``iam_role_arn`` (assumed if set).
    """

    template_fields = (*BashOperator.template_fields, "conf")

    ui_color = "#ffd9b3"
    operator_extra_links = (GatlingReportLink(),)

    def __init__(self, *, aws_conn_id: str | None = "aws_default", conf: Any = None, **kwargs: Any) -> None:
        # Gatling's own exit code decides; no code means "skip" (BashOperator's default is 99).
        kwargs.setdefault("skip_on_exit_code", None)
        kwargs.setdefault("append_env", True)
        super().__init__(**kwargs)
        self.aws_conn_id = aws_conn_id
        self.conf = conf

    def execute(self, context: Context) -> Any:
        GatlingReportLink.persist(context, str(self.bash_command))
        return super().execute(context)

    def get_env(self, context: Context) -> dict[str, str]:
        from sagemaker_sizing.adapters.aws_session import credentials as run_credentials

        env: dict[str, str] = super().get_env(context)
        conf = self.conf or {}
        credentials = run_credentials(self.aws_conn_id, conf.get("region"), conf.get("iam_role_arn"))
        env["AWS_ACCESS_KEY_ID"] = credentials.access_key
        env["AWS_SECRET_ACCESS_KEY"] = credentials.secret_key
        if credentials.token:
            env["AWS_SESSION_TOKEN"] = credentials.token
        else:
            env.pop("AWS_SESSION_TOKEN", None)
        return env
