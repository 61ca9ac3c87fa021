"""Target tracking the way Application Auto Scaling does it, on one of two predefined metrics:

- ``SageMakerVariantInvocationsPerInstance``: one datapoint per (compressed) minute, invocations
  per in-service instance, scaled to a minute;
- ``SageMakerVariantConcurrentRequestsPerModelHighResolution``: one datapoint per (compressed)
  10 s period, the average number of requests in flight per in-service instance over it (the
  endpoint's request-seconds in flight divided by the period and the count; concurrency needs no
  scaling by the compression, only the period does);
- ``SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution``: the same per copy of an
  inference component, whose copy count the policy scales (a copy is what an instance is above).

Scale out when ``scale_out_datapoints`` datapoints in a row exceed the target (new instances come
into service after the start-up delay); scale in when ``scale_in_datapoints`` in a row stay below
``scale_in_ratio`` x target and the cooldown has passed (the same counts for both metrics). Times
are loop seconds; every simulated duration is divided by the time-compression factor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sagemaker_sizing.local.capacity import AutoscalingProfile

INVOCATIONS_METRIC = "SageMakerVariantInvocationsPerInstance"
CONCURRENCY_METRIC = "SageMakerVariantConcurrentRequestsPerModelHighResolution"
COPY_CONCURRENCY_METRIC = "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"
_HIGH_RESOLUTION = (CONCURRENCY_METRIC, COPY_CONCURRENCY_METRIC)


@dataclass(frozen=True)
class ScalingPolicy:
    min_count: int
    max_count: int
    target: float  # invocations per instance per minute, or requests in flight per instance
    scale_in_cooldown_s: float | None = None  # simulated seconds; None: the profile's default
    scale_out_cooldown_s: float | None = None
    disable_scale_in: bool = False
    metric: str = INVOCATIONS_METRIC


class Autoscaler:
    def __init__(
        self, settings: AutoscalingProfile, compression: float, now: float, metric: str = INVOCATIONS_METRIC
    ) -> None:
        self._settings = settings
        self._compression = max(compression, 1e-9)
        self.metric = metric
        period = settings.high_resolution_window_s if metric in _HIGH_RESOLUTION else settings.metric_window_s
        self.window_s = period / self._compression
        self._window_start = now
        self._last_invocations = 0
        self._last_in_flight_area = 0.0
        self._high = 0  # consecutive datapoints above target
        self._low = 0  # consecutive datapoints below the scale-in threshold
        self._last_scale_out = -math.inf
        self._last_scale_in = -math.inf
        self.pending_count: int | None = None  # scale-out in progress: the count it brings
        self.pending_ready_at = math.inf
        self.datapoints: list[float] = []

    def _real(self, simulated_s: float) -> float:
        return simulated_s / self._compression

    def tick(
        self, now: float, invocations: int, count: int, policy: ScalingPolicy, in_flight_area: float = 0.0
    ) -> int | None:
        """Advance to ``now``; returns a new in-service count when it changes, else None.

        ``invocations``: admitted requests so far; ``in_flight_area``: request-seconds in flight so
        far (the concurrency metric's integral)."""
        if self.pending_count is not None and now >= self.pending_ready_at:
            ready, self.pending_count, self.pending_ready_at = self.pending_count, None, math.inf
            return ready
        if count < policy.min_count or count > policy.max_count:
            return min(max(count, policy.min_count), policy.max_count)
        if now - self._window_start < self.window_s:
            return None
        elapsed = now - self._window_start
        self._window_start = now
        if self.metric in _HIGH_RESOLUTION:
            datapoint = (in_flight_area - self._last_in_flight_area) / elapsed / max(count, 1)
        else:
            datapoint = (invocations - self._last_invocations) / max(count, 1) * 60.0 / self.window_s
        self._last_invocations = invocations
        self._last_in_flight_area = in_flight_area
        self.datapoints.append(datapoint)
        return self._decide(now, datapoint, count, policy)

    def _decide(self, now: float, metric: float, count: int, policy: ScalingPolicy) -> int | None:
        settings = self._settings
        self._high = self._high + 1 if metric > policy.target else 0
        self._low = self._low + 1 if metric < settings.scale_in_ratio * policy.target else 0
        wanted = math.ceil(count * metric / policy.target) if policy.target > 0 else count
        out_cooldown = self._real(policy.scale_out_cooldown_s or settings.default_scale_out_cooldown_s)
        in_cooldown = self._real(policy.scale_in_cooldown_s or settings.default_scale_in_cooldown_s)
        if (
            self._high >= settings.scale_out_datapoints
            and self.pending_count is None
            and now - self._last_scale_out >= out_cooldown
            and count < policy.max_count
        ):
            self.pending_count = min(policy.max_count, max(wanted, count + 1))
            self.pending_ready_at = now + self._real(settings.instance_startup_s)
            self._last_scale_out = now
            self._high = 0
            return None
        if (
            self._low >= settings.scale_in_datapoints
            and not policy.disable_scale_in
            and self.pending_count is None
            and now - max(self._last_scale_in, self._last_scale_out) >= in_cooldown
            and count > policy.min_count
        ):
            self._last_scale_in = now
            self._low = 0
            return max(policy.min_count, min(wanted, count - 1))
        return None
