"""The run's outcome, computed once: its status, its headline (the report's first line) and, for a
failed run, the category and cause. report.html, recommendation.json, the report task's summary,
the demo's last lines and the DAG run's state all say what this says.

- ``failed``: a step (or a deploy) could not measure the endpoint: the first such error (an
  infrastructure one first) names the cause, whatever else was measured;
- ``budget``: the cost guard stopped the walk (with what was found so far);
- ``none``: steps were measured and every configuration failed on capacity;
- ``partial`` / ``recommended``: a type passed; a count was (or was not) proven at peak TPS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.cost.budget import NOTE_PREFIX as COST_GUARD_NOTE
from sagemaker_sizing.core.cost.money import dollars
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory, RunStatus, StepOutcome

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sagemaker_sizing.core.components.answer import ComponentsAnswer, ModelAnswer
    from sagemaker_sizing.core.model import Recommendation, StepResult

_FAILED_WORDS = {
    ErrorCategory.SETUP: "Run failed: setup error, the load could not measure the endpoint",
    ErrorCategory.QUOTA: "Run failed: a quota refused the deployment",
    ErrorCategory.INFRASTRUCTURE: "Run failed: infrastructure, the control plane or the runtime went away",
    ErrorCategory.LOAD_GENERATOR: "Run failed: the load generator did not offer the step's load",
}


@dataclass(frozen=True)
class RunOutcome:
    status: RunStatus
    headline: str  # one line naming the result or the cause
    category: ErrorCategory | None = None  # set when status is FAILED
    cause: str | None = None  # what failed, where (FAILED), or what stopped the walk (BUDGET)

    @property
    def failed(self) -> bool:
        return self.status is RunStatus.FAILED

    def failure(self) -> dict[str, Any] | None:
        """recommendation.json's ``failure``: ``{"category", "cause"}`` or None."""
        if self.category is None:
            return None
        return {"category": str(self.category), "cause": self.cause}


def run_outcome(
    results: Sequence[StepResult],
    recommendation: Recommendation,
    notes: Sequence[str] = (),
    serverless: Mapping[str, Any] | None = None,
    *,
    quota_skips: bool = False,
    llm: Mapping[str, Any] | None = None,
) -> RunOutcome:
    """The outcome of a run from its step results (error steps included: a failed deploy is one),
    its recommendation, its notes (the cost guard's note says it stopped the walk) and, when the
    run sized serverless, the serverless comparison (core.cost.serverless_compare).

    With ``quota_skips`` (the conf's ``on_quota: "skip"``) a step a quota refused made its type
    unavailable and the walk went on without it (the walk's explanation says so): not a failure.
    ``llm``: an LLM sizing's summary (core.report.llm): the answer is then said in LLM terms.
    """
    measured = [r for r in results if r.outcome is not StepOutcome.ERROR]
    if quota_skips:
        results = [r for r in results if r.error_category is not ErrorCategory.QUOTA]
    # The cause is the earliest error, but an infrastructure failure (the runtime or the control
    # plane went away) comes first: it explains the other lanes' errors of that moment (a jar that
    # then found no runtime to connect to reads as unreachable, a setup error of its own).
    errors = sorted(
        (r for r in results if r.outcome is StepOutcome.ERROR),
        key=lambda r: (r.error_category is not ErrorCategory.INFRASTRUCTURE, r.round),
    )
    if errors:
        first = errors[0]
        category = first.error_category or ErrorCategory.SETUP
        cause = f"round {first.round}, {first.step.describe()}: {first.error}"
        kept = f" ({len(measured)} measured step(s) kept below)" if measured else ""
        return RunOutcome(RunStatus.FAILED, f"{_FAILED_WORDS[category]}{kept}. {cause}", category, cause)
    budget = next((n for n in notes if n.startswith(COST_GUARD_NOTE)), None)
    if budget is not None:
        found = _found_so_far(recommendation, measured, llm)
        return RunOutcome(
            RunStatus.BUDGET,
            f"Stopped by the budget (max_test_cost_usd) after {len(measured)} measured step(s): {found}.",
            cause=budget,
        )
    rec = recommendation
    if rec.instance_type is None and serverless and serverless.get("max_concurrency") is not None:
        from sagemaker_sizing.core.cost.serverless_compare import summary

        return RunOutcome(RunStatus.RECOMMENDED, f"Recommended (serverless): {summary(dict(serverless))}.")
    if rec.instance_type is None:
        if not measured:
            cause = "no step was measured (see the task logs)"
            return RunOutcome(
                RunStatus.FAILED,
                f"{_FAILED_WORDS[ErrorCategory.SETUP]}: {cause}.",
                ErrorCategory.SETUP,
                cause,
            )
        slos = "TTFT, ITL and end-to-end p99, error rate" if llm else "p99 latency and error rate"
        return RunOutcome(
            RunStatus.NONE,
            f"No configuration met the requirements: {len(measured)} step(s) measured, none passed ({slos}).",
        )
    peak = "the peak request rate" if llm else "peak TPS"
    if rec.max_instance_count is None:
        return RunOutcome(
            RunStatus.PARTIAL,
            f"Partial result: {describe_recommendation(rec, llm)}; no instance count was proven at {peak}"
            f"{_serverless_clause(serverless, partial=True)}.",
        )
    if serverless and serverless.get("cheaper") == "serverless":
        return RunOutcome(RunStatus.RECOMMENDED, f"Recommended: {serverless_cheaper(rec, serverless)}.")
    return RunOutcome(
        RunStatus.RECOMMENDED,
        f"Recommended: {describe_recommendation(rec, llm)}{_serverless_clause(serverless)}.",
    )


def serverless_cheaper(rec: Recommendation, serverless: Mapping[str, Any]) -> str:
    """The answer when serverless carries the conf's average traffic for less than the real-time
    fleet: ``serverless 2048 MB, max concurrency 9 ($34.48/month at 2 TPS average), cheaper than
    real-time ml.m5.large x1 ($83.95/month) below 4.87 TPS average``."""
    text = f"serverless {_serverless_size(serverless)} ({_serverless_month(serverless)})"
    count = rec.max_instance_count or rec.instance_count_needed
    text += f", cheaper than real-time {rec.instance_type} x{count}"
    text += f" ({dollars(serverless['realtime_monthly_cost_usd'])}/month)"
    if serverless.get("break_even_average_tps") is not None:
        text += f" below {serverless['break_even_average_tps']:g} TPS average"
    return text


def _serverless_clause(serverless: Mapping[str, Any] | None, *, partial: bool = False) -> str:
    """What a real-time headline adds when the run also sized serverless: that it is dearer at the
    conf's traffic, or (partial) what it would cost, or that none met the requirements."""
    if not serverless:
        return ""
    if serverless.get("max_concurrency") is None:
        return "; no serverless configuration met the requirements"
    if serverless.get("monthly_cost_usd") is None:
        return f"; serverless {_serverless_size(serverless)} met the requirements (no cost comparison)"
    if partial or serverless.get("cheaper") != "realtime":
        return f"; serverless {_serverless_size(serverless)} would cost {_serverless_month(serverless)}"
    realtime = serverless.get("realtime_monthly_cost_usd")
    month = f" ({dollars(realtime)}/month)" if realtime is not None else ""
    size, cost = _serverless_size(serverless), _serverless_month(serverless)
    return f"{month}, cheaper than serverless {size} ({cost})"


def _serverless_size(serverless: Mapping[str, Any]) -> str:
    text = f"{serverless['memory_size_mb']} MB, max concurrency {serverless['max_concurrency']}"
    if serverless.get("provisioned_concurrency"):
        text += f", provisioned {serverless['provisioned_concurrency']}"
    return text


def _serverless_month(serverless: Mapping[str, Any]) -> str:
    return f"{dollars(serverless['monthly_cost_usd'])}/month at {serverless['average_tps']:g} TPS average"


def preflight_outcome(blocking: Sequence[Mapping[str, str]]) -> RunOutcome:
    """A run preflight refused (``[{"check", "message"}]``): nothing was deployed or measured; a
    quota among the problems makes it a quota failure, anything else a setup one."""
    category = (
        ErrorCategory.QUOTA if any(b.get("check") == "quota" for b in blocking) else ErrorCategory.SETUP
    )
    cause = "preflight: " + "; ".join(f"{b.get('check')}: {b.get('message')}" for b in blocking)
    return RunOutcome(
        RunStatus.FAILED, f"{_FAILED_WORDS[category]} (nothing was deployed). {cause}", category, cause
    )


def _found_so_far(
    rec: Recommendation, measured: Sequence[StepResult], llm: Mapping[str, Any] | None = None
) -> str:
    if rec.instance_type is not None:
        return f"so far {describe_recommendation(rec, llm)}"
    passed = [r for r in measured if r.passed]
    if not passed:
        return "nothing passed so far"
    best = max(passed, key=lambda r: r.step.steady_state_tps / r.step.instance_count)
    return f"{len(passed)} step(s) passed, the most load held: {best.step.describe()}"


def describe_recommendation(rec: Recommendation, llm: Mapping[str, Any] | None = None) -> str:
    """``ml.m5.large x2 (30 TPS per instance), endurance-tested at 2, $0.23/hour``; an LLM's in its
    terms (``describe_llm``)."""
    if rec.instance_type is None:
        return "no configuration was established"
    if rec.components is not None:
        return describe_components(rec.components)
    if llm is not None:
        return describe_llm(rec, llm)
    text = f"{rec.instance_type} x{rec.instance_count_needed} ({rec.tps_per_instance:g} TPS per instance)"
    if rec.max_instance_count is not None:
        text += f", endurance-tested at {rec.max_instance_count}"
    if rec.min_instance_count is not None and rec.min_instance_count == rec.max_instance_count:
        # The search found no smaller minimum that kept up with the ramp: min..max is a fixed fleet.
        text += ", no autoscaling (no smaller minimum kept up with the ramp)"
    elif rec.min_instance_count is not None:
        text += (
            f", autoscaling {rec.min_instance_count}..{rec.max_instance_count}"
            f" target {rec.invocations_target} invocations/instance/minute"
        )
    if rec.hourly_cost_usd is not None:
        text += f", {dollars(rec.hourly_cost_usd)}/hour"
    return text


def describe_llm(rec: Recommendation, llm: Mapping[str, Any]) -> str:
    """``ml.g6.xlarge x4 for 6 req/s (576 output tokens/s; 1.5 req/s per instance), TTFT p99 812 ms,
    ITL p99 41.2 ms, autoscaling 2..4 on 2.4 concurrent requests per instance, $4.02/hour, $1.94
    per 1M output tokens``."""
    block = llm["block"]
    tokens = block.get("output_tokens_per_s")
    per_instance = f"{rec.tps_per_instance:g} req/s per instance"
    detail = f"{tokens:.0f} output tokens/s; {per_instance}" if tokens else per_instance
    text = f"{rec.instance_type} x{block['instance_count']} for {llm['peak_rps']:g} req/s ({detail})"
    latency = [
        f"{name} p99 {value:.0f} ms" if value >= 100 else f"{name} p99 {value:.1f} ms"
        for name, value in (("TTFT", block.get("ttft_p99_ms")), ("ITL", block.get("itl_p99_ms")))
        if value is not None
    ]
    if latency:
        text += ", " + ", ".join(latency)
    if rec.min_instance_count is not None and rec.min_instance_count == rec.max_instance_count:
        text += f", no autoscaling minimum below {rec.max_instance_count} kept up with the ramp"
    elif rec.min_instance_count is not None and block.get("target_value") is not None:
        text += (
            f", autoscaling {rec.min_instance_count}..{rec.max_instance_count} on "
            f"{block['target_value']:g} concurrent requests per instance"
        )
    if rec.hourly_cost_usd is not None:
        text += f", {dollars(rec.hourly_cost_usd)}/hour"
    if block.get("cost_per_1m_output_tokens_usd") is not None:
        text += f", {dollars(block['cost_per_1m_output_tokens_usd'])} per 1M output tokens"
    return text


def describe_components(answer: ComponentsAnswer) -> str:
    """``ml.g6e.xlarge, managed instance scaling 2..3, for chat 8 req/s (copies 1..1) and summarize
    6 req/s (copies 1..2, 3 concurrent per copy), $7.83/hour``: an endpoint of inference components."""

    def model(m: ModelAnswer) -> str:
        copies = f"copies {_opt(m.min_copies)}..{m.max_copies}"
        if m.target_value is not None:
            copies += f", {m.target_value:g} concurrent per copy"
        return f"{m.model_name} {m.peak_rps:g} req/s ({copies})"

    text = (
        f"{answer.instance_type}, managed instance scaling {_opt(answer.min_instance_count)}.."
        f"{answer.max_instance_count}, for " + " and ".join(model(m) for m in answer.models)
    )
    if answer.hourly_cost_usd is not None:
        text += f", {dollars(answer.hourly_cost_usd)}/hour"
    return text


def _opt(value: int | None) -> str:
    return "?" if value is None else str(value)
