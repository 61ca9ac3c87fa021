"""The walk of an endpoint of inference components (issue 25): copies that fit per type, the rate
one copy holds, copies and instances packed by compute, the combined endurance step with every
model at its peak, copy autoscaling tested by a ramp, and each model's cost share."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sagemaker_sizing.core import walk
from sagemaker_sizing.core.components.models import (
    component_models,
    copies_per_instance,
    instances_for_copies,
)
from sagemaker_sizing.core.conf.model import ConfError, load_conf
from sagemaker_sizing.core.model import PHASE_MAX, PHASE_MIN, StepConfig, StepResult
from sagemaker_sizing.core.serde import (
    recommendation_from_dict,
    recommendation_to_dict,
    step_config_from_dict,
    step_config_to_dict,
)

from tests.core.components_samples import EXAMPLE, components_conf, components_walked
from tests.core.components_samples import answer as sample_answer


def conf(**overrides: Any) -> Any:
    return components_conf(**overrides)


def answer(c: Any, step: StepConfig, ramp_ok: bool = True) -> tuple[bool, dict[str, Any]]:
    return sample_answer(c, step, ramp_ok)


def run(c: Any, ramp_ok: bool = True) -> tuple[list[StepResult], Any]:
    _, results = components_walked(c, ramp_ok)
    return results, walk.recommend(c, results)


def test_copies_per_instance_and_packing_follow_the_instance_table() -> None:
    chat, summarize = component_models(conf(type_walk="ml.g5.12xlarge,ml.g5.xlarge"))
    assert copies_per_instance(chat, "ml.g5.12xlarge") == 4  # 4 GPUs, 1 each
    assert copies_per_instance(chat, "ml.g5.xlarge") == 1
    # 5 + 2 one-GPU copies on 4-GPU instances: 2 instances; on 1-GPU ones: 7.
    assert instances_for_copies((chat, summarize), (5, 2), "ml.g5.12xlarge") == 2
    assert instances_for_copies((chat, summarize), (5, 2), "ml.g5.xlarge") == 7


def test_a_types_lanes_share_one_step_one_copy_of_each_model_at_its_own_rate() -> None:
    c = conf()
    first = walk.next_batch(c, [])
    assert [s.instance_type for s in first] == ["ml.g5.xlarge", "ml.g6e.xlarge"]
    # One copy per model; one GPU each, so two one-GPU instances; each model at llm_start_rps.
    assert all(s.copies == (1, 1) and s.instance_count == 2 and s.rates == (2, 2) for s in first)


def test_each_lane_follows_its_own_models_verdict() -> None:
    c = conf()
    results, _ = run(c)
    g5 = [r.step for r in results if r.step.instance_type == "ml.g5.xlarge" and r.step.phase != PHASE_MAX]
    # chat on g5 (knee 5.8): 2 and 4 pass, 8 fails; summarize (knee 1.15): 2 fails, 1 passes, 1.2 fails.
    assert [s.rates for s in g5 if not s.min_copies] == [(2, 2), (4, 1), (8, 1.2)]


def test_the_cheapest_packed_fleet_wins_verified_with_every_model_at_its_peak() -> None:
    c = conf()
    results, rec = run(c)
    ic = rec.components
    # g5.xlarge: chat 8 / 4 -> 2 copies, summarize 6 / 1 -> 6 copies (1.2 req/s failed), one GPU
    # each: 8 x $1.408; g6e.xlarge: chat 1 copy (8 <= 19), summarize 2 (3 <= 4.45): 3 x $2.61.
    assert ic.instance_type == "ml.g6e.xlarge" and ic.max_instance_count == 3
    assert [(m.model_name, m.max_copies) for m in ic.models] == [
        ("ic-demo-chat", 1),
        ("ic-demo-summarize", 2),
    ]
    endurance = [r.step for r in results if r.step.phase == PHASE_MAX]
    assert (
        endurance[-1].rates == (8, 6) and endurance[-1].copies == (1, 2) and endurance[-1].instance_count == 3
    )
    assert "ml.g5.xlarge: copies 2+6 pack on 8 instance(s) = $11.26/hour." in rec.explanation
    # The cost shares split the hourly cost by reserved accelerators and sum to it.
    assert [m.hourly_cost_share_usd for m in ic.models] == [Decimal("2.61"), Decimal("5.22")]
    assert sum(m.hourly_cost_share_usd for m in ic.models) == ic.hourly_cost_usd == Decimal("7.83")


def test_copy_autoscaling_is_tested_by_a_ramp_with_targets_from_littles_law() -> None:
    c = conf()
    results, rec = run(c)
    ramps = [r.step for r in results if r.step.phase == PHASE_MIN]
    assert ramps and ramps[-1].min_copies == (1, 1) and ramps[-1].ramp_minutes == c.endurance_ramp_minutes
    # summarize's lane held 3 req/s on one copy: 3 x 2 s in flight, x 0.5 safety: 3 (chat: 8 req/s).
    assert ramps[-1].copy_targets == (8.0, 3.0)
    assert ramps[-1].scaling_min_instance_count == 2 and ramps[-1].scaling_max_instance_count == 3
    ic = rec.components
    assert [m.min_copies for m in ic.models] == [1, 1] and ic.min_instance_count == 2


def test_a_failed_ramp_keeps_the_copies_at_the_maximum() -> None:
    _, rec = run(conf(), ramp_ok=False)
    ic = rec.components
    assert [m.min_copies for m in ic.models] == [m.max_copies for m in ic.models]
    assert any("did not keep up with the ramp" in line for line in rec.explanation)


def test_a_model_missing_its_slos_in_the_combined_step_gets_one_more_copy() -> None:
    c = conf()
    results: list[StepResult] = []
    failed_once = False
    for round_no in range(1, 40):
        batch = walk.next_batch(c, results)
        if not batch:
            break
        for step in batch:
            passed, metrics = answer(c, step)
            if step.phase == PHASE_MAX and not failed_once:
                failed_once, passed = True, False
                metrics["models"][1]["passed"] = False  # summarize missed its SLOs
            results.append(StepResult(step, round_no, passed, "", metrics))
    endurance = [r.step for r in results if r.step.phase == PHASE_MAX]
    assert [s.copies for s in endurance] == [(1, 2), (1, 3)]


def test_the_answer_survives_xcom_and_recommendation_json_has_its_block() -> None:
    _, rec = run(conf())
    assert recommendation_from_dict(recommendation_to_dict(rec)) == rec
    block = rec.components.to_dict()
    assert block["managed_instance_scaling"] == {"min_instance_count": 2, "max_instance_count": 3}
    model = block["models"][0]
    assert model["compute_per_copy"] == {"accelerators": 1, "cpu_cores": 2, "memory_mb": 8192}
    assert model["target_metric"] == "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"
    step = walk.next_batch(conf(), [])[0]
    assert step_config_from_dict(step_config_to_dict(step)) == step


def test_an_endpoint_recommendation_has_no_components_key() -> None:
    from sagemaker_sizing.core.model import Recommendation

    rec = Recommendation(None, None, None, None, None, None, None, None)
    assert "components" not in recommendation_to_dict(rec)


def test_a_copy_that_fits_no_candidate_is_refused_naming_the_field() -> None:
    with pytest.raises(ConfError) as err:
        conf(copy_accelerators=8)
    fields = {p.field for p in err.value.problems}
    assert fields == {"copy_accelerators"}
    assert "ml.g6e.xlarge has 1 accelerators" in str(err.value)
    raw = json.loads(EXAMPLE.read_text())
    raw["models"][1]["copy_memory_mb"] = 40000
    with pytest.raises(ConfError) as err:
        load_conf(raw, base_dir=EXAMPLE.parent)
    assert {p.field for p in err.value.problems} == {"models[1].copy_memory_mb"}


def test_component_fields_are_checked_by_name() -> None:
    raw = json.loads(EXAMPLE.read_text())
    raw["models"][0]["peak_rps"] = -1
    raw["models"][1]["colour"] = "red"
    with pytest.raises(ConfError) as err:
        load_conf(raw, base_dir=EXAMPLE.parent)
    assert {p.field for p in err.value.problems} >= {"models[0].peak_rps", "models[1].colour"}
    with pytest.raises(ConfError) as err:
        conf(model_name="other")
    assert {p.field for p in err.value.problems} == {"model_name"}
    with pytest.raises(ConfError) as err:
        conf(hosting="endpoint")
    assert {p.field for p in err.value.problems} == {"copy_memory_mb", "copy_accelerators", "models"}


def test_a_one_model_conf_uses_the_top_level_fields() -> None:
    raw = json.loads(EXAMPLE.read_text())
    del raw["models"]
    c = load_conf({**raw, "peak_rps": 3}, base_dir=EXAMPLE.parent)
    (model,) = component_models(c)
    assert (model.model_name, model.peak_rps, model.memory_mb, model.accelerators) == (
        "ic-demo-chat",
        3,
        8192,
        1,
    )
    with pytest.raises(ConfError) as err:
        load_conf({**raw, "peak_rps": 3, "copy_memory_mb": None}, base_dir=EXAMPLE.parent)
    assert {p.field for p in err.value.problems} == {"copy_memory_mb"}


def test_a_lane_counts_at_the_rate_its_model_was_offered() -> None:
    c = conf()
    results: list[StepResult] = []
    for round_no in range(1, 40):
        batch = walk.next_batch(c, results)
        if not batch:
            break
        for step in batch:
            passed, metrics = answer(c, step)
            summarize = metrics["models"][1]
            if step.rates[1] == 3 and step.instance_type == "ml.g6e.xlarge" and summarize:
                summarize["metrics"]["offered_rate"] = step.rates[1] * 0.9  # Poisson fell short
            results.append(StepResult(step, round_no, passed, "", metrics))
    ic = walk.recommend(c, results).components
    summarize_answer = ic.models[1]
    # Held 3 req/s planned but offered 2.7: credited 2.7, so ceil(6 / 2.7) = 3 copies.
    assert summarize_answer.requests_per_s_per_copy == pytest.approx(2.7)
    assert summarize_answer.max_copies == 3
