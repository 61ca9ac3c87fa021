"""The deploy-time model and the timeline of a walk on AWS: wall-clock and the sizing's own bill."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from typing import Any

import pytest
from sagemaker_sizing.core.model import StepConfig
from sagemaker_sizing.core.simulate.capacity import CapacityModel
from sagemaker_sizing.core.simulate.dry_run import run_walk, steps_by_round
from sagemaker_sizing.core.timeline.bill import Meter, charge
from sagemaker_sizing.core.timeline.deploy_times import (
    DEFAULT_PATH,
    DeployTimes,
    DeployTimesError,
    FamilyTimes,
    deploy_times_from_dict,
    load_deploy_times,
)
from sagemaker_sizing.core.timeline.lanes import Action, Fleet, deploy_action, lane_slots
from sagemaker_sizing.core.timeline.simulated import simulate_timeline
from walk_helpers import make_conf

CPU = FamilyTimes(create_s=240, update_s=300, scale_out_s=210, scale_in_s=45, delete_s=120)
TIMES = DeployTimes({"cpu": CPU}, waiter_delay_s=30)
PRICES = {"ml.m5.large": Decimal("0.115"), "ml.c5.large": Decimal("0.102")}


def step(count: int = 1, instance_type: str = "ml.m5.large", minutes: float = 3, **more: Any) -> StepConfig:
    return StepConfig("probe", instance_type, count, 10, minutes, **more)


def test_the_table_maps_instance_families_and_has_every_operation():
    times = load_deploy_times()
    assert times.family("ml.m5.large") == "cpu"
    assert times.family("ml.c5.4xlarge") == "cpu"
    assert times.family("ml.g5.2xlarge") == "gpu"
    assert times.family("ml.g5.48xlarge") == "gpu-large"
    assert times.family("ml.p4d.24xlarge") == "gpu-large"
    assert times.family("ml.inf2.xlarge") == "inferentia"
    assert times.family("serverless-2048") == "serverless"
    assert times.billing_start == "instance_launch"
    assert times.waiter_delay_s == 30
    for family in ("cpu", "gpu", "gpu-large", "inferentia", "serverless"):
        spec = times.families[family]
        assert 0 < spec.scale_in_s <= spec.scale_out_s < spec.update_s, family
        assert spec.create_s > 0 and spec.delete_s > 0
    assert times.of("ml.g5.2xlarge").create_s > times.of("ml.m5.large").create_s


def test_a_malformed_table_names_what_is_wrong(tmp_path):
    raw = json.loads(DEFAULT_PATH.read_text())
    with pytest.raises(DeployTimesError, match="family_of names families without times"):
        deploy_times_from_dict({**raw, "family_of": [["^ml", "tpu"]]})
    with pytest.raises(DeployTimesError, match="billing_start"):
        deploy_times_from_dict({**raw, "billing_start": "never"})
    bad = tmp_path / "times.json"
    bad.write_text("{")
    with pytest.raises(DeployTimesError, match=str(bad)):
        load_deploy_times(bad)


def test_waits_end_on_the_pollers_next_check_and_compression_scales_every_duration():
    assert TIMES.waited(240) == 240
    assert TIMES.waited(210) == 210
    assert TIMES.waited(45) == 60
    assert TIMES.waited(0) == 0
    fast = load_deploy_times().scaled(60)
    assert fast.of("ml.m5.large").create_s == pytest.approx(4)
    assert fast.waiter_delay_s == pytest.approx(0.5)
    assert fast.autoscaling.scale_out_cooldown_s == pytest.approx(5)


def test_what_a_deploy_does_to_its_lanes_endpoint():
    assert deploy_action(None, step()) is Action.CREATED
    assert deploy_action(Fleet("ml.m5.large", 1), step(1, minutes=30)) is Action.REUSED
    assert deploy_action(Fleet("ml.m5.large", 1), step(4)) is Action.RESIZED
    assert deploy_action(Fleet("ml.m5.large", 8), step(3)) is Action.RESIZED
    assert deploy_action(Fleet("ml.c5.large", 1), step(1)) is Action.UPDATED
    autoscaling = step(3, scaling_min_instance_count=3, scaling_max_instance_count=8, invocations_target=9)
    assert deploy_action(Fleet("ml.m5.large", 8), autoscaling) is Action.RESIZED  # to its minimum
    serverless = step(1, "serverless-2048", memory_size_mb=2048, max_concurrency=5)
    assert deploy_action(Fleet("serverless-2048", 1, (1024, 5, None)), serverless) is Action.UPDATED
    # In place only where it is faster on that family.
    slow = DeployTimes({"cpu": dataclasses.replace(CPU, scale_out_s=400)})
    assert deploy_action(Fleet("ml.m5.large", 1), step(4), slow) is Action.UPDATED
    assert deploy_action(Fleet("ml.m5.large", 4), step(1), slow) is Action.RESIZED


def test_lanes_are_the_nth_step_of_a_type_in_the_batch():
    batch = [step(1), step(2), step(1, "ml.c5.large"), step(3)]
    assert lane_slots(batch) == [
        ("ml.m5.large", 1),
        ("ml.m5.large", 2),
        ("ml.c5.large", 1),
        ("ml.m5.large", 3),
    ]


def test_billing_rules_of_each_action():
    meter = Meter("ml.m5.large")
    launch = "instance_launch"
    charge(meter, Action.CREATED, before=0, after=2, requested=0, settled=240, billing_start=launch)
    charge(meter, Action.RESIZED, before=2, after=1, requested=600, settled=645, billing_start=launch)
    charge(meter, Action.UPDATED, before=1, after=3, requested=1000, settled=1300, billing_start=launch)
    meter.bill_from(2000, 0)
    # 2 from 0 to 645 (the removed one until the scale-in is done), 1 to 1000, 3 from the update on.
    assert meter.instance_seconds == 2 * 645 + 1 * 355 + 3 * 1000
    late = Meter("ml.m5.large")
    charge(late, Action.CREATED, before=0, after=2, requested=0, settled=240, billing_start="in_service")
    charge(late, Action.RESIZED, before=2, after=4, requested=600, settled=810, billing_start="in_service")
    late.bill_from(1000, 0)
    assert late.instance_seconds == 2 * (810 - 240) + 4 * (1000 - 810)


def test_a_timeline_by_hand():
    # Round 1: two lanes created (240 s), 3 min of load. Round 2: the m5 lane grows 1 -> 3 in place
    # (210 s) for 30 min; the c5 lane is idle, so plan deletes it (gone 120 s later). Teardown: 120 s.
    rounds = [[step(1), step(1, "ml.c5.large")], [step(3, minutes=30)]]
    timeline = simulate_timeline(rounds, PRICES, TIMES)
    assert timeline.wall_clock_s == 240 + 180 + 210 + 1800 + 120
    assert timeline.load_minutes == 33
    assert dict(timeline.actions) == {"created": 2, "resized": 1}
    assert timeline.deploys == 3
    m5 = 1 * (240 + 180) + 3 * (210 + 1800 + 120)
    c5 = 1 * (240 + 180 + 120)
    assert timeline.instance_hours == Decimal(m5 + c5) / 3600
    usd = Decimal(m5) * PRICES["ml.m5.large"] + Decimal(c5) * PRICES["ml.c5.large"]
    assert timeline.bill_usd == usd / 3600


def test_an_autoscaling_step_bills_its_minimum_until_scaling_can_act_then_its_maximum():
    times = dataclasses.replace(TIMES, autoscaling=dataclasses.replace(TIMES.autoscaling, detection_s=240))
    scaling = {"scaling_min_instance_count": 2, "scaling_max_instance_count": 8, "invocations_target": 9}
    ramp = step(2, minutes=30, **scaling)
    timeline = simulate_timeline([[ramp]], PRICES, times)
    assert timeline.instance_hours == Decimal(2 * (240 + 240) + 8 * (1800 - 240 + 120)) / 3600


def test_no_wait_runs_take_only_their_load():
    rounds = [[step(1), step(1, "ml.c5.large")], [step(3, minutes=30)]]
    timeline = simulate_timeline(rounds, PRICES, DeployTimes({}))
    assert timeline.wall_clock_s == 33 * 60


SMALL = {"peak_tps": 20, "type_walk": "ml.m5.large,ml.m5.xlarge,ml.c5.large",
         "tps_walk": "10,20,30,40,50,60,70,80,90,100", "duration_minutes": 3,
         "endurance_ramp_minutes": 10, "endurance_steady_state_minutes": 30}  # fmt: skip


def test_the_small_case_spends_the_floor_one_probe_and_the_endurance():
    # One instance of the cheapest type carries 20 TPS. The floor: the endurance minutes at the peak
    # (30) and one probe (3); a one-instance answer has no autoscaling range, so no ramp step.
    model = CapacityModel({"ml.m5.large": 38, "ml.m5.xlarge": 75, "ml.c5.large": 30})
    conf = make_conf(strategy="adaptive", **SMALL)
    rounds = steps_by_round(run_walk(conf, model))
    assert sum(max(s.load_minutes for s in batch) for batch in rounds) == 30 + 3
    assert [s.instance_type for s in rounds[-1]] == ["ml.c5.large"]
    # The probe is the cheapest type's alone: one instance of it holding the peak, no type can beat it.
    assert [(s.instance_type, s.instance_count, s.steady_state_tps) for s in rounds[0]] == [
        ("ml.c5.large", 1, 20)
    ]
    timeline = simulate_timeline(rounds, PRICES, load_deploy_times())
    assert timeline.deploys == 1  # the probe's endpoint carries on into the endurance step


def change(endpoint: str, action: str, before: int, after: int, asked: float, ready: float, **more: Any):
    from sagemaker_sizing.core.timeline.measured import EndpointChange

    record = {"endpoint_name": endpoint, "instance_type": "ml.m5.large", "action": action,
              "previous_count": before, "instance_count": after, "requested_at": asked,
              "in_service_at": ready, **more}  # fmt: skip
    found = EndpointChange.from_record(record)
    assert found is not None
    return found


def test_a_runs_own_instants_priced():
    from sagemaker_sizing.core.timeline.measured import deletions_from, measured_timeline

    t0 = 1_700_000_000.0
    changes = [
        change("a", "created", 0, 1, t0, t0 + 200),
        change("b", "created", 0, 1, t0 + 1, t0 + 230),
        change("a", "reused", 1, 1, t0 + 420, t0 + 421),
        change("a", "resized", 1, 3, t0 + 700, t0 + 900),
    ]
    deletions = deletions_from([
        {"deleted_at": {"b": t0 + 700}},  # plan retired b, nobody saw it go: + the model's 120 s
        {"deleted_at": {"a": t0 + 2900}, "gone_at": {"a": t0 + 3000}},  # teardown watched a go
    ])  # fmt: skip
    took = measured_timeline(
        changes, deletions, [], load_minutes=33, prices=PRICES, times=TIMES, torn_down_at=t0 + 3001
    )
    assert took is not None
    assert took.wall_clock_s == 3000
    assert dict(took.actions) == {"created": 2, "reused": 1, "resized": 1} and took.deploys == 3
    a = 1 * 700 + 3 * (3000 - 700)
    b = 1 * (700 + 120 - 1)
    assert took.instance_hours == Decimal(a + b) / 3600
    assert took.bill_usd == Decimal(a + b) * PRICES["ml.m5.large"] / 3600
    # Teardown's end caps an unwatched deletion; a quota's refusal deployed nothing.
    capped = measured_timeline(
        changes, deletions, [], load_minutes=33, prices=PRICES, times=TIMES, torn_down_at=t0 + 750
    )
    assert capped is not None and capped.instance_hours == Decimal(a + 1 * (750 - 1)) / 3600
    from sagemaker_sizing.core.timeline.measured import EndpointChange

    assert EndpointChange.from_record({"endpoint_name": "a", "action": "refused", "quota": "x"}) is None
    assert measured_timeline([], {}, [], load_minutes=0, prices=PRICES, times=TIMES) is None
