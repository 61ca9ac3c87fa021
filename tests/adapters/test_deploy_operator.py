"""DeployStepOperator is an AwsBaseOperator[SageMakerHook]: the usual AWS parameters, the conf's
region by default, botocore_config handed to the trigger, and waiting in place when it cannot defer."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred
from sagemaker_sizing.adapters.ownership import lane_for
from sagemaker_sizing.adapters.sagemaker import WAIT_MAX_ATTEMPTS, EndpointManager
from sagemaker_sizing.airflow.tasks.deploy import DeployStepOperator
from sagemaker_sizing.core.model import StepConfig
from sagemaker_sizing.core.serde import step_config_to_dict
from sagemaker_sizing.local import moto_patches

from tests.adapters.conftest import CONN_ID, REGION

STEP = StepConfig("type", "ml.m5.large", 1, 10, 1)
CONTEXT: Any = {"dag": SimpleNamespace(dag_id="sagemaker_sizing"), "run_id": "manual__operator"}


def operator(aws: dict[str, Any], names: dict[str, str] | None = None, **kwargs: Any) -> DeployStepOperator:
    return DeployStepOperator(
        task_id="deploy",
        item={"round": 1, "lane": lane_for(STEP.instance_type), "step": step_config_to_dict(STEP)},
        conf={
            "region": REGION,
            "model_name": aws["model"],
            "variant_name": aws["variant"],
            "endpoint_name": "",
            **(names or {}),
        },
        aws_conn_id=CONN_ID,
        **kwargs,
    )


def test_the_usual_aws_parameters_come_with_the_base_operator(aws: dict[str, Any]) -> None:
    op = operator(aws, verify=False, botocore_config={"read_timeout": 7})
    assert {"aws_conn_id", "region_name", "verify", "item", "conf"} <= set(op.template_fields)
    assert op.hook.aws_conn_id == CONN_ID
    assert op.hook.region_name == REGION  # the conf's region when region_name is not given
    assert op.hook.verify is False
    assert op.hook.config.read_timeout == 7
    assert operator(aws, region_name="eu-west-1").hook.region_name == "eu-west-1"


def test_deferring_hands_the_botocore_config_to_the_trigger(manager: Any, aws: dict[str, Any]) -> None:
    moto_patches.apply(3600.0)  # the endpoint stays Creating
    op = operator(aws, waiter_delay=7, botocore_config={"read_timeout": 9})

    with pytest.raises(TaskDeferred) as deferred:
        op.execute(CONTEXT)

    _, kwargs = deferred.value.trigger.serialize()
    assert kwargs["botocore_config"] == {"read_timeout": 9}
    assert (kwargs["region_name"], kwargs["aws_conn_id"], kwargs["waiter_delay"]) == (REGION, CONN_ID, 7)
    assert kwargs["waiter_max_attempts"] == WAIT_MAX_ATTEMPTS  # as long as a wait in the worker
    assert deferred.value.kwargs["started"]["status"] == "Creating"


def test_without_async_triggers_it_waits_in_place(
    manager: Any, aws: dict[str, Any], set_status: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(EndpointManager, "can_defer", staticmethod(lambda: False))
    moto_patches.apply(3600.0)
    op = operator(aws, waiter_delay=3)
    manager.on_sleep = lambda seconds: [set_status(e["EndpointName"], "InService") for e in endpoints(aws)]

    deployed = op.execute(CONTEXT)  # no TaskDeferred

    assert deployed["status"] == "InService" and deployed["action"] == "created"
    assert manager.sleeps == [3]  # botocore's waiter, with the operator's waiter_delay


def endpoints(aws: dict[str, Any]) -> list[dict[str, Any]]:
    return list(aws["sagemaker"].list_endpoints()["Endpoints"])


def test_the_confs_names_are_the_bases_of_the_endpoint_and_config_names(
    manager: Any, aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """perfsizesagemaker's endpoint_config_name names the run's endpoint configs, as endpoint_name
    names its endpoints (each with the run's hash, the lane and the deployment appended)."""
    monkeypatch.setattr(EndpointManager, "can_defer", staticmethod(lambda: False))
    names = {"endpoint_name": "churn", "endpoint_config_name": "churn-config"}

    deployed = operator(aws, names).execute(CONTEXT)

    assert deployed["endpoint_name"].startswith("churn-") and "config" not in deployed["endpoint_name"]
    assert deployed["endpoint_config_name"].startswith("churn-config-")
    described = aws["sagemaker"].describe_endpoint(EndpointName=deployed["endpoint_name"])
    assert described["EndpointConfigName"] == deployed["endpoint_config_name"]


class KeptXCom:
    """A task instance's XCom, as far as deploy uses it across a deferral."""

    task_id, map_index = "deploy", 0

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.values[key] = value

    def xcom_pull(self, task_ids: str, key: str, map_indexes: int) -> Any:
        assert (task_ids, map_indexes) == (self.task_id, self.map_index)
        return self.values.get(key)


def test_a_resumed_deploy_knows_what_it_started_without_the_triggers_kwargs(
    manager: Any, aws: dict[str, Any], set_status: Any
) -> None:
    # ``airflow dags test`` resumes a deferred task with the trigger's event only: what the start
    # did (created, and when) comes back from XCom, not from a second start (which would say reused).
    moto_patches.apply(3600.0)
    op = operator(aws)
    context = {**CONTEXT, "ti": KeptXCom()}
    with pytest.raises(TaskDeferred):
        op.execute(context)
    for e in endpoints(aws):
        set_status(e["EndpointName"], "InService")

    deployed = op.execute_complete(context, {"status": "success"})

    assert deployed["action"] == "created"
    assert (
        deployed["requested_at"]
        == context["ti"].values["started"]["requested_at"]
        < deployed["in_service_at"]
    )
