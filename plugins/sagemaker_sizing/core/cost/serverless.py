"""What a serverless endpoint costs a month, and the average TPS above which real-time is cheaper.

SageMaker Serverless Inference bills the memory of each request's container for the request's
duration (GB-seconds of compute) and the data processed (GB in plus GB out); provisioned
concurrency adds the memory it keeps warm, every second, and bills requests served by it at its own
(lower) compute rate. Prices per region are in ``resources/cost/serverless/<region>.json`` (source
and date in each file). Money in Decimal, as in ``core.cost.instances``.

The real-time endpoint costs the same every hour whatever the traffic; serverless costs grow with
the average TPS. Both are straight lines (serverless: one kink where traffic outgrows the
provisioned concurrency), so the break-even average TPS is found exactly, segment by segment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from sagemaker_sizing.core.cost.instances import COST_DIR, HOURS_PER_MONTH, CostTableError
from sagemaker_sizing.core.cost.money import dollars, exact

if TYPE_CHECKING:
    from pathlib import Path

SERVERLESS_COST_DIR = COST_DIR / "serverless"
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
BYTES_PER_GB = Decimal(1024**3)  # AWS bills data processed per GB of 2^30 bytes
MB_PER_GB = Decimal(1024)
_RATES = (
    "compute_per_gb_second",
    "data_per_gb",
    "provisioned_per_gb_second",
    "provisioned_compute_per_gb_second",
)


@dataclass(frozen=True)
class ServerlessPrices:
    compute_per_gb_second: Decimal  # on-demand inference duration
    data_per_gb: Decimal  # data processed, in and out each
    provisioned_per_gb_second: Decimal  # provisioned concurrency kept warm
    provisioned_compute_per_gb_second: Decimal  # inference duration on provisioned concurrency
    source: str = ""


def load_serverless_prices(region: str, path: Path | None = None) -> ServerlessPrices:
    """The region's serverless rates (``resources/cost/serverless/<region>.json``) or ``path``'s."""
    path = path if path is not None else SERVERLESS_COST_DIR / f"{region}.json"
    if not path.is_file():
        have = ", ".join(sorted(p.stem for p in SERVERLESS_COST_DIR.glob("*.json")))
        raise CostTableError(f"no serverless price table for region {region!r} (have {have})")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        rates = {name: Decimal(str(raw[name])) for name in _RATES}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, InvalidOperation) as exc:
        raise CostTableError(f"serverless price file {path}: expected {', '.join(_RATES)} ({exc!r})") from exc
    bad = [name for name, rate in rates.items() if not rate.is_finite() or rate < 0]
    if bad:
        raise CostTableError(f"serverless price file {path}: rates must be numbers >= 0: {', '.join(bad)}")
    return ServerlessPrices(**rates, source=str(raw.get("_source", "")))


@dataclass(frozen=True)
class ServerlessUsage:
    """What a month of traffic asks of a serverless configuration."""

    memory_size_mb: int
    duration_ms: float  # billed compute per request: the measured mean latency of a warm request
    bytes_per_request: float  # data processed per request, in + out
    provisioned_concurrency: int = 0


@dataclass(frozen=True)
class ServerlessMonthlyCost:
    average_tps: float
    compute: Decimal
    data: Decimal
    provisioned: Decimal

    @property
    def total(self) -> Decimal:
        return self.compute + self.data + self.provisioned


def _per_request(prices: ServerlessPrices, usage: ServerlessUsage) -> tuple[Decimal, Decimal, Decimal]:
    """(on-demand compute, provisioned compute, data) USD per request."""
    gb_seconds = Decimal(usage.memory_size_mb) / MB_PER_GB * Decimal(str(usage.duration_ms)) / 1000
    data = Decimal(str(usage.bytes_per_request)) / BYTES_PER_GB * prices.data_per_gb
    return (
        gb_seconds * prices.compute_per_gb_second,
        gb_seconds * prices.provisioned_compute_per_gb_second,
        data,
    )


def provisioned_monthly(prices: ServerlessPrices, usage: ServerlessUsage) -> Decimal:
    """Provisioned concurrency kept warm all month (0 without it)."""
    gb = Decimal(usage.memory_size_mb) / MB_PER_GB * usage.provisioned_concurrency
    return gb * prices.provisioned_per_gb_second * SECONDS_PER_MONTH


def provisioned_tps(usage: ServerlessUsage) -> float:
    """The average TPS the provisioned concurrency serves (Little's law: concurrency / duration)."""
    if usage.provisioned_concurrency <= 0 or usage.duration_ms <= 0:
        return 0.0
    return usage.provisioned_concurrency * 1000.0 / usage.duration_ms


def serverless_monthly_cost(
    prices: ServerlessPrices, usage: ServerlessUsage, average_tps: float
) -> ServerlessMonthlyCost:
    """A month at ``average_tps``: requests up to what the provisioned concurrency serves are billed
    at its compute rate, the rest on demand; data processed for every request."""
    on_demand, on_provisioned, data = _per_request(prices, usage)
    warm_tps = min(average_tps, provisioned_tps(usage))
    cold_tps = average_tps - warm_tps
    seconds = SECONDS_PER_MONTH
    compute = (Decimal(str(warm_tps)) * on_provisioned + Decimal(str(cold_tps)) * on_demand) * seconds
    return ServerlessMonthlyCost(
        average_tps=average_tps,
        compute=compute,
        data=Decimal(str(average_tps)) * data * seconds,
        provisioned=provisioned_monthly(prices, usage),
    )


def break_even_average_tps(
    prices: ServerlessPrices, usage: ServerlessUsage, realtime_monthly: Decimal
) -> float | None:
    """The average TPS at which serverless costs as much as the real-time endpoint's month; above
    it real-time is cheaper. 0 when serverless costs more even with no traffic; None when serverless
    gets no dearer with traffic (every rate zero)."""
    on_demand, on_provisioned, data = _per_request(prices, usage)
    seconds = SECONDS_PER_MONTH
    fixed = provisioned_monthly(prices, usage)
    if fixed >= realtime_monthly:
        return 0.0
    kink = Decimal(str(provisioned_tps(usage)))
    # Segment 1: up to the kink, every request on provisioned concurrency.
    slope_warm = (on_provisioned + data) * seconds
    if kink > 0 and slope_warm > 0:
        tps = (realtime_monthly - fixed) / slope_warm
        if tps <= kink:
            return float(tps)
    at_kink = fixed + kink * slope_warm
    slope_cold = (on_demand + data) * seconds
    if slope_cold <= 0:
        return None
    return float(kink + (realtime_monthly - at_kink) / slope_cold)


def explain(prices: ServerlessPrices, usage: ServerlessUsage, cost: ServerlessMonthlyCost) -> str:
    """The monthly cost's arithmetic, in words (for the report)."""
    gb = Decimal(usage.memory_size_mb) / MB_PER_GB
    lines = [
        f"compute: {cost.average_tps:g} req/s x {usage.duration_ms:.1f} ms x {gb} GB x 730 h "
        f"at ${exact(prices.compute_per_gb_second)}/GB-s "
        f"(${exact(prices.provisioned_compute_per_gb_second)}/GB-s "
        f"on provisioned concurrency) = {dollars(cost.compute)}",
        f"data processed: {cost.average_tps:g} req/s x {usage.bytes_per_request:g} bytes x 730 h "
        f"at ${exact(prices.data_per_gb)}/GB = {dollars(cost.data)}",
    ]
    if usage.provisioned_concurrency:
        lines.append(
            f"provisioned concurrency: {usage.provisioned_concurrency} x {gb} GB x 730 h at "
            f"${exact(prices.provisioned_per_gb_second)}/GB-s = {dollars(cost.provisioned)}"
        )
    lines.append(f"monthly total: {dollars(cost.total)}")
    return "\n".join(lines)
