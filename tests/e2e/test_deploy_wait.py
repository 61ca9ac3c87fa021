"""Deploy watches a settling endpoint in the worker for ``defer_after`` seconds before deferring:
a local endpoint (InService after ~1 s) is finished in place; with 0, the wait goes to the triggerer."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred
from sagemaker_sizing.adapters.ownership import lane_for
from sagemaker_sizing.airflow.tasks.deploy import DeployStepOperator, run_key
from sagemaker_sizing.airflow.tasks.teardown import teardown
from sagemaker_sizing.core.model import StepConfig
from sagemaker_sizing.core.serde import step_config_to_dict
from sagemaker_sizing.local import LocalSageMakerStatus
from sagemaker_sizing.local.airflow_env import LOCAL_CONN_ID

from tests.e2e.harness import MODEL, apply_env, sizing_env


def deploy(
    local: LocalSageMakerStatus, run_id: str, defer_after: float, **conf: Any
) -> tuple[DeployStepOperator, Any]:
    step = StepConfig("type", "ml.m5.large", 1, 10, 1)
    operator = DeployStepOperator(
        task_id="deploy",
        item={"round": 1, "lane": lane_for(step.instance_type), "step": step_config_to_dict(step)},
        conf={"region": local.region, "model_name": MODEL, "variant_name": "AllTraffic", "endpoint_name": ""}
        | conf,
        aws_conn_id=LOCAL_CONN_ID,
        waiter_delay=1,
        defer_after=defer_after,
    )
    context: Any = {"dag": SimpleNamespace(dag_id="sagemaker_sizing"), "run_id": run_id}
    return operator, context


@pytest.mark.parametrize("defer_after", [5.0, 0.0])
def test_a_quick_endpoint_is_finished_in_the_worker(
    local_sagemaker: LocalSageMakerStatus, monkeypatch: pytest.MonkeyPatch, defer_after: float
) -> None:
    apply_env(monkeypatch, sizing_env(local_sagemaker))
    operator, context = deploy(local_sagemaker, f"manual__defer-after-{defer_after:g}", defer_after)
    sagemaker = local_sagemaker.client("sagemaker")
    name = ""
    try:
        began = time.monotonic()
        if defer_after:
            deployed = operator.execute(context)
            name = deployed["endpoint_name"]
            # The local endpoint was Creating for a second: the task waited for it, not the triggerer.
            assert time.monotonic() - began >= 0.9
            assert deployed["action"] == "created"
            status = sagemaker.describe_endpoint(EndpointName=deployed["endpoint_name"])["EndpointStatus"]
            assert status == "InService"
        else:
            with pytest.raises(TaskDeferred) as deferred:
                operator.execute(context)
            assert deferred.value.method_name == "execute_complete"
            name = deferred.value.kwargs["started"]["endpoint_name"]
            assert deferred.value.kwargs["started"]["status"] == "Creating"
    finally:
        teardown(run_key(context), LOCAL_CONN_ID, {"region": local_sagemaker.region})
    assert name and name not in [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]]


def test_with_a_conf_role_the_deploy_waits_in_the_worker(
    local_sagemaker: LocalSageMakerStatus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider's trigger knows the connection, not the conf's ``iam_role_arn``: with a role the
    deploy never defers (even with defer_after 0), it waits for InService under the role itself."""
    apply_env(monkeypatch, sizing_env(local_sagemaker))
    # The role is assumed through the local control plane's STS (moto's), not AWS's.
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", local_sagemaker.control_plane_url or "")
    role = "arn:aws:iam::123456789012:role/sizing-runner"
    operator, context = deploy(local_sagemaker, "manual__role-waits", 0.0, iam_role_arn=role)
    sagemaker = local_sagemaker.client("sagemaker")
    try:
        deployed = operator.execute(context)  # a TaskDeferred here would wait without the role
        assert deployed["action"] == "created"
        status = sagemaker.describe_endpoint(EndpointName=deployed["endpoint_name"])["EndpointStatus"]
        assert status == "InService"
    finally:
        teardown(run_key(context), LOCAL_CONN_ID, {"region": local_sagemaker.region})
    assert deployed["endpoint_name"] not in [
        e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]
    ]
