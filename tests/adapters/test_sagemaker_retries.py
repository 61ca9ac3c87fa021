"""Throttling: botocore retries are configured, and describe loops outlast throttling themselves."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from sagemaker_sizing.adapters.sagemaker import Backoff, EndpointManager, with_retries


def throttled(operation: str = "DescribeEndpoint") -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation)


class FlakyCall:
    """Raises ``failures`` throttling errors, then answers."""

    def __init__(self, failures: int, error: ClientError | None = None) -> None:
        self.failures = failures
        self.calls = 0
        self.error = error or throttled()

    def __call__(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return {"EndpointStatus": "InService", **kwargs}


def bare_manager(sleeps: list[float]) -> EndpointManager:
    # No AWS call is made: only the retry helper is exercised, with a recording sleep.
    return EndpointManager(hook=None, backoff=Backoff(first_delay=2, throttle_retries=4), sleep=sleeps.append)  # type: ignore[arg-type]


def test_with_retries_adds_a_policy_only_when_the_connection_has_none() -> None:
    assert with_retries(None).retries == {"mode": "standard", "max_attempts": 10}
    assert with_retries(Config(connect_timeout=5)).connect_timeout == 5
    own = Config(retries={"mode": "adaptive", "max_attempts": 3})
    assert with_retries(own).retries == {"mode": "adaptive", "max_attempts": 3}


def test_calls_outlast_throttling_with_growing_delays() -> None:
    sleeps: list[float] = []
    call = FlakyCall(failures=3)

    assert bare_manager(sleeps)._call(call, EndpointName="e")["EndpointStatus"] == "InService"
    assert call.calls == 4
    assert sleeps == [2, 3, 4.5]


def test_throttling_that_never_ends_is_raised() -> None:
    sleeps: list[float] = []
    with pytest.raises(ClientError, match="Rate exceeded"):
        bare_manager(sleeps)._call(FlakyCall(failures=100), EndpointName="e")
    assert len(sleeps) == 4


def test_other_errors_are_not_retried() -> None:
    sleeps: list[float] = []
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeEndpoint")
    call = FlakyCall(failures=1, error=denied)
    with pytest.raises(ClientError, match="no"):
        bare_manager(sleeps)._call(call, EndpointName="e")
    assert call.calls == 1 and sleeps == []


def test_the_manager_client_uses_the_connection_with_retries(manager: Any) -> None:
    # Built from the provider hook: endpoint_url from the connection extra, retry policy added.
    client = manager.client
    assert client.meta.endpoint_url.startswith("http://127.0.0.1:")
    assert client.meta.region_name == "us-west-2"
    assert client.meta.config.retries["mode"] == "standard"
    assert manager.autoscaling.client.meta.endpoint_url == client.meta.endpoint_url
