"""Serverless Inference in the local SageMaker (issue 17): containers per request, cold starts,
MaxConcurrency throttling and provisioned concurrency, computed like ``local.queueing``.

Ground truth: ``resources/serverless_profile.json`` (see its description). A :class:`ServerlessPool`
answers ``admit`` like an :class:`~sagemaker_sizing.local.queueing.EndpointQueue`, so the runtime
serves both the same way.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sagemaker_sizing.local.queueing import Admission
from sagemaker_sizing.paths import RESOURCES_DIR

if TYPE_CHECKING:
    from pathlib import Path

    from sagemaker_sizing.local.capacity import ModelProfile

DEFAULT_SERVERLESS_PROFILE_PATH = RESOURCES_DIR / "serverless_profile.json"
THROTTLED = "throttled"  # MaxConcurrency requests already in flight


@dataclass(frozen=True)
class ServerlessProfile:
    memory_speed: dict[int, float]
    cold_start_s: float = 2.5
    idle_timeout_s: float = 120.0

    def speed(self, memory_size_mb: int) -> float:
        known = [size for size in sorted(self.memory_speed) if size <= memory_size_mb]
        return self.memory_speed[known[-1]] if known else min(self.memory_speed.values())


def load_serverless_profile(path: str | Path | None = None) -> ServerlessProfile:
    with open(path or DEFAULT_SERVERLESS_PROFILE_PATH, encoding="utf-8") as handle:
        raw = json.load(handle)
    speeds = {int(size): float(speed) for size, speed in raw["memory_speed"].items()}
    if not speeds or any(speed <= 0 for speed in speeds.values()):
        raise ValueError("serverless profile: memory_speed needs sizes with speeds > 0")
    return ServerlessProfile(
        speeds, float(raw.get("cold_start_s", 2.5)), float(raw.get("idle_timeout_s", 120.0))
    )


@dataclass(frozen=True)
class ServerlessConfig:
    """A variant's ServerlessConfig, as the control plane describes it."""

    memory_size_mb: int
    max_concurrency: int
    provisioned_concurrency: int = 0


@dataclass
class _Container:
    free_at: float
    last_used: float
    provisioned: bool = False


@dataclass
class ServerlessPool:
    """One serverless endpoint: at most ``max_concurrency`` containers, each serving one request."""

    model: ModelProfile
    profile: ServerlessProfile
    config: ServerlessConfig
    seed: int
    time_compression: float = 1.0
    invocations: int = 0
    errors: int = 0
    cold_starts: int = 0
    _containers: list[_Container] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        warm = min(self.config.provisioned_concurrency, self.config.max_concurrency)
        self._containers = [_Container(0.0, 0.0, provisioned=True) for _ in range(warm)]

    # What the registry and the describe route read of a queue.
    @property
    def instance_count(self) -> int:
        return 1

    @property
    def workers_per_instance(self) -> int:
        return self.config.max_concurrency

    def set_instance_count(self, count: int, now: float) -> None:
        """Serverless endpoints have no instances to scale."""

    @property
    def cold_start_s(self) -> float:
        return self.profile.cold_start_s / self.time_compression

    @property
    def idle_timeout_s(self) -> float:
        return self.profile.idle_timeout_s / self.time_compression

    def service_s(self, payload_bytes: int) -> float:
        base_ms = self.model.base_ms + self.model.per_kib_ms * payload_bytes / 1024.0
        mean_ms = base_ms / self.profile.speed(self.config.memory_size_mb)
        return mean_ms * (1.0 + self.model.noise * (2.0 * self._rng.random() - 1.0)) / 1000.0

    def in_flight(self, now: float) -> int:
        return sum(1 for c in self._containers if c.free_at > now)

    def warm(self, now: float) -> int:
        return sum(1 for c in self._containers if c.provisioned or now - c.last_used <= self.idle_timeout_s)

    def admit(self, now: float, payload_bytes: int) -> Admission:
        self.invocations += 1
        # Containers idle past the timeout are gone (provisioned ones stay).
        self._containers = [
            c
            for c in self._containers
            if c.provisioned or c.free_at > now or now - c.last_used <= self.idle_timeout_s
        ]
        if self.in_flight(now) >= self.config.max_concurrency:
            self.errors += 1
            return Admission(now, THROTTLED)
        free = [c for c in self._containers if c.free_at <= now]
        if free:
            container, start = free[0], now
        else:
            container, start = _Container(now, now), now + self.cold_start_s
            self._containers.append(container)
            self.cold_starts += 1
        finish = start + self.service_s(payload_bytes)
        container.free_at = finish
        container.last_used = finish
        return Admission(finish, None, start - now)
