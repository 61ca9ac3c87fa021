"""Replaying results into a walk, and what the walk found (its findings).

A walk is written as a generator that yields a batch (the steps of one round) and receives whether
each step passed. ``replay`` feeds it every result so far, round by round, so the walk itself stays
a pure function of the conf and the results (a cleared, re-run plan task asks again and gets the
same batch).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sagemaker_sizing.core.model import Recommendation, StepConfig, StepResult
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory
from sagemaker_sizing.core.walk.targets import CONCURRENCY_METRIC, INVOCATIONS_METRIC

if TYPE_CHECKING:
    from decimal import Decimal

    from sagemaker_sizing.core.components.answer import ComponentsAnswer

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
    # The cold-start step's load and the idle before it: its p99 is at this (lower) load, not the peak.
    cold_start_tps: float | None = None
    idle_minutes: float | None = None
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
    # An LLM walk's autoscaling target: concurrent requests per instance (core.walk.targets).
    concurrency_target: float | None = None
    # An endpoint of inference components (core.walk.components): what it answers.
    components: ComponentsAnswer | None = None
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
            components=self.components,
            **self._target(),
        )

    def _target(self) -> dict[str, Any]:
        if self.concurrency_target is not None:
            return {"target_metric": CONCURRENCY_METRIC, "target_value": self.concurrency_target}
        if self.invocations_target is not None:
            return {"target_metric": INVOCATIONS_METRIC, "target_value": float(self.invocations_target)}
        return {}


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
