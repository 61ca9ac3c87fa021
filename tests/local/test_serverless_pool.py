"""The local SageMaker's Serverless Inference: memory buys speed, MaxConcurrency throttles, idle
endpoints cold-start (compressed), provisioned concurrency stays warm (issue 17)."""

from __future__ import annotations

import pytest
from sagemaker_sizing.local.capacity import load_profile
from sagemaker_sizing.local.deployments import _serverless_config
from sagemaker_sizing.local.serverless import (
    THROTTLED,
    ServerlessConfig,
    ServerlessPool,
    load_serverless_profile,
)

MODEL = load_profile()
PROFILE = load_serverless_profile()


def pool(
    memory: int = 2048, concurrency: int = 4, provisioned: int = 0, compression: float = 10.0
) -> ServerlessPool:
    return ServerlessPool(MODEL, PROFILE, ServerlessConfig(memory, concurrency, provisioned), 7, compression)


def test_memory_buys_cpu_share():
    small = sum(pool(1024).service_s(27) for _ in range(200))
    large = sum(pool(4096).service_s(27) for _ in range(200))
    expected = PROFILE.speed(4096) / PROFILE.speed(1024)  # 6x in the bundled profile
    assert small / large == pytest.approx(expected, rel=0.02)


def test_first_request_cold_starts_compressed_then_warm():
    p = pool(compression=10.0)
    first = p.admit(100.0, 27)
    assert first.error is None
    assert first.queued_s == pytest.approx(PROFILE.cold_start_s / 10.0)
    second = p.admit(first.due + 0.001, 27)
    assert second.error is None and second.queued_s == 0.0  # the same container, warm
    assert p.cold_starts == 1


def test_an_idle_endpoint_cold_starts_again():
    p = pool(compression=10.0)
    done = p.admit(0.0, 27).due
    idle = PROFILE.idle_timeout_s / 10.0
    assert p.admit(done + idle * 0.9, 27).queued_s == 0.0
    later = p.admit(done + idle * 0.9 + 1.0 + idle * 1.5, 27)
    assert later.queued_s == pytest.approx(PROFILE.cold_start_s / 10.0)
    assert p.cold_starts == 2


def test_max_concurrency_throttles_the_request_beyond_it():
    p = pool(concurrency=2)
    assert p.admit(0.0, 27).error is None
    assert p.admit(0.0, 27).error is None
    throttled = p.admit(0.0, 27)
    assert throttled.error == THROTTLED and throttled.due == 0.0
    assert p.errors == 1 and p.invocations == 3


def test_provisioned_concurrency_is_warm_from_the_start_and_after_idle():
    p = pool(concurrency=4, provisioned=2)
    assert p.admit(0.0, 27).queued_s == 0.0
    assert p.admit(0.0, 27).queued_s == 0.0
    assert p.admit(0.0, 27).queued_s > 0  # the third in flight needs an on-demand container
    assert p.admit(10_000.0, 27).queued_s == 0.0  # long idle: still warm
    assert p.cold_starts == 1


def test_the_control_planes_serverless_config_is_read():
    config = _serverless_config({"MemorySizeInMB": 3072, "MaxConcurrency": 5, "ProvisionedConcurrency": 2})
    assert config == ServerlessConfig(3072, 5, 2)
    assert _serverless_config(None) is None
    assert _serverless_config({"MemorySizeInMB": 1024, "MaxConcurrency": 1}) == ServerlessConfig(1024, 1, 0)
