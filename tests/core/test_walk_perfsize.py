from __future__ import annotations

import random

import pytest
from sagemaker_sizing.core.model import StepResult
from sagemaker_sizing.core.simulate.capacity import CapacityModel
from sagemaker_sizing.core.walk import WalkMismatchError, next_batch, recommend, worst_case_rounds
from walk_helpers import drive, make_conf, scripted


def summary(results: list[StepResult]) -> list[tuple[object, ...]]:
    return [
        (r.step.phase, r.step.instance_type, r.step.instance_count, r.step.steady_state_tps, r.passed)
        for r in results
    ]


def test_type_phase_failure_moves_to_next_pair_at_first_tps_then_walks_tps_on_first_pass():
    conf = make_conf(count_walk="1,2", endurance_steady_state_minutes=0)
    results = drive(conf, scripted([False, False, False, True, True, False]))
    assert summary(results) == [
        ("type", "ml.m5.large", 1, 10.0, False),
        ("type", "ml.m5.large", 2, 10.0, False),
        ("type", "ml.m5.xlarge", 1, 10.0, False),
        ("type", "ml.m5.xlarge", 2, 10.0, True),
        ("type", "ml.m5.xlarge", 2, 20.0, True),
        ("type", "ml.m5.xlarge", 2, 30.0, False),
    ]
    assert all(r.step.steady_state_minutes == 3 and r.step.ramp_minutes == 0 for r in results)
    assert [r.round for r in results] == [1, 2, 3, 4, 5, 6]
    rec = recommend(conf, results)
    # last green: 20 TPS on 2 instances -> 10 per instance -> ceil(100 / 10) = 10
    assert (rec.instance_type, rec.tps_per_instance, rec.instance_count_needed) == ("ml.m5.xlarge", 10.0, 10)
    assert rec.max_instance_count is None  # endurance disabled: no max phase


def test_type_phase_stops_when_tps_walk_ends():
    conf = make_conf(endurance_steady_state_minutes=0)
    results = drive(conf, lambda s: True)
    assert [r.step.steady_state_tps for r in results] == [10, 20, 30, 40, 50]
    assert recommend(conf, results).instance_count_needed == 2  # ceil(100 / 50)


def test_no_pass_at_all_means_no_recommendation_and_no_later_phases():
    conf = make_conf(count_walk="1,2")
    results = drive(conf, lambda s: False)
    assert len(results) == 4 and {r.step.phase for r in results} == {"type"}
    rec = recommend(conf, results)
    assert rec.instance_type is None and rec.max_instance_count is None and rec.hourly_cost_usd is None


def test_max_phase_counts_needed_to_needed_plus_retries_at_peak_then_target():
    conf = make_conf(peak_tps=70, endurance_ramp_minutes=0)
    # type: 10 20 30 pass, 40 fail -> needed ceil(70/30) = 3; max: 3 fail, 4 fail, 5 pass
    results = drive(conf, scripted([True, True, True, False, False, False, True]))
    max_steps = [r.step for r in results if r.step.phase == "max"]
    assert [s.instance_count for s in max_steps] == [3, 4, 5]
    assert all(s.steady_state_tps == 70 and s.steady_state_minutes == 30 for s in max_steps)
    rec = recommend(conf, results)
    assert rec.max_instance_count == 5
    assert rec.invocations_target == int(70 / 5 * 60 * 0.5) == 420
    assert rec.aws_formula_invocations_target == int(30 * 60 * 0.5)
    assert rec.min_instance_count is None  # no ramp: no min phase


def test_max_phase_gives_up_after_retries():
    conf = make_conf(peak_tps=50, endurance_retries=1)
    results = drive(conf, scripted([True, True, True, False, False, False]))
    assert [r.step.instance_count for r in results if r.step.phase == "max"] == [2, 3]
    assert recommend(conf, results).max_instance_count is None
    assert all(r.step.phase != "min" for r in results)


def run_min_phase(outcomes: list[bool]) -> list[StepResult]:
    # type: 10 pass, 20 fail -> 10 per instance; peak 50 -> needed 5; max phase 5 passes.
    conf = make_conf(peak_tps=50, endurance_ramp_start_tps=5)
    return drive(conf, scripted([True, False, True, *outcomes]))


def test_min_phase_binary_search_all_passing():
    results = run_min_phase([True, True])
    mins = [r.step for r in results if r.step.phase == "min"]
    assert [s.scaling_min_instance_count for s in mins] == [2, 1]  # int((0+5)/2)=2, int((0+2)/2)=1
    assert all(s.scaling_max_instance_count == 5 and s.invocations_target == 300 for s in mins)
    assert all(s.ramp_start_tps == 5 and s.ramp_minutes == 10 and s.steady_state_tps == 50 for s in mins)
    assert recommend(make_conf(peak_tps=50, endurance_ramp_start_tps=5), results).min_instance_count == 1


def test_min_phase_never_tests_max_itself():
    results = run_min_phase([False, False, False])
    assert [r.step.scaling_min_instance_count for r in results if r.step.phase == "min"] == [2, 3, 4]
    assert recommend(make_conf(peak_tps=50, endurance_ramp_start_tps=5), results).min_instance_count is None


def test_min_phase_mixed():
    results = run_min_phase([False, True])  # 2 fails -> lower 2; int((2+5)/2)=3 passes; int(5/2)... stop
    assert [r.step.scaling_min_instance_count for r in results if r.step.phase == "min"] == [2, 3]


def test_no_min_phase_when_max_is_one():
    conf = make_conf(peak_tps=10)
    results = drive(conf, lambda s: True)
    assert recommend(conf, results).max_instance_count == 1
    assert all(r.step.phase != "min" for r in results)


def test_results_in_any_order_give_the_same_batch_and_foreign_results_are_refused():
    conf = make_conf(endurance_ramp_minutes=0)
    results = drive(conf, scripted([True, True, False, False, True]))
    assert len(results) == 5
    shuffled = random.Random(3).sample(results, len(results))
    assert next_batch(conf, shuffled) == next_batch(conf, results) == []
    other_step = next_batch(make_conf(tps_walk="11"), [])[0]
    foreign = [StepResult(other_step, 1, True, "")]
    with pytest.raises(WalkMismatchError, match="round 1"):
        next_batch(conf, foreign)


@pytest.mark.parametrize("seed", range(30))
def test_worst_case_rounds_bounds_every_run(seed):
    rng = random.Random(seed)
    conf = make_conf(count_walk="1,2", peak_tps=rng.choice([30, 100, 250]), endurance_ramp_start_tps=5)
    model = CapacityModel({"ml.m5.large": rng.uniform(1, 60), "ml.m5.xlarge": rng.uniform(1, 120)})
    results = drive(conf, model.passes)
    assert max((r.round for r in results), default=0) <= worst_case_rounds(conf)
