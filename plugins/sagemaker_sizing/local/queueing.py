"""One endpoint's queue: a pool of worker slots fed in FIFO order, computed, not simulated.

Each arrival takes the worker that frees first; its start is ``max(now, free_at)``, its finish
``start + service``. Nothing runs while a request is "served": the server just writes the answer
at the finish time (with a :class:`~sagemaker_sizing.local.due_timer.DueTimer`), so the emulator
costs microseconds per request.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sagemaker_sizing.local.concurrency import ConcurrencyMeter

if TYPE_CHECKING:
    from sagemaker_sizing.local.capacity import ModelProfile

OVERLOADED = "overloaded"  # the queue is past its bound
TIMED_OUT = "timed_out"  # the answer would come after SageMaker's 60 s limit


@dataclass(frozen=True)
class Admission:
    """When the answer is due (``time.monotonic()`` s) and whether it is an error."""

    due: float
    error: str | None = None
    queued_s: float = 0.0


class EndpointQueue:
    def __init__(self, profile: ModelProfile, instance_type: str, instance_count: int, seed: int) -> None:
        self._profile = profile
        spec = profile.instance(instance_type)
        self.instance_type = instance_type
        self.workers_per_instance = spec.workers
        self._speed = spec.speed
        self._noise = profile.noise
        self._rng = random.Random(seed)
        self._free_at: list[float] = []  # heap: when each worker slot is next free
        self._waiting: deque[float] = deque()  # start times of admitted requests still queued
        self.instance_count = 0
        self.set_instance_count(instance_count, 0.0)
        self.invocations = 0  # admitted requests, for the autoscaler's metric
        self.errors = 0
        self.meter = ConcurrencyMeter()  # requests in flight, for the concurrency metric

    def set_instance_count(self, count: int, now: float) -> None:
        """Add idle slots, or drop the busiest ones (their requests in flight still finish)."""
        target = max(0, count) * self.workers_per_instance
        if target > len(self._free_at):
            for _ in range(target - len(self._free_at)):
                heapq.heappush(self._free_at, now)
        elif target < len(self._free_at):
            self._free_at = sorted(self._free_at)[:target]  # a sorted list is a valid heap
        self.instance_count = max(0, count)

    def service_s(self, payload_bytes: int) -> float:
        mean_ms = (self._profile.base_ms + self._profile.per_kib_ms * payload_bytes / 1024.0) / self._speed
        return mean_ms * (1.0 + self._noise * (2.0 * self._rng.random() - 1.0)) / 1000.0

    def queued(self, now: float) -> int:
        waiting = self._waiting
        while waiting and waiting[0] <= now:
            waiting.popleft()
        return len(waiting)

    def admit(self, now: float, payload_bytes: int) -> Admission:
        self.invocations += 1
        if not self._free_at:
            self.errors += 1
            return Admission(now, OVERLOADED)
        start = max(now, self._free_at[0])
        if start > now and self.queued(now) >= self._profile.queue_per_worker * len(self._free_at):
            self.errors += 1
            return Admission(now, OVERLOADED)
        finish = start + self.service_s(payload_bytes)
        if finish - now > self._profile.timeout_s:
            # The caller gives up at the limit; the worker is not taken (the request is abandoned).
            self.errors += 1
            return Admission(now + self._profile.timeout_s, TIMED_OUT, start - now)
        heapq.heapreplace(self._free_at, finish)
        if start > now:
            self._waiting.append(start)
        self.meter.start(now, ends_at=finish)
        return Admission(finish, None, start - now)

    def in_flight_area(self, now: float) -> float:
        """Request-seconds in flight so far (the concurrency metric's integral)."""
        return self.meter.area(now)
