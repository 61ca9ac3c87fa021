"""The report's whole content, computed once from what a run leaves behind.

``assemble_report`` takes the conf the rounds sized, every step result (error steps included), the
run's notes, preflight's refusal if it refused the run, and the DAG's round slots; it replays the
walk once and computes the recommendation, the serverless comparison, the costs, the notes (a walk
cut short by the round slots says so) and the run's outcome. ``core.report.render`` only formats
a ``ReportContent``: a value is computed here once and printed from where it was computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core import walk
from sagemaker_sizing.core.conf.model import conf_to_dict
from sagemaker_sizing.core.cost import serverless_compare
from sagemaker_sizing.core.cost.run_costs import run_costs
from sagemaker_sizing.core.model import PHASE_MAX
from sagemaker_sizing.core.report.llm import llm_summary
from sagemaker_sizing.core.verdicts.run_outcome import RunOutcome, preflight_outcome, run_outcome

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.model import Recommendation, StepResult
    from sagemaker_sizing.core.timeline.simulated import SizingTime

CUT_SHORT = "the walk needed more than the DAG's {slots} rounds and was cut short"


@dataclass(frozen=True)
class ReportContent:
    """Everything report.html and recommendation.json show, as computed (render only formats it)."""

    inputs: Mapping[str, Any]  # the conf the run sized, JSON-safe (conf_to_dict): the report's inputs
    results: tuple[StepResult, ...]  # every step, in round then map order, error steps included
    recommendation: Recommendation
    costs: Mapping[str, Any]  # core.cost.run_costs: money as exact strings, the run's own cost
    outcome: RunOutcome  # status and headline (core.verdicts.run_outcome)
    notes: tuple[str, ...] = ()
    serverless: Mapping[str, Any] | None = None  # core.cost.serverless_compare; None: not sized
    # What the sizing took (core.timeline.measured's SizingTime.to_dict()); None: nothing deployed.
    took: Mapping[str, Any] | None = None
    llm: Mapping[str, Any] | None = None  # core.report.llm.llm_summary; None: not an LLM sizing


def assemble_report(
    conf: SizingConf,
    results: Sequence[StepResult],
    notes: Sequence[str] = (),
    *,
    refused: Sequence[Mapping[str, str]] | None = None,
    round_slots: int,
    took: SizingTime | None = None,
) -> ReportContent:
    """The report of a run: ``results`` replayed through the walk once (tolerantly: a round not
    fully measured establishes nothing, so a failed run still reports what came before it).

    ``refused``: preflight's blocking findings (``[{"check", "message"}]``) when it refused the run;
    they are its outcome. ``round_slots``: the DAG's rounds; a walk that used them all and still
    had a batch to test was cut short, which the notes say. ``took``: the run's wall-clock and its
    own bill, from its instants (``core.timeline.measured``).
    """
    replayed = walk.replayed(conf, results, tolerate_incomplete=True)
    notes = list(notes)
    if _cut_short(results, replayed.next_batch, round_slots):
        notes.append(CUT_SHORT.format(slots=round_slots))
    recommendation = replayed.recommendation
    serverless = serverless_compare.compare(  # None unless the conf sizes serverless
        conf,
        recommendation if conf.sizes_realtime else None,
        replayed.serverless,
        realtime_p99_ms=p99_at_peak(results, recommendation),
    )
    llm = llm_summary(conf, recommendation, results) if conf.is_llm else None
    outcome = (
        preflight_outcome(refused)
        if refused
        else run_outcome(
            results, recommendation, notes, serverless, quota_skips=conf.on_quota == "skip", llm=llm
        )
    )
    return ReportContent(
        inputs=conf_to_dict(conf),
        results=tuple(results),
        recommendation=recommendation,
        costs=run_costs(conf, recommendation, results),
        outcome=outcome,
        notes=tuple(notes),
        serverless=serverless,
        took=None if took is None else took.to_dict(),
        llm=llm,
    )


def p99_at_peak(results: Sequence[StepResult], rec: Recommendation) -> float | None:
    """The p99 the recommended fixed fleet measured at peak TPS: its passing endurance step's."""
    for result in results:
        step = result.step
        if (
            result.passed
            and step.phase == PHASE_MAX
            and step.instance_type == rec.instance_type
            and step.instance_count == rec.max_instance_count
        ):
            p99 = result.metrics.get("latency_success_p99")
            return float(p99) if isinstance(p99, int | float) else None
    return None


def _cut_short(results: Sequence[StepResult], next_batch: Sequence[object], round_slots: int) -> bool:
    """Every round slot used, every step measured, and the walk still had steps to test."""
    complete = all(r.error is None for r in results)
    return complete and bool(next_batch) and len({r.round for r in results}) >= round_slots
