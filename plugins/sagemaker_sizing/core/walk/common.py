"""What both walks share: replaying results into a walk, findings, and the autoscaling-minimum search.

A walk is written as a generator that yields a batch (the steps of one round) and receives whether
each step passed. ``replay`` feeds it every result so far, round by round, so the walk itself stays
a pure function of the conf and the results (a cleared, re-run plan task asks again and gets the
same batch).
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypeVar

from sagemaker_sizing.core.cost.instances import MINUTES_PER_HOUR, step_instance_minutes, step_test_cost
from sagemaker_sizing.core.model import Recommendation, StepConfig, StepResult
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory

T = TypeVar("T")

# Yields one round's batch, receives pass/fail per step (same order), returns when finished.
WalkGen = Generator[list[StepConfig], list[bool], None]
# A part of a walk that returns what it found.
Rounds = Generator[list[StepConfig], list[bool], T]


@dataclass(frozen=True)
class ServerlessFindings:
    """What the serverless phase established (None where it found nothing)."""

    memory_size_mb: int | None = None
    max_concurrency: int | None = None
    provisioned_concurrency: int | None = None
    p99_ms: float | None = None  # at peak TPS, cold starts included, of the step that chose the size
    mean_latency_ms: float | None = None  # what a warm request is billed for (its p50, as measured)
    cold_start_p99_ms: float | None = None
    cold_start_passed: bool | None = None
    explanation: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


class WalkMismatchError(ValueError):
    """The results do not belong to the batches this walk plans (another conf, or a lost step)."""


@dataclass
class Findings:
    """What the walk has established so far; a finished or interrupted walk recommends from it."""

    instance_type: str | None = None
    tps_per_instance: float | None = None
    instance_count_needed: int | None = None
    max_instance_count: int | None = None
    min_instance_count: int | None = None
    invocations_target: int | None = None
    aws_formula_invocations_target: int | None = None
    explanation: list[str] = field(default_factory=list)
    # Serverless Inference (core.walk.serverless): what its phase found, and the metrics of every
    # step replayed so far (the phase sizes concurrency from a measured latency).
    serverless: ServerlessFindings | None = None
    observed: dict[StepConfig, StepResult] = field(default_factory=dict)
    # Types a quota refused to deploy (the quota's message): the walk plans nothing more of them.
    unavailable: dict[str, str] = field(default_factory=dict)
    # Steps a quota refused: no capacity evidence, whatever ``passed`` says.
    refused: set[StepConfig] = field(default_factory=set)

    def available(self, instance_type: str) -> bool:
        return instance_type not in self.unavailable

    def note_quota(self, results: Sequence[StepResult]) -> bool:
        """Record the steps of a round a quota refused; True when there was one."""
        refused = [r for r in results if r.error_category == ErrorCategory.QUOTA]
        for result in refused:
            self.refused.add(result.step)
            if result.step.instance_type not in self.unavailable:
                message = result.error or result.reason
                self.unavailable[result.step.instance_type] = message
                self.explanation.append(
                    f"{result.step.instance_type} is unavailable: a quota refused "
                    f"{result.step.describe()} ({message})."
                )
        return bool(refused)

    def to_recommendation(self, prices: dict[str, Decimal]) -> Recommendation:
        hourly = None
        count = self.max_instance_count or self.instance_count_needed
        if self.instance_type is not None and count is not None:
            hourly = prices[self.instance_type] * count
        return Recommendation(
            instance_type=self.instance_type,
            tps_per_instance=self.tps_per_instance,
            instance_count_needed=self.instance_count_needed,
            max_instance_count=self.max_instance_count,
            min_instance_count=self.min_instance_count,
            invocations_target=self.invocations_target,
            aws_formula_invocations_target=self.aws_formula_invocations_target,
            hourly_cost_usd=hourly,
            explanation=tuple(self.explanation),
        )


def replay(
    walk: WalkGen,
    results: Sequence[StepResult],
    findings: Findings | None = None,
    *,
    stop_on_quota: bool = False,
    tolerate_incomplete: bool = False,
) -> list[StepConfig]:
    """Feed ``results`` (all rounds so far) into ``walk``; return the next batch, [] when finished.

    A step a quota refused reaches the walk as not passed, and ``findings`` (the walk's own) marks
    its type unavailable before the walk resumes, so the walk plans no more of that type; with
    ``stop_on_quota`` the walk ends after that round instead. ``findings.observed`` gets each
    round's results before the walk receives its outcomes, for a walk that plans from measured
    numbers, not only pass or fail.

    Otherwise only measured steps (pass/fail) are capacity evidence. A round with a planned step
    missing or not measured (an error step) raises WalkMismatchError, unless
    ``tolerate_incomplete``: then the replay stops before that round (what the earlier rounds
    established stands) and returns its batch. The report replays that way, so it renders from
    whatever was measured; a plan never sees an incomplete round (a failed parse or deploy stops
    the run before the next plan).
    """
    findings = findings if findings is not None else Findings()
    by_round: dict[int, list[StepResult]] = {}
    for result in results:
        by_round.setdefault(result.round, []).append(result)
    try:
        batch = next(walk)
        for round_number in sorted(by_round):
            try:
                outcomes = _outcomes(batch, by_round[round_number], round_number)
            except WalkMismatchError:
                if tolerate_incomplete:
                    return batch
                raise
            findings.observed.update((r.step, r) for r in by_round[round_number])
            refused = findings.note_quota(_last_results(by_round[round_number]))
            batch = walk.send(outcomes)
            if refused and stop_on_quota:
                return []
    except StopIteration:
        return []
    return batch


def _last_results(results: list[StepResult]) -> list[StepResult]:
    """The last result of each step (a re-run step may have several)."""
    return list({result.step: result for result in results}.values())


def _outcomes(batch: list[StepConfig], results: list[StepResult], round_number: int) -> list[bool]:
    last = {result.step: result for result in results}  # a re-run step: its last result
    missing = [step for step in batch if step not in last]
    if missing:
        raise WalkMismatchError(
            f"round {round_number} has no result for planned step(s): "
            + "; ".join(step.describe() for step in missing)
        )
    # A quota refusal is no capacity evidence either, but the walk knows it (Findings.note_quota).
    errors = [
        step
        for step in batch
        if last[step].error is not None and last[step].error_category != ErrorCategory.QUOTA
    ]
    if errors:
        raise WalkMismatchError(
            f"round {round_number} has step(s) that could not be measured (no capacity evidence): "
            + "; ".join(f"{step.describe()}: {last[step].error}" for step in errors)
        )
    return [last[step].passed for step in batch]


def perfsize_target(peak_tps: float, max_instance_count: int) -> int:
    """perfsizesagemaker's ``int(peak_tps / max_count * 60 * 0.5)``, in Decimal as it computes it."""
    return int(Decimal(str(peak_tps)) / max_instance_count * 60 * Decimal("0.5"))


def aws_formula_target(max_rps_per_instance: float, safety_factor: float) -> int:
    """AWS's ``SageMakerVariantInvocationsPerInstance = int(max_rps * 60 * safety_factor)``."""
    return int(Decimal(str(max_rps_per_instance)) * 60 * Decimal(str(safety_factor)))


def instances_for(peak_tps: float, tps_per_instance: float) -> int:
    """ceil(peak / tps per instance), immune to float noise such as 60 / (60 / 7) = 7.000000001."""
    return math.ceil(round(peak_tps / tps_per_instance, 9))


@dataclass(frozen=True)
class MinSearch:
    """Search of the smallest autoscaling minimum in (lower, upper); ``upper`` is known to pass.

    ``width`` points per round, evenly spaced; with width 1 this is perfsizesagemaker's binary search
    exactly: ``m = int((lower + upper) / 2)``, stop when m is 0 or the maximum (both count as
    tested), so m = max itself is never tested.

    With a ``guess`` (the minimum a walk predicts), ``near`` of the round's points go to the guess's
    neighbourhood instead: the points that would settle the answer ``guess``, then ``guess - 1``,
    ``guess + 1``, ``guess - 2``, ... (answer a is settled by a passing and a - 1 failing); the rest
    stay evenly spaced, so a wrong guess costs at most the rounds of a narrower k-ary search.
    A guess guides one round: ``record`` sets ``near`` back to 0.
    """

    lower: int
    upper: int
    width: int = 1
    found: int | None = None
    guess: int | None = None
    near: int = 0

    def points(self) -> list[int]:
        chosen = self._near_points()
        chosen |= set(_spread(self.lower, self.upper, self.width - len(chosen)))
        return sorted(m for m in chosen if self.lower < m < self.upper)

    def _near_points(self) -> set[int]:
        if self.guess is None or self.near <= 0:
            return set()
        guess = min(max(self.guess, self.lower + 1), self.upper)
        chosen: dict[int, None] = {}
        for answer in _outward(guess, self.lower + 1, self.upper):
            for m in (answer, answer - 1):
                if self.lower < m < self.upper:
                    chosen[m] = None
        return set(list(chosen)[: self.near])

    def record(self, outcomes: dict[int, bool]) -> MinSearch:
        """Monotone: the smallest pass is the new upper, the largest failure below it the new lower."""
        passes = [m for m, ok in outcomes.items() if ok]
        upper = min(passes, default=self.upper)
        lower = max((m for m, ok in outcomes.items() if not ok and m < upper), default=self.lower)
        found = upper if passes else self.found
        return MinSearch(lower, upper, self.width, found, self.guess)


def _spread(lower: int, upper: int, count: int) -> list[int]:
    span = upper - lower
    return [lower + span * j // (count + 1) for j in range(1, count + 1)]


def _outward(guess: int, low: int, high: int) -> list[int]:
    """low..high ordered by distance from ``guess``, the smaller first on a tie."""
    return sorted(range(low, high + 1), key=lambda a: (abs(a - guess), a))


def min_search_steps(
    search: MinSearch, make_step: StepMaker, findings: Findings | None = None
) -> Rounds[MinSearch]:
    """Rounds of the search until no point is left (or a quota made the type unavailable);
    returns the final search state. Steps a quota refused are not evidence either way."""
    findings = findings if findings is not None else Findings()
    instance_type = make_step.template.instance_type
    while findings.available(instance_type) and (points := search.points()):
        outcomes = yield [make_step(m) for m in points]
        search = search.record(
            {m: ok for m, ok in zip(points, outcomes, strict=True) if make_step(m) not in findings.refused}
        )
    return search


def worst_min_search_rounds(upper: int, width: int, lower: int = 0) -> int:
    """Most rounds a MinSearch over (lower, upper) can take over every pass/fail pattern.

    Computed, not enumerated: a round's ``width`` evenly spaced points split a gap g into gaps of
    at most ``ceil(g / (width + 1))`` (and one of them that wide), a monotone outcome leaves one
    gap open, and a gap of 1 has no point left. By induction the count is non-decreasing in g,
    so the widest gap is the worst: ``W(g) = 1 + W(ceil(g / (width + 1)))``, ``W(1) = 0``.
    """
    gap, rounds = upper - lower, 0
    while gap > 1:
        gap = -(-gap // (width + 1))
        rounds += 1
    return rounds


def worst_guided_min_search_rounds(upper: int, width: int, near: int) -> int:
    """A bound of the rounds a MinSearch over (0, ``upper``) takes when its first round has a guess
    with ``near`` points (any guess, any outcome): that round's ``width - near`` evenly spaced points
    leave a gap of at most ``ceil(upper / (width - near + 1))``, the plain search goes on from there
    (non-decreasing in the gap, so the widest gap is the worst)."""
    if upper <= 1:
        return 0
    spread = width - near
    if spread <= 0:
        raise ValueError("a guided round needs at least one evenly spaced point")
    gap = -(-upper // (spread + 1))
    return 1 + worst_min_search_rounds(gap, width)


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


class StepMaker:
    """Turns an autoscaling minimum into the min-phase step (the rest of the step is fixed)."""

    def __init__(self, template: StepConfig) -> None:
        self.template = template

    def __call__(self, minimum: int) -> StepConfig:
        return replace(self.template, instance_count=minimum, scaling_min_instance_count=minimum)
