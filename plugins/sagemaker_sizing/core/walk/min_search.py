"""The search of the smallest autoscaling minimum (both walks' min phase), and its worst rounds."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sagemaker_sizing.core.walk.replay import Findings, Rounds

if TYPE_CHECKING:
    from sagemaker_sizing.core.model import StepConfig


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


class StepMaker:
    """Turns an autoscaling minimum into the min-phase step (the rest of the step is fixed)."""

    def __init__(self, template: StepConfig) -> None:
        self.template = template

    def __call__(self, minimum: int) -> StepConfig:
        return replace(self.template, instance_count=minimum, scaling_min_instance_count=minimum)
