"""A capacity model: the known true answer a dry run walks against (no deployment, no load).

File shape: ``{"true_tps_per_instance": {"ml.m5.large": 38}, "total_capacity_overrides":
{"ml.m5.large": {"10": 290}}, "autoscale": {"ramp_factor": 0.5}}``, and optionally a
``serverless`` profile (``core.simulate.serverless_capacity``) for the serverless phase.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.simulate.serverless_capacity import (
    ServerlessCapacity,
    serverless_capacity_from_dict,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from sagemaker_sizing.core.model import StepConfig


class CapacityModelError(ValueError):
    """An unreadable or malformed capacity file; the message names the file and the key."""


@dataclass(frozen=True)
class CapacityModel:
    true_tps_per_instance: Mapping[str, float]
    total_capacity_overrides: Mapping[str, Mapping[int, float]] = field(default_factory=dict)
    ramp_factor: float = 0.5
    serverless: ServerlessCapacity | None = None

    def capacity(self, instance_type: str, count: int) -> float:
        """Total TPS ``count`` instances sustain: the override for that count, else linear."""
        override = self.total_capacity_overrides.get(instance_type, {}).get(count)
        if override is not None:
            return override
        return self.true_tps_per_instance.get(instance_type, 0.0) * count

    def passes(self, step: StepConfig) -> bool:
        if not step.autoscaling:
            return step.steady_state_tps <= self.capacity(step.instance_type, step.instance_count)
        per_instance = self.true_tps_per_instance.get(step.instance_type, 0.0)
        maximum = step.scaling_max_instance_count or 0
        if per_instance <= 0 or self.capacity(step.instance_type, maximum) < step.steady_state_tps:
            return False
        # The minimum must carry the load until scaling catches up: the ramp's start, or the share
        # of the steady TPS reached before new instances are in service.
        early = max(step.ramp_start_tps, step.steady_state_tps * self.ramp_factor)
        return (step.scaling_min_instance_count or 0) >= math.ceil(round(early / per_instance, 9))


def capacity_model_from_dict(raw: Mapping[str, Any], source: str = "capacity model") -> CapacityModel:
    try:
        per_instance = {str(t): float(v) for t, v in raw["true_tps_per_instance"].items()}
        overrides = {
            str(t): {int(c): float(v) for c, v in counts.items()}
            for t, counts in raw.get("total_capacity_overrides", {}).items()
        }
        ramp_factor = float(raw.get("autoscale", {}).get("ramp_factor", 0.5))
        serverless = serverless_capacity_from_dict(raw["serverless"]) if "serverless" in raw else None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CapacityModelError(
            f"{source}: expected {{'true_tps_per_instance': {{type: tps}}, 'total_capacity_overrides': "
            f"{{type: {{count: tps}}}}, 'autoscale': {{'ramp_factor': x}}, 'serverless': {{'latency_ms': "
            f"{{memory_mb: ms}}, 'cold_start_ms': ms}}}} ({exc!r})"
        ) from exc
    return CapacityModel(per_instance, overrides, ramp_factor, serverless)


def load_capacity_model(path: Path) -> CapacityModel:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CapacityModelError(f"capacity file {path}: {exc}") from exc
    return capacity_model_from_dict(raw, f"capacity file {path}")
