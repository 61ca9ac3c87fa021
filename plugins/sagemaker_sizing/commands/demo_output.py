"""What ``sagemaker-sizing demo`` prints: one line per step as the run goes, the recommendation
table, and the run's outcome read from ``recommendation.json`` (``status``, ``headline``).

Pure functions of the run folder's files (``step.json`` beside each step's logs, written by the
parse task; ``recommendation.json`` by the report task), so the demo never parses Airflow's logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.cost.money import dollars
from sagemaker_sizing.core.model import PHASE_MAX, PHASE_MIN, PHASE_TYPE
from sagemaker_sizing.core.walk.adaptive import PHASE_BISECT, PHASE_PROBE
from sagemaker_sizing.core.walk.serverless import PHASE_COLD_START, PHASE_CONCURRENCY, PHASE_MEMORY

if TYPE_CHECKING:
    from pathlib import Path

STEP_FILE = "step.json"
RECOMMENDATION_FILE = "recommendation.json"
# RunStatus values (core.verdicts.outcome) that mean the run did not reach an answer because something broke.
FAILED_STATUSES = frozenset({"failed"})
# The hourly cost is the costs' row ("cost hourly"), not repeated from the recommendation.
TABLE_KEYS = (
    "instance_type",
    "instance_count_needed",
    "max_instance_count",
    "min_instance_count",
    "invocations_target",
)
# What a value of the table is counted in (money rows print as the report writes them).
UNITS = {
    "invocations_target": "invocations/instance/minute",
    "p99_ms": "ms",
    "cold_start_p99_ms": "ms",
    "break_even_average_tps": "TPS average",
}
# The phase of a step, in the words of a step line (another phase prints as it is named).
PHASE_WORDS = {
    PHASE_TYPE: "type",
    PHASE_PROBE: "probe",
    PHASE_BISECT: "bisect",
    PHASE_MAX: "endurance",
    PHASE_MIN: "autoscaling",
    PHASE_MEMORY: "memory",
    PHASE_CONCURRENCY: "concurrency",
    PHASE_COLD_START: "cold start",
}
PHASE_WIDTH = max(map(len, PHASE_WORDS.values()))

SERVERLESS_KEYS = (
    "memory_size_mb",
    "max_concurrency",
    "provisioned_concurrency",
    "p99_ms",
    "cold_start_p99_ms",
    "monthly_cost_usd",
    "realtime_monthly_cost_usd",
    "break_even_average_tps",
    "cheaper",
)
# The table's rows that are money (recommendation.json keeps the Recommendation's hourly cost exact).
MONEY_KEYS = frozenset(
    {
        "hourly_cost_usd",
        "hourly",
        "monthly",
        "annual",
        "monthly_cost_usd",
        "realtime_monthly_cost_usd",
        "cost_per_1m_output_tokens_usd",
    }
)

# Until the report writes a ``headline``: words for each RunStatus value (core.verdicts.outcome).
FALLBACK_HEADLINES = {
    "recommended": "recommended: see the table above",
    "partial": "partial: an instance type passed, but no instance count was proven at the peak",
    "none": "no configuration met the requirements",
    "budget": "stopped by the budget (max_test_cost_usd): the table shows what was found so far",
    "failed": "the run failed: see the log",
}


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    try:
        return f"{float(value):.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


def step_line(data: dict[str, Any]) -> str:
    """``round 2  probe        ml.m5.large x1 at 40 TPS  PASS   p99 41 ms  errors 0.00%``: the
    phase named, so a cold-start step after an idle does not read as a repeat of the last one; an
    LLM step's ``... ml.g6.xlarge x1 at 1.5 req/s (1.47 offered)  PASS  TTFT p99 812 ms  ITL p99
    41.2 ms  e2e p99 4120 ms  errors 0.00%``."""
    step = data.get("step") or {}
    if step.get("workload") == "llm":
        return _llm_step_line(data, step)
    size = f"{step.get('instance_type', '?')} x{step.get('instance_count', '?')}"
    if step.get("memory_size_mb") is not None:
        size = f"serverless {step['memory_size_mb']} MB, max concurrency {step.get('max_concurrency')}"
    elif step.get("scaling_max_instance_count") is not None:
        size = (
            f"{step.get('instance_type', '?')} autoscaling "
            f"{step.get('scaling_min_instance_count')}..{step.get('scaling_max_instance_count')}"
        )
    load = f"{_num(step.get('steady_state_tps'), 0)} TPS"
    if step.get("idle_minutes"):
        load += f" after {_num(step['idle_minutes'], 2).rstrip('0').rstrip('.')} min idle"
    if step.get("ramp_minutes"):
        load = f"ramp {_num(step.get('ramp_start_tps'))}->{load}"
    phase = str(step.get("phase", "?"))
    verdict = "ERROR" if data.get("error") else ("PASS" if data.get("passed") else "FAIL")
    metrics = data.get("metrics") or {}
    p99 = metrics.get("latency_success_p99")
    fail = metrics.get("percent_fail")
    words = [
        f"round {data.get('round', '?')}",
        f"{PHASE_WORDS.get(phase, phase):<{PHASE_WIDTH}}",
        f"{size} at {load}",
        f"{verdict:<5}",
    ]
    if "metrics" in data:  # a step that was run (a dry run's steps have no metrics to show)
        words += [
            f"p99 {_num(p99)} ms" if p99 is not None else "p99 -",
            f"errors {_num(fail, 2)}%" if fail is not None else "errors -",
        ]
    line = "  ".join(words).rstrip()
    if data.get("error"):
        line += f"  ({data['error']})"
    return line


def _llm_step_line(data: dict[str, Any], step: dict[str, Any]) -> str:
    size = f"{step.get('instance_type', '?')} x{step.get('instance_count', '?')}"
    if step.get("scaling_max_instance_count") is not None:
        size = (
            f"{step.get('instance_type', '?')} autoscaling "
            f"{step.get('scaling_min_instance_count')}..{step.get('scaling_max_instance_count')}"
        )
    load = f"{_rate(step.get('steady_state_tps'))} req/s"
    if step.get("ramp_minutes"):
        load = f"ramp {_rate(step.get('ramp_start_tps'))}->{load}"
    metrics = data.get("metrics") or {}
    if metrics.get("offered_rate") is not None:
        load += f" ({float(metrics['offered_rate']):.3g} offered)"
    verdict = "ERROR" if data.get("error") else ("PASS" if data.get("passed") else "FAIL")
    words = [f"round {data.get('round', '?')}", f"{size} at {load}", f"{verdict:<5}"]
    for name, key in (("TTFT", "ttft_ms"), ("ITL", "itl_ms"), ("e2e", "e2e_ms")):
        p99 = (metrics.get(key) or {}).get("p99")
        words.append(f"{name} p99 {_ms(p99)} ms" if p99 is not None else f"{name} p99 -")
    fail = metrics.get("percent_fail")
    words.append(f"errors {_num(fail, 2)}%" if fail is not None else "errors -")
    line = "  ".join(words)
    if data.get("error"):
        line += f"  ({data['error']})"
    return line


def _rate(value: Any) -> str:
    """A request rate as the walk wrote it: 1.5, 0.375, 6."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return "-"


def _ms(value: Any) -> str:
    try:
        ms = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.1f}"


@dataclass
class StepWatcher:
    """Finds the steps measured since the last look (each ``step.json`` once, oldest first)."""

    run_dir: Path
    seen: set[Path] = field(default_factory=set)

    def new_lines(self) -> list[str]:
        if not self.run_dir.is_dir():
            return []
        fresh = [p for p in self.run_dir.glob(f"*/{STEP_FILE}") if p not in self.seen]
        lines = []
        for path in sorted(fresh, key=lambda p: p.stat().st_mtime):
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError):
                continue  # still being written: next look
            self.seen.add(path)
            lines.append(step_line(data))
        return lines


def read_recommendation(run_dir: Path | None) -> dict[str, Any] | None:
    if run_dir is None:
        return None
    try:
        data = json.loads((run_dir / RECOMMENDATION_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def recommendation_table(data: dict[str, Any]) -> list[str]:
    """The answer's table; none for a run that failed or found nothing (a table of dashes would
    read like an answer): the outcome's headline says what happened."""
    rec = data.get("recommendation") or {}
    serverless_found = (data.get("serverless") or {}).get("max_concurrency") is not None
    if data.get("status") in FAILED_STATUSES or not (rec.get("instance_type") or serverless_found):
        return []
    costs = data.get("costs") or {}
    components = data.get("inference_components")
    if isinstance(components, dict):  # an endpoint of inference components: its block
        return components_table(components)
    llm = data.get("llm")
    if isinstance(llm, dict):  # an LLM sizing: its block (recommendation.json's "llm"), then its costs
        llm_costs = (data.get("llm_details") or {}).get("costs") or {}
        llm_rows = [(key, llm.get(key)) for key in llm]
        llm_rows += [(f"cost {key}", llm_costs.get(key)) for key in ("hourly", "monthly")]
        width = max(len(key) for key, _ in llm_rows)
        return ["recommendation:"] + [f"  {key:<{width}}  {_cell(key, v)}" for key, v in llm_rows]
    rows: list[tuple[str, Any]] = [(key, rec.get(key)) for key in TABLE_KEYS]
    minimum = rec.get("min_instance_count")
    if minimum is not None and minimum == rec.get("max_instance_count"):  # min..max is a fixed fleet
        rows = [(k, f"{v} (no autoscaling: min = max)" if k == "min_instance_count" else v) for k, v in rows]
    rows += [(f"cost {key}", costs.get(key)) for key in ("hourly", "monthly", "annual")]
    serverless = data.get("serverless") or {}
    if serverless:
        rows += [(f"serverless {key}", serverless.get(key)) for key in SERVERLESS_KEYS]
    width = max(len(key) for key, _ in rows)
    return ["recommendation:"] + [f"  {key:<{width}}  {_cell(key, v)}" for key, v in rows]


def components_table(block: dict[str, Any]) -> list[str]:
    """recommendation.json's ``inference_components``: the endpoint, then a line per model."""
    scaling = block.get("managed_instance_scaling") or {}
    lines = [
        "recommendation (inference components):",
        f"  instance_type             {block.get('instance_type') or '-'}",
        f"  managed instance scaling  {_cell('', scaling.get('min_instance_count'))}.."
        f"{_cell('', scaling.get('max_instance_count'))}",
        f"  cost hourly               {_cell('hourly', block.get('hourly_cost_usd'))}",
    ]
    for model in block.get("models") or []:
        compute = model.get("compute_per_copy") or {}
        lines.append(
            f"  {model.get('model_name')}: copies {_cell('', model.get('min_copies'))}.."
            f"{_cell('', model.get('max_copies'))}, target {_cell('', model.get('target_value'))} concurrent "
            f"per copy, {_cell('', compute.get('accelerators'))} accelerator(s) and "
            f"{_cell('', compute.get('memory_mb'))} MiB per copy, "
            f"{_cell('', model.get('requests_per_s_per_copy'))} req/s per copy, cost share "
            f"{_cell('hourly', model.get('hourly_cost_share_usd'))}/hour"
        )
    return lines


def _cell(key: str, value: Any) -> str:
    """A value of the table: money as the report writes it (core.cost.money), a count with its unit,
    anything else as given."""
    if value is None:
        return "-"
    name = key.rsplit(" ", 1)[-1]
    if name in MONEY_KEYS:
        try:
            money = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        return dollars(money, grouped=True) if money.is_finite() else str(value)
    if name in UNITS:
        return f"{value:g} {UNITS[name]}" if isinstance(value, int | float) else f"{value} {UNITS[name]}"
    return str(value)


@dataclass(frozen=True)
class Outcome:
    status: str
    headline: str

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


def outcome(data: dict[str, Any] | None, dag_exit_code: int) -> Outcome:
    """The run's outcome: recommendation.json's ``status`` and ``headline`` when the report wrote
    them; otherwise what the DAG run's exit code and the recommendation say."""
    if data is None:
        return Outcome("failed", "the run failed before its report was written: see the log")
    status = data.get("status")
    headline = data.get("headline")
    if not isinstance(status, str):
        rec = data.get("recommendation") or {}
        status = "failed" if dag_exit_code else ("recommended" if rec.get("instance_type") else "none")
    if dag_exit_code and status not in FAILED_STATUSES and not headline:
        # An older report without a headline: the run's own state is the truth.
        status = "failed"
    if not isinstance(headline, str) or not headline:
        headline = FALLBACK_HEADLINES.get(status, status)
    return Outcome(status, headline)
