"""The running local SageMaker answers like the real runtime: error shapes, signatures, lifecycle."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.exceptions import ClientError
from sagemaker_sizing.local import running_local_sagemaker, start, status, stop

from .conftest import MODEL, delete_endpoint, deploy_endpoint, wait_for

if TYPE_CHECKING:
    from sagemaker_sizing.local import LocalSageMakerStatus


def _post(url: str, body: bytes = b"{}") -> tuple[int, dict[str, str], dict[str, object]]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def _runtime(
    local: LocalSageMakerStatus, secret: str | None = None, url: str | None = None, verify: bool | str = True
) -> object:
    return boto3.client(
        "sagemaker-runtime",
        endpoint_url=url or local.runtime_url,
        region_name=local.region,
        aws_access_key_id=local.aws_access_key_id,
        aws_secret_access_key=secret or local.aws_secret_access_key,
        verify=verify,
    )


def test_status_reports_urls_region_and_local_credentials(local_sagemaker: LocalSageMakerStatus) -> None:
    current = status(local_sagemaker.state_dir)
    assert current.up and current.region == "us-west-2"
    assert current.control_plane_url and current.control_plane_url.startswith("http://127.0.0.1:")
    assert current.aws_access_key_id.startswith("LOCAL") and current.aws_secret_access_key
    assert set(current.pids) == {"control_plane", "runtime"}


def test_unknown_endpoint_is_a_validation_error(local_sagemaker: LocalSageMakerStatus) -> None:
    code, headers, body = _post(f"{local_sagemaker.runtime_url}/endpoints/no-such-endpoint/invocations")
    assert code == 400
    assert headers["x-amzn-ErrorType"].startswith("ValidationError:")
    assert body == {"message": "Endpoint no-such-endpoint of account 123456789012 not found."}
    with pytest.raises(ClientError) as raised:
        _runtime(local_sagemaker).invoke_endpoint(EndpointName="no-such-endpoint", Body=b"{}")  # type: ignore[attr-defined]
    assert raised.value.response["Error"]["Code"] == "ValidationError"


def test_signed_call_passes_and_wrong_secret_is_403(local_sagemaker: LocalSageMakerStatus) -> None:
    deploy_endpoint(local_sagemaker, "signed", "ml.m5.large", 1)
    try:
        answer = _runtime(local_sagemaker).invoke_endpoint(EndpointName="signed", Body=b"{}")  # type: ignore[attr-defined]
        assert answer["InvokedProductionVariant"] == "AllTraffic"
        assert json.loads(answer["Body"].read()) == {"predictions": [0.5]}
        with pytest.raises(ClientError) as raised:
            _runtime(local_sagemaker, secret="wrong").invoke_endpoint(EndpointName="signed", Body=b"{}")  # type: ignore[attr-defined]
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"
    finally:
        delete_endpoint(local_sagemaker, "signed")


def test_the_tls_listener_serves_the_same_runtime_with_a_certificate_for_127_0_0_1(
    local_sagemaker: LocalSageMakerStatus,
) -> None:
    tls_url = status(local_sagemaker.state_dir).runtime_tls_url
    assert tls_url and tls_url.startswith("https://127.0.0.1:") and tls_url != local_sagemaker.runtime_url
    cert = Path(local_sagemaker.state_dir) / "runtime-tls.crt"
    assert (Path(local_sagemaker.state_dir) / "runtime-tls.key").stat().st_mode & 0o777 == 0o600
    deploy_endpoint(local_sagemaker, "over-tls", "ml.m5.large", 1)
    try:
        # Verified against the certificate made at start, host name included.
        answer = _runtime(local_sagemaker, url=tls_url, verify=str(cert)).invoke_endpoint(  # type: ignore[attr-defined]
            EndpointName="over-tls", Body=b"{}"
        )
        assert json.loads(answer["Body"].read()) == {"predictions": [0.5]}
        with pytest.raises(ClientError) as raised:
            _runtime(local_sagemaker, secret="wrong", url=tls_url, verify=False).invoke_endpoint(  # type: ignore[attr-defined]
                EndpointName="over-tls", Body=b"{}"
            )
        assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"
    finally:
        delete_endpoint(local_sagemaker, "over-tls")


def test_temporary_credentials_from_the_local_sts_sign_invocations(
    local_sagemaker: LocalSageMakerStatus,
) -> None:
    sts = local_sagemaker.client("sts")
    session = sts.get_session_token(DurationSeconds=900)["Credentials"]
    role = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/sizing", RoleSessionName="sizing-test")[
        "Credentials"
    ]
    deploy_endpoint(local_sagemaker, "temporary", "ml.m5.large", 1)
    try:
        for creds in (session, role):
            assert creds["AccessKeyId"].startswith("ASIA") and creds["SessionToken"]
            runtime = boto3.client(
                "sagemaker-runtime",
                endpoint_url=local_sagemaker.runtime_tls_url,
                region_name=local_sagemaker.region,
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
                verify=False,
            )
            answer = runtime.invoke_endpoint(EndpointName="temporary", Body=b"{}")
            assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
        # The key without its token is nobody's.
        stripped = boto3.client(
            "sagemaker-runtime",
            endpoint_url=local_sagemaker.runtime_url,
            region_name=local_sagemaker.region,
            aws_access_key_id=session["AccessKeyId"],
            aws_secret_access_key=session["SecretAccessKey"],
        )
        with pytest.raises(ClientError) as raised:
            stripped.invoke_endpoint(EndpointName="temporary", Body=b"{}")
        assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"
    finally:
        delete_endpoint(local_sagemaker, "temporary")


def test_deleted_endpoint_is_not_found_again(local_sagemaker: LocalSageMakerStatus) -> None:
    deploy_endpoint(local_sagemaker, "short-lived", "ml.m5.large", 1)
    assert _post(f"{local_sagemaker.runtime_url}/endpoints/short-lived/invocations")[0] == 200
    delete_endpoint(local_sagemaker, "short-lived")
    # The runtime reads the control plane every second: a deletion shows within a poll.
    wait_for(lambda: _post(f"{local_sagemaker.runtime_url}/endpoints/short-lived/invocations")[0] == 400, 3.0)


@pytest.mark.e2e  # starts its own local SageMakers
def test_signed_by_default_creating_delay_restart_and_idempotence(tmp_path: Path) -> None:
    # No option: like AWS, an unsigned invocation is refused.
    with running_local_sagemaker(tmp_path, creating_delay=3.0, models=(MODEL,)) as local:
        again = start(tmp_path)  # harmless: same processes
        assert again.pids == local.pids
        code, headers, _ = _post(f"{local.runtime_url}/endpoints/x/invocations")
        assert code == 403 and headers["x-amzn-ErrorType"].startswith("MissingAuthenticationTokenException")

        sagemaker = local.client("sagemaker")
        sagemaker.create_endpoint_config(
            EndpointConfigName="slow-config",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": MODEL,
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                }
            ],
        )
        sagemaker.create_endpoint(EndpointName="slow", EndpointConfigName="slow-config")
        assert sagemaker.describe_endpoint(EndpointName="slow")["EndpointStatus"] == "Creating"
        with pytest.raises(ClientError) as raised:
            _runtime(local).invoke_endpoint(EndpointName="slow", Body=b"{}")  # type: ignore[attr-defined]
        assert raised.value.response["Error"]["Code"] == "ValidationError"
        assert "not in service" in raised.value.response["Error"]["Message"]
        sagemaker.get_waiter("endpoint_in_service").wait(EndpointName="slow", WaiterConfig={"Delay": 1})
        assert (
            _runtime(local).invoke_endpoint(EndpointName="slow", Body=b"{}")["ResponseMetadata"][  # type: ignore[attr-defined]
                "HTTPStatusCode"
            ]
            == 200
        )

        stopped = stop(tmp_path)
        assert not stopped.control_plane_up and not stopped.runtime_up
        assert not stop(tmp_path).up  # stopping twice is harmless
        restarted = start(tmp_path, models=(MODEL,))
        assert restarted.up and restarted.aws_access_key_id == local.aws_access_key_id
        assert restarted.pids != local.pids
        time.sleep(0.2)
        # moto keeps state in memory: a restart begins empty, and says so like AWS would.
        with pytest.raises(ClientError) as raised:
            _runtime(restarted, url=restarted.runtime_url).invoke_endpoint(EndpointName="slow", Body=b"{}")  # type: ignore[attr-defined]
        assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert not status(tmp_path).up
