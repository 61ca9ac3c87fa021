"""The load step: a BashOperator running the Gatling jar, with AWS credentials out of sight."""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.bash import BashOperator

from sagemaker_sizing.airflow.links import GatlingReportLink

if TYPE_CHECKING:
    from airflow.sdk import Context

_AWS_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


class GatlingLoadOperator(BashOperator):
    """Runs one Gatling injector: ``bash_command`` is the rendered ``java ... -jar`` line (templated).

    Credentials come from the AWS connection at run time and never reach the command line
    (process lists), a rendered template field, XCom or a log (the secret key and token are
    registered with Airflow's secrets masker):

    - the project's jar gets them in its environment (``AWS_ACCESS_KEY_ID``, ...);
    - a sagemaker-gatling jar reads only its Typesafe config keys ``auth.*`` and always signs a
      session token: it gets temporary credentials (the conf's role's, else STS GetSessionToken)
      in a config file of its own (mode 0600, including the jar's ``application.conf``, deleted
      when the step ends), named by ``-Dconfig.file`` in ``JAVA_TOOL_OPTIONS``.

    :param aws_conn_id: the AWS connection whose credentials sign the requests.
    :param conf: the validated conf (templated): region, ``iam_role_arn`` (assumed if set), jar.
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
        self._auth_file: str | None = None

    def execute(self, context: Context) -> Any:
        from sagemaker_sizing.airflow import load_sync

        GatlingReportLink.persist(context, str(self.bash_command))
        load_sync.ensure_results_folder(str(self.bash_command))
        load_sync.mirror_refusal(str(self.bash_command), self.conf or {}, context)
        load_sync.wait_for_foreign_jar(str(self.bash_command))
        try:
            return super().execute(context)
        finally:
            self._remove_auth_file()
            # Also after a failed load: its log and report are what the user reads to see why.
            load_sync.upload_step_folder(str(self.bash_command), self.conf or {}, context)

    def on_kill(self) -> None:
        self._remove_auth_file()
        super().on_kill()

    def get_env(self, context: Context) -> dict[str, str]:
        from sagemaker_sizing.airflow.callables import load_sizing_conf
        from sagemaker_sizing.core.conf.model import resolved_jar_kind
        from sagemaker_sizing.core.gatling.jar_kind import PROJECT

        env: dict[str, str] = super().get_env(context)
        conf = self.conf or {}
        sizing_conf = load_sizing_conf(conf) if conf else None
        if sizing_conf is None or resolved_jar_kind(sizing_conf) == PROJECT:
            return self._project_env(env, conf.get("region"), conf.get("iam_role_arn"))
        # Longest a step may run (its load, or the endurance phase), plus a margin.
        minutes = max(
            sizing_conf.duration_minutes,
            sizing_conf.endurance_ramp_minutes + sizing_conf.endurance_steady_state_minutes,
        )
        return self._sagemaker_gatling_env(
            env, sizing_conf.region, sizing_conf.iam_role_arn, int(minutes * 60) + 900
        )

    def _project_env(
        self, env: dict[str, str], region: str | None, iam_role_arn: str | None
    ) -> dict[str, str]:
        from sagemaker_sizing.adapters.aws_session import credentials as run_credentials

        credentials = run_credentials(self.aws_conn_id, region, iam_role_arn)
        env["AWS_ACCESS_KEY_ID"] = credentials.access_key
        env["AWS_SECRET_ACCESS_KEY"] = credentials.secret_key
        if credentials.token:
            env["AWS_SESSION_TOKEN"] = credentials.token
        else:
            env.pop("AWS_SESSION_TOKEN", None)
        return env

    def _sagemaker_gatling_env(
        self, env: dict[str, str], region: str, iam_role_arn: str | None, duration_s: int
    ) -> dict[str, str]:
        from airflow.sdk.log import mask_secret

        from sagemaker_sizing.adapters.aws_session import temporary_credentials
        from sagemaker_sizing.adapters.gatling_command import auth_config

        credentials = temporary_credentials(self.aws_conn_id, region, iam_role_arn, duration_s)
        mask_secret(credentials.secret_key)
        mask_secret(credentials.token)
        # mkstemp: a new file only this user can read (0600), outside the results folder.
        fd, path = tempfile.mkstemp(prefix="sagemaker-sizing-auth-", suffix=".conf")
        self._auth_file = path
        with os.fdopen(fd, "w") as out:
            out.write(auth_config(credentials.access_key, credentials.secret_key, credentials.token))
        options = env.get("JAVA_TOOL_OPTIONS", "")
        env["JAVA_TOOL_OPTIONS"] = f"{options} -Dconfig.file={path}".strip()
        for name in _AWS_ENV:  # that jar ignores its environment: nothing to hand it there
            env.pop(name, None)
        return env

    def _remove_auth_file(self) -> None:
        if self._auth_file:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._auth_file)
            self._auth_file = None
