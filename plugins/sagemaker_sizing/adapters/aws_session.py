"""AWS hooks for one sizing run: the Airflow connection, the run's region, and the conf's role.

perfsizesagemaker's ``--iam_role_arn`` assumes a role with the credentials from the environment.
Here the same happens through the Amazon provider's own assume-role path: the connection is read
as usual (``aws_conn_id``: keys, profile, ``endpoint_url``, botocore config), and its wrapper is
given ``role_arn`` = the conf's ``iam_role_arn`` with ``assume_role_method`` = ``assume_role``, as
if the connection's extra said so. The provider's session factory then calls STS AssumeRole with
the connection's own credentials and refreshes the temporary credentials before they expire.

A conf role replaces a ``role_arn`` in the connection's extra (the provider does not chain roles).
Without a conf role the hooks are exactly the connection's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook
    from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook
    from botocore.credentials import ReadOnlyCredentials

    HookT = TypeVar("HookT", bound=AwsGenericHook[Any])
else:
    HookT = TypeVar("HookT")

# CloudTrail shows this as the assumed-role session, so the account owner can tell who did what.
ROLE_SESSION_NAME = "sagemaker-sizing"


def configured_conn_id() -> str:
    """``[sagemaker_sizing] aws_conn_id`` of Airflow's config (what the DAG uses), for the commands."""
    from airflow.configuration import conf

    return str(conf.get("sagemaker_sizing", "aws_conn_id", fallback="aws_default"))


def with_role(hook: HookT, iam_role_arn: str | None) -> HookT:
    """``hook``, made to assume ``iam_role_arn``; unchanged when there is no role.

    Works on any provider AWS hook (they all build sessions from ``conn_config``).
    """
    if not iam_role_arn:
        return hook
    from airflow.providers.amazon.aws.utils.connection_wrapper import AwsConnectionWrapper

    # A copy of the connection's wrapper (the provider's own copy constructor), with the role set.
    wrapper = AwsConnectionWrapper(conn=hook.conn_config)
    wrapper.role_arn = iam_role_arn
    wrapper.assume_role_method = "assume_role"
    wrapper.assume_role_kwargs = {"RoleSessionName": ROLE_SESSION_NAME}
    # conn_config is a cached_property: its cached value lives in the instance's __dict__.
    hook.__dict__["conn_config"] = wrapper
    return hook


def sagemaker_hook(aws_conn_id: str | None, region: str | None, iam_role_arn: str | None) -> SageMakerHook:
    """The SageMaker hook of a run (what ``EndpointManager`` takes)."""
    from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook

    return with_role(SageMakerHook(aws_conn_id=aws_conn_id, region_name=region), iam_role_arn)


def client_hook(
    client_type: str, aws_conn_id: str | None, region: str | None, iam_role_arn: str | None, **kwargs: Any
) -> AwsGenericHook[Any]:
    """A generic hook for another client of the run (``application-autoscaling``, ``sagemaker-runtime``)."""
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    hook = AwsBaseHook(aws_conn_id=aws_conn_id, client_type=client_type, region_name=region, **kwargs)
    return with_role(hook, iam_role_arn)


def credentials(aws_conn_id: str | None, region: str | None, iam_role_arn: str | None) -> ReadOnlyCredentials:
    """Frozen credentials for a child process (Gatling signs its requests with them).

    With a role these are the assumed role's temporary keys and session token.
    """
    return client_hook("sagemaker", aws_conn_id, region, iam_role_arn).get_credentials(region_name=region)


def temporary_credentials(
    aws_conn_id: str | None, region: str | None, iam_role_arn: str | None, duration_s: int
) -> ReadOnlyCredentials:
    """Credentials with a session token, for a jar that always signs ``x-amz-security-token``.

    The assumed role's (or the connection's own, when they already are temporary); for long-lived
    keys, STS GetSessionToken's, valid ``duration_s`` (clamped to STS's 900 s .. 36 h).
    """
    from botocore.credentials import ReadOnlyCredentials

    creds = credentials(aws_conn_id, region, iam_role_arn)
    if creds.token:
        return creds
    sts = client_hook("sts", aws_conn_id, region, None).get_conn()
    answer = sts.get_session_token(DurationSeconds=min(max(duration_s, 900), 129600))["Credentials"]
    return ReadOnlyCredentials(answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"])
