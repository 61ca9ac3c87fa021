"""The deploy task meets an endpoint it did not create under the name it would use: it refuses with a
clear error and changes nothing (perfsizesagemaker would silently delete it)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sagemaker_sizing.adapters.errors import OwnershipError
from sagemaker_sizing.adapters.ownership import endpoint_name, lane_for
from sagemaker_sizing.airflow.tasks.deploy import DeployStepOperator
from sagemaker_sizing.core.model import StepConfig
from sagemaker_sizing.core.serde import step_config_to_dict
from sagemaker_sizing.local import LocalSageMakerStatus
from sagemaker_sizing.local.airflow_env import LOCAL_CONN_ID

from tests.e2e.harness import MODEL, apply_env, sizing_env

RUN_ID = "manual__2026-01-01T00:00:00+00:00"


def test_deploy_refuses_a_foreign_endpoint_with_its_name(
    local_sagemaker: LocalSageMakerStatus, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_env(monkeypatch, sizing_env(local_sagemaker))
    sagemaker = local_sagemaker.client("sagemaker")
    step = StepConfig("type", "ml.m5.large", 1, 10, 1)
    lane = lane_for(step.instance_type)
    name = endpoint_name("owned", f"sagemaker_sizing/{RUN_ID}", lane)
    variant = {"VariantName": "AllTraffic", "ModelName": MODEL, "InstanceType": "ml.m5.large"}
    sagemaker.create_endpoint_config(
        EndpointConfigName="someone-elses", ProductionVariants=[{**variant, "InitialInstanceCount": 2}]
    )
    sagemaker.create_endpoint(
        EndpointName=name, EndpointConfigName="someone-elses", Tags=[{"Key": "team", "Value": "fraud"}]
    )
    configs_before = {c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]}
    try:
        operator = DeployStepOperator(
            task_id="deploy",
            item={"round": 1, "lane": lane, "step": step_config_to_dict(step)},
            conf={
                "region": local_sagemaker.region,
                "model_name": MODEL,
                "variant_name": "AllTraffic",
                "endpoint_name": "owned",
            },
            aws_conn_id=LOCAL_CONN_ID,
            deferrable=False,
        )
        context: Any = {"dag": SimpleNamespace(dag_id="sagemaker_sizing"), "run_id": RUN_ID}
        with pytest.raises(OwnershipError, match=f"endpoint {name} exists but was not created by sizing run"):
            operator.execute(context)

        endpoint = sagemaker.describe_endpoint(EndpointName=name)
        assert endpoint["EndpointConfigName"] == "someone-elses"
        assert {
            c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
        } == configs_before
        tags = sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"]
        assert tags == [{"Key": "team", "Value": "fraud"}]
    finally:
        sagemaker.delete_endpoint(EndpointName=name)
        sagemaker.delete_endpoint_config(EndpointConfigName="someone-elses")
