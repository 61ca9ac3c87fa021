"""The walk: which configurations to test next, given every result so far.

Pure and stateless, dispatching on ``conf.strategy``: ``next_batch`` (the next round's steps,
[] when the walk is finished), ``recommend`` (from whatever the results established, also for an
interrupted walk), and the worst case that validation and budgeting use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sagemaker_sizing.core.walk import adaptive, perfsize
from sagemaker_sizing.core.walk.common import Findings, WalkGen, WalkMismatchError, replay

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sagemaker_sizing.core.conf import SizingConf
    from sagemaker_sizing.core.model import Recommendation, StepConfig, StepResult

__all__ = [
    "WalkMismatchError",
    "next_batch",
    "recommend",
    "worst_case_minutes",
    "worst_case_rounds",
    "worst_case_steps",
]

_WALKS: dict[str, Callable[[SizingConf, Findings], WalkGen]] = {
    "adaptive": adaptive.walk,
    "perfsize": perfsize.walk,
}
_WORST: dict[str, Callable[[SizingConf], list[list[StepConfig]]]] = {
    "adaptive": adaptive.worst_case_steps,
    "perfsize": perfsize.worst_case_steps,
}


def _walk(conf: SizingConf, findings: Findings) -> WalkGen:
    try:
        return _WALKS[conf.strategy](conf, findings)
    except KeyError:
        raise ValueError(f"unknown strategy {conf.strategy!r}; expected one of {sorted(_WALKS)}") from None


def next_batch(conf: SizingConf, results: Sequence[StepResult]) -> list[StepConfig]:
    """The steps of the next round (tested side by side); [] when the walk is finished."""
    return replay(_walk(conf, Findings()), results)


def recommend(conf: SizingConf, results: Sequence[StepResult]) -> Recommendation:
    """The recommendation the results support (fields None where a phase found nothing)."""
    findings = Findings()
    replay(_walk(conf, findings), results)
    return findings.to_recommendation(conf.price_table)


def worst_case_steps(conf: SizingConf) -> list[list[StepConfig]]:
    """Batches of an upper-bound walk: no real walk needs more rounds, minutes or instance-minutes."""
    return _WORST[conf.strategy](conf)


def worst_case_rounds(conf: SizingConf) -> int:
    return len(worst_case_steps(conf))


def worst_case_minutes(conf: SizingConf) -> float:
    """Load-test wall-clock minutes of the worst case (the longest step of each round)."""
    return sum(max(step.load_minutes for step in batch) for batch in worst_case_steps(conf))
