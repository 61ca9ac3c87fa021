"""What a sizing of inference components answers (``Recommendation.components``): the instance type,
managed instance scaling's bounds, and per model its compute per copy, copies, autoscaling target
and share of the cost."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# Target tracking of a component's copy count: the requests in flight per copy, every 10 s.
COPY_CONCURRENCY_METRIC = "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"


@dataclass(frozen=True)
class ModelAnswer:
    """One model's component: its compute per copy and what the walk measured and chose."""

    model_name: str
    accelerators: float | None
    cpu_cores: float | None
    memory_mb: int
    copies_per_instance: int  # copies of this model alone one instance holds
    requests_per_s_per_copy: float | None  # the highest rate one copy held within the SLOs
    peak_rps: float
    copies_needed: int | None  # ceil(peak / rate per copy), before endurance
    min_copies: int | None
    max_copies: int | None
    target_value: float | None  # concurrent requests per copy (COPY_CONCURRENCY_METRIC)
    hourly_cost_share_usd: Decimal | None  # its share of the fleet's hourly cost (see cost_shares)

    def to_dict(self) -> dict[str, Any]:
        from sagemaker_sizing.core.cost.money import usd

        return {
            "model_name": self.model_name,
            "compute_per_copy": {
                "accelerators": self.accelerators,
                "cpu_cores": self.cpu_cores,
                "memory_mb": self.memory_mb,
            },
            "copies_per_instance": self.copies_per_instance,
            "requests_per_s_per_copy": self.requests_per_s_per_copy,
            "peak_rps": self.peak_rps,
            "min_copies": self.min_copies,
            "max_copies": self.max_copies,
            "target_metric": COPY_CONCURRENCY_METRIC,
            "target_value": self.target_value,
            "hourly_cost_share_usd": None
            if self.hourly_cost_share_usd is None
            else usd(self.hourly_cost_share_usd),
        }


@dataclass(frozen=True)
class ComponentsAnswer:
    """The endpoint: its type, managed instance scaling's bounds, the copies on each instance at
    the peak (model names, one per copy), and its models."""

    instance_type: str
    min_instance_count: int | None
    max_instance_count: int
    models: tuple[ModelAnswer, ...]
    packing: tuple[tuple[str, ...], ...] = ()
    hourly_cost_usd: Decimal | None = None
    # Every type whose lanes held every model: the instances its copies for the peaks pack on
    # (before endurance), the comparison the walk made.
    fleets: tuple[tuple[str, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        from sagemaker_sizing.core.cost.money import usd

        return {
            "instance_type": self.instance_type,
            "managed_instance_scaling": {
                "min_instance_count": self.min_instance_count,
                "max_instance_count": self.max_instance_count,
            },
            "hourly_cost_usd": None if self.hourly_cost_usd is None else usd(self.hourly_cost_usd),
            "packing": [list(instance) for instance in self.packing],
            "models": [m.to_dict() for m in self.models],
        }


def cost_shares(hourly: Decimal, reserved: list[float]) -> list[Decimal]:
    """Each model's share of ``hourly``: in proportion to what its copies reserve at the peak
    (``reserved``: copies x accelerators, or memory when a model names no accelerator), the way a
    team splits a shared endpoint's bill; to the cent, summing to ``hourly``."""
    total = sum(reserved)
    if total <= 0:
        return [Decimal(0) for _ in reserved]
    shares = [(hourly * Decimal(str(r)) / Decimal(str(total))).quantize(Decimal("0.0001")) for r in reserved]
    shares[-1] = hourly - sum(shares[:-1], Decimal(0))  # what rounding left goes to the last
    return shares
