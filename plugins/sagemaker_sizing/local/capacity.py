"""The emulator's capacity model, read from resources/model_profiles.json, and its ground truth.

The model is deliberately simple so the true answer is known: an instance has ``workers`` slots that
serve one request at a time in ``(base_ms + per_kib_ms * KiB) / speed`` milliseconds, with seeded
uniform noise of +-``noise``. Requests wait in one FIFO queue per endpoint. Arrivals below the
service rate never queue for long; above it the queue grows without bound and the step fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.paths import RESOURCES_DIR

if TYPE_CHECKING:
    from pathlib import Path

DEFAULT_PROFILE_PATH = RESOURCES_DIR / "model_profiles.json"
DEFAULT_INSTANCE_KEY = "default"
# The uniform noise's 99th percentile, as a fraction of its half-width.
_NOISE_P99 = 0.98


@dataclass(frozen=True)
class InstanceProfile:
    workers: int
    speed: float


@dataclass(frozen=True)
class AutoscalingProfile:
    """SageMaker's target tracking, in simulated (uncompressed) seconds."""

    metric_window_s: float = 60.0
    high_resolution_window_s: float = 10.0  # the concurrency metric's period
    scale_out_datapoints: int = 3
    scale_in_datapoints: int = 15
    scale_in_ratio: float = 0.9
    instance_startup_s: float = 240.0
    default_scale_out_cooldown_s: float = 300.0
    default_scale_in_cooldown_s: float = 300.0


@dataclass(frozen=True)
class ModelProfile:
    instance_types: dict[str, InstanceProfile]
    base_ms: float = 40.0
    per_kib_ms: float = 4.0
    default_payload_bytes: int = 27
    noise: float = 0.05
    seed: int = 42
    queue_per_worker: int = 50
    timeout_s: float = 60.0
    autoscaling: AutoscalingProfile = field(default_factory=AutoscalingProfile)

    def instance(self, instance_type: str) -> InstanceProfile:
        """The profile of ``instance_type``, or the default one for types the table lacks."""
        found = self.instance_types.get(instance_type) or self.instance_types.get(DEFAULT_INSTANCE_KEY)
        if found is None:
            raise KeyError(f"no profile for {instance_type} and no {DEFAULT_INSTANCE_KEY!r} profile")
        return found

    def service_ms(self, instance_type: str, payload_bytes: int | None = None) -> float:
        """Mean service time of one request on one worker."""
        size = self.default_payload_bytes if payload_bytes is None else payload_bytes
        return (self.base_ms + self.per_kib_ms * size / 1024.0) / self.instance(instance_type).speed

    def service_p99_ms(self, instance_type: str, payload_bytes: int | None = None) -> float:
        return self.service_ms(instance_type, payload_bytes) * (1.0 + _NOISE_P99 * self.noise)


def profile_from_dict(data: dict[str, Any]) -> ModelProfile:
    payload = data.get("payload", {})
    types = {
        name: InstanceProfile(workers=int(spec["workers"]), speed=float(spec["speed"]))
        for name, spec in data["instance_types"].items()
    }
    bad = [name for name, spec in types.items() if spec.workers < 1 or spec.speed <= 0]
    if bad:
        raise ValueError(f"instance profiles need workers >= 1 and speed > 0: {bad}")
    scaling = data.get("autoscaling", {})
    return ModelProfile(
        instance_types=types,
        base_ms=float(payload.get("base_ms", 40.0)),
        per_kib_ms=float(payload.get("per_kib_ms", 4.0)),
        default_payload_bytes=int(payload.get("default_bytes", 27)),
        noise=float(data.get("noise", 0.05)),
        seed=int(data.get("seed", 42)),
        queue_per_worker=int(data.get("queue_per_worker", 50)),
        timeout_s=float(data.get("timeout_s", 60.0)),
        autoscaling=AutoscalingProfile(**scaling),
    )


def load_profile(path: str | Path | None = None) -> ModelProfile:
    """Read a profile file (default: resources/model_profiles.json)."""
    with open(path or DEFAULT_PROFILE_PATH, encoding="utf-8") as handle:
        return profile_from_dict(json.load(handle))


def service_rate(
    profile: ModelProfile, instance_type: str, instance_count: int, payload_bytes: int | None = None
) -> float:
    """Requests per second the endpoint completes when every worker is busy."""
    workers = profile.instance(instance_type).workers * instance_count
    return workers * 1000.0 / profile.service_ms(instance_type, payload_bytes)


def analytical_capacity(
    profile: ModelProfile,
    instance_type: str,
    instance_count: int,
    p99_limit_ms: float,
    payload_bytes: int | None = None,
) -> float:
    """Highest steady TPS the endpoint sustains with p99 <= ``p99_limit_ms`` and no errors.

    Below the service rate a request waits next to nothing (evenly spaced arrivals, +-5% service
    noise), so its latency is its service time; at or above it the queue grows for as long as the
    load lasts. The answer is therefore the service rate when the service time's own p99 fits
    under the limit, and 0 when even an idle endpoint is too slow.
    """
    if instance_count <= 0:
        return 0.0
    if profile.service_p99_ms(instance_type, payload_bytes) > p99_limit_ms:
        return 0.0
    return service_rate(profile, instance_type, instance_count, payload_bytes)
