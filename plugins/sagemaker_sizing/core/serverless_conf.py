"""The serverless fields of a sizing conf: parsing and the checks across fields (issue 17).

``core.conf`` calls these from ``load_conf``, so serverless problems come back with all the others,
each naming its field, before anything is deployed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sagemaker_sizing.core.conf_fields import ENDPOINT_KINDS
from sagemaker_sizing.core.cost import SERVERLESS_PRICE_KEY, CostTableError
from sagemaker_sizing.core.problems import Problem
from sagemaker_sizing.core.serverless_cost import load_serverless_prices

MEMORY_SIZES_MB = (1024, 2048, 3072, 4096, 5120, 6144)  # what SageMaker accepts for MemorySizeInMB


def _items(value: Any) -> list[Any] | None:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",")]
    if isinstance(value, list | tuple):
        return list(value)
    return None


def parse_endpoint_kinds(value: Any, problems: list[Problem]) -> tuple[str, ...] | None:

    items = _items(value)
    expected = f"a comma-separated string or list of {' and/or '.join(ENDPOINT_KINDS)}"
    if not items or items == [""] or any(item not in ENDPOINT_KINDS for item in items):
        problems.append(Problem("endpoint_kinds", value, expected))
        return None
    return tuple(kind for kind in ENDPOINT_KINDS if kind in items)  # canonical order, no repeats


def parse_memory_walk(value: Any, problems: list[Problem]) -> tuple[int, ...] | None:

    items = _items(value)
    expected = f"memory sizes in MB, each one of {', '.join(map(str, MEMORY_SIZES_MB))}"
    if not items or items == [""]:
        problems.append(Problem("serverless_memory_walk", value, expected))
        return None
    sizes: list[int] = []
    for item in items:
        try:
            size = int(str(item).strip()) if not isinstance(item, bool) else None
        except ValueError:
            size = None
        if size not in MEMORY_SIZES_MB:
            problems.append(Problem("serverless_memory_walk", value, f"{expected}; {item!r} is not"))
            return None
        assert size is not None
        sizes.append(size)
    return tuple(sorted(set(sizes)))


def check_serverless(parsed: dict[str, Any], problems: list[Problem]) -> None:
    """Checks across fields; sets ``serverless_prices`` when serverless is sized."""

    provisioned = parsed.get("serverless_provisioned_concurrency")
    maximum = parsed.get("serverless_max_concurrency")
    if provisioned is not None and maximum is not None and provisioned > maximum:
        problems.append(
            Problem(
                "serverless_provisioned_concurrency",
                provisioned,
                f"at most serverless_max_concurrency ({maximum})",
            )
        )
    average, peak = parsed.get("average_tps"), parsed.get("peak_tps")
    if average is not None and peak is not None and average > peak:
        problems.append(Problem("average_tps", average, f"at most peak_tps ({peak:g})"))
    if "serverless" in (parsed.get("endpoint_kinds") or ()) and "region" in parsed:
        try:
            prices = load_serverless_prices(parsed["region"])
            parsed["serverless_prices"] = prices
            if "prices" in parsed:  # the load-test budget prices serverless steps per GB-hour
                per_gb_hour = prices.compute_per_gb_second * 3600
                parsed["prices"] = (*parsed["prices"], (SERVERLESS_PRICE_KEY, per_gb_hour))
        except CostTableError as exc:
            problems.append(Problem("region", parsed["region"], f"a region with serverless prices ({exc})"))


def request_bytes(paths: tuple[tuple[str, float], ...]) -> float:
    """Weighted mean size of the scenario's request bodies (what each request sends)."""
    total = sum(weight for _, weight in paths) or 1.0
    return sum(Path(path).stat().st_size * weight for path, weight in paths) / total
