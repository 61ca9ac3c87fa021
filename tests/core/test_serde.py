from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sagemaker_sizing.core.model import PHASE_MIN, PHASE_TYPE, Recommendation, StepConfig, StepResult
from sagemaker_sizing.core.serde import (
    plan_item_to_dict,
    recommendation_from_dict,
    recommendation_to_dict,
    step_config_from_dict,
    step_config_to_dict,
    step_result_from_dict,
    step_result_to_dict,
    to_jsonable,
)

FIXED = StepConfig(PHASE_TYPE, "ml.m5.large", 1, 30.0, 3.0)
AUTOSCALING = StepConfig(
    PHASE_MIN,
    "ml.c5.xlarge",
    2,
    200.0,
    5.0,
    ramp_start_tps=20.0,
    ramp_minutes=2.5,
    scaling_min_instance_count=2,
    scaling_max_instance_count=5,
    invocations_target=1200,
)
RESULT = StepResult(
    step=AUTOSCALING,
    round=4,
    passed=False,
    reason="p99 812 ms > 500 ms",
    metrics={"count_total": 60000, "percent_fail": 0.25, "latency_success_p99": 812.4},
    folder="1628676529-ml.c5.xlarge-2-200TPS-20210811100851239",
    error=None,
)
REC = Recommendation(
    instance_type="ml.m5.large",
    tps_per_instance=38.5,
    instance_count_needed=6,
    max_instance_count=7,
    min_instance_count=3,
    invocations_target=857,
    aws_formula_invocations_target=1155,
    hourly_cost_usd=Decimal("0.805"),
    explanation=("tps_per_instance = 77 / 2 = 38.5", "needed = ceil(200 / 38.5) = 6"),
)


def _through_json(value: object) -> object:
    """What an XCom does: JSON text and back, strictly (no NaN tokens)."""
    return json.loads(json.dumps(value, allow_nan=False))


@pytest.mark.parametrize("config", [FIXED, AUTOSCALING])
def test_step_config_round_trip_is_exact(config: StepConfig) -> None:
    back = step_config_from_dict(_through_json(step_config_to_dict(config)))  # type: ignore[arg-type]
    assert back == config
    assert back.autoscaling == config.autoscaling


def test_step_config_ints_written_by_hand_become_floats() -> None:
    data = {"phase": "type", "instance_type": "ml.m5.large", "instance_count": 1}
    config = step_config_from_dict({**data, "steady_state_tps": 30, "steady_state_minutes": 3})
    assert isinstance(config.steady_state_tps, float)
    assert config.ramp_minutes == 0.0
    assert config.scaling_max_instance_count is None


def test_step_result_round_trip_is_exact() -> None:
    data = _through_json(step_result_to_dict(RESULT))
    assert step_result_from_dict(data) == RESULT  # type: ignore[arg-type]
    assert data["step"]["scaling_max_instance_count"] == 5  # type: ignore[index]


def test_recommendation_round_trip_keeps_money_exact() -> None:
    data = _through_json(recommendation_to_dict(REC))
    assert data["hourly_cost_usd"] == "0.805"  # type: ignore[index]
    back = recommendation_from_dict(data)  # type: ignore[arg-type]
    assert back == REC
    assert isinstance(back.hourly_cost_usd, Decimal)
    assert back.explanation == REC.explanation


def test_empty_recommendation_round_trips() -> None:
    empty = Recommendation(None, None, None, None, None, None, None, None)
    assert recommendation_from_dict(_through_json(recommendation_to_dict(empty))) == empty  # type: ignore[arg-type]


def test_to_jsonable_dispatches_and_is_plain_json() -> None:
    value = to_jsonable(
        {"results": [RESULT], "rec": REC, "cost": Decimal("1.10"), "where": Path("/tmp/x"), "t": (1, 2)}
    )
    assert step_result_from_dict(value["results"][0]) == RESULT
    assert value["rec"]["hourly_cost_usd"] == "0.805"
    assert value["cost"] == "1.10"
    assert value["where"] == "/tmp/x"
    assert value["t"] == [1, 2]
    assert _through_json(value) == value


def test_non_finite_metrics_become_null() -> None:
    result = StepResult(FIXED, 1, False, "no successful request", {"latency_success_p99": float("nan")})
    data = step_result_to_dict(result)
    assert data["metrics"] == {"latency_success_p99": None}
    json.dumps(data, allow_nan=False)


def test_unserialisable_value_is_named() -> None:
    with pytest.raises(TypeError, match="object"):
        to_jsonable({"x": object()})


def test_missing_field_is_named() -> None:
    data = step_config_to_dict(FIXED)
    del data["instance_count"]
    with pytest.raises(ValueError, match="instance_count"):
        step_config_from_dict(data)


def test_passed_must_be_a_real_boolean() -> None:
    data = step_result_to_dict(RESULT)
    data["passed"] = "false"
    with pytest.raises(ValueError, match="passed"):
        step_result_from_dict(data)


def test_plan_item_round_trip_and_what_a_hand_written_item_needs() -> None:
    from sagemaker_sizing.core.model import PlanItem
    from sagemaker_sizing.core.serde import plan_item_from_dict, plan_item_to_dict

    step = StepConfig("type", "ml.m5.large", 2, 30.0, 1)
    item = PlanItem(
        1, "ml-m5-large", step, "churn-1a2b3c4d-ml-m5-large", "1700000000-ml.m5.large-2-30TPS", 3, 1
    )
    data = plan_item_to_dict(item)
    assert json.loads(json.dumps(data)) == data  # XCom-safe
    assert plan_item_from_dict(data) == item
    assert (data["lane"], data["injectors"], data["step"]["instance_count"]) == ("ml-m5-large", 3, 2)
    # Round, lane and step are required; the rest has defaults.
    assert plan_item_from_dict({"round": 2, "lane": "x", "step": data["step"]}).injectors == 1
    with pytest.raises(ValueError, match="lane"):
        plan_item_from_dict({"round": 2, "step": data["step"]})


@pytest.mark.parametrize(
    "step",
    [
        AUTOSCALING,
        StepConfig(
            "serverless-cold-start",
            "serverless-2048",
            1,
            2.0,
            0.15,
            memory_size_mb=2048,
            max_concurrency=9,
            idle_minutes=0.3,
        ),
    ],
    ids=["autoscaling", "serverless"],
)
def test_load_item_round_trip_is_exact(step: StepConfig) -> None:
    from sagemaker_sizing.core.model import LoadItem, PlanItem
    from sagemaker_sizing.core.serde import load_item_from_dict, load_item_to_dict

    plan = PlanItem(3, "ml-c5-xlarge", step, "ep", "1700000000-ml.c5.xlarge-2-200TPS", 3, 1)
    item = LoadItem(plan, 2, 1_800_000_010_000)
    data = _through_json(load_item_to_dict(item))  # what the load task's XCom holds
    assert load_item_from_dict(data) == item  # type: ignore[arg-type]
    assert data == {  # the plan item as plan wrote it, plus the injector's share
        "plan": _through_json(plan_item_to_dict(plan)),
        "injector": 2,
        "start_at_epoch_ms": 1_800_000_010_000,
    }
    assert (item.injectors, item.output_base_name) == (3, "1700000000-ml.c5.xlarge-2-200TPS-inj3of3")
    assert LoadItem(PlanItem(1, "x", step, folder="f")).output_base_name == "f"  # one injector: no suffix


def test_a_load_item_names_an_injector_of_its_step() -> None:
    from sagemaker_sizing.core.model import LoadItem, PlanItem
    from sagemaker_sizing.core.serde import load_item_from_dict, load_item_to_dict

    plan = PlanItem(1, "x", FIXED, folder="f", injectors=2)
    with pytest.raises(ValueError, match=r"injector must be in 0\.\.1, got 2"):
        LoadItem(plan, 2)
    with pytest.raises(ValueError, match="injector"):
        load_item_from_dict(load_item_to_dict(LoadItem(plan, 1)) | {"injector": -1})


def test_unknown_keys_are_ignored_and_every_missing_field_is_named_at_once() -> None:
    data = step_result_to_dict(RESULT) | {"written_by_a_newer_version": 1}
    assert step_result_from_dict(data) == RESULT
    with pytest.raises(ValueError) as info:
        step_config_from_dict({"phase": "type", "instance_type": "ml.m5.large"})
    for name in ("instance_count", "steady_state_tps", "steady_state_minutes"):
        assert name in str(info.value)


def test_a_value_of_the_wrong_type_is_named() -> None:
    data = step_config_to_dict(FIXED) | {"instance_count": "two"}
    with pytest.raises(ValueError, match="instance_count"):
        step_config_from_dict(data)
    with pytest.raises(ValueError, match="hourly_cost_usd"):
        recommendation_from_dict(recommendation_to_dict(REC) | {"hourly_cost_usd": "cheap"})
