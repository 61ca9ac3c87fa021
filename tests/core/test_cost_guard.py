"""The test budget: a round that would take the spend past ``max_test_cost_usd`` is not started."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.core import walk
from sagemaker_sizing.core.conf.model import ConfError, SizingConf
from sagemaker_sizing.core.conf.validation import validate_conf
from sagemaker_sizing.core.cost.budget import check_round
from sagemaker_sizing.core.model import StepResult

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"
# ml.m5.large is $0.115/hour: one instance for 0.6 minutes costs $0.00115.
STEP_USD = Decimal("0.115") * Decimal("0.6") / 60


def conf(**overrides: Any) -> SizingConf:
    raw = json.loads((EXAMPLES / "demo.conf.json").read_text())
    raw |= {"strategy": "perfsize", "type_walk": "ml.m5.large", "duration_minutes": 0.6}
    return validate_conf(raw | overrides, base_dir=EXAMPLES).conf


def passed_rounds(sizing: SizingConf, rounds: int) -> list[StepResult]:
    results: list[StepResult] = []
    for round_no in range(1, rounds + 1):
        for step in walk.next_batch(sizing, results):
            results.append(StepResult(step, round_no, True, "ok"))
    return results


def test_without_a_budget_every_round_may_start() -> None:
    sizing = conf()
    results = passed_rounds(sizing, 3)
    decision = check_round(sizing, results, walk.next_batch(sizing, results), 4)
    assert decision.allowed and decision.note is None and decision.budget_usd is None
    assert decision.spent_usd == 3 * STEP_USD


def test_a_round_within_the_budget_starts_exactly_at_the_limit() -> None:
    sizing = conf(max_test_cost_usd=float(2 * STEP_USD))
    results = passed_rounds(sizing, 1)
    decision = check_round(sizing, results, walk.next_batch(sizing, results), 2)
    assert decision.allowed
    assert decision.spent_usd + decision.round_usd == decision.budget_usd


def test_a_round_past_the_budget_is_refused_with_a_note_naming_the_money() -> None:
    sizing = conf(max_test_cost_usd=0.003)
    results = passed_rounds(sizing, 2)
    decision = check_round(sizing, results, walk.next_batch(sizing, results), 3)
    assert not decision.allowed
    assert decision.note is not None
    assert "round 3 was not started" in decision.note
    # Amounts below a dollar keep their digits (core.cost.money): the budget is $0.003, not $0.00.
    assert "max_test_cost_usd=$0.003;" in decision.note
    assert "about $0.00115 on top of $0.0023 already spent" in decision.note


def test_an_empty_batch_is_never_refused() -> None:
    sizing = conf(max_test_cost_usd=0.0012)
    assert check_round(sizing, passed_rounds(sizing, 1), [], 2).allowed


def test_the_decision_is_pure_a_replayed_plan_decides_the_same() -> None:
    sizing = conf(max_test_cost_usd=0.003)
    results = passed_rounds(sizing, 2)
    batch = walk.next_batch(sizing, results)
    assert check_round(sizing, results, batch, 3) == check_round(sizing, results, batch, 3)


def test_validation_refuses_a_budget_that_cannot_pay_the_first_round() -> None:
    with pytest.raises(ConfError) as info:
        conf(max_test_cost_usd=float(STEP_USD) / 2)
    assert [p.field for p in info.value.problems] == ["max_test_cost_usd"]
    assert "first round" in str(info.value)
