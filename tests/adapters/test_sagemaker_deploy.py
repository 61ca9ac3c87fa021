"""Deploying a step's configuration: tagging, reuse, update, autoscaling, ownership, waiting."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from sagemaker_sizing.adapters import ownership
from sagemaker_sizing.adapters.errors import EndpointFailedError, OwnershipError
from sagemaker_sizing.adapters.sagemaker import WAIT_DELAY_S, WAIT_MAX_ATTEMPTS, EndpointManager
from sagemaker_sizing.core.model import StepConfig
from sagemaker_sizing.core.timeline.deploy_times import DeployTimes, FamilyTimes

RUN = "manual__2025-01-01T00:00:00+00:00"
LANE = "ml-m5-large"
BASE = "churn-model"


def step(count: int = 1, tps: float = 10.0) -> StepConfig:
    return StepConfig(
        phase="type",
        instance_type="ml.m5.large",
        instance_count=count,
        steady_state_tps=tps,
        steady_state_minutes=1,
    )


def autoscaling_step(min_count: int = 2, max_count: int = 4, target: int = 300) -> StepConfig:
    return StepConfig(
        phase="min",
        instance_type="ml.m5.large",
        instance_count=min_count,
        steady_state_tps=40,
        steady_state_minutes=1,
        ramp_start_tps=5,
        ramp_minutes=1,
        scaling_min_instance_count=min_count,
        scaling_max_instance_count=max_count,
        invocations_target=target,
    )


def deploy(manager: Any, aws: dict[str, Any], s: StepConfig, run_id: str = RUN) -> dict[str, Any]:
    return manager.deploy(run_id, LANE, s, aws["model"], aws["variant"], endpoint_base=BASE)


def endpoint(aws: dict[str, Any], name: str) -> dict[str, Any]:
    described = aws["sagemaker"].describe_endpoint(EndpointName=name)
    described.pop("ResponseMetadata")
    return dict(described)


def endpoint_config(aws: dict[str, Any], name: str) -> dict[str, Any]:
    described = aws["sagemaker"].describe_endpoint_config(EndpointConfigName=name)
    described.pop("ResponseMetadata")
    return dict(described)


def foreign_config(aws: dict[str, Any], name: str, instance_type: str, count: int) -> None:
    """An endpoint config made outside the sizing run, without our tags."""
    variant = {"VariantName": "v", "ModelName": aws["model"], "InstanceType": instance_type}
    aws["sagemaker"].create_endpoint_config(
        EndpointConfigName=name, ProductionVariants=[{**variant, "InitialInstanceCount": count}]
    )


def tags_of(aws: dict[str, Any], arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in aws["sagemaker"].list_tags(ResourceArn=arn)["Tags"]}


def config_names(aws: dict[str, Any]) -> list[str]:
    return sorted(
        c["EndpointConfigName"] for c in aws["sagemaker"].list_endpoint_configs()["EndpointConfigs"]
    )


def scalable_targets(aws: dict[str, Any]) -> list[dict[str, Any]]:
    return aws["autoscaling"].describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]


EXPECTED_TAGS = {
    "managed-by": "sagemaker-sizing",
    "sagemaker-sizing:run-id": RUN,
    "sagemaker-sizing:lane": LANE,
}


def test_deploy_creates_a_tagged_config_and_endpoint(manager: Any, aws: dict[str, Any]) -> None:
    result = deploy(manager, aws, step(count=2))

    sm = aws["sagemaker"]
    endpoint = sm.describe_endpoint(EndpointName=result["endpoint_name"])
    config = sm.describe_endpoint_config(EndpointConfigName=result["endpoint_config_name"])
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == result["endpoint_config_name"]
    assert config["ProductionVariants"][0]["InstanceType"] == "ml.m5.large"
    assert config["ProductionVariants"][0]["InitialInstanceCount"] == 2
    assert config["ProductionVariants"][0]["ModelName"] == aws["model"]
    assert tags_of(aws, endpoint["EndpointArn"]) == EXPECTED_TAGS
    assert tags_of(aws, config["EndpointConfigArn"]) == EXPECTED_TAGS
    assert result["endpoint_name"].startswith(BASE) and len(result["endpoint_name"]) <= 63
    assert result["created"] == [result["endpoint_config_name"], result["endpoint_name"]]
    assert result["action"] == "created"
    assert (result["instance_type"], result["instance_count"], result["status"]) == (
        "ml.m5.large",
        2,
        "InService",
    )
    assert json.loads(json.dumps(result)) == result  # XCom-safe


def test_config_names_have_their_own_base_when_one_is_given(manager: Any, aws: dict[str, Any]) -> None:
    result = manager.deploy(
        RUN, LANE, step(count=2), aws["model"], aws["variant"], endpoint_base=BASE, config_base="churn-cfg"
    )

    assert result["endpoint_config_name"] == ownership.endpoint_config_name("churn-cfg", RUN, LANE, step(2))
    assert result["endpoint_name"] == ownership.endpoint_name(BASE, RUN, LANE)
    described = aws["sagemaker"].describe_endpoint(EndpointName=result["endpoint_name"])
    assert described["EndpointConfigName"] == result["endpoint_config_name"]


def test_only_tps_changing_reuses_endpoint_and_config(manager: Any, aws: dict[str, Any]) -> None:
    first = deploy(manager, aws, step(count=1, tps=10))
    before = config_names(aws)

    again = deploy(manager, aws, step(count=1, tps=20))

    assert again["endpoint_name"] == first["endpoint_name"]
    assert again["endpoint_config_name"] == first["endpoint_config_name"]
    assert again["action"] == "reused" and again["created"] == []
    assert config_names(aws) == before


def test_retrying_the_same_deploy_changes_nothing(manager: Any, aws: dict[str, Any]) -> None:
    first = deploy(manager, aws, step(count=1))
    endpoint_before = endpoint(aws, first["endpoint_name"])

    retry = deploy(manager, aws, step(count=1))

    assert retry["action"] == "reused" and retry["created"] == []
    assert endpoint(aws, first["endpoint_name"]) == endpoint_before
    assert len(aws["sagemaker"].list_endpoints()["Endpoints"]) == 1


def test_new_count_changes_in_place_and_keeps_the_endpoint_config(manager: Any, aws: dict[str, Any]) -> None:
    first = deploy(manager, aws, step(count=1))

    second = deploy(manager, aws, step(count=3))

    assert second["endpoint_name"] == first["endpoint_name"]
    assert second["endpoint_config_name"] == first["endpoint_config_name"]
    assert second["action"] == "resized" and second["created"] == []
    resized = endpoint(aws, first["endpoint_name"])
    assert resized["EndpointConfigName"] == first["endpoint_config_name"]
    assert resized["ProductionVariants"][0]["DesiredInstanceCount"] == 3
    assert resized["ProductionVariants"][0]["CurrentInstanceCount"] == 3
    assert config_names(aws) == [first["endpoint_config_name"]]
    assert second["previous_count"] == 1 and second["instance_count"] == 3
    assert (
        first["requested_at"] <= first["in_service_at"] <= second["requested_at"] <= second["in_service_at"]
    )


def test_in_place_only_where_the_deploy_time_model_says_it_is_faster(
    manager: Any, aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = FamilyTimes(create_s=240, update_s=300, scale_out_s=900, scale_in_s=45, delete_s=120)
    monkeypatch.setitem(manager.__dict__, "deploy_times", DeployTimes({"cpu": slow}))  # a shared manager
    first = deploy(manager, aws, step(count=1))

    assert deploy(manager, aws, step(count=3))["action"] == "updated"  # adding instances: slower
    assert deploy(manager, aws, step(count=2))["action"] == "resized"  # removing one: faster
    assert endpoint(aws, first["endpoint_name"])["ProductionVariants"][0]["CurrentInstanceCount"] == 2


def test_autoscaling_step_registers_target_tracking(manager: Any, aws: dict[str, Any]) -> None:
    result = deploy(manager, aws, autoscaling_step(min_count=2, max_count=4, target=300))

    rid = f"endpoint/{result['endpoint_name']}/variant/{aws['variant']}"
    [target] = scalable_targets(aws)
    assert target["ResourceId"] == rid
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 4)
    [policy] = aws["autoscaling"].describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=rid)[
        "ScalingPolicies"
    ]
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert tracking["TargetValue"] == 300
    assert (
        tracking["PredefinedMetricSpecification"]["PredefinedMetricType"]
        == "SageMakerVariantInvocationsPerInstance"
    )
    assert rid in result["created"] and policy["PolicyName"] in result["created"]
    config = aws["sagemaker"].describe_endpoint_config(EndpointConfigName=result["endpoint_config_name"])
    assert config["ProductionVariants"][0]["InitialInstanceCount"] == 2


def test_an_llm_autoscaling_step_tracks_concurrent_requests_per_instance(
    manager: Any, aws: dict[str, Any]
) -> None:
    step = dataclasses.replace(
        autoscaling_step(min_count=1, max_count=3),
        invocations_target=None,
        concurrency_target=2.4,
        workload="llm",
    )
    result = deploy(manager, aws, step)

    rid = f"endpoint/{result['endpoint_name']}/variant/{aws['variant']}"
    [policy] = aws["autoscaling"].describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=rid)[
        "ScalingPolicies"
    ]
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == 2.4
    assert (
        tracking["PredefinedMetricSpecification"]["PredefinedMetricType"]
        == "SageMakerVariantConcurrentRequestsPerModelHighResolution"
    )
    # Another target is another deployment: its own config name.
    assert result["endpoint_config_name"].endswith("-as1-3-tc2-4")


def test_new_minimum_resizes_in_place_and_registers_the_new_range(manager: Any, aws: dict[str, Any]) -> None:
    first = deploy(manager, aws, autoscaling_step(min_count=2, max_count=4))

    second = deploy(manager, aws, autoscaling_step(min_count=1, max_count=4))

    assert second["action"] == "resized"
    assert second["endpoint_config_name"] == first["endpoint_config_name"]
    [target] = scalable_targets(aws)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 4)
    live = endpoint(aws, first["endpoint_name"])["ProductionVariants"][0]
    assert live["CurrentInstanceCount"] == 1


def test_plain_step_after_autoscaling_deregisters(manager: Any, aws: dict[str, Any]) -> None:
    scaled = deploy(manager, aws, autoscaling_step())
    rid = f"endpoint/{scaled['endpoint_name']}/variant/{aws['variant']}"

    deploy(manager, aws, step(count=2))

    assert scalable_targets(aws) == []
    policies = aws["autoscaling"].describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=rid)
    assert policies["ScalingPolicies"] == []


@pytest.mark.parametrize("foreign_tags", [[], [{"Key": "team", "Value": "fraud"}]])
def test_refuses_an_endpoint_it_did_not_create(manager: Any, aws: dict[str, Any], foreign_tags: list) -> None:
    sm = aws["sagemaker"]
    name = ownership.endpoint_name(BASE, RUN, LANE)
    foreign_config(aws, "theirs", "ml.c5.xlarge", 1)
    kwargs = {"Tags": foreign_tags} if foreign_tags else {}
    sm.create_endpoint(EndpointName=name, EndpointConfigName="theirs", **kwargs)
    before = endpoint(aws, name)

    with pytest.raises(OwnershipError, match=name):
        deploy(manager, aws, step(count=2))

    assert endpoint(aws, name) == before
    assert config_names(aws) == ["theirs"]  # nothing created either


def test_refuses_another_runs_endpoint(manager: Any, aws: dict[str, Any]) -> None:
    sm = aws["sagemaker"]
    name = ownership.endpoint_name(BASE, RUN, LANE)
    foreign_config(aws, "other-run", "ml.m5.large", 1)
    sm.create_endpoint(
        EndpointName=name, EndpointConfigName="other-run", Tags=ownership.run_tags("other", LANE)
    )
    before = endpoint(aws, name)

    with pytest.raises(OwnershipError, match="other"):
        deploy(manager, aws, step(count=1))

    assert endpoint(aws, name) == before


def test_refuses_a_foreign_config_with_our_name(manager: Any, aws: dict[str, Any]) -> None:
    sm = aws["sagemaker"]
    config_name = ownership.endpoint_config_name(BASE, RUN, LANE, step(count=1))
    foreign_config(aws, config_name, "ml.c5.xlarge", 5)
    before = endpoint_config(aws, config_name)

    with pytest.raises(OwnershipError, match="endpoint config"):
        deploy(manager, aws, step(count=1))

    assert endpoint_config(aws, config_name) == before
    assert sm.list_endpoints()["Endpoints"] == []


def test_two_runs_for_the_same_model_do_not_collide(manager: Any, aws: dict[str, Any]) -> None:
    one = deploy(manager, aws, step(count=1), run_id="run-one")
    two = deploy(manager, aws, step(count=1), run_id="run-two")

    assert one["endpoint_name"] != two["endpoint_name"]
    assert one["endpoint_config_name"] != two["endpoint_config_name"]


def test_a_failed_endpoint_is_replaced_on_retry(manager: Any, aws: dict[str, Any], set_status: Any) -> None:
    first = deploy(manager, aws, step(count=1))
    set_status(first["endpoint_name"], "Failed", "ResourceLimitExceeded")

    retry = deploy(manager, aws, step(count=1))

    assert retry["status"] == "InService"
    assert retry["created"] == [retry["endpoint_name"]]  # the config was reused, the endpoint re-created


def test_waiting_reports_failure_with_sagemakers_reason(
    manager: Any, aws: dict[str, Any], set_status: Any
) -> None:
    result = deploy(manager, aws, step(count=1))
    set_status(result["endpoint_name"], "Failed", "ResourceLimitExceeded: no ml.m5.large left")

    with pytest.raises(EndpointFailedError, match="ResourceLimitExceeded"):
        manager.wait_in_service(result["endpoint_name"])


def test_waiting_polls_until_in_service(manager: Any, aws: dict[str, Any], set_status: Any) -> None:
    name = deploy(manager, aws, step(count=1))["endpoint_name"]
    set_status(name, "Creating")

    def settle_on_third_check(seconds: float) -> None:
        if len(manager.sleeps) == 3:
            set_status(name, "InService")

    manager.on_sleep = settle_on_third_check
    assert manager.wait_in_service(name)["EndpointStatus"] == "InService"
    assert manager.sleeps == [1, 1, 1]  # the WaiterConfig's delay between checks


def test_waiting_gives_up_after_the_timeout(manager: Any, aws: dict[str, Any], set_status: Any) -> None:
    name = deploy(manager, aws, step(count=1))["endpoint_name"]
    set_status(name, "Updating")

    with pytest.raises(TimeoutError, match=name):
        manager.wait_in_service(name)
    assert len(manager.sleeps) == 59  # 60 checks (WaiterConfig MaxAttempts), a sleep between each


def test_watching_a_transitional_endpoint_briefly(manager: Any, aws: dict[str, Any], set_status: Any) -> None:
    name = deploy(manager, aws, step(count=1))["endpoint_name"]
    set_status(name, "Creating")
    assert manager.in_service_within(name, 2, interval=0.5) is False
    assert manager.sleeps == [0.5] * 4

    manager.on_sleep = lambda seconds: set_status(name, "Failed", "CapacityError: none left")
    with pytest.raises(EndpointFailedError, match="CapacityError"):
        manager.in_service_within(name, 2, interval=0.5)


def test_start_and_finish_split_the_deploy_for_deferral(manager: Any, aws: dict[str, Any]) -> None:
    started = manager.start_deploy(
        RUN, LANE, autoscaling_step(), aws["model"], aws["variant"], endpoint_base=BASE
    )
    assert json.loads(json.dumps(started)) == started
    assert scalable_targets(aws) == []  # autoscaling waits for InService

    trigger = manager.endpoint_trigger(started["endpoint_name"])
    classpath, kwargs = trigger.serialize()
    assert classpath.endswith("SageMakerTrigger")
    assert (kwargs["job_name"], kwargs["job_type"]) == (started["endpoint_name"], "endpoint")
    assert kwargs["aws_conn_id"] == manager.hook.aws_conn_id

    result = manager.finish_deploy(RUN, LANE, autoscaling_step(), aws["variant"], started)
    assert result["status"] == "InService" and len(scalable_targets(aws)) == 1


def test_the_trigger_waits_as_long_and_as_often_as_a_wait_in_place(manager: Any, aws: dict[str, Any]) -> None:
    started = manager.start_deploy(RUN, LANE, step(count=1), aws["model"], aws["variant"], endpoint_base=BASE)
    name = started["endpoint_name"]
    for waiting in (manager, EndpointManager(manager.hook)):  # the test's waits, and the defaults
        _, kwargs = waiting.endpoint_trigger(name).serialize()
        in_place = waiting.waiter_config
        assert (kwargs["waiter_delay"], kwargs["waiter_max_attempts"]) == (
            in_place["Delay"],
            in_place["MaxAttempts"],
        )
    assert (manager.waiter_config["Delay"], manager.waiter_config["MaxAttempts"]) == (1, 60)
    default = EndpointManager(manager.hook).waiter_config
    assert (default["Delay"], default["MaxAttempts"]) == (WAIT_DELAY_S, WAIT_MAX_ATTEMPTS)
    assert WAIT_DELAY_S * WAIT_MAX_ATTEMPTS == 4 * 3600


def test_a_refusal_changes_nothing_even_on_our_failed_endpoint(
    manager: Any, aws: dict[str, Any], set_status: Any
) -> None:
    ours = deploy(manager, aws, step(count=1))
    set_status(ours["endpoint_name"], "Failed", "boom")
    foreign_config(aws, ownership.endpoint_config_name(BASE, RUN, LANE, step(count=2)), "ml.m5.large", 2)

    with pytest.raises(OwnershipError):
        deploy(manager, aws, step(count=2))

    assert endpoint(aws, ours["endpoint_name"])["EndpointStatus"] == "Failed"  # not replaced yet


def test_a_serverless_step_deploys_a_serverless_config(manager: Any, aws: dict[str, Any]) -> None:
    serverless = StepConfig(
        phase="serverless-memory",
        instance_type="serverless-2048",
        instance_count=1,
        steady_state_tps=10,
        steady_state_minutes=1,
        memory_size_mb=2048,
        max_concurrency=8,
        provisioned_concurrency=2,
    )
    deployed = manager.deploy(
        RUN, "serverless-2048", serverless, aws["model"], aws["variant"], endpoint_base=BASE
    )
    variant = endpoint_config(aws, deployed["endpoint_config_name"])["ProductionVariants"][0]
    assert variant["ServerlessConfig"] == {
        "MemorySizeInMB": 2048,
        "MaxConcurrency": 8,
        "ProvisionedConcurrency": 2,
    }
    assert "InstanceType" not in variant
    # Another max concurrency is another config on the same endpoint.
    wider = manager.deploy(
        RUN,
        "serverless-2048",
        dataclasses.replace(serverless, max_concurrency=12),
        aws["model"],
        aws["variant"],
        endpoint_base=BASE,
    )
    assert wider["endpoint_name"] == deployed["endpoint_name"] and wider["action"] == "updated"
    assert wider["endpoint_config_name"] != deployed["endpoint_config_name"]


def test_a_count_change_that_rolled_back_fails_the_deploy_with_sagemakers_reason(
    manager: Any, aws: dict[str, Any]
) -> None:
    from moto.sagemaker.models import sagemaker_backends

    from tests.adapters.conftest import ACCOUNT, REGION

    first = deploy(manager, aws, step(count=1))
    started = manager.start_deploy(RUN, LANE, step(count=3), aws["model"], aws["variant"], endpoint_base=BASE)
    assert started["action"] == "resized"
    # The new instances failed their health checks: SageMaker rolled the change back.
    fake = sagemaker_backends[ACCOUNT][REGION].endpoints[first["endpoint_name"]]
    fake.production_variants[0]["CurrentInstanceCount"] = 1
    fake.failure_reason = "the new instances did not pass the ping health check"

    with pytest.raises(EndpointFailedError, match="runs 1 instances, not the 3 asked: the new instances"):
        manager.finish_deploy(RUN, LANE, step(count=3), aws["variant"], started)
