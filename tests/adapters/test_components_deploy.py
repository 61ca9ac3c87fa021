"""Endpoints of inference components through the adapters (the provider's hook, boto3) on moto's
server with the local control plane's patches: deploy, change, autoscale, replace, tear down."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from sagemaker_sizing.adapters import cleanup, ownership
from sagemaker_sizing.adapters.autoscaling import COPY_DIMENSION, COPY_METRIC
from sagemaker_sizing.adapters.component_specs import ComponentEndpointSpec, ComponentSpec
from sagemaker_sizing.adapters.components import ComponentManager
from sagemaker_sizing.adapters.errors import ComponentFailedError, OwnershipError, TeardownError
from sagemaker_sizing.local import moto_patches

from tests.adapters.conftest import ACCOUNT

if TYPE_CHECKING:
    from collections.abc import Iterator

RUN = "manual__2026-01-01T00:00:00+00:00"
OTHER_RUN = "manual__2026-01-02T00:00:00+00:00"
BASE = "sizing-llm"
SECOND = "sizing-test-model-b"
GPU = "ml.g5.12xlarge"  # 4 GPUs, 48 vCPUs, 192 GiB
LANE = ownership.lane_for(GPU)


@pytest.fixture
def components(manager: Any, aws: dict[str, Any]) -> ComponentManager:
    """A ComponentManager on the shared EndpointManager, and a second model (another role)."""
    aws["sagemaker"].create_model(
        ModelName=SECOND,
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-west-2.amazonaws.com/vllm:latest"},
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/other",
    )
    return ComponentManager(manager)


def spec(
    copies_a: int = 2,
    copies_b: int = 1,
    *,
    bounds: tuple[int, int] = (1, 2),
    gpus_b: float = 2,
    scaled: bool = False,
    models: tuple[str, ...] = ("a", "b"),
) -> ComponentEndpointSpec:
    a = ComponentSpec(
        model_name="sizing-test-model",
        copies=copies_a,
        memory_mb=8192,
        accelerators=1,
        cpu_cores=4,
        **({"min_copies": 1, "max_copies": 4, "concurrency_target": 3.5} if scaled else {}),
    )
    b = ComponentSpec(model_name=SECOND, copies=copies_b, memory_mb=16384, accelerators=gpus_b)
    chosen = tuple(c for key, c in (("a", a), ("b", b)) if key in models)
    return ComponentEndpointSpec(
        instance_type=GPU,
        initial_instances=1,
        min_instances=bounds[0],
        max_instances=bounds[1],
        components=chosen,
    )


def deploy(components: ComponentManager, s: ComponentEndpointSpec, run: str = RUN) -> dict[str, Any]:
    return components.deploy(run, LANE, s, endpoint_base=BASE)


def tags(aws: dict[str, Any], arn: str) -> dict[str, str]:
    return ownership.tag_map(aws["sagemaker"].list_tags(ResourceArn=arn)["Tags"])


def listed(aws: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = aws["sagemaker"].list_inference_components(MaxResults=100)["InferenceComponents"]
    return {c["InferenceComponentName"]: c for c in found}


def test_deploy_makes_a_model_less_endpoint_with_one_tagged_component_per_model(
    components: ComponentManager, aws: dict[str, Any]
) -> None:
    sm = aws["sagemaker"]
    result = deploy(components, spec())

    name = ownership.endpoint_name(BASE, RUN, LANE)
    assert result["endpoint_name"] == name and result["status"] == "InService"
    assert result["action"] == "created"
    assert result["instance_type"] == GPU and (
        result["min_instance_count"],
        result["max_instance_count"],
    ) == (1, 2)
    assert result["instance_count"] == 1  # 2 x 1 GPU + 1 x 2 GPUs fit one ml.g5.12xlarge
    config = sm.describe_endpoint_config(EndpointConfigName=result["endpoint_config_name"])
    [variant] = config["ProductionVariants"]
    assert "ModelName" not in variant and variant["InstanceType"] == GPU
    assert variant["ManagedInstanceScaling"] == {
        "Status": "ENABLED",
        "MinInstanceCount": 1,
        "MaxInstanceCount": 2,
    }
    assert variant["RoutingConfig"] == {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}
    assert config["ExecutionRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/sizing-test"  # the first model's
    by_model = {c["model_name"]: c for c in result["components"]}
    assert by_model["sizing-test-model"]["copies"] == 2 and by_model[SECOND]["copies"] == 1
    assert by_model[SECOND]["compute"] == {
        "MinMemoryRequiredInMb": 16384,
        "NumberOfAcceleratorDevicesRequired": 2,
    }
    for summary in result["components"]:
        described = sm.describe_inference_component(InferenceComponentName=summary["component_name"])
        assert described["InferenceComponentStatus"] == "InService"
        assert described["EndpointName"] == name
        assert described["Specification"]["ModelName"] == summary["model_name"]
        assert summary["component_name"].startswith(BASE)  # under the IAM policy's prefix
    arns = [
        sm.describe_endpoint(EndpointName=name)["EndpointArn"],
        config["EndpointConfigArn"],
        *(c["InferenceComponentArn"] for c in listed(aws).values()),
    ]
    for arn in arns:
        assert ownership.belongs_to(tags(aws, arn), RUN), arn
        assert tags(aws, arn)[ownership.LANE_KEY] == LANE
    assert set(result["created"]) == {
        name,
        result["endpoint_config_name"],
        *(c["component_name"] for c in result["components"]),
    }


def test_a_second_deploy_changes_only_the_components(
    components: ComponentManager, aws: dict[str, Any]
) -> None:
    first = deploy(components, spec())
    before = listed(aws)

    second = deploy(components, spec(copies_a=4, copies_b=2))

    assert second["action"] == "reused" and second["created"] == []
    assert second["endpoint_config_name"] == first["endpoint_config_name"]
    assert {c["model_name"]: c["copies"] for c in second["components"]} == {"sizing-test-model": 4, SECOND: 2}
    assert second["instance_count"] == 2  # managed instance scaling added one for the copies
    after = listed(aws)
    assert {n: c["CreationTime"] for n, c in after.items()} == {
        n: c["CreationTime"] for n, c in before.items()
    }

    third = deploy(components, spec(copies_a=1, models=("a",)))
    assert [c["model_name"] for c in third["components"]] == ["sizing-test-model"]
    assert len(listed(aws)) == 1 and third["instance_count"] == 1


def test_new_compute_per_copy_updates_the_component(
    components: ComponentManager, aws: dict[str, Any]
) -> None:
    deploy(components, spec())
    result = deploy(components, spec(gpus_b=1, copies_b=3))
    b = next(c for c in result["components"] if c["model_name"] == SECOND)
    described = aws["sagemaker"].describe_inference_component(InferenceComponentName=b["component_name"])
    assert (
        described["Specification"]["ComputeResourceRequirements"]["NumberOfAcceleratorDevicesRequired"] == 1
    )
    assert described["RuntimeConfig"]["CurrentCopyCount"] == 3


def test_other_instance_bounds_replace_the_endpoint_components_first(
    components: ComponentManager, aws: dict[str, Any]
) -> None:
    first = deploy(components, spec())
    old = set(listed(aws))

    second = deploy(components, spec(bounds=(1, 3)))

    assert second["action"] == "replaced"
    assert second["endpoint_config_name"] != first["endpoint_config_name"]
    assert second["endpoint_name"] == first["endpoint_name"]
    assert set(listed(aws)) == old  # same names, made afresh on the new endpoint
    assert (
        aws["sagemaker"].describe_endpoint(EndpointName=second["endpoint_name"])["EndpointConfigName"]
        == (second["endpoint_config_name"])
    )


def test_copy_autoscaling_tracks_concurrent_requests_per_copy(
    components: ComponentManager, aws: dict[str, Any]
) -> None:
    result = deploy(components, spec(scaled=True))
    a = next(c for c in result["components"] if c["model_name"] == "sizing-test-model")
    rid = f"inference-component/{a['component_name']}"
    assert a["scaling_resource_id"] == rid and rid in result["created"]
    [target] = aws["autoscaling"].describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert (target["ResourceId"], target["ScalableDimension"]) == (rid, COPY_DIMENSION)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 4)
    [policy] = aws["autoscaling"].describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == COPY_METRIC
    assert tracking["TargetValue"] == 3.5

    deploy(components, spec())  # no target: the policy and the registration go
    assert aws["autoscaling"].describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []


def test_copies_that_do_not_fit_fail_with_sagemakers_reason(
    components: ComponentManager, aws: dict[str, Any]
) -> None:
    with pytest.raises(ComponentFailedError, match="InsufficientCapacity: 9 copies"):
        deploy(components, spec(copies_a=9, models=("a",)))
    # The run's retry: a Failed component is replaced, not updated.
    result = deploy(components, spec(copies_a=3, models=("a",)))
    assert [c["copies"] for c in result["components"]] == [3]
    # More copies than the endpoint's instances hold, asked of an existing component: said, not hidden.
    with pytest.raises(ComponentFailedError, match=r"copies not all placed .*: 8 of 9"):
        deploy(components, spec(copies_a=9, models=("a",)))


def test_deploy_waits_out_creating_and_updating(
    components: ComponentManager, aws: dict[str, Any], manager: Any
) -> None:
    moto_patches.apply(0.15)
    manager.on_sleep = lambda _: time.sleep(0.05)  # botocore's waiters sleep for real, briefly
    try:
        result = deploy(components, spec())
        assert {c["copies"] for c in result["components"]} == {2, 1}
        result = deploy(components, spec(copies_a=3))
        assert next(c for c in result["components"] if c["model_name"] == "sizing-test-model")["copies"] == 3
    finally:
        moto_patches.apply(0.0)
    assert len(manager.sleeps) >= 2


def test_a_component_someone_else_put_on_our_endpoint_stops_the_deploy(
    components: ComponentManager, aws: dict[str, Any]
) -> None:
    first = deploy(components, spec(models=("a",)))
    aws["sagemaker"].create_inference_component(
        InferenceComponentName="theirs",
        EndpointName=first["endpoint_name"],
        Specification={"ModelName": SECOND, "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 1},
        Tags=[{"Key": "team", "Value": "fraud"}],
    )
    with pytest.raises(
        OwnershipError, match="inference component theirs exists but was not created by sizing run"
    ):
        deploy(components, spec(bounds=(1, 3)))
    assert "theirs" in listed(aws)
    assert (
        aws["sagemaker"].describe_endpoint(EndpointName=first["endpoint_name"])["EndpointStatus"]
        == "InService"
    )


# ---- teardown and orphans --------------------------------------------------------------------------


@pytest.fixture
def two_runs(components: ComponentManager, aws: dict[str, Any]) -> Iterator[dict[str, Any]]:
    ours = deploy(components, spec(scaled=True))
    theirs = deploy(components, spec(models=("b",)), run=OTHER_RUN)
    yield {"ours": ours, "theirs": theirs}


def test_teardown_deletes_components_then_the_endpoint_and_its_config(
    manager: Any, aws: dict[str, Any], two_runs: dict[str, Any]
) -> None:
    ours, theirs = two_runs["ours"], two_runs["theirs"]
    deleted = cleanup.teardown(manager, RUN)

    assert set(deleted["inference_components"]) == {c["component_name"] for c in ours["components"]}
    assert deleted["endpoints"] == [ours["endpoint_name"]]
    assert deleted["endpoint_configs"] == [ours["endpoint_config_name"]]
    assert f"inference-component/{ours['components'][0]['component_name']}" in deleted["scaling"]
    assert set(listed(aws)) == {c["component_name"] for c in theirs["components"]}
    assert {e["EndpointName"] for e in aws["sagemaker"].list_endpoints()["Endpoints"]} == {
        theirs["endpoint_name"]
    }
    assert aws["autoscaling"].describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    assert set(deleted["gone_at"]) == {ours["endpoint_name"]}  # the sizing's bill stops there
    again = cleanup.teardown(manager, RUN)
    assert again.pop("finished_at") > 0
    assert again == {
        "scaling": [],
        "inference_components": [],
        "endpoints": [],
        "endpoint_configs": [],
        "errors": [],
        "deleted_at": {},
        "gone_at": {},
    }


def test_orphans_find_a_component_left_behind(
    manager: Any, aws: dict[str, Any], two_runs: dict[str, Any]
) -> None:
    theirs = two_runs["theirs"]
    aws["sagemaker"].create_inference_component(
        InferenceComponentName="untagged",
        EndpointName=theirs["endpoint_name"],
        Specification={"ModelName": SECOND, "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 1},
    )
    found = cleanup.find_orphans(manager, run_key=OTHER_RUN)
    assert {(r["kind"], r["name"]) for r in found} == {
        ("inference_component", theirs["components"][0]["component_name"]),
        ("endpoint", theirs["endpoint_name"]),
        ("endpoint_config", theirs["endpoint_config_name"]),
    }
    assert "untagged" not in {r["name"] for r in cleanup.find_orphans(manager)}

    # Ours go; the untagged component stays, and so its endpoint cannot be deleted: said, not hidden.
    with pytest.raises(TeardownError, match="untagged"):
        cleanup.delete_resources(manager, found)
    assert set(listed(aws)) >= {"untagged"}
    assert theirs["components"][0]["component_name"] not in listed(aws)
