"""UpdateEndpoint and the Creating/Updating delays, on moto in-process (mock_aws)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from sagemaker_sizing.local import moto_patches

if TYPE_CHECKING:
    from collections.abc import Iterator

ROLE = "arn:aws:iam::123456789012:role/r"


@pytest.fixture
def sagemaker() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client(
            "sagemaker", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="y"
        )
        client.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "i"})
        for name, instance_type, count in (("c1", "ml.m5.large", 1), ("c2", "ml.m5.xlarge", 3)):
            client.create_endpoint_config(
                EndpointConfigName=name,
                ProductionVariants=[
                    {
                        "VariantName": "v",
                        "ModelName": "m",
                        "InitialInstanceCount": count,
                        "InstanceType": instance_type,
                    }
                ],
            )
        yield client
    moto_patches.apply(0.0)


def _count(client: Any) -> int:
    return int(client.describe_endpoint(EndpointName="e")["ProductionVariants"][0]["CurrentInstanceCount"])


def test_update_endpoint_switches_config_at_once_without_delay(sagemaker: Any) -> None:
    moto_patches.apply(0.0)
    sagemaker.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    arn = sagemaker.update_endpoint(EndpointName="e", EndpointConfigName="c2")["EndpointArn"]
    described = sagemaker.describe_endpoint(EndpointName="e")
    assert arn == described["EndpointArn"]
    assert described["EndpointConfigName"] == "c2" and described["EndpointStatus"] == "InService"
    assert _count(sagemaker) == 3


def test_creating_and_updating_delays(sagemaker: Any) -> None:
    moto_patches.apply(0.4)
    sagemaker.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    assert sagemaker.describe_endpoint(EndpointName="e")["EndpointStatus"] == "Creating"
    with pytest.raises(ClientError, match="in-progress"):
        sagemaker.update_endpoint(EndpointName="e", EndpointConfigName="c2")
    time.sleep(0.45)
    assert sagemaker.describe_endpoint(EndpointName="e")["EndpointStatus"] == "InService"
    sagemaker.update_endpoint(EndpointName="e", EndpointConfigName="c2")
    described = sagemaker.describe_endpoint(EndpointName="e")
    assert described["EndpointStatus"] == "Updating" and described["EndpointConfigName"] == "c1"
    time.sleep(0.45)
    described = sagemaker.describe_endpoint(EndpointName="e")
    assert described["EndpointStatus"] == "InService" and described["EndpointConfigName"] == "c2"
    assert _count(sagemaker) == 3


def test_update_of_unknown_endpoint_or_config_fails_like_sagemaker(sagemaker: Any) -> None:
    moto_patches.apply(0.0)
    with pytest.raises(ClientError, match="Could not find endpoint"):
        sagemaker.update_endpoint(EndpointName="nope", EndpointConfigName="c2")
    sagemaker.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    with pytest.raises(ClientError, match="Could not find endpoint configuration"):
        sagemaker.update_endpoint(EndpointName="e", EndpointConfigName="nope")


def _variant(client: Any) -> dict[str, Any]:
    return dict(client.describe_endpoint(EndpointName="e")["ProductionVariants"][0])


def _resize(client: Any, count: int) -> None:
    client.update_endpoint_weights_and_capacities(
        EndpointName="e", DesiredWeightsAndCapacities=[{"VariantName": "v", "DesiredInstanceCount": count}]
    )


def test_a_count_changed_in_place_takes_its_delay_and_keeps_the_config(sagemaker: Any) -> None:
    moto_patches.apply(0.0, updating_delay_s=0.4)
    sagemaker.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    _resize(sagemaker, 3)
    described = sagemaker.describe_endpoint(EndpointName="e")
    assert described["EndpointStatus"] == "Updating" and described["EndpointConfigName"] == "c1"
    assert (_variant(sagemaker)["DesiredInstanceCount"], _variant(sagemaker)["CurrentInstanceCount"]) == (
        3,
        1,
    )
    with pytest.raises(ClientError, match="in-progress"):
        _resize(sagemaker, 2)  # as on AWS: one change at a time
    time.sleep(0.45)
    assert sagemaker.describe_endpoint(EndpointName="e")["EndpointStatus"] == "InService"
    assert _count(sagemaker) == 3


def test_the_runtimes_own_autoscaling_writes_are_applied_at_once(sagemaker: Any) -> None:
    from botocore.config import Config
    from sagemaker_sizing.local.deploy_delays import RUNTIME_AGENT

    moto_patches.apply(0.0, updating_delay_s=30.0)
    sagemaker.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    runtime = boto3.client(
        "sagemaker", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="y",
        config=Config(user_agent_extra=RUNTIME_AGENT),
    )  # fmt: skip
    _resize(runtime, 4)
    assert sagemaker.describe_endpoint(EndpointName="e")["EndpointStatus"] == "InService"
    assert _count(sagemaker) == 4


def test_realistic_deploys_take_the_deploy_time_models_times_compressed(sagemaker: Any) -> None:
    from sagemaker_sizing.core.timeline.deploy_times import load_deploy_times

    # At 1200 x: a CPU endpoint is created in 0.2 s, resized up in 0.175 s, deleted in 0.1 s.
    moto_patches.apply(5.0, realistic=load_deploy_times().scaled(1200))
    sagemaker.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    assert sagemaker.describe_endpoint(EndpointName="e")["EndpointStatus"] == "Creating"
    time.sleep(0.25)
    assert sagemaker.describe_endpoint(EndpointName="e")["EndpointStatus"] == "InService"
    _resize(sagemaker, 2)
    assert sagemaker.describe_endpoint(EndpointName="e")["EndpointStatus"] == "Updating"
    time.sleep(0.2)
    assert _count(sagemaker) == 2
    sagemaker.delete_endpoint(EndpointName="e")
    assert sagemaker.describe_endpoint(EndpointName="e")["EndpointStatus"] == "Deleting"
    time.sleep(0.12)
    with pytest.raises(ClientError, match="Could not find endpoint"):
        sagemaker.describe_endpoint(EndpointName="e")
    assert sagemaker.list_endpoints()["Endpoints"] == []


def test_gpu_instance_types_are_accepted_and_malformed_ones_refused(sagemaker: Any) -> None:
    moto_patches.apply(0.0)
    for instance_type in ("ml.g5.xlarge", "ml.g6e.2xlarge", "ml.inf2.8xlarge", "ml.p4d.24xlarge"):
        sagemaker.create_endpoint_config(
            EndpointConfigName=f"gpu-{instance_type}",
            ProductionVariants=[
                {
                    "VariantName": "v",
                    "ModelName": "m",
                    "InitialInstanceCount": 1,
                    "InstanceType": instance_type,
                }
            ],
        )
    with pytest.raises(ClientError, match=r"ml.<family>.<size>"):
        sagemaker.create_endpoint_config(
            EndpointConfigName="bad",
            ProductionVariants=[
                {"VariantName": "v", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "g5.xlarge"}
            ],
        )


def test_an_injected_fault_is_raised_with_its_code(
    sagemaker: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sagemaker_sizing.local import faults

    rules = {
        "id": "t",
        "rules": [{"action": "CreateEndpoint", "match": "doomed", "error": "ResourceLimitExceeded"}],
    }
    (tmp_path / "faults.json").write_text(json.dumps(rules))
    monkeypatch.setenv(faults.ENV_VAR, str(tmp_path / "faults.json"))
    moto_patches.apply(0.0)
    with pytest.raises(ClientError) as raised:
        sagemaker.create_endpoint(EndpointName="doomed", EndpointConfigName="c1")
    assert raised.value.response["Error"]["Code"] == "ResourceLimitExceeded"
    sagemaker.create_endpoint(EndpointName="fine", EndpointConfigName="c1")
