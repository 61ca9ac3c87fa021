"""Where each price comes from, and live prices from the AWS Price List API (``GetProducts``).

A price's source is stated in the report: the bundled table of the region (with the date of its
prices; tables marked as estimates stay marked), a user's ``cost_file``, or the Price List API on a
given day. Live prices are cached per day as a cost table (``<results root>/.prices/<region>-<day>.json``)
that the run then uses as its ``cost_file``; types the Price List does not answer keep the
bundled price, and say so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.cost.money import exact

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

PRICE_LIST = "AWS Price List API"
# Real-time hosting in GetProducts' usage types: "USE1-Host:ml.g5.xlarge" (training is "Train:",
# notebooks "Notebk:", batch transform "Tsform:"); "Hosting:" read too.
_HOSTING_USAGE = re.compile(r"(?:^|-)Host(?:ing)?:(ml\.[A-Za-z0-9.-]+)$")
# The bundled tables (resources/cost/README.md says the same): (date of the prices, estimate?).
BUNDLED: dict[str, tuple[str, bool]] = {
    "us-west-2": ("2021-08-04", False),
    "us-east-1": ("2021-08-04", False),
    "eu-west-1": ("derived 2025 from us-west-2 x 1.11", True),
}
SOURCES_KEY = "_sources"  # per-type source in a cached table (load_cost_table skips "_" keys)
# Types of a bundled table whose prices are estimates: {"date", "note", "types"} (the GPU and
# accelerator types added for LLM sizing, issue 24).
ESTIMATED_KEY = "_estimated"


@dataclass(frozen=True)
class PriceSource:
    source: str
    date: str
    estimate: bool = False

    def describe(self) -> str:
        marked = self.estimate and "estimate" not in self.date
        return f"{self.source}, {self.date}" + (", estimate" if marked else "")


def table_source(region: str, cost_file: str | None) -> PriceSource:
    if cost_file:
        return PriceSource(f"cost_file {cost_file}", "date not stated")
    date, estimate = BUNDLED.get(region, ("date unknown", False))
    return PriceSource(f"bundled table resources/cost/{region}.json", date, estimate)


def type_sources(region: str, cost_file: str | None, types: Iterable[str]) -> dict[str, PriceSource]:
    """Each type's source in the table a run uses without live prices: the region's (its estimated
    types marked so, with their date) or the conf's cost file."""
    fallback = table_source(region, cost_file)
    estimated = {} if cost_file else _estimated(region)
    return {t: estimated.get(t, fallback) for t in types}


def _estimated(region: str) -> dict[str, PriceSource]:
    from sagemaker_sizing.core.cost.instances import COST_DIR

    try:
        marked = json.loads((COST_DIR / f"{region}.json").read_text()).get(ESTIMATED_KEY) or {}
    except (OSError, ValueError):
        return {}
    source = f"bundled table resources/cost/{region}.json"
    date = f"estimate, not checked against the price list on {marked.get('date', 'an unknown date')}"
    return {str(t): PriceSource(source, date, estimate=True) for t in marked.get("types", ())}


def price_notes(prices: Iterable[tuple[str, Decimal]], sources: Mapping[str, PriceSource]) -> list[str]:
    """One line per price for the report: type, price, source and date."""
    return [
        f"price of {t}: ${exact(p)}/hour ({sources[t].describe()})"
        if t in sources
        else f"price of {t}: ${exact(p)}/hour"
        for t, p in prices
    ]


def parse_price_list(price_list: Iterable[str | Mapping[str, Any]], region: str) -> dict[str, Decimal]:
    """On-demand hourly USD of SageMaker real-time hosting instances from GetProducts' ``PriceList``
    (each item a JSON document: ``product.attributes`` and ``terms.OnDemand``)."""
    prices: dict[str, Decimal] = {}
    for item in price_list:
        document = json.loads(item) if isinstance(item, str) else item
        attributes = document.get("product", {}).get("attributes", {})
        hosting = _HOSTING_USAGE.search(str(attributes.get("usagetype", "")))
        component = str(attributes.get("component", "Hosting"))
        if not hosting or component.lower() != "hosting" or attributes.get("regionCode", region) != region:
            continue  # training, notebooks, batch transform, other regions
        instance_type = str(attributes.get("instanceName") or hosting.group(1))
        if not instance_type.startswith("ml."):
            continue
        for term in document.get("terms", {}).get("OnDemand", {}).values():
            for dimension in term.get("priceDimensions", {}).values():
                if str(dimension.get("unit", "")).lower() not in ("hrs", "hours", "hour"):
                    continue
                try:
                    price = Decimal(str(dimension["pricePerUnit"]["USD"]))
                except (KeyError, InvalidOperation):
                    continue
                if price > 0:
                    prices[instance_type] = price
    return prices


def cache_path(root: Path, region: str, day: str) -> Path:
    return root / ".prices" / f"{region}-{day}.json"


def write_cache(path: Path, live: Mapping[str, Decimal], bundled: Mapping[str, Decimal], day: str) -> Path:
    """A cost table: live prices, bundled ones where the Price List had none; each with its source."""
    table: dict[str, Any] = {t: str(p) for t, p in bundled.items()}
    table.update({t: str(p) for t, p in live.items()})
    table[SOURCES_KEY] = {t: f"{PRICE_LIST}|{day}" for t in live}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(table, indent=1, sort_keys=True))
    return path


def cached_sources(path: Path, fallback: PriceSource) -> dict[str, PriceSource]:
    """Per-type sources of a cached table (types without one: ``fallback``, the bundled table)."""
    raw = json.loads(path.read_text()).get(SOURCES_KEY, {})
    sources = {}
    for instance_type, text in raw.items():
        source, _, date = str(text).partition("|")
        sources[instance_type] = PriceSource(source, date)
    table = json.loads(path.read_text())
    return {t: sources.get(t, fallback) for t in table if not t.startswith("_")}
