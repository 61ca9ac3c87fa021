"""The test budget (``max_test_cost_usd``): a round that would take the spend past it is not started.

Pure: the spend so far is the estimated load-test cost of every measured step (instances x load
minutes x hourly price, ``core.cost.instances``), so a cleared and re-run plan reaches the same decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sagemaker_sizing.core.cost.instances import load_test_cost
from sagemaker_sizing.core.cost.money import dollars

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.model import StepConfig, StepResult

NOTE_PREFIX = "cost guard: "  # how a run's outcome knows the budget stopped the walk


@dataclass(frozen=True)
class RoundBudget:
    """Whether a round may start; ``note`` says why not (for the log and the report)."""

    allowed: bool
    spent_usd: Decimal
    round_usd: Decimal
    budget_usd: Decimal | None
    note: str | None = None


def check_round(
    conf: SizingConf, results: Sequence[StepResult], batch: Sequence[StepConfig], round_no: int
) -> RoundBudget:
    """Allow ``batch`` unless spent-so-far + its estimated cost exceeds ``conf.max_test_cost_usd``."""
    prices = conf.price_table
    spent = load_test_cost((r.step for r in results), prices)
    round_cost = load_test_cost(batch, prices)
    if conf.max_test_cost_usd is None or not batch:
        return RoundBudget(True, spent, round_cost, None)
    budget = Decimal(str(conf.max_test_cost_usd))
    if spent + round_cost <= budget:
        return RoundBudget(True, spent, round_cost, budget)
    note = (
        f"{NOTE_PREFIX}round {round_no} was not started: its {len(batch)} step(s) would cost about "
        f"{dollars(round_cost)} on top of {dollars(spent)} already spent, past the budget "
        f"max_test_cost_usd={dollars(budget)}; the recommendation uses the steps measured before it"
    )
    return RoundBudget(False, spent, round_cost, budget, note)
