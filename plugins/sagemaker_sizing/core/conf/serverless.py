"""The serverless fields of a sizing conf: the checks across fields (issue 17; each field's own
type is in ``core.conf.field_types``).

``core.conf.model`` calls these from ``load_conf``, so serverless problems come back with all the others,
each naming its field, before anything is deployed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sagemaker_sizing.core.conf.problems import Problem
from sagemaker_sizing.core.cost.instances import SERVERLESS_PRICE_KEY, CostTableError
from sagemaker_sizing.core.cost.serverless import load_serverless_prices


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
