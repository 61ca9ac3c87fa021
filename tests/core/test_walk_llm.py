"""The adaptive walk sizing an LLM endpoint (workload llm): request rate as its "TPS", the
cheapest type for the peak in requests/s, the endurance step at the peak, the autoscaling minimum
with target tracking on concurrent requests per instance (Little's law from the measured steps)."""

from __future__ import annotations

from typing import Any

from sagemaker_sizing.core import walk
from sagemaker_sizing.core.model import StepConfig, StepResult
from sagemaker_sizing.core.serde import step_config_from_dict, step_config_to_dict
from sagemaker_sizing.core.walk.adaptive import lanes_for
from sagemaker_sizing.core.walk.targets import (
    CONCURRENCY_METRIC,
    INVOCATIONS_METRIC,
    concurrency_per_instance,
    concurrency_target,
)
from walk_helpers import make_conf, make_llm_conf

# The highest rate one instance of each type holds within the SLOs (requests/s), and the mean
# seconds a request spends in the system there (what Little's law turns into concurrency).
KNEE = {"ml.g5.xlarge": 2.5, "ml.g6e.xlarge": 4.2, "ml.g6.xlarge": 1.6}
E2E_S = 3.2


def answer(step: StepConfig, peak: float) -> tuple[bool, dict[str, Any]]:
    capacity = KNEE[step.instance_type]
    if step.autoscaling:  # the minimum must carry half the peak until scaled-out instances serve
        return int(step.scaling_min_instance_count or 0) * capacity >= peak / 2, {}
    per_instance = step.steady_state_tps / step.instance_count
    metrics = {"concurrency_mean": step.steady_state_tps * E2E_S, "e2e_ms": {"mean": E2E_S * 1000}}
    return per_instance <= capacity, metrics


def run(**overrides: Any) -> tuple[list[StepResult], Any]:
    conf = make_llm_conf(**overrides)
    results: list[StepResult] = []
    for round_no in range(1, 40):
        batch = walk.next_batch(conf, results)
        if not batch:
            return results, walk.recommend(conf, results)
        for step in batch:
            passed, metrics = answer(step, conf.peak_tps)
            results.append(StepResult(step, round_no, passed, "", metrics))
    raise AssertionError("the walk did not finish")


def test_the_cheapest_type_for_the_peak_wins_not_the_first_listed() -> None:
    results, rec = run()
    # 6 req/s: g5 needs 3 x $1.408, g6e 2 x $2.61, g6 4 x $1.006 (the third listed) is cheapest.
    assert rec.instance_type == "ml.g6.xlarge" and rec.instance_count_needed == 4
    assert rec.tps_per_instance == 1.5  # the highest breakpoint (6 / 4) at or below its knee
    assert rec.max_instance_count == 4 and rec.min_instance_count == 2
    assert all(r.step.workload == "llm" for r in results)
    assert "one instance held 2 req/s, failed at 3" in rec.explanation[0]


def test_the_autoscaling_target_is_concurrency_by_littles_law_from_the_measured_step() -> None:
    results, rec = run()
    # One g6 instance at 1.5 req/s had 1.5 x 3.2 = 4.8 requests in flight; x safety factor 0.5.
    assert rec.target_metric == CONCURRENCY_METRIC and rec.target_value == 2.4
    assert rec.invocations_target is None and rec.aws_formula_invocations_target is None
    scaled = [r.step for r in results if r.step.autoscaling]
    assert scaled and all(s.concurrency_target == 2.4 and s.invocations_target is None for s in scaled)
    assert "target 2.4 concurrent" in scaled[0].describe() and "req/s" in scaled[0].describe()
    assert any("Little's law" in line for line in rec.explanation)


def test_without_a_measured_concurrency_the_mean_latency_gives_it() -> None:
    assert concurrency_per_instance(2.0, {"e2e_ms": {"mean": 2500.0, "p50": 1.0}}, 10000) == 5.0
    assert concurrency_per_instance(2.0, {"e2e_ms": {"p50": 2000.0}}, 10000) == 4.0
    assert concurrency_per_instance(2.0, {}, 10000) == 20.0  # the e2e limit: an upper bound
    assert concurrency_per_instance(2.0, {"concurrency_mean": 3.3}, 10000) == 3.3
    assert concurrency_target(4.8, 0.5) == 2.4 and concurrency_target(0.001, 0.5) == 0.01
    assert concurrency_target(7.777, 0.5) == 3.89


def test_lanes_start_at_llm_start_rps_and_stop_at_the_largest_count() -> None:
    default = lanes_for(make_llm_conf())
    assert {(lane.start, lane.floor) for lane in default} == {(2, 6 / 16)}
    capped = lanes_for(make_llm_conf(count_walk="1,3", llm_start_rps=10))
    assert {(lane.start, lane.floor) for lane in capped} == {(6, 2)}  # start at most the peak
    above = lanes_for(make_llm_conf(count_walk="2", llm_start_rps=1))
    assert {(lane.start, lane.floor) for lane in above} == {(3, 3)}  # and at least the floor


def test_a_type_below_the_floor_is_dropped_with_its_reason() -> None:
    _, rec = run(count_walk="2", type_walk="ml.g6.xlarge,ml.g6e.xlarge")
    # 6 req/s on at most 2 instances: g6 (1.6 req/s each) cannot; g6e (4.2) can, and wins.
    assert rec.instance_type == "ml.g6e.xlarge"
    dropped = next(line for line in rec.explanation if line.startswith("ml.g6.xlarge"))
    assert dropped == (
        "ml.g6.xlarge: nothing passed, failed at 3 (the lowest worth testing: 3 req/s); dropped."
    )


def test_a_tps_walk_keeps_its_invocations_target() -> None:
    conf = make_conf(strategy="adaptive", peak_tps=100)
    results: list[StepResult] = []
    for round_no in range(1, 40):
        batch = walk.next_batch(conf, results)
        if not batch:
            break
        results += [
            StepResult(s, round_no, s.autoscaling or s.steady_state_tps / s.instance_count <= 40, "")
            for s in batch
        ]
    rec = walk.recommend(conf, results)
    assert rec.target_metric == INVOCATIONS_METRIC and rec.target_value == rec.invocations_target
    assert all(r.step.workload == "tps" and r.step.concurrency_target is None for r in results)


def test_llm_steps_cross_xcom_and_tps_steps_json_is_unchanged() -> None:
    llm = StepConfig("min", "ml.g6.xlarge", 2, 6, 1, 1, 0.5, 2, 4, concurrency_target=2.4, workload="llm")
    data = step_config_to_dict(llm)
    assert data["workload"] == "llm" and data["concurrency_target"] == 2.4
    assert step_config_from_dict(data) == llm
    tps = step_config_to_dict(StepConfig("probe", "ml.m5.large", 1, 10, 3))
    assert "workload" not in tps and "concurrency_target" not in tps
    assert (
        llm.deployment_key
        != StepConfig(
            "min", "ml.g6.xlarge", 2, 6, 1, 1, 0.5, 2, 4, concurrency_target=3.0, workload="llm"
        ).deployment_key
    )


def run_offering(factor: float, **overrides: Any) -> tuple[list[StepResult], Any]:
    """As ``run``, but each single-instance step of the search offers ``factor`` x its rate (Poisson
    arrivals over a short step) and the instance is judged at the rate it was offered."""
    conf = make_llm_conf(**overrides)
    results: list[StepResult] = []
    for round_no in range(1, 40):
        batch = walk.next_batch(conf, results)
        if not batch:
            return results, walk.recommend(conf, results)
        for step in batch:
            passed, metrics = answer(step, conf.peak_tps)
            if step.instance_count == 1 and not step.autoscaling:
                offered = step.steady_state_tps * factor
                passed = offered <= KNEE[step.instance_type]
                metrics = {**metrics, "offered_rate": offered}
            results.append(StepResult(step, round_no, passed, "", metrics))
    raise AssertionError("the walk did not finish")


def test_a_pass_counts_at_the_rate_offered_when_that_was_short_of_the_steps() -> None:
    results, rec = run_offering(0.8, type_walk="ml.g6.xlarge")
    probes = [(r.step.steady_state_tps, r.passed) for r in results if r.step.phase == "probe"]
    assert probes == [(2.0, True), (3.0, False)]
    # The step of 2 req/s offered 1.6 and passed: one g6 held 1.6 req/s, never shown to hold 2.
    assert rec.tps_per_instance == 1.6
    assert rec.instance_count_needed == 4  # ceil(6 / 1.6), not the 3 that 2 req/s would give
    assert "one instance held 1.6 req/s, failed at 3;" in rec.explanation[0]


def test_a_failure_counts_at_the_rate_offered_when_that_was_over_the_steps() -> None:
    results, rec = run_offering(1.3, type_walk="ml.g6.xlarge")
    searched = [
        r.step.steady_state_tps for r in results if r.step.instance_count == 1 and not r.step.autoscaling
    ]
    # The step of 1.3 req/s offered 1.69 and failed: g6 failed at 1.69, not at 1.3 (never measured);
    # passes over-offered count at their own rates; no rate is tried twice.
    assert "one instance held 1.2 req/s, failed at 1.69;" in rec.explanation[0]
    assert rec.tps_per_instance == 1.2 and rec.instance_count_needed == 5
    assert len(searched) == len(set(searched))
