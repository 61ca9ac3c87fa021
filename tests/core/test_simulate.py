from __future__ import annotations

import json

from sagemaker_sizing.core.model import StepConfig
from sagemaker_sizing.core.simulate.capacity import (
    CapacityModel,
    capacity_model_from_dict,
    load_capacity_model,
)
from sagemaker_sizing.core.simulate.dry_run import budget, simulate
from walk_helpers import EXAMPLES, make_conf

STEP_KEYS = {
    "round", "phase", "instance_type", "instance_count", "scaling_min_instance_count",
    "scaling_max_instance_count", "ramp_start_tps", "ramp_minutes", "steady_state_tps",
    "steady_state_minutes", "passed",
}  # fmt: skip
REC_KEYS = {
    "instance_type", "instance_count_needed", "max_instance_count", "min_instance_count",
    "invocations_target", "hourly_cost_usd",
}  # fmt: skip


def test_capacity_model_rules():
    model = capacity_model_from_dict(
        {"true_tps_per_instance": {"a": 38}, "total_capacity_overrides": {"a": {"10": 290}}}
    )
    assert model.passes(StepConfig("type", "a", 2, 76, 1))
    assert not model.passes(StepConfig("type", "a", 2, 77, 1))
    assert model.capacity("a", 10) == 290 and not model.passes(StepConfig("max", "a", 10, 300, 1))
    assert not model.passes(StepConfig("type", "unknown", 5, 1, 1))

    def autoscaling(minimum: int, maximum: int) -> StepConfig:
        return StepConfig("min", "a", minimum, 100, 1, 10, 1, minimum, maximum)

    # min must cover max(ramp start 10, 100 * 0.5) = 50 TPS -> 2 instances; max 3 covers 100
    assert model.passes(autoscaling(2, 3))
    assert not model.passes(autoscaling(1, 3))
    assert not model.passes(autoscaling(2, 2))


def test_simulate_prints_the_issue_shape_for_both_strategies():
    model = load_capacity_model(EXAMPLES / "demo.capacity.json")
    conf = make_conf(peak_tps=60, endurance_ramp_start_tps=10)
    for strategy in ("perfsize", "adaptive"):
        out = simulate(conf, model, strategy)
        keys = {"strategy", "headline", "steps", "recommendation", "load_test_minutes", "instance_minutes"}
        assert set(out) == keys | {"on_aws"}
        assert out["headline"].startswith("Recommended: ml.m5.large x2")
        assert out["strategy"] == strategy
        assert all(set(step) == STEP_KEYS for step in out["steps"])
        assert set(out["recommendation"]) == REC_KEYS
        assert out["recommendation"]["max_instance_count"] == 2
        assert out["recommendation"]["hourly_cost_usd"] == 0.23
        json.dumps(out)


def test_perfsize_minutes_add_up_step_by_step():
    model = CapacityModel({"ml.m5.large": 38, "ml.m5.xlarge": 80})
    out = simulate(make_conf(peak_tps=60, endurance_ramp_start_tps=10), model, "perfsize")
    # type 10 20 30 pass, 40 fail (4 x 3 min), max 2 passes (30), min 1 passes (10 + 30)
    assert [s["phase"] for s in out["steps"]] == ["type"] * 4 + ["max", "min"]
    assert out["load_test_minutes"] == 4 * 3 + 30 + 40
    assert out["instance_minutes"] == 4 * 3 + 2 * 30 + 2 * 40


def test_budget_without_capacity_gives_worst_case_steps_minutes_and_cost():
    conf = make_conf()
    out = budget(conf)
    assert out["worst_case"] is True and out["rounds"] == max(s["round"] for s in out["steps"])
    assert out["test_cost_usd"] > 0 and out["load_test_minutes"] > 0
    assert all(step["passed"] is None for step in out["steps"])
