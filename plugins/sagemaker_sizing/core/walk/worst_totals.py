"""The worst case's arithmetic: totals of an upper-bound walk, summed phase by phase (no walk is
enumerated), for validation, budgeting and the round-slot check."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sagemaker_sizing.core.cost.instances import MINUTES_PER_HOUR, step_instance_minutes, step_test_cost

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from sagemaker_sizing.core.model import StepConfig


@dataclass(frozen=True)
class WorstCase:
    """Totals of an upper-bound walk, computed phase by phase (no walk is enumerated): rounds,
    steps, wall-clock load minutes (a round lasts as long as its longest step), instance-minutes
    (autoscaling steps at their maximum) and the load-test cost in USD."""

    rounds: int = 0
    steps: int = 0
    load_test_minutes: Decimal = Decimal(0)
    instance_minutes: Decimal = Decimal(0)
    test_cost_usd: Decimal = Decimal(0)

    def __add__(self, other: WorstCase) -> WorstCase:
        return WorstCase(
            self.rounds + other.rounds,
            self.steps + other.steps,
            self.load_test_minutes + other.load_test_minutes,
            self.instance_minutes + other.instance_minutes,
            self.test_cost_usd + other.test_cost_usd,
        )


def total(parts: Iterable[WorstCase]) -> WorstCase:
    return sum(parts, WorstCase())


def from_batches(batches: Sequence[Sequence[StepConfig]], prices: Mapping[str, Decimal]) -> WorstCase:
    """The totals of listed rounds (for a short phase whose listing costs nothing)."""
    steps = [step for batch in batches for step in batch]
    return WorstCase(
        len(batches),
        len(steps),
        sum((Decimal(str(max(s.load_minutes for s in batch))) for batch in batches if batch), Decimal(0)),
        sum((step_instance_minutes(s) for s in steps), Decimal(0)),
        sum((step_test_cost(s, prices) for s in steps), Decimal(0)),
    )


def same_rounds(
    step: StepConfig, rounds: int, prices: Mapping[str, Decimal], per_round: int = 1
) -> WorstCase:
    """``rounds`` rounds of ``per_round`` steps each costing what ``step`` costs."""
    if rounds <= 0 or per_round <= 0:
        return WorstCase()
    steps = rounds * per_round
    return WorstCase(
        rounds,
        steps,
        Decimal(str(step.load_minutes)) * rounds,
        step_instance_minutes(step) * steps,
        step_test_cost(step, prices) * steps,
    )


def count_series(step: StepConfig, first: int, last: int, prices: Mapping[str, Decimal]) -> WorstCase:
    """One round per instance count ``first..last`` of ``step`` (a fixed-count step): an arithmetic
    series, so a long retry range costs nothing to bound."""
    if last < first:
        return WorstCase()
    rounds = last - first + 1
    counts = Decimal((first + last) * rounds) / 2
    minutes = counts * Decimal(str(step.load_minutes))
    return WorstCase(
        rounds,
        rounds,
        Decimal(str(step.load_minutes)) * rounds,
        minutes,
        minutes * prices[step.instance_type] / MINUTES_PER_HOUR,
    )
