from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.core.conf.model import load_conf
from sagemaker_sizing.core.cost.instances import step_instance_minutes, step_test_cost
from sagemaker_sizing.core.model import StepConfig, StepResult
from sagemaker_sizing.core.serde import step_config_from_dict, step_config_to_dict
from sagemaker_sizing.core.simulate.capacity import CapacityModelError, capacity_model_from_dict
from sagemaker_sizing.core.simulate.dry_run import simulate
from sagemaker_sizing.core.walk import next_batch, recommend_serverless, worst_case_steps
from sagemaker_sizing.core.walk.serverless import (
    PHASE_COLD_START,
    PHASE_CONCURRENCY,
    PHASE_MEMORY,
    memory_points,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"


def conf_of(**extra: Any):
    raw = json.loads((EXAMPLES / "serverless.conf.json").read_text())
    raw.update(extra)
    return load_conf(raw, base_dir=EXAMPLES)


def serverless_only(**extra: Any):
    return conf_of(endpoint_kinds="serverless", **extra)


def run(conf, judge) -> list[StepResult]:
    """The walk against ``judge(step) -> (passed, metrics)``, round by round."""
    results: list[StepResult] = []
    for round_number in range(1, 100):
        batch = next_batch(conf, results)
        if not batch:
            return results
        for step in batch:
            passed, metrics = judge(step)
            results.append(StepResult(step, round_number, passed, "test", metrics))
    raise AssertionError("walk did not finish")


def memory_judge(smallest_ok: int, p99: float = 200.0, p50: float = 100.0, needs_concurrency: int = 0):
    def judge(step: StepConfig) -> tuple[bool, dict[str, Any]]:
        metrics = {"latency_success_p99": p99, "latency_success_p50": p50}
        if step.phase == PHASE_CONCURRENCY:
            return (step.max_concurrency or 0) >= needs_concurrency, metrics
        return (step.memory_size_mb or 0) >= smallest_ok, metrics

    return judge


def test_perfsize_tests_memory_sizes_in_ascending_order_until_the_first_pass():
    conf = serverless_only(strategy="perfsize", serverless_memory_walk="1024,2048,3072,4096")
    results = run(conf, memory_judge(3072))
    memory = [(r.round, r.step.memory_size_mb) for r in results if r.step.phase == PHASE_MEMORY]
    assert memory == [(1, 1024), (2, 2048), (3, 3072)]
    found = recommend_serverless(conf, results)
    assert found is not None and found.memory_size_mb == 3072


@pytest.mark.parametrize("smallest_ok", [1024, 2048, 3072, 4096, 5120, 6144, 99999])
@pytest.mark.parametrize("strategy", ["adaptive", "perfsize"])
def test_both_strategies_find_the_smallest_passing_memory_within_the_worst_case(strategy, smallest_ok):
    conf = serverless_only(strategy=strategy, serverless_memory_walk="1024,2048,3072,4096,5120,6144")
    results = run(conf, memory_judge(smallest_ok))
    found = recommend_serverless(conf, results)
    assert found is not None
    assert found.memory_size_mb == (None if smallest_ok > 6144 else smallest_ok)
    assert max(r.round for r in results) <= len(worst_case_steps(conf))


def test_adaptive_tests_memory_sizes_side_by_side():
    conf = serverless_only(serverless_memory_walk="1024,2048,3072,4096,5120,6144", max_parallel_endpoints=4)
    first = next_batch(conf, [])
    assert [s.memory_size_mb for s in first] == [1024, 2048, 4096, 5120]
    assert {s.phase for s in first} == {PHASE_MEMORY}
    assert {s.max_concurrency for s in first} == {conf.serverless_max_concurrency}  # only memory varies
    assert len({s.deployment_key for s in first}) == 4  # one endpoint each


def test_concurrency_is_littles_law_on_the_measured_p99_then_verified_at_peak():
    conf = serverless_only(serverless_memory_walk="2048", serverless_max_concurrency=50, peak_tps=20)
    results = run(conf, memory_judge(2048, p99=430.0))
    endurance = [r.step for r in results if r.step.phase == PHASE_CONCURRENCY]
    # ceil(20 TPS x 0.43 s) = 9 in flight
    assert [s.max_concurrency for s in endurance] == [9]
    assert endurance[0].steady_state_tps == 20 and endurance[0].steady_state_minutes == 0.2
    found = recommend_serverless(conf, results)
    assert found is not None and found.max_concurrency == 9 and found.p99_ms == 430.0


def test_a_throttled_endurance_step_raises_concurrency_by_half_up_to_the_bound():
    conf = serverless_only(
        serverless_memory_walk="2048", serverless_max_concurrency=12, endurance_retries=3, peak_tps=20
    )
    results = run(conf, memory_judge(2048, p99=200.0, needs_concurrency=99))
    tried = [r.step.max_concurrency for r in results if r.step.phase == PHASE_CONCURRENCY]
    assert tried == [4, 6, 9, 12]  # ceil(20 x 0.2) = 4, then x1.5 rounded up, capped at 12
    found = recommend_serverless(conf, results)
    assert found is not None and found.memory_size_mb == 2048 and found.max_concurrency is None
    assert not [r for r in results if r.step.phase == PHASE_COLD_START]  # nothing to measure


def test_provisioned_concurrency_is_a_floor_of_max_concurrency():
    conf = serverless_only(
        serverless_memory_walk="2048", serverless_max_concurrency=20, serverless_provisioned_concurrency=6
    )
    results = run(conf, memory_judge(2048, p99=100.0))  # Little's law alone: 2
    endurance = next(r.step for r in results if r.step.phase == PHASE_CONCURRENCY)
    assert endurance.max_concurrency == 6 and endurance.provisioned_concurrency == 6


def test_the_cold_start_step_idles_first_and_its_p99_is_reported():
    conf = serverless_only(serverless_memory_walk="2048", serverless_idle_minutes=0.5, average_tps=3)

    def judge(step: StepConfig) -> tuple[bool, dict[str, Any]]:
        p99 = 900.0 if step.phase == PHASE_COLD_START else 200.0
        return step.phase != PHASE_COLD_START, {"latency_success_p99": p99, "latency_success_p50": 90.0}

    results = run(conf, judge)
    cold = results[-1].step
    assert cold.phase == PHASE_COLD_START and cold.idle_minutes == 0.5 and cold.steady_state_tps == 3
    assert cold.deployment_key == results[-2].step.deployment_key  # the verified endpoint, left idle
    found = recommend_serverless(conf, results)
    assert found is not None
    assert found.cold_start_p99_ms == 900.0 and found.cold_start_passed is False
    assert found.max_concurrency is not None  # the cold start measures; it does not undo the answer


def test_realtime_only_confs_walk_exactly_as_before():
    conf = conf_of(endpoint_kinds="realtime")
    results = run(conf, lambda step: (step.steady_state_tps <= 30, {}))
    assert results and not [r for r in results if r.step.serverless]
    assert recommend_serverless(conf, results) is None
    assert all("memory_size_mb" not in step_config_to_dict(r.step) for r in results)


def test_both_kinds_run_the_serverless_phase_after_the_realtime_walk():
    conf = conf_of()
    results = run(conf, memory_judge(2048))
    phases = [r.step.serverless for r in results]
    assert phases[0] is False and phases[-1] is True
    assert phases == sorted(phases)  # every real-time step first


def test_serverless_steps_round_trip_through_serde_and_cost_no_instance_minutes():
    step = StepConfig(
        PHASE_COLD_START,
        "serverless-2048",
        1,
        2.0,
        0.5,
        memory_size_mb=2048,
        max_concurrency=10,
        provisioned_concurrency=2,
        idle_minutes=0.3,
    )
    assert step_config_from_dict(json.loads(json.dumps(step_config_to_dict(step)))) == step
    assert step_instance_minutes(step) == 0
    # upper bound: 10 slots x 2 GB x 0.5 min at $0.072 per GB-hour
    cost = step_test_cost(step, {"serverless-gb-hour": Decimal("0.072")})
    assert cost == Decimal(10) * 2 * Decimal("0.5") * Decimal("0.072") / 60
    realtime = dataclasses.replace(
        step, memory_size_mb=None, max_concurrency=None, provisioned_concurrency=None, idle_minutes=0.0
    )
    assert set(step_config_to_dict(realtime)) == {
        "phase",
        "instance_type",
        "instance_count",
        "steady_state_tps",
        "steady_state_minutes",
        "ramp_start_tps",
        "ramp_minutes",
        "scaling_min_instance_count",
        "scaling_max_instance_count",
        "invocations_target",
    }


def test_simulate_dry_runs_the_serverless_phase_from_a_capacity_file():
    conf = conf_of()
    model = capacity_model_from_dict(json.loads((EXAMPLES / "serverless.capacity.json").read_text()))
    out = simulate(conf, model)
    serverless = out["serverless"]
    # 1024 MB: 400 ms + 250 ms cold start >= 500 ms; 2048 MB: 200 + 250 = 450 ms < 500 ms
    assert serverless["memory_size_mb"] == 2048 and serverless["p99_ms"] == 450.0
    assert serverless["max_concurrency"] == 9  # ceil(20 TPS x 0.45 s)
    assert serverless["break_even_average_tps"] is not None
    assert {s["phase"] for s in out["steps"]} >= {PHASE_MEMORY, PHASE_CONCURRENCY, PHASE_COLD_START}
    without = capacity_model_from_dict({"true_tps_per_instance": {"ml.m5.large": 38}})
    with pytest.raises(CapacityModelError, match="serverless"):
        simulate(conf, without)


def test_memory_points():
    assert memory_points((1, 2, 3), -1, 3, 1) == [0]
    assert memory_points((1, 2, 3), 0, 2, 4) == [1]
    assert memory_points((1, 2, 3), 0, 1, 4) == []
