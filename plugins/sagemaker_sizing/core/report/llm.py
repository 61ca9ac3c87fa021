"""What an LLM sizing (workload llm) adds to the report: the answer in LLM terms.

``llm_summary`` picks the step that measured the recommended configuration (the endurance step
at the peak, else the lane's step at the rate per instance) and builds recommendation.json's
``llm`` block from it: the fleet, its autoscaling policy (metric and target), the requests/s one
instance holds, the output tokens/s the fleet streams at the peak, its TTFT and ITL p99, and the
cost per million output tokens (money by core.cost.money). The knee chart and the steps' columns
come from each step's row (core.report.render).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.cost.instances import HOURS_PER_MONTH, cost_per_million_tokens
from sagemaker_sizing.core.cost.money import usd
from sagemaker_sizing.core.model import PHASE_MAX

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.model import Recommendation, StepResult

# recommendation.json's ``llm`` block: exactly these keys, in this order.
LLM_BLOCK_KEYS = (
    "instance_type",
    "instance_count",
    "min_instance_count",
    "max_instance_count",
    "target_metric",
    "target_value",
    "requests_per_s_per_instance",
    "output_tokens_per_s",
    "ttft_p99_ms",
    "itl_p99_ms",
    "cost_per_1m_output_tokens_usd",
)


def llm_summary(conf: SizingConf, rec: Recommendation, results: Sequence[StepResult]) -> dict[str, Any]:
    """The ``llm`` part of the report: ``block`` (recommendation.json's ``llm``), the peak in
    requests/s and output tokens/s, the SLOs, where the numbers were measured, and the costs."""
    evidence = _evidence(rec, results)
    metrics = evidence.metrics if evidence is not None else {}
    count = rec.max_instance_count or rec.instance_count_needed
    tokens = _fleet_tokens_per_s(conf, rec, evidence)
    hourly = rec.hourly_cost_usd
    per_million = cost_per_million_tokens(hourly, tokens) if hourly is not None and tokens else None
    block = {
        "instance_type": rec.instance_type,
        "instance_count": count,
        "min_instance_count": rec.min_instance_count,
        "max_instance_count": rec.max_instance_count,
        "target_metric": rec.target_metric,
        "target_value": rec.target_value,
        "requests_per_s_per_instance": rec.tps_per_instance,
        "output_tokens_per_s": None if tokens is None else round(tokens, 1),
        "ttft_p99_ms": _p99(metrics, "ttft_ms"),
        "itl_p99_ms": _p99(metrics, "itl_ms"),
        "cost_per_1m_output_tokens_usd": None if per_million is None else usd(per_million),
    }
    return {
        "block": {key: block[key] for key in LLM_BLOCK_KEYS},
        "peak_rps": conf.peak_tps,
        "peak_output_tokens_per_s": conf.peak_output_tokens_per_s,
        "output_tokens_mean": conf.llm_output_tokens_mean,
        "slos": {
            "ttft_p99_ms": conf.ttft_p99_ms,
            "itl_p99_ms": conf.itl_p99_ms,
            "e2e_p99_ms": conf.latency_success_p99,
            "percent_fail": conf.percent_fail,
        },
        "measured_by": _measured_by(conf, rec, evidence, tokens),
        "costs": {
            "hourly": None if hourly is None else usd(hourly),
            "monthly": None if hourly is None else usd(hourly * HOURS_PER_MONTH),
            "per_million_output_tokens": None if per_million is None else usd(per_million),
        },
    }


def _evidence(rec: Recommendation, results: Sequence[StepResult]) -> StepResult | None:
    """The last passing measurement of the recommended configuration: the endurance step at the
    peak with the recommended count, else the autoscaling step at the recommended range that held
    the ramp and the peak (it proves the maximum), else the type's single-instance step at its rate."""
    measured = [
        r for r in results if r.passed and r.error is None and r.step.instance_type == rec.instance_type
    ]
    held = [
        r for r in measured if r.step.phase == PHASE_MAX and r.step.instance_count == rec.max_instance_count
    ]
    scaled = [
        r
        for r in measured
        if r.step.autoscaling
        and (r.step.scaling_min_instance_count, r.step.scaling_max_instance_count)
        == (rec.min_instance_count, rec.max_instance_count)
    ]
    lane = [
        r
        for r in measured
        if not r.step.autoscaling
        and r.step.instance_count == 1
        and r.step.steady_state_tps == rec.tps_per_instance
    ]
    found = held or scaled or lane
    return found[-1] if found else None


def _fleet_tokens_per_s(conf: SizingConf, rec: Recommendation, evidence: StepResult | None) -> float | None:
    """Output tokens/s of the recommended fleet at the peak: measured by the endurance step, else
    the peak rate x the output tokens per request the lane's step measured."""
    if evidence is None or rec.instance_type is None:
        return None
    metrics = evidence.metrics
    if evidence.step.phase == PHASE_MAX:
        return _number(metrics.get("output_tokens_per_s"))
    per_request = _number(metrics.get("output_tokens_mean"))
    return None if per_request is None else conf.peak_tps * per_request


def _measured_by(
    conf: SizingConf, rec: Recommendation, evidence: StepResult | None, tokens: float | None
) -> str | None:
    if evidence is None:
        return None
    where = f"round {evidence.round}, {evidence.step.describe()}"
    if evidence.step.phase == PHASE_MAX:
        return f"TTFT, ITL and output tokens/s measured at the peak by the endurance step ({where})"
    estimate = (
        ""
        if tokens is None
        else f"; output tokens/s estimated as {conf.peak_tps:g} req/s x the tokens per request it measured"
    )
    if evidence.step.autoscaling:
        by = "by the autoscaling endurance step"
        return f"TTFT and ITL measured over the ramp and the peak {by} ({where}){estimate}"
    return f"TTFT and ITL measured on one instance at {rec.tps_per_instance:g} req/s ({where}){estimate}"


def _p99(metrics: Mapping[str, Any], key: str) -> float | None:
    value = _number((metrics.get(key) or {}).get("p99"))
    return None if value is None else round(value, 1)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
