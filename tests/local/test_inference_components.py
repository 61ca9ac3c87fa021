"""Inference components on the local control plane, through boto3 against moto's server with the
project's patches (``moto_patches.apply``): shapes, placement, statuses, order, pages, tags."""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.request
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from sagemaker_sizing.local import moto_patches

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

REGION = "us-west-2"
ROLE = "arn:aws:iam::123456789012:role/sizing-test"
MODEL = "llm-a"


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    moto_patches.apply(0.0)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def sm(server_url: str) -> Iterator[Any]:
    """A fresh control plane (moto reset, no delays, no quota file) and a boto3 SageMaker client."""
    moto_patches.apply(0.0)
    with urllib.request.urlopen(urllib.request.Request(f"{server_url}/moto-api/reset", method="POST")):
        pass
    client = _client(server_url, "sagemaker")
    client.create_model(
        ModelName=MODEL, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "djl-inference:lmi"}
    )
    yield client
    moto_patches.apply(0.0)


def _client(url: str, service: str) -> Any:
    return boto3.client(
        service, region_name=REGION, endpoint_url=url, aws_access_key_id="t", aws_secret_access_key="t"
    )


def endpoint(
    sm: Any,
    name: str = "ep",
    instance_type: str = "ml.g5.xlarge",
    initial: int = 1,
    scaling: tuple[int, int] | None = (1, 4),
) -> str:
    variant: dict[str, Any] = {
        "VariantName": "AllTraffic",
        "InstanceType": instance_type,
        "InitialInstanceCount": initial,
        "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
    }
    if scaling is not None:
        variant["ManagedInstanceScaling"] = {
            "Status": "ENABLED",
            "MinInstanceCount": scaling[0],
            "MaxInstanceCount": scaling[1],
        }
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-config", ExecutionRoleArn=ROLE, ProductionVariants=[variant]
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    return name


def component(
    sm: Any,
    name: str,
    copies: int,
    *,
    gpus: float | None = 1,
    cpus: float = 2,
    memory: int = 4096,
    ep: str = "ep",
) -> str:
    """``copies`` copies, each needing ``gpus`` (None: no accelerator), ``cpus`` and ``memory``."""
    compute: dict[str, Any] = {"NumberOfCpuCoresRequired": cpus, "MinMemoryRequiredInMb": memory}
    if gpus is not None:  # botocore refuses 0 (min 1): a CPU model leaves the field out
        compute["NumberOfAcceleratorDevicesRequired"] = gpus
    arn: str = sm.create_inference_component(
        InferenceComponentName=name,
        EndpointName=ep,
        VariantName="AllTraffic",
        Specification={"ModelName": MODEL, "ComputeResourceRequirements": compute},
        RuntimeConfig={"CopyCount": copies},
        Tags=[{"Key": "managed-by", "Value": "sagemaker-sizing"}],
    )["InferenceComponentArn"]
    return arn


def instances(sm: Any, name: str = "ep") -> int:
    return int(sm.describe_endpoint(EndpointName=name)["ProductionVariants"][0]["CurrentInstanceCount"])


def copies(sm: Any, name: str) -> tuple[int, int]:
    runtime = sm.describe_inference_component(InferenceComponentName=name)["RuntimeConfig"]
    return runtime["DesiredCopyCount"], runtime["CurrentCopyCount"]


def status(sm: Any, name: str) -> str:
    return str(sm.describe_inference_component(InferenceComponentName=name)["InferenceComponentStatus"])


# ---- shapes --------------------------------------------------------------------------------------


def test_a_component_is_described_listed_and_tagged_as_aws_shapes_them(sm: Any) -> None:
    endpoint(sm)
    arn = component(sm, "ic-a", 2)
    assert arn == "arn:aws:sagemaker:us-west-2:123456789012:inference-component/ic-a"
    described = sm.describe_inference_component(InferenceComponentName="ic-a")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["EndpointName"] == "ep" and described["VariantName"] == "AllTraffic"
    assert described["EndpointArn"].endswith(":endpoint/ep")
    assert described["Specification"]["ModelName"] == MODEL
    assert described["Specification"]["ComputeResourceRequirements"] == {
        "NumberOfAcceleratorDevicesRequired": 1.0,
        "NumberOfCpuCoresRequired": 2.0,
        "MinMemoryRequiredInMb": 4096,
    }
    assert described["RuntimeConfig"] == {
        "DesiredCopyCount": 2,
        "CurrentCopyCount": 2,
        "PlacementStatus": [{"InstanceType": "ml.g5.xlarge", "CurrentCopyCount": 2}],
    }
    assert "FailureReason" not in described
    [summary] = sm.list_inference_components()["InferenceComponents"]
    assert summary["InferenceComponentArn"] == arn and summary["InferenceComponentStatus"] == "InService"
    assert {"CreationTime", "LastModifiedTime", "EndpointArn", "EndpointName", "VariantName"} <= set(summary)
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "managed-by", "Value": "sagemaker-sizing"}]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert {"Key": "k", "Value": "v"} in sm.list_tags(ResourceArn=arn)["Tags"]


def test_an_endpoint_for_components_has_no_model_keeps_its_role_and_shows_its_scaling(sm: Any) -> None:
    endpoint(sm, scaling=(1, 3))
    config = sm.describe_endpoint_config(EndpointConfigName="ep-config")
    assert config["ExecutionRoleArn"] == ROLE
    [variant] = config["ProductionVariants"]
    assert "ModelName" not in variant
    scaling = {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 3}
    assert variant["ManagedInstanceScaling"] == scaling
    [live] = sm.describe_endpoint(EndpointName="ep")["ProductionVariants"]
    assert live["ManagedInstanceScaling"] == scaling
    assert live["RoutingConfig"] == {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}
    assert live["CurrentInstanceCount"] == 1


def test_a_config_without_a_model_needs_an_execution_role(sm: Any) -> None:
    with pytest.raises(ClientError, match="ExecutionRoleArn is required") as error:
        sm.create_endpoint_config(
            EndpointConfigName="c",
            ProductionVariants=[
                {"VariantName": "v", "InstanceType": "ml.g5.xlarge", "InitialInstanceCount": 1}
            ],
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert sm.list_endpoint_configs()["EndpointConfigs"] == []


def test_an_endpoint_serving_a_model_takes_no_component(sm: Any) -> None:
    sm.create_endpoint_config(
        EndpointConfigName="m-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": MODEL,
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="m-config")
    with pytest.raises(ClientError, match="Inference Components are not supported in this Endpoint"):
        component(sm, "ic-a", 1, gpus=None)


def test_unknown_names_are_refused_as_sagemaker_refuses_them(sm: Any) -> None:
    with pytest.raises(ClientError, match="Could not find inference component"):
        sm.describe_inference_component(InferenceComponentName="nope")
    with pytest.raises(ClientError, match="Could not find inference component"):
        sm.delete_inference_component(InferenceComponentName="nope")
    with pytest.raises(ClientError, match="Could not find endpoint"):
        component(sm, "ic-a", 1)
    endpoint(sm)
    with pytest.raises(ClientError, match="Could not find model"):
        sm.create_inference_component(
            InferenceComponentName="ic-a",
            EndpointName="ep",
            Specification={
                "ModelName": "nope",
                "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024},
            },
            RuntimeConfig={"CopyCount": 1},
        )
    component(sm, "ic-a", 1)
    with pytest.raises(ClientError, match="already existing inference component"):
        component(sm, "ic-a", 1)
    with pytest.raises(ClientError, match="copy count an integer larger than 0"):
        component(sm, "ic-b", 0)


# ---- what fits -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("needs", "named"),
    [
        ({"gpus": 2}, "NumberOfAcceleratorDevicesRequired is 2 but one ml.g5.xlarge has 1"),
        ({"cpus": 5}, "NumberOfCpuCoresRequired is 5 but one ml.g5.xlarge has 4"),
        ({"memory": 16385}, "MinMemoryRequiredInMb is 16385 but one ml.g5.xlarge has 16384"),
    ],
)
def test_a_copy_larger_than_an_instance_is_refused_naming_what_it_lacks(
    sm: Any, needs: dict[str, Any], named: str
) -> None:
    endpoint(sm)
    with pytest.raises(ClientError, match=re.escape(named)) as error:
        component(sm, "ic-big", 1, **needs)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert sm.list_inference_components()["InferenceComponents"] == []
    component(sm, "ic-whole", 1, gpus=1, cpus=4, memory=16384)  # exactly one instance fits


def test_a_gpu_copy_does_not_fit_a_cpu_instance(sm: Any) -> None:
    endpoint(sm, instance_type="ml.m5.xlarge")
    with pytest.raises(
        ClientError, match=re.escape("NumberOfAcceleratorDevicesRequired is 1 but one ml.m5.xlarge has 0")
    ):
        component(sm, "ic-a", 1)
    component(sm, "ic-cpu", 2, gpus=None, cpus=2, memory=4096)
    assert copies(sm, "ic-cpu") == (2, 2)


def test_managed_instance_scaling_adds_instances_up_to_the_max_and_takes_them_away(sm: Any) -> None:
    endpoint(sm, scaling=(1, 4))
    component(sm, "ic-a", 3)  # one GPU each: one per ml.g5.xlarge
    assert instances(sm) == 3
    sm.update_inference_component_runtime_config(
        InferenceComponentName="ic-a", DesiredRuntimeConfig={"CopyCount": 4}
    )
    assert instances(sm) == 4 and copies(sm, "ic-a") == (4, 4)
    sm.update_inference_component_runtime_config(
        InferenceComponentName="ic-a", DesiredRuntimeConfig={"CopyCount": 1}
    )
    assert instances(sm) == 1 and copies(sm, "ic-a") == (1, 1)
    sm.update_inference_component_runtime_config(
        InferenceComponentName="ic-a", DesiredRuntimeConfig={"CopyCount": 0}
    )
    assert instances(sm) == 1  # MinInstanceCount stays
    assert copies(sm, "ic-a") == (0, 0)


def test_copies_of_several_components_share_an_instance(sm: Any) -> None:
    endpoint(sm, instance_type="ml.g5.12xlarge", scaling=(1, 2))  # 4 GPUs, 48 vCPUs per instance
    component(sm, "ic-a", 3)
    component(sm, "ic-b", 1)
    assert instances(sm) == 1
    component(sm, "ic-c", 2, gpus=2)
    assert instances(sm) == 2
    with pytest.raises(ClientError, match="NumberOfAcceleratorDevicesRequired is 5"):
        component(sm, "ic-d", 1, gpus=5)


def test_copies_beyond_the_max_leave_a_new_component_failed_and_an_update_short(sm: Any) -> None:
    endpoint(sm, scaling=(1, 2))
    component(sm, "ic-a", 3)
    described = sm.describe_inference_component(InferenceComponentName="ic-a")
    assert described["InferenceComponentStatus"] == "Failed"
    assert described["FailureReason"].startswith("InsufficientCapacity: 3 copies")
    assert "2 fit on the endpoint's 2 instance(s) of ml.g5.xlarge" in described["FailureReason"]
    assert described["RuntimeConfig"]["CurrentCopyCount"] == 0
    assert instances(sm) == 1  # a failed component holds nothing
    component(sm, "ic-b", 2)
    assert status(sm, "ic-b") == "InService" and instances(sm) == 2
    sm.update_inference_component_runtime_config(
        InferenceComponentName="ic-b", DesiredRuntimeConfig={"CopyCount": 5}
    )
    assert status(sm, "ic-b") == "InService"
    assert copies(sm, "ic-b") == (5, 2)


def test_without_managed_scaling_copies_stay_on_the_instances_there_are(sm: Any) -> None:
    endpoint(sm, initial=2, scaling=None)
    component(sm, "ic-a", 2)
    assert status(sm, "ic-a") == "InService" and instances(sm) == 2
    component(sm, "ic-b", 1)
    assert status(sm, "ic-b") == "Failed"
    assert (
        "(no managed instance scaling)"
        in sm.describe_inference_component(InferenceComponentName="ic-b")["FailureReason"]
    )


def test_growing_past_the_instance_quota_is_refused_and_changes_nothing(sm: Any, tmp_path: Path) -> None:
    quota = tmp_path / "quotas.json"
    quota.write_text(json.dumps({"ml.g5.xlarge": 3}))
    moto_patches.apply(0.0, quota_file=str(quota))
    endpoint(sm, scaling=(1, 4))
    component(sm, "ic-a", 2)
    with pytest.raises(ClientError) as error:
        component(sm, "ic-b", 2)
    assert error.value.response["Error"]["Code"] == "ResourceLimitExceeded"
    assert "'ml.g5.xlarge for endpoint usage' is 3 Instances" in str(error.value)
    with pytest.raises(ClientError, match="ResourceLimitExceeded"):
        sm.update_inference_component_runtime_config(
            InferenceComponentName="ic-a", DesiredRuntimeConfig={"CopyCount": 4}
        )
    assert [c["InferenceComponentName"] for c in sm.list_inference_components()["InferenceComponents"]] == [
        "ic-a"
    ]
    assert copies(sm, "ic-a") == (2, 2) and instances(sm) == 2
    component(sm, "ic-c", 1)  # the third instance is within the quota
    assert instances(sm) == 3


# ---- statuses and order --------------------------------------------------------------------------


def test_statuses_last_the_control_planes_delays(sm: Any) -> None:
    endpoint(sm)
    moto_patches.apply(0.3, updating_delay_s=0.3)
    component(sm, "ic-a", 1)
    assert status(sm, "ic-a") == "Creating" and copies(sm, "ic-a") == (1, 0)
    with pytest.raises(ClientError, match="while it is Creating"):
        sm.update_inference_component_runtime_config(
            InferenceComponentName="ic-a", DesiredRuntimeConfig={"CopyCount": 2}
        )
    with pytest.raises(ClientError, match="while it is Creating"):
        sm.delete_inference_component(InferenceComponentName="ic-a")
    time.sleep(0.35)
    assert status(sm, "ic-a") == "InService" and copies(sm, "ic-a") == (1, 1)
    sm.update_inference_component_runtime_config(
        InferenceComponentName="ic-a", DesiredRuntimeConfig={"CopyCount": 2}
    )
    assert status(sm, "ic-a") == "Updating" and copies(sm, "ic-a") == (2, 1)
    time.sleep(0.35)
    assert status(sm, "ic-a") == "InService" and copies(sm, "ic-a") == (2, 2) and instances(sm) == 2
    sm.delete_inference_component(InferenceComponentName="ic-a")
    assert status(sm, "ic-a") == "Deleting"
    sm.delete_inference_component(InferenceComponentName="ic-a")  # again: no change, no error
    time.sleep(0.35)
    with pytest.raises(ClientError, match="Could not find inference component"):
        sm.describe_inference_component(InferenceComponentName="ic-a")
    assert instances(sm) == 1


def test_components_go_on_an_in_service_endpoint_only(sm: Any) -> None:
    moto_patches.apply(0.3)
    endpoint(sm)
    with pytest.raises(
        ClientError, match="is Creating: inference components can be created only on an InService"
    ):
        component(sm, "ic-a", 1)
    time.sleep(0.35)
    component(sm, "ic-a", 1)


def test_an_endpoint_hosting_components_is_not_deleted(sm: Any) -> None:
    endpoint(sm)
    component(sm, "ic-a", 1)
    with pytest.raises(ClientError, match=r"while it hosts inference components \(ic-a\): delete them first"):
        sm.delete_endpoint(EndpointName="ep")
    sm.delete_inference_component(InferenceComponentName="ic-a")
    sm.delete_endpoint(EndpointName="ep")
    assert sm.list_endpoints()["Endpoints"] == []


def test_update_inference_component_changes_the_compute_and_refuses_what_does_not_fit(sm: Any) -> None:
    endpoint(sm, instance_type="ml.g5.12xlarge", scaling=(1, 2))
    component(sm, "ic-a", 2)
    spec: dict[str, Any] = {
        "ModelName": MODEL,
        "ComputeResourceRequirements": {
            "NumberOfAcceleratorDevicesRequired": 2,
            "MinMemoryRequiredInMb": 1024,
        },
    }
    sm.update_inference_component(
        InferenceComponentName="ic-a", Specification=spec, RuntimeConfig={"CopyCount": 3}
    )
    described = sm.describe_inference_component(InferenceComponentName="ic-a")
    assert (
        described["Specification"]["ComputeResourceRequirements"]["NumberOfAcceleratorDevicesRequired"] == 2
    )
    assert described["RuntimeConfig"]["CurrentCopyCount"] == 3 and instances(sm) == 2
    spec["ComputeResourceRequirements"]["NumberOfAcceleratorDevicesRequired"] = 8
    with pytest.raises(
        ClientError, match=re.escape("NumberOfAcceleratorDevicesRequired is 8 but one ml.g5.12xlarge has 4")
    ):
        sm.update_inference_component(InferenceComponentName="ic-a", Specification=spec)


# ---- lists ---------------------------------------------------------------------------------------


def test_list_pages_filters_and_sorts_as_aws(sm: Any) -> None:
    endpoint(sm, instance_type="ml.g5.48xlarge", scaling=(1, 1))  # 8 GPUs
    endpoint(sm, name="other", instance_type="ml.g5.48xlarge", scaling=(1, 1))
    names = ["ic-c", "ic-a", "ic-e", "ic-b", "ic-d"]
    for name in names:
        component(sm, name, 1)
    component(sm, "x-other", 1, ep="other")
    pages = list(sm.get_paginator("list_inference_components").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["InferenceComponents"]) for p in pages] == [2, 2, 2]
    listed = [c["InferenceComponentName"] for p in pages for c in p["InferenceComponents"]]
    assert listed == ["x-other", *reversed(names)]  # newest first by default
    assert len(sm.list_inference_components()["InferenceComponents"]) == 6  # a page of 10 by default
    by_name = sm.list_inference_components(SortBy="Name", SortOrder="Ascending", EndpointNameEquals="ep")
    assert [c["InferenceComponentName"] for c in by_name["InferenceComponents"]] == sorted(names)
    assert [
        c["InferenceComponentName"]
        for c in sm.list_inference_components(NameContains="other")["InferenceComponents"]
    ] == ["x-other"]
    assert sm.list_inference_components(StatusEquals="Failed")["InferenceComponents"] == []
    first = sm.list_inference_components(MaxResults=1, SortBy="Name", SortOrder="Ascending")
    second = sm.list_inference_components(
        MaxResults=1, SortBy="Name", SortOrder="Ascending", NextToken=first["NextToken"]
    )
    assert [
        c["InferenceComponentName"] for c in (*first["InferenceComponents"], *second["InferenceComponents"])
    ] == [
        "ic-a",
        "ic-b",
    ]
    with pytest.raises(ClientError, match="Invalid pagination token"):
        sm.list_inference_components(NextToken="not-a-token")
    with pytest.raises(ClientError, match="MaxResults must be between 1 and 100"):
        sm.list_inference_components(MaxResults=101)


def test_list_filters_on_times(sm: Any) -> None:
    endpoint(sm, instance_type="ml.g5.48xlarge", scaling=(1, 1))
    component(sm, "ic-old", 1)
    created = sm.describe_inference_component(InferenceComponentName="ic-old")["CreationTime"]
    time.sleep(1.1)
    component(sm, "ic-new", 1)
    after = sm.list_inference_components(CreationTimeAfter=created)["InferenceComponents"]
    assert [c["InferenceComponentName"] for c in after] == ["ic-new"]
    before = sm.list_inference_components(CreationTimeBefore=created.timestamp() + 0.5)["InferenceComponents"]
    assert [c["InferenceComponentName"] for c in before] == ["ic-old"]


# ---- Application Auto Scaling --------------------------------------------------------------------


def test_copy_count_is_a_scalable_dimension(sm: Any, server_url: str) -> None:
    endpoint(sm)
    component(sm, "ic-a", 1)
    aas = _client(server_url, "application-autoscaling")
    target = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "inference-component/ic-a",
        "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount",
    }
    aas.register_scalable_target(**target, MinCapacity=1, MaxCapacity=4)
    aas.put_scaling_policy(
        PolicyName="p",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 4.0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"
            },
        },
        **target,
    )
    [registered] = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert registered["ResourceId"] == "inference-component/ic-a" and registered["MaxCapacity"] == 4
    [policy] = aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert policy["ScalableDimension"] == "sagemaker:inference-component:DesiredCopyCount"
    with pytest.raises(ClientError, match="scalableDimension"):
        aas.register_scalable_target(
            **(target | {"ScalableDimension": "sagemaker:nothing:Count"}), MinCapacity=1, MaxCapacity=2
        )
