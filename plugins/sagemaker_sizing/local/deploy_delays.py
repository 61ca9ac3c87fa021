"""How long the local SageMaker's endpoints take to create, update, resize and delete.

By default, fixed delays (``local start --creating-delay``, a second in the demo and the tests), and
a count changed in place (UpdateEndpointWeightsAndCapacities) or a delete at once. With
``local start --realistic-deploys``, each takes what it takes on AWS for the endpoint's instance
family (``resources/deploy_times.json``, core.timeline.deploy_times) divided by the time compression,
as the runtime's autoscaling is: at ``--time-compression 60`` a CPU endpoint is created in 4 s and
deleted in 2 s, so a demo shows in minutes what deploy time does to a sizing.

The runtime emulator's own autoscaling writes (the call AWS Application Auto Scaling makes once its
new instances are in service) carry ``RUNTIME_AGENT`` in their User-Agent and change the count at
once: their start-up time is the runtime's to model (``local.autoscaler``).
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sagemaker_sizing.core.timeline.deploy_times import DeployTimes

RUNTIME_AGENT = "sagemaker-sizing-local-runtime"


@dataclass
class FixedDelays:
    creating_s: float = 0.0
    updating_s: float = 0.0


FIXED = FixedDelays()
_REALISTIC: dict[str, DeployTimes] = {}  # "times": the scaled table, when realistic deploys are on
_CALLER = threading.local()  # per request thread: is the runtime's autoscaler calling?


def configure(
    creating_s: float = 0.0, updating_s: float | None = None, realistic: DeployTimes | None = None
) -> None:
    """Fixed delays, and the (already scaled) deploy-time table of realistic deploys, or None."""
    FIXED.creating_s = max(0.0, creating_s)
    FIXED.updating_s = max(0.0, creating_s if updating_s is None else updating_s)
    _REALISTIC.clear()
    if realistic is not None:
        _REALISTIC["times"] = realistic


def realistic() -> bool:
    return "times" in _REALISTIC


def creating_s(instance_type: str) -> float:
    times = _REALISTIC.get("times")
    return FIXED.creating_s if times is None else times.of(instance_type).create_s


def updating_s(instance_type: str) -> float:
    times = _REALISTIC.get("times")
    return FIXED.updating_s if times is None else times.of(instance_type).update_s


def from_runtime() -> bool:
    """Whether the request being served is the runtime emulator's own autoscaling write."""
    return bool(getattr(_CALLER, "runtime", False))


def resizing_s(instance_type: str, old_count: int, new_count: int) -> float:
    """A count changed in place; the runtime's own autoscaling writes take no time here."""
    if from_runtime():
        return 0.0
    times = _REALISTIC.get("times")
    return FIXED.updating_s if times is None else times.of(instance_type).resize_s(old_count, new_count)


def deleting_s(instance_type: str) -> float:
    times = _REALISTIC.get("times")
    return 0.0 if times is None else times.of(instance_type).delete_s


@contextlib.contextmanager
def caller(headers: Any) -> Iterator[None]:
    """Marks the request being served as the runtime's own (from its User-Agent) while it runs."""
    _CALLER.runtime = RUNTIME_AGENT in str(headers.get("User-Agent", "") if headers else "")
    try:
        yield
    finally:
        _CALLER.runtime = False


def variant_type(variant: dict[str, Any]) -> str:
    """A production variant's instance type; ``serverless`` for a serverless one."""
    return str(variant.get("InstanceType") or "serverless")
