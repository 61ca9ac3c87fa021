"""Teardown and orphan cleanup: by tag, only ours, idempotent, works without XCom."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sagemaker_sizing.adapters import cleanup, ownership
from sagemaker_sizing.adapters.errors import TeardownError
from sagemaker_sizing.core.model import StepConfig
from sagemaker_sizing.core.timeline.deploy_times import DeployTimes, FamilyTimes

from tests.adapters.conftest import ACCOUNT, REGION, sagemaker_backends

RUN = "manual__2025-01-01T00:00:00+00:00"
OTHER_RUN = "manual__2025-01-02T00:00:00+00:00"


def step(instance_type: str = "ml.m5.large", count: int = 1, **scaling: Any) -> StepConfig:
    return StepConfig(
        phase="type",
        instance_type=instance_type,
        instance_count=count,
        steady_state_tps=10,
        steady_state_minutes=1,
        **scaling,
    )


SCALED = {"scaling_min_instance_count": 1, "scaling_max_instance_count": 3, "invocations_target": 120}


def deploy(manager: Any, aws: dict[str, Any], run_id: str, s: StepConfig) -> dict[str, Any]:
    lane = ownership.lane_for(s.instance_type)
    return manager.deploy(run_id, lane, s, aws["model"], aws["variant"], endpoint_base="churn")


def endpoints(aws: dict[str, Any]) -> set[str]:
    return {e["EndpointName"] for e in aws["sagemaker"].list_endpoints()["Endpoints"]}


def configs(aws: dict[str, Any]) -> set[str]:
    return {c["EndpointConfigName"] for c in aws["sagemaker"].list_endpoint_configs()["EndpointConfigs"]}


def targets(aws: dict[str, Any]) -> set[str]:
    found = aws["autoscaling"].describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    return {t["ResourceId"] for t in found}


@pytest.fixture
def two_runs_and_a_stranger(manager: Any, aws: dict[str, Any]) -> dict[str, Any]:
    """Our run: two lanes, an updated endpoint (two configs), autoscaling. Another run. A foreign endpoint."""
    sm = aws["sagemaker"]
    first = deploy(manager, aws, RUN, step(count=1))
    # A count change goes in place where that is faster; a table where it is not makes it a new config.
    manager.__dict__["deploy_times"] = DeployTimes({"cpu": FamilyTimes(update_s=1, scale_out_s=2)})
    try:
        updated = deploy(manager, aws, RUN, step(count=2))
    finally:
        del manager.__dict__["deploy_times"]  # the manager is shared
    ours = [first, updated, deploy(manager, aws, RUN, step("ml.c5.xlarge", count=1, **SCALED))]
    theirs = deploy(manager, aws, OTHER_RUN, step("ml.c5.xlarge", count=1, **SCALED))
    variant = {"VariantName": "v", "ModelName": aws["model"], "InstanceType": "ml.m5.large"}
    sm.create_endpoint_config(
        EndpointConfigName="foreign", ProductionVariants=[{**variant, "InitialInstanceCount": 1}]
    )
    sm.create_endpoint(
        EndpointName="foreign", EndpointConfigName="foreign", Tags=[{"Key": "team", "Value": "fraud"}]
    )
    return {"ours": ours, "theirs": theirs}


def test_teardown_deletes_only_this_runs_resources(
    manager: Any, aws: dict[str, Any], two_runs_and_a_stranger: dict[str, Any]
) -> None:
    ours, theirs = two_runs_and_a_stranger["ours"], two_runs_and_a_stranger["theirs"]
    our_endpoints = {r["endpoint_name"] for r in ours}
    our_configs = {r["endpoint_config_name"] for r in ours}
    assert len(our_endpoints) == 2 and len(our_configs) == 3

    deleted = cleanup.teardown(manager, RUN)

    assert set(deleted["endpoints"]) == our_endpoints
    assert set(deleted["endpoint_configs"]) == our_configs
    assert f"endpoint/{ours[2]['endpoint_name']}/variant/{aws['variant']}" in deleted["scaling"]
    assert deleted["errors"] == []
    assert endpoints(aws) == {theirs["endpoint_name"], "foreign"}
    assert configs(aws) == {theirs["endpoint_config_name"], "foreign"}
    assert targets(aws) == {f"endpoint/{theirs['endpoint_name']}/variant/{aws['variant']}"}


def test_teardown_twice_is_harmless(
    manager: Any, aws: dict[str, Any], two_runs_and_a_stranger: dict[str, Any]
) -> None:
    cleanup.teardown(manager, RUN)
    left = (endpoints(aws), configs(aws), targets(aws))

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
    assert (endpoints(aws), configs(aws), targets(aws)) == left


def test_teardown_of_a_run_that_made_nothing(manager: Any, aws: dict[str, Any]) -> None:
    assert cleanup.teardown(manager, "never-ran")["endpoints"] == []


def test_teardown_finds_a_config_whose_endpoint_was_never_created(manager: Any, aws: dict[str, Any]) -> None:
    # A crash between creating the config and creating the endpoint: only the tag remembers it.
    name = "churn-crashed-config"
    variant = {"VariantName": "v", "ModelName": aws["model"], "InstanceType": "ml.m5.large"}
    aws["sagemaker"].create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[{**variant, "InitialInstanceCount": 1}],
        Tags=ownership.run_tags(RUN, "ml-m5-large"),
    )

    assert cleanup.teardown(manager, RUN)["endpoint_configs"] == [name]
    assert configs(aws) == set()


def test_teardown_keeps_going_and_then_fails_when_a_delete_fails(
    manager: Any,
    aws: dict[str, Any],
    two_runs_and_a_stranger: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from botocore.exceptions import ClientError

    real_delete = manager.client.delete_endpoint_config
    failing = two_runs_and_a_stranger["ours"][0]["endpoint_config_name"]

    def delete_config(**kwargs: Any) -> Any:
        if kwargs["EndpointConfigName"] == failing:
            raise ClientError(
                {"Error": {"Code": "InternalFailure", "Message": "boom"}}, "DeleteEndpointConfig"
            )
        return real_delete(**kwargs)

    monkeypatch.setattr(manager.client, "delete_endpoint_config", delete_config)
    with pytest.raises(TeardownError, match=failing):
        cleanup.teardown(manager, RUN)
    assert failing in configs(aws)
    assert not {r["endpoint_name"] for r in two_runs_and_a_stranger["ours"]} & endpoints(aws)

    monkeypatch.undo()  # the retried teardown task finishes the job
    assert cleanup.teardown(manager, RUN)["endpoint_configs"] == [failing]


def test_orphans_are_found_by_tag(
    manager: Any, aws: dict[str, Any], two_runs_and_a_stranger: dict[str, Any]
) -> None:
    found = cleanup.find_orphans(manager)

    assert {r["run_key"] for r in found} == {RUN, OTHER_RUN}
    assert "foreign" not in {r["name"] for r in found}
    assert {(r["kind"], r["name"]) for r in cleanup.find_orphans(manager, run_key=OTHER_RUN)} == {
        ("endpoint", two_runs_and_a_stranger["theirs"]["endpoint_name"]),
        ("endpoint_config", two_runs_and_a_stranger["theirs"]["endpoint_config_name"]),
    }


def test_orphans_by_age(manager: Any, aws: dict[str, Any], two_runs_and_a_stranger: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    assert cleanup.find_orphans(manager, older_than=timedelta(hours=1), now=now) == []
    later = now + timedelta(hours=2)
    assert len(cleanup.find_orphans(manager, older_than=timedelta(hours=1), now=later)) == 7


def test_delete_orphans_of_a_crashed_run(
    manager: Any, aws: dict[str, Any], two_runs_and_a_stranger: dict[str, Any]
) -> None:
    theirs = two_runs_and_a_stranger["theirs"]

    deleted = cleanup.delete_resources(manager, cleanup.find_orphans(manager, run_key=OTHER_RUN))

    assert deleted["endpoints"] == [theirs["endpoint_name"]]
    assert deleted["endpoint_configs"] == [theirs["endpoint_config_name"]]
    assert theirs["endpoint_name"] not in endpoints(aws)
    assert "foreign" in endpoints(aws)
    assert len(cleanup.find_orphans(manager, run_key=RUN)) == 5


def test_retiring_idle_lanes_deletes_only_this_runs_other_lanes(manager: Any, aws: dict[str, Any]) -> None:
    kept = deploy(manager, aws, RUN, step("ml.m5.large"))
    idle = deploy(manager, aws, RUN, step("ml.c5.large", **SCALED))  # autoscaling too
    other_run = deploy(manager, aws, "other-run", step("ml.c5.large"))

    retired = cleanup.retire_lanes(manager, RUN, {ownership.lane_for("ml.m5.large")})

    assert retired["endpoints"] == [idle["endpoint_name"]]
    assert set(retired["deleted_at"]) == {idle["endpoint_name"]} and retired["gone_at"] == {}  # not waited
    assert endpoints(aws) == {kept["endpoint_name"], other_run["endpoint_name"]}
    assert configs(aws) == {kept["endpoint_config_name"], other_run["endpoint_config_name"]}
    assert idle["endpoint_name"] not in {t.split("/")[1] for t in targets(aws)}
    # Nothing left to retire: a second call (a retried plan) changes nothing.
    cleanup.retire_lanes(manager, RUN, {ownership.lane_for("ml.m5.large")})
    assert endpoints(aws) == {kept["endpoint_name"], other_run["endpoint_name"]}


def test_teardown_of_a_run_whose_conf_never_validated_needs_no_region(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A conf refused by validate (it may name no region, or an impossible one) deployed nothing:
    with a connection that has no region either, teardown says so and succeeds instead of failing
    (and retrying) on botocore's NoRegionError; a region the params name is still swept."""
    import json

    from sagemaker_sizing.airflow.tasks.teardown import run_manager, teardown

    from tests.adapters.conftest import CONN_ID

    regionless = "sizing_no_region"
    conn = {"conn_type": "aws", "login": "testing", "password": "testing", "extra": {"endpoint_url": "x"}}
    monkeypatch.setenv(f"AIRFLOW_CONN_{regionless.upper()}", json.dumps(conn))
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    assert teardown(RUN, regionless, None) == {}
    assert teardown(RUN, regionless, {"region": "not a region!"}) == {}
    deployed = deploy(run_manager(CONN_ID, {"region": "us-west-2"}), aws, RUN, step())
    swept = teardown(RUN, CONN_ID, {"region": "us-west-2"})  # the params' region
    assert deployed["endpoint_name"] in swept["endpoints"], swept
    assert endpoints(aws) == set()


def test_plan_and_teardown_wait_as_deploy_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's manager (plan's retiring of idle lanes, teardown) polls every waiter_delay
    seconds, as deploy does: a component's deletion is waited for before its endpoint's."""
    from sagemaker_sizing.airflow import settings
    from sagemaker_sizing.airflow.tasks.teardown import run_manager

    monkeypatch.setattr(settings, "waiter_delay", lambda: 2)
    assert run_manager("aws_default", {"region": "us-west-2"}).waiter_config["Delay"] == 2


def test_retiring_does_not_wait_and_teardown_sees_the_deleting_endpoint_go(
    manager: Any, aws: dict[str, Any], set_status: Any
) -> None:
    idle = deploy(manager, aws, RUN, step("ml.c5.large"))
    name = idle["endpoint_name"]
    set_status(name, "Deleting")  # a plan's delete still in flight when teardown comes

    assert cleanup.retire_lanes(manager, RUN, set())["endpoints"] == []  # going already: not asked again
    assert manager.sleeps == []  # retiring waits for nothing

    def gone_on_second_check(seconds: float) -> None:
        if len(manager.sleeps) == 2:
            sagemaker_backends[ACCOUNT][REGION].endpoints.pop(name)  # SageMaker finished deleting it

    manager.on_sleep = gone_on_second_check
    before = time.time()
    torn = cleanup.teardown(manager, RUN)
    assert torn["endpoints"] == [] and before <= torn["gone_at"][name] <= time.time()
