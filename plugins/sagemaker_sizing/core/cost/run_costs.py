"""What a run's answer costs and what its tests cost: the ``costs`` mapping of the report."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.cost.instances import cost_breakdown, hourly_cost, load_test_cost
from sagemaker_sizing.core.simulate.dry_run import instance_minutes, load_test_minutes, steps_by_round

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.model import Recommendation, StepResult


def run_costs(conf: SizingConf, rec: Recommendation, results: Sequence[StepResult]) -> dict[str, Any]:
    """Money as strings (exact Decimals); keys as ``core.report.render.render_report`` documents them."""
    prices = conf.price_table
    out: dict[str, Any] = {}
    count = rec.max_instance_count or rec.instance_count_needed
    if rec.instance_type is not None and count:
        breakdown = cost_breakdown(rec.instance_type, count, prices[rec.instance_type], conf.peak_tps)
        out |= {
            "price_per_instance_hour": breakdown.price_per_instance_hour,
            "hourly": breakdown.hourly,
            "daily": breakdown.daily,
            "monthly": breakdown.monthly,
            "annual": breakdown.annual,
            "per_million_inferences": breakdown.per_million_inferences,
        }
        if rec.min_instance_count is not None:
            min_hourly = hourly_cost(prices[rec.instance_type], rec.min_instance_count)
            out |= {"min_hourly": min_hourly, "min_monthly": min_hourly * 730}
    out["per_type"] = per_type_costs(conf, results) if rec.components is None else fleet_costs(conf, rec)
    steps = [r.step for r in results]
    out["test_cost_usd"] = load_test_cost(steps, prices)
    out["load_test_minutes"] = load_test_minutes(steps_by_round(results))
    out["instance_minutes"] = instance_minutes(steps)
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in out.items()}


def fleet_costs(conf: SizingConf, rec: Recommendation) -> dict[str, dict[str, Any]]:
    """An endpoint of inference components: each type's packed fleet for every model's peak (the
    requests/s per instance are the peaks over those instances)."""
    assert rec.components is not None
    return {
        t: {
            "tps_per_instance": conf.peak_tps / instances,
            "instances": instances,
            "hourly": str(hourly_cost(conf.price(t), instances)),
        }
        for t, instances in rec.components.fleets
        if instances
    }


def per_type_costs(conf: SizingConf, results: Sequence[StepResult]) -> dict[str, dict[str, Any]]:
    """For each candidate type that passed a fixed step: its best TPS per instance, and the hourly
    cost of the instances the peak would need at that rate (the comparison the walk makes)."""
    out: dict[str, dict[str, Any]] = {}
    for instance_type in conf.type_walk:
        best = max(
            (
                r.step.steady_state_tps / r.step.instance_count
                for r in results
                if r.passed and not r.step.autoscaling and r.step.instance_type == instance_type
            ),
            default=None,
        )
        if best:
            instances = math.ceil(conf.peak_tps / best)
            out[instance_type] = {
                "tps_per_instance": best,
                "instances": instances,
                "hourly": str(hourly_cost(conf.price(instance_type), instances)),
            }
    return out
