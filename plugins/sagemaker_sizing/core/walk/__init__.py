"""The walk: which configurations to test next, given every result so far.

Pure and stateless, dispatching on ``conf.strategy``: ``replayed`` (one replay of the results:
the recommendation they support, the serverless findings and the next round's steps), its parts
``next_batch`` (the next round's steps, [] when the walk is finished), ``recommend`` (from whatever
the results established, also for an interrupted walk) and ``recommend_serverless``, and the worst
case that validation and budgeting use.

The strategies are ``adaptive`` and ``perfsize`` (then ``serverless``, a phase after either);
what they share has one module per responsibility: ``replay`` (feeding results into a walk, and
its findings), ``targets`` (the recommendation's formulas), ``min_search`` (the autoscaling-minimum
search) and ``worst_totals`` (the worst case's arithmetic).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sagemaker_sizing.core.walk import adaptive, components, perfsize, replay, serverless
from sagemaker_sizing.core.walk.replay import Findings, ServerlessFindings, WalkGen, WalkMismatchError
from sagemaker_sizing.core.walk.worst_totals import WorstCase, from_batches

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sagemaker_sizing.core.conf.model import Problem, SizingConf
    from sagemaker_sizing.core.model import Recommendation, StepConfig, StepResult

__all__ = [
    "Replayed",
    "WalkMismatchError",
    "WorstCase",
    "fit_problems",
    "next_batch",
    "recommend",
    "recommend_serverless",
    "replayed",
    "worst_case",
    "worst_case_minutes",
    "worst_case_rounds",
    "worst_case_steps",
]

_WALKS: dict[str, Callable[[SizingConf, Findings], WalkGen]] = {
    "adaptive": adaptive.walk,
    "perfsize": perfsize.walk,
}
_WORST_STEPS: dict[str, Callable[[SizingConf], list[list[StepConfig]]]] = {
    "adaptive": adaptive.worst_case_steps,
    "perfsize": perfsize.worst_case_steps,
}
_WORST: dict[str, Callable[[SizingConf], WorstCase]] = {
    "adaptive": adaptive.worst_case,
    "perfsize": perfsize.worst_case,
}


def _walk(conf: SizingConf, findings: Findings) -> WalkGen:
    if conf.hosts_components:  # issue 25: copies per model on one endpoint of inference components
        return components.walk(conf, findings)
    try:
        realtime = _WALKS[conf.strategy]
    except KeyError:
        raise ValueError(f"unknown strategy {conf.strategy!r}; expected one of {sorted(_WALKS)}") from None
    return _kinds(conf, findings, realtime(conf, findings) if conf.sizes_realtime else None)


def _kinds(conf: SizingConf, findings: Findings, realtime: WalkGen | None) -> WalkGen:
    """The real-time walk, then the serverless phase (issue 17), as the conf's endpoint_kinds say."""
    if realtime is not None:
        yield from realtime
    if conf.sizes_serverless:
        yield from serverless.walk(conf, findings)


@dataclass(frozen=True)
class Replayed:
    """What one replay of the results established, and what the walk would test next."""

    recommendation: Recommendation  # fields None where a phase found nothing
    serverless: ServerlessFindings | None  # None when the conf does not size serverless or it has not run
    next_batch: tuple[StepConfig, ...]  # () when the walk is finished


def replayed(
    conf: SizingConf, results: Sequence[StepResult], *, tolerate_incomplete: bool = False
) -> Replayed:
    """Replay the walk over ``results`` once: its recommendation, serverless findings and next batch.

    ``tolerate_incomplete``: a round with a missing or error step ends the replay (see ``replay``),
    so what the rounds before it established stands; without it such a round raises
    WalkMismatchError. A caller needing more than one of the parts (the report) replays once here.
    """
    findings = Findings()
    batch = replay.replay(
        _walk(conf, findings),
        results,
        findings,
        stop_on_quota=conf.on_quota == "stop",
        tolerate_incomplete=tolerate_incomplete,
    )
    return Replayed(
        recommendation=findings.to_recommendation(conf.price_table),
        serverless=findings.serverless if conf.sizes_serverless else None,
        next_batch=tuple(batch),
    )


def next_batch(
    conf: SizingConf, results: Sequence[StepResult], *, tolerate_incomplete: bool = False
) -> list[StepConfig]:
    """The steps of the next round (tested side by side); [] when the walk is finished.

    ``tolerate_incomplete``: a round with a missing or error step ends the replay (see ``replay``).
    """
    return list(replayed(conf, results, tolerate_incomplete=tolerate_incomplete).next_batch)


def recommend(conf: SizingConf, results: Sequence[StepResult]) -> Recommendation:
    """The recommendation the measured results support (fields None where a phase found nothing).

    Tolerant: a round that was not fully measured (a step missing, or an error step) and everything
    after it establish nothing, so a run stopped by an error still reports what came before.
    """
    return replayed(conf, results, tolerate_incomplete=True).recommendation


def recommend_serverless(conf: SizingConf, results: Sequence[StepResult]) -> ServerlessFindings | None:
    """What the serverless phase found (None when the conf does not size serverless or it has not run)."""
    if not conf.sizes_serverless:
        return None
    return replayed(conf, results, tolerate_incomplete=True).serverless


def worst_case(conf: SizingConf) -> WorstCase:
    """Totals of an upper-bound walk (rounds, steps, minutes, cost), computed in time that does not
    grow with the peak: what validation, budgeting and the round-slot check use. The serverless
    phase's worst case is short (its memory walk, its retries) and is summed from its listing."""
    if conf.hosts_components:
        return components.worst_case(conf)
    worst = _WORST[conf.strategy](conf) if conf.sizes_realtime else WorstCase()
    if conf.sizes_serverless:
        worst = worst + from_batches(serverless.worst_case_steps(conf), conf.price_table)
    return worst


def worst_case_steps(conf: SizingConf) -> list[list[StepConfig]]:
    """Batches of an upper-bound walk, listed (their totals are ``worst_case``); the listing grows
    with the endurance retries and the walks, so callers check ``worst_case(conf).steps`` first."""
    if conf.hosts_components:
        return components.worst_case_steps(conf)
    batches = _WORST_STEPS[conf.strategy](conf) if conf.sizes_realtime else []
    return batches + (serverless.worst_case_steps(conf) if conf.sizes_serverless else [])


def worst_case_rounds(conf: SizingConf) -> int:
    return worst_case(conf).rounds


def worst_case_minutes(conf: SizingConf) -> float:
    """Load-test wall-clock minutes of the worst case (the longest step of each round)."""
    return float(worst_case(conf).load_test_minutes)


def fit_problems(conf: SizingConf, worst: WorstCase, max_rounds: int | None) -> list[Problem]:
    """What keeps the walk from running as the conf asks, before anything is deployed: a worst case
    needing more rounds than the DAG's slots, a budget that cannot pay even the first round."""
    from sagemaker_sizing.core.conf.model import Problem
    from sagemaker_sizing.core.cost.instances import load_test_cost
    from sagemaker_sizing.core.cost.money import dollars

    problems: list[Problem] = []
    if max_rounds is not None and worst.rounds > max_rounds:
        problems.append(
            Problem(
                "max_rounds",
                max_rounds,
                f"room for this conf's worst-case walk: strategy {conf.strategy} may need {worst.rounds} "
                "rounds; shorten type_walk, count_walk or tps_walk, lower endurance_retries (or raise "
                "precision, adaptive), or raise the DAG's round slots ([sagemaker_sizing] max_rounds)",
            )
        )
    if conf.max_test_cost_usd is not None:
        # The budget is enforced round by round (core.cost.budget); a budget that cannot pay even
        # the first round would measure nothing, so it is refused here, before anything is deployed.
        cost = load_test_cost(next_batch(conf, ()), conf.price_table)
        if cost > Decimal(str(conf.max_test_cost_usd)):
            problems.append(
                Problem(
                    "max_test_cost_usd",
                    conf.max_test_cost_usd,
                    f"at least the load-test cost of the walk's first round, {dollars(cost)}",
                )
            )
    return problems
