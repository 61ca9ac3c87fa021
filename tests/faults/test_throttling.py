"""The control plane throttles DescribeEndpoint: the deploy outlasts it (botocore's standard retry
mode) and ends InService; the teardown then leaves nothing."""

from __future__ import annotations

import pytest
from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook
from sagemaker_sizing.adapters import cleanup
from sagemaker_sizing.adapters.ownership import lane_for
from sagemaker_sizing.adapters.sagemaker import EndpointManager
from sagemaker_sizing.core.model import StepConfig
from sagemaker_sizing.local import LocalSageMakerStatus
from sagemaker_sizing.local.airflow_env import LOCAL_CONN_ID

from tests.e2e.harness import MODEL, apply_env, sizing_env
from tests.faults.checks import injected, scaling_targets_left
from tests.faults.conftest import Faults

RUN = "sagemaker_sizing/manual__throttled"


def test_throttled_describes_are_retried_until_in_service(
    local_sagemaker: LocalSageMakerStatus, faults: Faults, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_env(monkeypatch, sizing_env(local_sagemaker))
    manager = EndpointManager(
        SageMakerHook(aws_conn_id=LOCAL_CONN_ID), waiter_delay=0.5, waiter_max_attempts=120
    )
    faults.set(
        [
            {
                "action": "DescribeEndpoint",
                "match": "throttled",
                "error": "ThrottlingException",
                "message": "injected: Rate exceeded",
                "times": 4,
            }
        ]
    )
    before = injected(local_sagemaker, "DescribeEndpoint")
    step = StepConfig("type", "ml.m5.large", 1, 10, 1)

    deployed = manager.deploy(
        RUN, lane_for(step.instance_type), step, MODEL, "AllTraffic", endpoint_base="throttled"
    )

    assert deployed["status"] == "InService"
    assert injected(local_sagemaker, "DescribeEndpoint") == before + 4
    cleanup.teardown(manager, RUN)
    sagemaker = local_sagemaker.client("sagemaker")
    assert [e for e in sagemaker.list_endpoints()["Endpoints"] if "throttled" in e["EndpointName"]] == []
    assert [
        c
        for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
        if "throttled" in c["EndpointConfigName"]
    ] == []
    assert scaling_targets_left(local_sagemaker) == []
