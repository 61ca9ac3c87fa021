"""The final report: ``report.html`` (for people) and ``recommendation.json`` (for machines).

Both are built from one JSON-safe context dict (:func:`build_report_context`) of a
``core.report.assemble.ReportContent``, so they cannot disagree: the JSON file *is* the context,
and the template only formats it (plus charts whose geometry is computed from the same context).
HTML comes from Jinja2 templates with autoescape on.

``ReportContent.costs`` keys accepted (money as strings, e.g. ``"0.23"``; anything missing renders as "—"):

- ``hourly``, ``daily``, ``monthly``, ``annual``: the recommended fixed fleet (max count);
  ``hourly`` falls back to ``Recommendation.hourly_cost_usd``.
- ``min_hourly``, ``min_monthly``: the autoscaling floor (min count), when known.
- ``per_million_inferences``: cost of one million inferences at peak TPS.
- ``per_type``: ``{instance_type: {"hourly", "instances", "tps_per_instance"}}`` for each candidate
  type: the fleet that type needs for the peak and its hourly cost (the cost chart).
- ``test_cost_usd``, ``load_test_minutes``, ``instance_minutes``: what the sizing run itself cost.

Step metrics read from ``StepResult.metrics`` (the parser's "all" metrics): ``count_total``,
``percent_fail``, ``latency_success_p50``, ``latency_success_p99`` and achieved TPS under
``achieved_tps`` (or ``tps_achieved`` / ``tps``).
"""

from __future__ import annotations

import functools
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import jinja2

from sagemaker_sizing.core.cost.money import dollars, exact
from sagemaker_sizing.core.files import write_atomically
from sagemaker_sizing.core.report import charts, serverless_chart
from sagemaker_sizing.core.report.format import (
    fmt_input,
    fmt_money,
    fmt_ms,
    fmt_num,
    money_str,
    number,
    opt_str,
)
from sagemaker_sizing.core.serde import recommendation_to_dict, to_jsonable
from sagemaker_sizing.core.timeline.words import hours
from sagemaker_sizing.core.verdicts.failures import TOP_MESSAGES
from sagemaker_sizing.core.verdicts.outcome import FailureKind, RunStatus, StepOutcome

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sagemaker_sizing.core.model import Recommendation, StepConfig, StepResult
    from sagemaker_sizing.core.report.assemble import ReportContent

log = logging.getLogger(__name__)

REPORT_FILE = "report.html"
RECOMMENDATION_FILE = "recommendation.json"
SCHEMA_VERSION = 1
MONEY_KEYS = (
    "hourly",
    "daily",
    "monthly",
    "annual",
    "min_hourly",
    "min_monthly",
    "per_million_inferences",
    "price_per_instance_hour",
)
# core.cost.instances.CostBreakdown's other fields: accepted (its fields pass as they are), not shown.
IGNORED_COST_KEYS = ("instance_type", "instance_count")
RUN_COST_KEYS = ("test_cost_usd", "load_test_minutes", "instance_minutes")
STEP_METRICS = ("count_total", "percent_fail", "latency_success_p50", "latency_success_p99")
ACHIEVED_TPS_KEYS = ("achieved_tps", "tps_achieved", "tps")

# recommendation.json's ``status`` is a core.verdicts.outcome.RunStatus value, from core.verdicts.run_outcome.
STATUS_RECOMMENDED = str(RunStatus.RECOMMENDED)
STATUS_PARTIAL = str(RunStatus.PARTIAL)
STATUS_NONE = str(RunStatus.NONE)


def render_report(content: ReportContent, *, run_id: str, results_dir: Path) -> tuple[Path, Path]:
    """Write ``results_dir/report.html`` and ``results_dir/recommendation.json``; return both paths.

    Files are replaced atomically, so a re-run report task never leaves half a report behind.
    """
    context = build_report_context(content, run_id=run_id, results_dir=results_dir)
    html = render_html(context)
    results_dir.mkdir(parents=True, exist_ok=True)
    html_path = results_dir / REPORT_FILE
    json_path = results_dir / RECOMMENDATION_FILE
    write_atomically(json_path, json.dumps(context, indent=2, allow_nan=False) + "\n")
    write_atomically(html_path, html)
    log.info("Report written to %s and %s (status %s)", html_path, json_path, context["status"])
    return html_path, json_path


def build_report_context(
    content: ReportContent, *, run_id: str, results_dir: Path, generated_at: datetime | None = None
) -> dict[str, Any]:
    """Everything the report shows, as plain JSON types: this is ``recommendation.json``.

    Formats what ``content`` holds (core.report.assemble computed it); the outcome's status,
    headline and failure are the report's first line and the JSON's ``status``, ``headline``,
    ``failure``. ``results_dir`` makes each step's Gatling report link relative to the report.
    """
    conf, outcome, recommendation = content.inputs, content.outcome, content.recommendation
    rec = recommendation_to_dict(recommendation)
    rec.pop("components", None)  # its own block, below
    if recommendation.hourly_cost_usd is not None:  # exact, written as every other amount (0.23, not 0.230)
        rec["hourly_cost_usd"] = exact(recommendation.hourly_cost_usd)
    peak_tps = number(conf.get("peak_tps"))
    rec["invocations_target_formula"] = _perfsize_formula(peak_tps, recommendation)
    rec["aws_formula_invocations_target_formula"] = _aws_formula(
        recommendation, number(conf.get("safety_factor"))
    )
    steps = [_step_row(i, result, results_dir) for i, result in enumerate(content.results, start=1)]
    serverless = content.serverless
    requirements: dict[str, Any] = {
        "peak_tps": peak_tps,
        "latency_success_p99": number(conf.get("latency_success_p99")),
        "percent_fail": number(conf.get("percent_fail")),
    }
    llm: dict[str, Any] = {}
    if content.llm is not None:  # an LLM sizing (issue 24): its SLOs, its answer in LLM terms
        details = {key: value for key, value in content.llm.items() if key != "block"}
        requirements |= {
            "peak_rps": number(conf.get("peak_rps")),
            "peak_output_tokens_per_s": number(details.get("peak_output_tokens_per_s")),
            "ttft_p99_ms": number(conf.get("ttft_p99_ms")),
            "itl_p99_ms": number(conf.get("itl_p99_ms")),
        }
        llm = {
            "workload": "llm",
            "llm": to_jsonable(dict(content.llm["block"])),
            "llm_details": to_jsonable(details),
        }
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "generated_at": (generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "status": str(outcome.status),
        "headline": outcome.headline,
        "failure": outcome.failure(),
        "model_name": opt_str(conf.get("model_name")),
        "endpoint_name": opt_str(conf.get("endpoint_name")),
        "region": opt_str(conf.get("region")),
        "strategy": opt_str(conf.get("strategy")),
        "requirements": requirements,
        "recommendation": rec,
        "costs": _normalise_costs(content.costs, recommendation),
        "summary": {
            "steps": len(steps),
            "passed": sum(1 for s in steps if s["outcome"] == StepOutcome.PASS),
            "failed": sum(1 for s in steps if s["outcome"] == StepOutcome.FAIL),
            "errors": sum(1 for s in steps if s["outcome"] == StepOutcome.ERROR),
            "rounds": len({s["round"] for s in steps}),
        },
        "steps": steps,
        "notes": [str(n) for n in content.notes],
        "inputs": to_jsonable(dict(conf)),
        # What the sizing took (issue 27): None when nothing was deployed.
        "sizing": _sizing(content.took),
        # Serverless vs real-time (issue 17; core.cost.serverless_compare), only when the run sized it.
        **({} if serverless is None else {"serverless": to_jsonable(dict(serverless))}),
        # An LLM sizing (issue 24): ``workload``, the ``llm`` block (core.report.llm.LLM_BLOCK_KEYS,
        # exactly) and what the report says around it (``llm_details``).
        **llm,
        # An endpoint of inference components (issue 25): its type, managed instance scaling, and
        # per model its compute per copy, copies, target and cost share.
        **(
            {}
            if recommendation.components is None
            else {"inference_components": recommendation.components.to_dict()}
        ),
    }


def render_html(context: Mapping[str, Any]) -> str:
    """The HTML page for a context from :func:`build_report_context`."""
    reqs = context["requirements"]
    samples = [
        charts.LatencySample(
            instance_type=s["instance_type"],
            tps_per_instance=s["tps_per_instance"],
            p99_ms=s["latency_success_p99"],
            passed=s["passed"],
            label=f"step {s['index']}: {s['instance_type']} x{s['instance_count']} at "
            f"{fmt_num(s['steady_state_tps'])} TPS, p99 {fmt_num(s['latency_success_p99'])} ms",
        )
        for s in context["steps"]
        if s["tps_per_instance"] is not None
        and s["latency_success_p99"] is not None
        and s["outcome"] != StepOutcome.ERROR  # not a measurement of the endpoint
    ]
    template = _environment().get_template("report.html.j2")
    return template.render(
        ctx=context,
        latency_chart=charts.latency_chart(samples, reqs["latency_success_p99"]),
        knee_charts=_knee_charts(context) if "llm" in context else (),
        cost_chart=charts.cost_chart(
            context["costs"]["per_type"], context["recommendation"]["instance_type"]
        ),
        inputs=[(key, fmt_input(value)) for key, value in context["inputs"].items()],
        matrix=_pass_matrix(context["steps"]),
        serverless_chart=serverless_chart.cost_lines(context.get("serverless")),
        min_note=_min_note(context["recommendation"], context["steps"]),
    )


def _knee_charts(context: Mapping[str, Any]) -> tuple[charts.LatencyChart, ...]:
    """An LLM's knee: TTFT p99 and ITL p99 against the requests/s one instance carried, per type
    (fixed-size steps that measured the endpoint), each with its SLO line."""
    reqs, drawn = context["requirements"], []
    for key, slo, axes in (
        ("ttft_p99", reqs.get("ttft_p99_ms"), charts.TTFT_KNEE),
        ("itl_p99", reqs.get("itl_p99_ms"), charts.ITL_KNEE),
    ):
        samples = [
            charts.LatencySample(
                instance_type=s["instance_type"],
                tps_per_instance=s["tps_per_instance"],
                p99_ms=s[key],
                passed=s["passed"],
                label=f"step {s['index']}: {s['instance_type']} x{s['instance_count']} at "
                f"{fmt_num(s['steady_state_tps'])} req/s, {axes.y_label.split(' (')[0]} {fmt_num(s[key])} ms",
            )
            for s in context["steps"]
            if s["tps_per_instance"] is not None
            and s.get(key) is not None
            and s["outcome"] != StepOutcome.ERROR
        ]
        chart = charts.latency_chart(samples, slo, axes)
        if chart is not None:
            drawn.append(chart)
    return tuple(drawn)


def _min_note(rec: Mapping[str, Any], steps: Sequence[Mapping[str, Any]]) -> str:
    """What the min instance count means, and what failed just below it: min = max is no
    autoscaling, and the reader should see why (``1..2: p99 2048 ms >= 500 ms, 5.10% fail >= 1%``)."""
    minimum, maximum = rec.get("min_instance_count"), rec.get("max_instance_count")
    if minimum is None:
        return "the smallest autoscaling minimum that kept up with the ramp"
    below = [
        s
        for s in steps
        if s["autoscaling"]
        and s["outcome"] == StepOutcome.FAIL
        and s["instance_type"] == rec.get("instance_type")
        and s["scaling_max_instance_count"] == maximum
        and (s["scaling_min_instance_count"] or 0) < minimum
    ]
    failed = ""
    if below:
        step = max(below, key=lambda s: s["scaling_min_instance_count"] or 0)
        failed = f"{step['scaling_min_instance_count']}..{maximum} failed the ramp: {step['reason']}"
        if step["failures"]:
            top = step["failures"][0]
            failed += f" ({top['count']} x {top['message']})"
    if minimum == maximum:
        return "no autoscaling: no smaller minimum kept up with the ramp" + (f"; {failed}" if failed else "")
    return "the smallest autoscaling minimum that kept up with the ramp" + (f"; {failed}" if failed else "")


def _pass_matrix(steps: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """perfsizesagemaker's grid: type x count (rows) vs steady TPS (columns), last result wins."""
    fixed = [s for s in steps if not s["autoscaling"]]
    columns = sorted({s["steady_state_tps"] for s in fixed})
    cells: dict[str, dict[float, str]] = {}
    for s in fixed:
        row = cells.setdefault(f"{s['instance_type']} x{s['instance_count']}", {})
        row[s["steady_state_tps"]] = s["outcome"]
    return {
        "columns": [fmt_num(c) for c in columns],
        "rows": [(label, [row.get(c) for c in columns]) for label, row in cells.items()],
    }


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt_num
    env.filters["ms"] = fmt_ms
    env.filters["money"] = fmt_money
    return env


def _perfsize_formula(peak_tps: float | None, rec: Recommendation) -> str:
    """The formula with the walk's numbers, ending in the recommendation's own value (computed once,
    in Decimal as perfsizesagemaker does: recomputed here in float it could differ by one)."""
    formula = "int(peak_tps / max_instance_count * 60 * 0.5)"
    if peak_tps is None or not rec.max_instance_count or rec.invocations_target is None:
        return formula
    numbers = f"int({fmt_num(peak_tps)} / {rec.max_instance_count} * 60 * 0.5)"
    return f"{formula} = {numbers} = {rec.invocations_target}"


def _aws_formula(rec: Recommendation, safety_factor: float | None) -> str:
    formula = "int(max_rps_per_instance * 60 * safety_factor)"
    if rec.tps_per_instance is None or safety_factor is None or rec.aws_formula_invocations_target is None:
        return formula
    numbers = f"int({fmt_num(rec.tps_per_instance)} * 60 * {fmt_num(safety_factor)})"
    return f"{formula} = {numbers} = {rec.aws_formula_invocations_target}"


def _step_row(index: int, result: StepResult, results_dir: Path) -> dict[str, Any]:
    step = result.step
    row: dict[str, Any] = {
        "index": index,
        "round": result.round,
        "phase": step.phase,
        "instance_type": step.instance_type,
        "instance_count": step.instance_count,
        "autoscaling": step.autoscaling,
        "scaling_min_instance_count": step.scaling_min_instance_count,
        "scaling_max_instance_count": step.scaling_max_instance_count,
        "invocations_target": step.invocations_target,
        "size": _size(step),
        "ramp_start_tps": step.ramp_start_tps,
        "ramp_minutes": step.ramp_minutes,
        "steady_state_tps": step.steady_state_tps,
        "steady_state_minutes": step.steady_state_minutes,
        "load_shape": _load_shape(step),
        # Autoscaling steps change size mid-run, so they have no single load per instance.
        "tps_per_instance": None if step.autoscaling else step.steady_state_tps / step.instance_count,
        "passed": result.passed,
        "outcome": str(result.outcome),
        "reason": result.reason,
        "error": result.error,
        "error_category": None if result.error_category is None else str(result.error_category),
        # The failure breakdown: requests failed per kind, and the top messages with their counts.
        "failed_by_kind": {
            str(kind): sum(f.count for f in result.failures if f.kind is kind) for kind in FailureKind
        },
        "failures": [
            {"kind": str(f.kind), "message": f.message, "count": f.count}
            for f in result.failures[:TOP_MESSAGES]
        ],
        "more_failure_messages": max(0, len(result.failures) - TOP_MESSAGES),
    }
    for key in STEP_METRICS:
        row[key] = number(result.metrics.get(key))
    achieved = (result.metrics.get(k) for k in ACHIEVED_TPS_KEYS)
    row["achieved_tps"] = next((n for n in map(number, achieved) if n is not None), None)
    row["target_tps"] = step.steady_state_tps
    # A split step: how many injectors sent it, and how far apart their first requests were.
    row["injectors"] = number(result.metrics.get("injectors"))
    row["start_skew_s"] = number(result.metrics.get("start_skew_s"))
    row["folder"] = result.folder
    row["report_link"] = _report_link(result.folder, results_dir, gatling=not step.is_llm)
    if step.is_llm:  # AIPerf's measures (core.llm.metrics), in ms; e2e is latency_success_*
        metrics = result.metrics
        for name, key in (("ttft", "ttft_ms"), ("itl", "itl_ms")):
            for p in ("p50", "p99"):
                row[f"{name}_{p}"] = number((metrics.get(key) or {}).get(p))
        row["output_tokens_per_s"] = number(metrics.get("output_tokens_per_s"))
        row["offered_rate"] = number(metrics.get("offered_rate"))
        row["concurrency_mean"] = number(metrics.get("concurrency_mean"))
    return row


def _size(step: StepConfig) -> str:
    if step.autoscaling:
        return (
            f"autoscaling {step.scaling_min_instance_count}..{step.scaling_max_instance_count}"
            f" ({step.scaling_target})"
        )
    return str(step.instance_count)


def _load_shape(step: StepConfig) -> str:
    unit = step.rate_unit
    steady = f"{fmt_num(step.steady_state_tps)} {unit} for {fmt_num(step.steady_state_minutes)} min"
    if not step.ramp_minutes:
        return steady
    ramp = f"ramp {fmt_num(step.ramp_start_tps)}→{fmt_num(step.steady_state_tps)} {unit}"
    return f"{ramp} over {fmt_num(step.ramp_minutes)} min, then {steady}"


def _report_link(folder: str | None, results_dir: Path, *, gatling: bool = True) -> str | None:
    """The step's Gatling report (an LLM step's folder: AIPerf's exports and logs), relative to
    the report so the results folder can move."""
    if not folder:
        return None
    path = Path(folder)
    relative = Path(os.path.relpath(path, results_dir)) if path.is_absolute() else path
    return quote(relative.as_posix()) + ("/index.html" if gatling else "/")


def _sizing(took: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The run's wall-clock, load minutes, deploys and own bill, and the sentence the report shows."""
    if took is None:
        return None
    deploys = took["deploys"]
    line = (
        f"The sizing took {hours(took['wall_clock_hours'])} from the first deploy to the last delete: "
        f"{fmt_num(took['load_minutes'])} load minutes, {deploys} deploy{'' if deploys == 1 else 's'}, "
        f"{dollars(took['bill_usd'])} for its own endpoints (every instance from its launch to its "
        "deletion, at the price table's rates)."
    )
    return {**to_jsonable(dict(took)), "line": line}


def _normalise_costs(costs: Mapping[str, Any], rec: Recommendation) -> dict[str, Any]:
    unknown = set(costs) - {*MONEY_KEYS, *RUN_COST_KEYS, *IGNORED_COST_KEYS, "per_type"}
    if unknown:
        log.warning("Report ignores unknown cost keys: %s", ", ".join(sorted(unknown)))
    out: dict[str, Any] = {key: money_str(costs.get(key)) for key in MONEY_KEYS}
    out.update({key: opt_str(costs.get(key)) for key in RUN_COST_KEYS})
    out["test_cost_usd"] = money_str(costs.get("test_cost_usd"))
    if out["hourly"] is None and rec.hourly_cost_usd is not None:
        out["hourly"] = money_str(rec.hourly_cost_usd)
    per_type = costs.get("per_type") or {}
    out["per_type"] = {
        str(name): {
            "hourly": money_str((entry or {}).get("hourly")),
            "instances": opt_str((entry or {}).get("instances")),
            "tps_per_instance": opt_str((entry or {}).get("tps_per_instance")),
        }
        for name, entry in per_type.items()
    }
    return out
