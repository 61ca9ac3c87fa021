"""The conf's ``iam_role_arn`` reaches AWS through the provider's assume-role path (moto's STS)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws
from sagemaker_sizing.adapters.aws_session import (
    ROLE_SESSION_NAME,
    client_hook,
    credentials,
    sagemaker_hook,
    with_role,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

CONN_ID = "sizing_role_test"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
USER_KEY = "AKIAUSERKEY000000001"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto in-process, a connection with a user's keys, and a role to assume; yields the role's ARN."""
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    connection = {
        "conn_type": "aws",
        "login": USER_KEY,
        "password": "user-secret",
        "extra": {"region_name": "us-east-1"},
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(connection))
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = iam.create_role(RoleName="sizing-runner", AssumeRolePolicyDocument=json.dumps(trust))
        yield role["Role"]["Arn"]


def identity(hook) -> str:  # type: ignore[no-untyped-def]
    session = hook.get_session(region_name=hook.region_name)
    return str(session.client("sts", region_name=hook.region_name).get_caller_identity()["Arn"])


def test_without_a_role_the_hook_is_the_connections(aws: str) -> None:
    hook = sagemaker_hook(CONN_ID, REGION, None)
    assert hook.conn_config.role_arn is None
    assert hook.region_name == REGION  # the run's region wins over the connection's
    assert credentials(CONN_ID, REGION, None).access_key == USER_KEY
    assert ":assumed-role/" not in identity(hook)


def test_a_conf_role_is_assumed_with_the_connections_credentials(aws: str) -> None:
    hook = sagemaker_hook(CONN_ID, REGION, aws)
    assert hook.region_name == REGION
    assert identity(hook) == f"arn:aws:sts::{ACCOUNT}:assumed-role/sizing-runner/{ROLE_SESSION_NAME}"
    # The SageMaker client works under the role, in the run's region.
    client = hook.get_conn()
    assert client.meta.region_name == REGION
    assert client.list_endpoints()["Endpoints"] == []


def test_gatling_gets_the_roles_temporary_credentials(aws: str) -> None:
    creds = credentials(CONN_ID, REGION, aws)
    assert creds.access_key != USER_KEY
    assert creds.token, "assumed-role credentials carry a session token"
    sts = boto3.client(
        "sts",
        region_name=REGION,
        aws_access_key_id=creds.access_key,
        aws_secret_access_key=creds.secret_key,
        aws_session_token=creds.token,
    )
    assert ":assumed-role/sizing-runner/" in sts.get_caller_identity()["Arn"]


def test_other_clients_of_the_run_assume_the_role_too(aws: str) -> None:
    hook = client_hook("application-autoscaling", CONN_ID, REGION, aws)
    assert ":assumed-role/sizing-runner/" in identity(hook)
    assert hook.get_conn().describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []


def test_a_conf_role_replaces_the_connections_role(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    other = f"arn:aws:iam::{ACCOUNT}:role/connection-role"
    connection = {
        "conn_type": "aws",
        "login": USER_KEY,
        "password": "user-secret",
        "extra": {"role_arn": other, "endpoint_url": "http://127.0.0.1:1"},
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(connection))
    from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook

    plain = SageMakerHook(aws_conn_id=CONN_ID, region_name=REGION)
    assert plain.conn_config.role_arn == other
    hook = with_role(SageMakerHook(aws_conn_id=CONN_ID, region_name=REGION), aws)
    assert hook.conn_config.role_arn == aws
    # Everything else of the connection is kept (here: the endpoint_url of a local control plane).
    assert hook.conn_config.endpoint_url == "http://127.0.0.1:1"
    assert hook.conn_config.aws_access_key_id == USER_KEY
