"""A serverless capacity profile: the known answer a dry run walks the serverless phase against.

The ``serverless`` object of a capacity file (``core.simulate.capacity``)::

    "serverless": {"latency_ms": {"1024": 400, "2048": 130, "3072": 90}, "cold_start_ms": 300}

``latency_ms`` is a warm request's latency (p99 and mean alike) at each memory size; a cold start
adds ``cold_start_ms``. Every step starts cold (a new configuration, or one left idle) except for its
provisioned concurrency: the first ``tps x cold start`` seconds of arrivals each start a container,
and arrivals beyond MaxConcurrency in flight are throttled, as the local SageMaker does it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sagemaker_sizing.core.model import StepConfig


@dataclass(frozen=True)
class ServerlessCapacity:
    latency_ms: Mapping[int, float]
    cold_start_ms: float = 0.0

    def measure(
        self, step: StepConfig, latency_limit_ms: float, percent_fail: float
    ) -> tuple[bool, dict[str, Any]]:
        """(passed, the parser-like ``all`` metrics) of a serverless step, by the rules above."""
        warm = self.latency_ms.get(step.memory_size_mb or 0)
        requests = max(1, round(step.steady_state_tps * step.load_minutes * 60))
        if warm is None:
            return False, {"count_total": requests, "count_success": 0, "percent_fail": 100.0}
        concurrency = step.max_concurrency or 1
        warm_slots = min(step.provisioned_concurrency or 0, concurrency)
        steady_need = step.steady_state_tps * warm / 1000.0
        throttled = max(0.0, 1.0 - concurrency / steady_need) * requests if steady_need > concurrency else 0.0
        # The cold burst: arrivals while the first containers start, beyond the warm slots.
        burst = math.ceil(step.steady_state_tps * self.cold_start_ms / 1000.0) + 1
        cold = max(0, min(burst, concurrency) - warm_slots)
        throttled += max(0, burst - concurrency) if self.cold_start_ms > 0 else 0
        throttled = min(throttled, requests)
        successes = requests - throttled
        p99 = warm + self.cold_start_ms if successes and cold / successes >= 0.01 else warm
        fail = 100.0 * throttled / requests
        metrics = {
            "count_total": requests,
            "count_success": round(successes),
            "percent_fail": fail,
            "latency_success_p50": warm,
            "latency_success_p99": p99,
        }
        return p99 < latency_limit_ms and fail < percent_fail, metrics


def serverless_capacity_from_dict(raw: Mapping[str, Any]) -> ServerlessCapacity:
    return ServerlessCapacity(
        latency_ms={int(size): float(ms) for size, ms in raw["latency_ms"].items()},
        cold_start_ms=float(raw.get("cold_start_ms", 0.0)),
    )
