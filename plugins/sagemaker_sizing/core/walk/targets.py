"""The formulas of a recommendation's numbers: instances for the peak, invocations targets."""

from __future__ import annotations

import math
from decimal import Decimal


def perfsize_target(peak_tps: float, max_instance_count: int) -> int:
    """perfsizesagemaker's ``int(peak_tps / max_count * 60 * 0.5)``, in Decimal as it computes it."""
    return int(Decimal(str(peak_tps)) / max_instance_count * 60 * Decimal("0.5"))


def aws_formula_target(max_rps_per_instance: float, safety_factor: float) -> int:
    """AWS's ``SageMakerVariantInvocationsPerInstance = int(max_rps * 60 * safety_factor)``."""
    return int(Decimal(str(max_rps_per_instance)) * 60 * Decimal(str(safety_factor)))


def instances_for(peak_tps: float, tps_per_instance: float) -> int:
    """ceil(peak / tps per instance), immune to float noise such as 60 / (60 / 7) = 7.000000001."""
    return math.ceil(round(peak_tps / tps_per_instance, 9))


def instances(count: int) -> str:
    """``1 instance``, ``2 instances``: a count of instances in the walks' explanations."""
    return f"{count} instance" if count == 1 else f"{count} instances"
