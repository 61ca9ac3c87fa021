"""What a sizing took, in words: the figures of a ``SizingTime`` (or its dict) as a reader wants them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.cost.money import dollars

if TYPE_CHECKING:
    from collections.abc import Mapping


BILLED_FROM = {"instance_launch": "their launch", "in_service": "InService"}


def hours(value: float) -> str:
    """``2.5 h``; ``45 min`` below an hour, ``40 s`` below a minute (what a person reads first)."""
    if round(value * 60) >= 60:
        return f"{value:.1f} h"
    if round(value * 3600) >= 60:
        return f"{value * 60:.0f} min"
    return f"{value * 3600:.0f} s"


def billed_from(billing_start: str) -> str:
    """``instances billed from their launch``: the billing start the figures assume."""
    return f"instances billed from {BILLED_FROM.get(billing_start, billing_start)}"


def took(figures: Mapping[str, Any]) -> str:
    """``1.1 h, 58 load minutes, 5 deploys, $1.45`` from ``SizingTime.to_dict()``."""
    deploys = figures["deploys"]
    return (
        f"{hours(figures['wall_clock_hours'])}, {figures['load_minutes']:g} load minutes, "
        f"{deploys} deploy{'' if deploys == 1 else 's'}, {dollars(figures['bill_usd'])}"
    )


def side_by_side(strategies: Mapping[str, Mapping[str, Any] | None], *, bound: bool = False) -> str:
    """``adaptive 1.1 h until the answer, $1.45 sizing bill; perfsize 3.6 h, $3.64`` (``bound``:
    upper bounds, ``≤``; a strategy without figures: "not computed")."""
    parts = []
    at_most = "≤ " if bound else ""
    for i, (name, figures) in enumerate(strategies.items()):
        if figures is None:
            parts.append(f"{name} not computed (too many steps to list)")
            continue
        wall = f"{at_most}{hours(figures['wall_clock_hours'])}"
        bill = f"{at_most}{dollars(figures['bill_usd'])}"
        parts.append(
            f"{name} {wall} until the answer, {bill} sizing bill" if i == 0 else f"{name} {wall}, {bill}"
        )
    return "; ".join(parts)
