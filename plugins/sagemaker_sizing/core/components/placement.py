"""Where the copies of inference components go: an instance's resources, and copies packed onto
an endpoint's instances (the local SageMaker's stand-in for AWS's placement).

Pure code on plain data, shared by the control plane (which copies fit, how many instances
managed instance scaling needs) and the runtime (which copies share an instance's accelerators).
What one instance of a type offers is a data table: resources/instance_resources.json (units and
assumptions in its ``_units`` / ``_assumptions`` entries; ``scripts/gen_instance_resources.py``
writes it).

Packing is first fit, component by component in the order given (the control plane passes them
oldest first, so a newer component never takes room an older one holds): each copy goes on the
first instance with room, and a new instance is opened while the limit allows. It is the simplest
rule that answers the questions a run asks (do the copies fit, on how many instances); AWS's own
placement (``SchedulingConfig``: SPREAD or BINPACK across zones) may spread copies differently.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.paths import RESOURCES_DIR

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

INSTANCE_RESOURCES_PATH = RESOURCES_DIR / "instance_resources.json"
_EPSILON = 1e-9  # float requirements (0.1 + 0.2 ...) must not miss a fit by rounding


@dataclass(frozen=True)
class Resources:
    """vCPUs, memory (MiB) and accelerators: what an instance offers or what one copy needs."""

    vcpus: float = 0.0
    memory_mb: float = 0.0
    accelerators: float = 0.0

    def fits_in(self, room: Resources) -> bool:
        return (
            self.vcpus <= room.vcpus + _EPSILON
            and self.memory_mb <= room.memory_mb + _EPSILON
            and self.accelerators <= room.accelerators + _EPSILON
        )

    def minus(self, used: Resources) -> Resources:
        return Resources(
            self.vcpus - used.vcpus, self.memory_mb - used.memory_mb, self.accelerators - used.accelerators
        )

    def copies_per_instance(self, instance: Resources) -> int:
        """How many copies needing ``self`` one empty ``instance`` holds."""
        counts = [
            math.floor(offered / needed + _EPSILON)
            for needed, offered in (
                (self.vcpus, instance.vcpus),
                (self.memory_mb, instance.memory_mb),
                (self.accelerators, instance.accelerators),
            )
            if needed > 0
        ]
        return min(counts) if counts else 0


def requirements(compute: Mapping[str, Any]) -> Resources:
    """A copy's needs from ``ComputeResourceRequirements`` (MinMemoryRequiredInMb is what it reserves)."""
    return Resources(
        vcpus=float(compute.get("NumberOfCpuCoresRequired") or 0.0),
        memory_mb=float(compute.get("MinMemoryRequiredInMb") or 0.0),
        accelerators=float(compute.get("NumberOfAcceleratorDevicesRequired") or 0.0),
    )


@cache
def _table(path: str) -> dict[str, Resources]:
    with open(path, encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return {
        name: Resources(float(v["vcpus"]), float(v["memory_mb"]), float(v["accelerators"]))
        for name, v in data.items()
        if not name.startswith("_")
    }


def instance_resources(instance_type: str, path: Path | None = None) -> Resources | None:
    """What one instance of ``instance_type`` offers to components; None for a type the table lacks."""
    return _table(str(path or INSTANCE_RESOURCES_PATH)).get(instance_type)


def shortfall(need: Resources, instance: Resources) -> list[tuple[str, float, float]]:
    """Each resource one copy needs more of than a whole instance has: (name, needed, offered)."""
    pairs = (
        ("NumberOfAcceleratorDevicesRequired", need.accelerators, instance.accelerators),
        ("NumberOfCpuCoresRequired", need.vcpus, instance.vcpus),
        ("MinMemoryRequiredInMb", need.memory_mb, instance.memory_mb),
    )
    return [(name, needed, offered) for name, needed, offered in pairs if needed > offered + _EPSILON]


@dataclass(frozen=True)
class Packing:
    """Copies placed per component, and per instance which components' copies it holds."""

    placed: dict[str, int]
    instances: tuple[tuple[str, ...], ...]  # one tuple of component names (a name per copy) per instance

    @property
    def instance_count(self) -> int:
        return len(self.instances)


def pack(
    components: Iterable[tuple[str, Resources, int]], instance: Resources, max_instances: int
) -> Packing:
    """First fit of each component's copies (``(name, needs, copies)``, in order; a name may come
    back with more copies) onto at most ``max_instances`` instances; copies that find no room are
    left out (``placed`` says how many of each name went on)."""
    rooms: list[Resources] = []
    held: list[list[str]] = []
    placed: dict[str, int] = {}
    for name, need, copies in components:
        placed.setdefault(name, 0)
        for _ in range(copies):
            index = next((i for i, room in enumerate(rooms) if need.fits_in(room)), None)
            if index is None and len(rooms) < max_instances and need.fits_in(instance):
                rooms.append(instance)
                held.append([])
                index = len(rooms) - 1
            if index is None:
                break  # no room now means no room for the next copies of the same size either
            rooms[index] = rooms[index].minus(need)
            held[index].append(name)
            placed[name] += 1
    return Packing(placed, tuple(tuple(names) for names in held))
