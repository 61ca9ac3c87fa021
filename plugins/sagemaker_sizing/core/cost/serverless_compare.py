"""Serverless vs real-time: each kind's configuration, latency and monthly cost at the stated traffic,
and the break-even average TPS (the ``serverless`` object of recommendation.json and the report's
section). Computed once here; the report and the dry run print these numbers, never re-derive them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.cost.instances import HOURS_PER_MONTH
from sagemaker_sizing.core.cost.money import dollars, usd
from sagemaker_sizing.core.cost.serverless import (
    ServerlessUsage,
    break_even_average_tps,
    explain,
    serverless_monthly_cost,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from decimal import Decimal

    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.model import Recommendation
    from sagemaker_sizing.core.walk.replay import ServerlessFindings

# Data processed is billed in and out; the response size is not measured, so it is taken as the
# request's size (stated in the report).
RESPONSE_TO_REQUEST_BYTES = 1.0
CHART_POINTS = 9


def usage_of(conf: SizingConf, found: ServerlessFindings) -> ServerlessUsage | None:
    if found.memory_size_mb is None or found.mean_latency_ms is None:
        return None
    sent = conf.request_bytes()
    return ServerlessUsage(
        memory_size_mb=found.memory_size_mb,
        duration_ms=found.mean_latency_ms,
        bytes_per_request=sent * (1 + RESPONSE_TO_REQUEST_BYTES),
        provisioned_concurrency=found.provisioned_concurrency or 0,
    )


def realtime_monthly(rec: Recommendation | None) -> Decimal | None:
    """The recommended real-time endpoint's month: its hourly cost (at the count that held the peak)
    x 730 hours; it costs that whatever the average traffic."""
    if rec is None or rec.hourly_cost_usd is None:
        return None
    return rec.hourly_cost_usd * HOURS_PER_MONTH


def compare(
    conf: SizingConf,
    rec: Recommendation | None,
    found: ServerlessFindings | None,
    *,
    realtime_p99_ms: float | None = None,
) -> dict[str, Any] | None:
    """The ``serverless`` object: None when the conf does not size serverless. ``realtime_p99_ms``:
    the p99 the recommended real-time fleet measured at peak TPS (its endurance step), if any."""
    if not conf.sizes_serverless:
        return None
    found_dict = found.to_dict() if found is not None else {}
    out: dict[str, Any] = {
        "memory_size_mb": found_dict.get("memory_size_mb"),
        "max_concurrency": found_dict.get("max_concurrency"),
        "provisioned_concurrency": found_dict.get("provisioned_concurrency"),
        "p99_ms": _ms(found_dict.get("p99_ms")),
        "cold_start_p99_ms": _ms(found_dict.get("cold_start_p99_ms")),
        "cold_start_met_slos": found_dict.get("cold_start_passed"),
        "cold_start_tps": found_dict.get("cold_start_tps"),
        "idle_minutes": found_dict.get("idle_minutes"),
        "realtime_p99_ms": _ms(realtime_p99_ms) if rec is not None and rec.instance_type else None,
        "average_tps": conf.monthly_average_tps,
        "peak_tps": conf.peak_tps,
        "monthly_cost_usd": None,
        "monthly_cost_at_peak_usd": None,
        "realtime_monthly_cost_usd": None,
        "break_even_average_tps": None,
        "cheaper": None,
        "cost_explanation": None,
        "explanation": found_dict.get("explanation", []),
        "chart": None,
    }
    prices = conf.serverless_prices
    usage = usage_of(conf, found) if found is not None and found.max_concurrency is not None else None
    rt_month = realtime_monthly(rec)
    if rt_month is not None:
        out["realtime_monthly_cost_usd"] = usd(rt_month)
    if prices is None or usage is None:
        return out
    month = serverless_monthly_cost(prices, usage, conf.monthly_average_tps)
    out["monthly_cost_usd"] = usd(month.total)
    out["monthly_cost_at_peak_usd"] = usd(serverless_monthly_cost(prices, usage, conf.peak_tps).total)
    out["cost_explanation"] = explain(prices, usage, month)
    out["chart"] = chart_series(conf, rec, found)
    if rt_month is not None:
        even = break_even_average_tps(prices, usage, rt_month)
        out["break_even_average_tps"] = None if even is None else round(even, 3)
        out["cheaper"] = "serverless" if month.total < rt_month else "realtime"
    return out


def chart_series(
    conf: SizingConf, rec: Recommendation | None, found: ServerlessFindings | None
) -> dict[str, Any] | None:
    """Monthly cost of each kind against the average TPS, 0 to the peak (for the report's chart)."""
    prices = conf.serverless_prices
    usage = usage_of(conf, found) if found is not None and found.max_concurrency is not None else None
    if prices is None or usage is None:
        return None
    rt_month = realtime_monthly(rec)
    xs = [conf.peak_tps * i / (CHART_POINTS - 1) for i in range(CHART_POINTS)]
    return {
        "average_tps": xs,
        "serverless": [float(serverless_monthly_cost(prices, usage, x).total) for x in xs],
        "realtime": None if rt_month is None else [float(rt_month)] * len(xs),
    }


def summary(serverless: Mapping[str, Any]) -> str:
    """One line for the logs: the configuration, its costs and the break-even."""
    if serverless.get("max_concurrency") is None:
        return "no serverless configuration met the requirements"
    text = f"{serverless['memory_size_mb']} MB, max concurrency {serverless['max_concurrency']}"
    if serverless.get("provisioned_concurrency"):
        text += f", provisioned {serverless['provisioned_concurrency']}"
    text += f", p99 {serverless['p99_ms']} ms, cold-start p99 {serverless['cold_start_p99_ms']} ms"
    text += f", {dollars(serverless['monthly_cost_usd'])}/month at {serverless['average_tps']:g} TPS average"
    if serverless.get("break_even_average_tps") is not None:
        text += f" (real-time {dollars(serverless['realtime_monthly_cost_usd'])}/month; break-even "
        text += f"{serverless['break_even_average_tps']:g} TPS: {serverless['cheaper']} is cheaper)"
    return text


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
