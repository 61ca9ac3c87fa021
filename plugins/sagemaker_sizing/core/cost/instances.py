"""Cost tables and cost math, in Decimal (floats never touch money).

Prices are on-demand USD per instance-hour from ``resources/cost/<region>.json`` (see the README
there for their date and source) or from a user's ``cost_file``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from sagemaker_sizing.core.cost.money import dollars, exact
from sagemaker_sizing.paths import RESOURCES_DIR

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    from sagemaker_sizing.core.model import StepConfig

COST_DIR = RESOURCES_DIR / "cost"
HOURS_PER_DAY = Decimal(24)
HOURS_PER_MONTH = Decimal(730)  # AWS's convention: 8760 h / 12
HOURS_PER_YEAR = Decimal(8760)
MINUTES_PER_HOUR = Decimal(60)
# In a conf's price table when it sizes serverless: the on-demand compute price per GB-hour.
SERVERLESS_PRICE_KEY = "serverless-gb-hour"


class CostTableError(ValueError):
    """A cost table is missing or unreadable; the message names the file."""


def available_regions() -> list[str]:
    return sorted(p.stem for p in COST_DIR.glob("*.json"))


def load_cost_table(region: str, cost_file: Path | None = None) -> dict[str, Decimal]:
    """Price per instance-hour by ml.* type: ``cost_file`` if given, else the region's table."""
    path = cost_file if cost_file is not None else COST_DIR / f"{region}.json"
    if not path.is_file():
        if cost_file is None:
            raise CostTableError(
                f"no cost table for region {region!r} (have {', '.join(available_regions())}); pass cost_file"
            )
        raise CostTableError(f"cost file {path} does not exist")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CostTableError(f"cost file {path} is not readable JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise CostTableError(f"cost file {path}: expected an object of type -> hourly price")
    table: dict[str, Decimal] = {}
    for name, value in raw.items():
        if name.startswith("_"):  # metadata keys such as "_source"
            continue
        try:
            # str() first: Decimal(0.115) would carry the float's binary error into money.
            price = Decimal(str(value))
        except InvalidOperation as exc:
            raise CostTableError(f"cost file {path}: price of {name} is not a number: {value!r}") from exc
        if isinstance(value, bool) or not price.is_finite() or price < 0:
            raise CostTableError(f"cost file {path}: price of {name} must be >= 0, got {value!r}")
        table[name] = price
    return table


@dataclass(frozen=True)
class CostBreakdown:
    """What a fixed configuration costs; ``per_million_inferences`` assumes peak TPS all the time."""

    instance_type: str
    instance_count: int
    price_per_instance_hour: Decimal
    hourly: Decimal
    daily: Decimal
    monthly: Decimal
    annual: Decimal
    per_million_inferences: Decimal | None

    def explain(self) -> str:
        noun = "instance" if self.instance_count == 1 else "instances"
        price = exact(self.price_per_instance_hour)
        return (
            f"{self.instance_count} {noun} of {self.instance_type} at ${price}/hour:\n"
            f"hourly = {self.instance_count} * {price} = {dollars(self.hourly)}/hour\n"
            f"daily = 24 hours * {exact(self.hourly)} = {dollars(self.daily)}/day\n"
            f"monthly = 730 hours * {exact(self.hourly)} = {dollars(self.monthly)}/month\n"
            f"annual = 8760 hours * {exact(self.hourly)} = {dollars(self.annual)}/year"
        )


def hourly_cost(price_per_instance_hour: Decimal, instance_count: int) -> Decimal:
    return price_per_instance_hour * instance_count


def cost_breakdown(
    instance_type: str,
    instance_count: int,
    price_per_instance_hour: Decimal,
    peak_tps: float | None = None,
) -> CostBreakdown:
    hourly = hourly_cost(price_per_instance_hour, instance_count)
    per_million = None
    if peak_tps:
        inferences_per_hour = Decimal(str(peak_tps)) * 3600
        per_million = (hourly / inferences_per_hour * 1_000_000).quantize(Decimal("0.000001"))
    return CostBreakdown(
        instance_type=instance_type,
        instance_count=instance_count,
        price_per_instance_hour=price_per_instance_hour,
        hourly=hourly,
        daily=hourly * HOURS_PER_DAY,
        monthly=hourly * HOURS_PER_MONTH,
        annual=hourly * HOURS_PER_YEAR,
        per_million_inferences=per_million,
    )


def cost_per_million_tokens(hourly: Decimal, tokens_per_s: float) -> Decimal | None:
    """What a fleet costing ``hourly`` pays per million output tokens when it streams
    ``tokens_per_s`` all hour (an LLM endpoint at its peak); None without tokens."""
    if not tokens_per_s or tokens_per_s <= 0:
        return None
    tokens_per_hour = Decimal(str(tokens_per_s)) * 3600
    return (hourly / tokens_per_hour * 1_000_000).quantize(Decimal("0.000001"))


def step_instance_minutes(step: StepConfig) -> Decimal:
    """Instances x load minutes; an autoscaling step counts its maximum (an upper bound); a
    serverless step has no instances."""
    if step.serverless:
        return Decimal(0)
    count = step.scaling_max_instance_count if step.autoscaling else step.instance_count
    return Decimal(count or 0) * Decimal(str(step.load_minutes))


def step_test_cost(step: StepConfig, prices: Mapping[str, Decimal]) -> Decimal:
    """Estimated cost of one step's load (deploy time not included), in USD.

    A serverless step: an upper bound, every concurrent slot busy for the whole load, at the
    serverless compute price per GB-hour the conf puts under ``SERVERLESS_PRICE_KEY``."""
    if step.serverless:
        gb = Decimal(step.memory_size_mb or 0) / 1024 * (step.max_concurrency or 0)
        minutes = Decimal(str(step.load_minutes))
        return gb * minutes * prices.get(SERVERLESS_PRICE_KEY, Decimal(0)) / MINUTES_PER_HOUR
    return step_instance_minutes(step) * prices[step.instance_type] / MINUTES_PER_HOUR


def load_test_cost(steps: Iterable[StepConfig], prices: Mapping[str, Decimal]) -> Decimal:
    return sum((step_test_cost(step, prices) for step in steps), Decimal(0))
