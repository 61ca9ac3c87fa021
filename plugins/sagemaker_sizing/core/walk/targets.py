"""The formulas of a recommendation's numbers: instances for the peak, autoscaling targets."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

# The predefined metrics a target-tracking policy can follow (Application Auto Scaling's
# PredefinedMetricType): invocations per instance per minute, or (an LLM's) the requests in flight
# per instance, queued ones included, reported every 10 s.
INVOCATIONS_METRIC = "SageMakerVariantInvocationsPerInstance"
CONCURRENCY_METRIC = "SageMakerVariantConcurrentRequestsPerModelHighResolution"


def perfsize_target(peak_tps: float, max_instance_count: int) -> int:
    """perfsizesagemaker's ``int(peak_tps / max_count * 60 * 0.5)``, in Decimal as it computes it."""
    return int(Decimal(str(peak_tps)) / max_instance_count * 60 * Decimal("0.5"))


def aws_formula_target(max_rps_per_instance: float, safety_factor: float) -> int:
    """AWS's ``SageMakerVariantInvocationsPerInstance = int(max_rps * 60 * safety_factor)``."""
    return int(Decimal(str(max_rps_per_instance)) * 60 * Decimal(str(safety_factor)))


def instances_for(peak_tps: float, tps_per_instance: float) -> int:
    """ceil(peak / tps per instance), immune to float noise such as 60 / (60 / 7) = 7.000000001."""
    return math.ceil(round(peak_tps / tps_per_instance, 9))


def concurrency_per_instance(rate: float, metrics: Mapping[str, Any], fallback_latency_ms: float) -> float:
    """Requests in flight on one instance at ``rate`` requests/s (Little's law: rate x mean time in
    the system), from a one-instance step's metrics: its ``concurrency_mean`` (AIPerf's offered
    rate x mean end-to-end seconds), else ``rate`` x its mean (or median) end-to-end latency, else
    ``rate`` x ``fallback_latency_ms`` (the end-to-end limit: an upper bound)."""
    measured = _positive(metrics.get("concurrency_mean"))
    if measured is not None:
        return measured
    e2e = metrics.get("e2e_ms") or {}
    mean_ms = _positive(e2e.get("mean")) or _positive(e2e.get("p50")) or fallback_latency_ms
    return rate * mean_ms / 1000


def concurrency_target(concurrency: float, safety_factor: float) -> float:
    """The target of ``CONCURRENCY_METRIC``: ``safety_factor`` x the concurrency one instance held at
    its highest passing rate, to two decimals (a policy's TargetValue is a double), at least 0.01."""
    value = Decimal(str(concurrency)) * Decimal(str(safety_factor))
    return max(0.01, float(value.quantize(Decimal("0.01"))))


def _positive(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


def instances(count: int) -> str:
    """``1 instance``, ``2 instances``: a count of instances in the walks' explanations."""
    return f"{count} instance" if count == 1 else f"{count} instances"
