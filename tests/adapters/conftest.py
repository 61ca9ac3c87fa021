"""A moto server on loopback, reached through an Airflow connection, for the SageMaker adapter tests.

The adapter is built from the provider's ``SageMakerHook(aws_conn_id=...)`` exactly as in the DAG;
the connection comes from an ``AIRFLOW_CONN_<ID>`` environment variable whose extra holds the
server's ``endpoint_url``. moto 5.2.5 has no UpdateEndpoint: the local control plane's patch
(``sagemaker_sizing.local.moto_patches``, with no delays) provides it; should that module be absent,
a minimal stand-in here does.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import boto3
import botocore.waiter
import pytest
from moto.core.responses import ActionResult
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

if TYPE_CHECKING:
    from collections.abc import Iterator

CONN_ID = "sizing_adapter_test"
REGION = "us-west-2"
ACCOUNT = "123456789012"
MODEL = "sizing-test-model"
VARIANT = "AllTraffic"


def _patch_update_endpoint(patch: pytest.MonkeyPatch) -> None:
    if _zero_delay_local_patches():
        return
    if not hasattr(SageMakerResponse, "update_endpoint"):
        patch.setattr(SageMakerModelBackend, "update_endpoint", _backend_update_endpoint, raising=False)
        patch.setattr(SageMakerResponse, "update_endpoint", _response_update_endpoint, raising=False)


def _zero_delay_local_patches() -> bool:
    """The project's own moto patch, with endpoints InService at once; False if it is unavailable."""
    try:
        from sagemaker_sizing.local import moto_patches
    except ImportError:
        return False
    moto_patches.apply(0.0)  # also resets delays another test may have left behind
    return True


def _backend_update_endpoint(
    self: SageMakerModelBackend, endpoint_name: str, endpoint_config_name: str
) -> FakeEndpoint:
    if endpoint_name not in self.endpoints:
        arn = FakeEndpoint.arn_formatter(endpoint_name, self.account_id, self.region_name)
        raise ValidationError(message=f"Could not find endpoint '{arn}'.")
    config = self.describe_endpoint_config(endpoint_config_name)
    endpoint = self.endpoints[endpoint_name]
    endpoint.endpoint_config_name = endpoint_config_name
    endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
    return endpoint


def _response_update_endpoint(self: SageMakerResponse) -> ActionResult:
    endpoint = self.sagemaker_backend.update_endpoint(  # type: ignore[attr-defined]
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
    )
    return ActionResult({"EndpointArn": endpoint.arn})


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    with pytest.MonkeyPatch.context() as patch:
        _patch_update_endpoint(patch)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        conn = {
            "conn_type": "aws",
            "login": "testing",
            "password": "testing",
            "extra": {"region_name": REGION, "endpoint_url": url},
        }
        patch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))
        # boto3 clients the tests use directly must not find real credentials either.
        for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
            patch.setenv(key, value)
        patch.delenv("AWS_PROFILE", raising=False)
        try:
            yield url
        finally:
            server.stop()


@pytest.fixture
def aws(moto_url: str) -> Iterator[dict[str, Any]]:
    """Fresh moto state with one model; plain boto3 clients for the tests' own checks."""
    _zero_delay_local_patches()
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    kwargs = {"region_name": REGION, "endpoint_url": moto_url}
    clients = {
        "sagemaker": boto3.client("sagemaker", **kwargs),
        "autoscaling": boto3.client("application-autoscaling", **kwargs),
    }
    clients["sagemaker"].create_model(
        ModelName=MODEL,
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-west-2.amazonaws.com/model:latest"},
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sizing-test",
    )
    yield {**clients, "model": MODEL, "variant": VARIANT}


@pytest.fixture(scope="session")
def shared_manager(moto_url: str) -> Any:
    """One manager for the session: building boto3 clients costs about a second each time."""
    from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook
    from sagemaker_sizing.adapters.sagemaker import EndpointManager

    return EndpointManager(SageMakerHook(aws_conn_id=CONN_ID), waiter_delay=1, waiter_max_attempts=60)


@pytest.fixture
def manager(aws: dict[str, Any], shared_manager: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The shared manager, with botocore's waiters sleeping recorded, not done: moto answers at
    once, tests must not wait. ``manager.sleeps`` lists the waiters' sleeps; a test may set
    ``manager.on_sleep`` to change the endpoint between checks."""
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if shared_manager.on_sleep is not None:
            shared_manager.on_sleep(seconds)

    monkeypatch.setattr(botocore.waiter, "time", SimpleNamespace(sleep=sleep))
    shared_manager.sleeps = sleeps
    shared_manager.on_sleep = None
    return shared_manager


@pytest.fixture
def set_status(aws: dict[str, Any]) -> Any:
    """Put an endpoint into a state moto never reaches by itself (Creating, Failed, ...)."""

    def _set(name: str, status: str, reason: str | None = None) -> None:
        endpoint = sagemaker_backends[ACCOUNT][REGION].endpoints[name]
        endpoint.endpoint_status = status
        endpoint.failure_reason = reason

    return _set
