"""Drift between two sizings of one model: did the capacity per instance drop since last time?

Pure: works on ``recommendation.json`` contexts (see ``core.report.render.build_report_context``).
A *snapshot* is the little a re-sizing keeps of each run; :func:`compare` turns the previous and
the current snapshot into human notes and a verdict. Capacity is compared per instance type
(the recommended type, plus every candidate type whose capacity the run measured), so a run
that switches type still compares like with like.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.cost.money import dollars

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_THRESHOLD = 0.2  # a capacity drop of more than 20% is drift


@dataclass(frozen=True)
class SizingSnapshot:
    """What one sizing run found, as kept in the model's history index."""

    run_id: str
    generated_at: str | None
    status: str | None
    instance_type: str | None
    instance_count: int | None
    tps_per_instance: float | None
    hourly_cost_usd: str | None
    # Measured capacity (TPS one instance sustains) per instance type.
    capacity: dict[str, float] = field(default_factory=dict)
    report: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SizingSnapshot:
        known: dict[str, Any] = {k: data.get(k) for k in cls.__dataclass_fields__ if k != "capacity"}
        capacity = {str(k): float(v) for k, v in (data.get("capacity") or {}).items() if v is not None}
        return cls(**known, capacity=capacity)


@dataclass(frozen=True)
class DriftResult:
    previous: SizingSnapshot | None
    current: SizingSnapshot
    threshold: float
    drifted: bool
    # Capacity change per type present in both runs: (current - previous) / previous.
    capacity_change: dict[str, float]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "previous": None if self.previous is None else self.previous.to_dict(),
            "current": self.current.to_dict(),
            "threshold": self.threshold,
            "drifted": self.drifted,
            "capacity_change": self.capacity_change,
            "notes": list(self.notes),
        }


def snapshot(context: Mapping[str, Any], report: str | None = None) -> SizingSnapshot:
    """The snapshot of a run from its recommendation.json."""
    rec = context.get("recommendation") or {}
    capacity: dict[str, float] = {}
    for name, entry in ((context.get("costs") or {}).get("per_type") or {}).items():
        value = _float((entry or {}).get("tps_per_instance"))
        if value is not None:
            capacity[str(name)] = value
    tps = _float(rec.get("tps_per_instance"))
    if rec.get("instance_type") and tps is not None:
        capacity[str(rec["instance_type"])] = tps
    count = rec.get("max_instance_count") or rec.get("instance_count_needed")
    hourly = (context.get("costs") or {}).get("hourly") or rec.get("hourly_cost_usd")
    return SizingSnapshot(
        run_id=str(context.get("run_id")),
        generated_at=context.get("generated_at"),
        status=context.get("status"),
        instance_type=rec.get("instance_type"),
        instance_count=None if count is None else int(count),
        tps_per_instance=tps,
        hourly_cost_usd=None if hourly is None else str(hourly),
        capacity=capacity,
        report=report,
    )


def compare(
    previous: SizingSnapshot | None, current: SizingSnapshot, threshold: float = DEFAULT_THRESHOLD
) -> DriftResult:
    """Drift is a capacity drop beyond ``threshold`` on a type both runs measured, or a lost answer."""
    if not 0 < threshold < 1:
        raise ValueError(f"drift threshold must be between 0 and 1 (a fraction), got {threshold}")
    if previous is None:
        note = "first sizing of this model: nothing to compare with yet"
        return DriftResult(None, current, threshold, False, {}, (note,))
    changes = {
        name: (current.capacity[name] - before) / before
        for name, before in sorted(previous.capacity.items())
        if before > 0 and name in current.capacity
    }
    drops = {name: change for name, change in changes.items() if -change > threshold}
    lost = previous.instance_type is not None and current.instance_type is None
    notes = [f"compared with the previous sizing, run {previous.run_id} ({previous.generated_at or '?'})"]
    for name, change in changes.items():
        words = (
            f"capacity per instance of {name}: {previous.capacity[name]:g} -> "
            f"{current.capacity[name]:g} TPS ({change:+.0%})"
        )
        if name in drops:
            words = f"DRIFT: {words}, a drop beyond the {threshold:.0%} threshold"
        notes.append(words)
    if lost:
        notes.append(
            f"DRIFT: the previous sizing recommended {_size(previous)}; this one found no configuration "
            "that meets the requirements"
        )
    if _size(previous) != _size(current):
        notes.append(f"recommendation changed: {_size(previous)} -> {_size(current)}")
    cost_note = _cost_note(previous.hourly_cost_usd, current.hourly_cost_usd)
    if cost_note:
        notes.append(cost_note)
    return DriftResult(previous, current, threshold, bool(drops) or lost, changes, tuple(notes))


def _size(s: SizingSnapshot) -> str:
    return f"{s.instance_type} x{s.instance_count}" if s.instance_type else "nothing"


def _cost_note(before: str | None, after: str | None) -> str | None:
    try:
        old, new = Decimal(str(before)), Decimal(str(after))
    except (InvalidOperation, ValueError):
        return None
    if old == new:
        return None
    return f"hourly cost: {dollars(old)} -> {dollars(new)}"


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None
