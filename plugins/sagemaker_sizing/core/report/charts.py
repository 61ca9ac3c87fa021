"""Chart geometry for the report: data in, SVG coordinates out.

Only numbers are computed here; the markup lives in ``templates/charts.svg.j2`` (autoescaped like
the rest of the report), so the report stays readable offline, without JavaScript.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from sagemaker_sizing.core.cost.money import dollars

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
WIDTH = 540
HEIGHT = 300
MARGIN_LEFT = 64
MARGIN_RIGHT = 16
MARGIN_TOP = 16
MARGIN_BOTTOM = 48
# Overloaded steps can report p99 in the tens of seconds; past this multiple of the requirement
# points are pinned to the top edge (marked off-scale) so the passing ones stay readable.
OFF_SCALE_FACTOR = 3.0


@dataclass(frozen=True)
class LatencySample:
    """One fixed-size step: p99 success latency at a load per instance."""

    instance_type: str
    tps_per_instance: float
    p99_ms: float
    passed: bool
    label: str


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    passed: bool
    off_scale: bool
    title: str


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    markers: tuple[Marker, ...]
    polyline: str  # "x,y x,y ..." in ascending load order


@dataclass(frozen=True)
class Plot:
    """The plotting area inside the SVG."""

    width: int = WIDTH
    height: int = HEIGHT
    left: float = MARGIN_LEFT
    top: float = MARGIN_TOP
    right: float = WIDTH - MARGIN_RIGHT
    bottom: float = HEIGHT - MARGIN_BOTTOM


@dataclass(frozen=True)
class Axes:
    """What a latency chart plots, in words: its SVG id, axis labels and accessible name."""

    svg_id: str = "latency-chart"
    x_label: str = "steady-state TPS per instance"
    y_label: str = "p99 success latency (ms)"
    aria_label: str = "p99 success latency versus TPS per instance, by instance type"
    requirement: str = "p99 requirement"


# The knee of an LLM endpoint (issue 24): TTFT p99 and ITL p99 against the request rate one
# instance carries, per type.
TTFT_KNEE = Axes(
    "ttft-knee-chart",
    "requests/s per instance",
    "TTFT p99 (ms)",
    "time to first token p99 versus requests per second per instance, by instance type",
    "TTFT p99 SLO",
)
ITL_KNEE = Axes(
    "itl-knee-chart",
    "requests/s per instance",
    "ITL p99 (ms)",
    "inter-token latency p99 versus requests per second per instance, by instance type",
    "ITL p99 SLO",
)


@dataclass(frozen=True)
class LatencyChart:
    plot: Plot
    series: tuple[Series, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    requirement_y: float | None
    requirement_label: str
    point_count: int
    axes: Axes = Axes()


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    name: str
    value_label: str
    color: str
    recommended: bool
    title: str


@dataclass(frozen=True)
class CostChart:
    plot: Plot
    bars: tuple[Bar, ...]
    y_ticks: tuple[Tick, ...]


def nice_ticks(upper: float, count: int = 5) -> list[float]:
    """0, step, 2·step, … covering ``upper`` with a 1-2-5 step, about ``count`` intervals."""
    if upper <= 0 or not math.isfinite(upper):
        return [0.0, 1.0]
    raw = upper / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    n = math.ceil(upper / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def latency_chart(
    samples: Sequence[LatencySample], requirement_ms: float | None, axes: Axes = Axes()
) -> LatencyChart | None:
    """p99 latency vs TPS per instance, one series per type; None when there is nothing to plot.
    ``axes``: what is plotted (an LLM's knee: TTFT or ITL p99 vs requests/s per instance)."""
    if not samples:
        return None
    plot = Plot()
    x_values = nice_ticks(max(s.tps_per_instance for s in samples) * 1.05)
    highest = max(s.p99_ms for s in samples)
    y_top = max(highest, (requirement_ms or 0) * 1.2)
    if requirement_ms:
        y_top = min(y_top, requirement_ms * OFF_SCALE_FACTOR)
    y_values = nice_ticks(y_top)
    x_max, y_max = x_values[-1], y_values[-1]

    def sx(v: float) -> float:
        return plot.left + (plot.right - plot.left) * v / x_max

    def sy(v: float) -> float:
        return plot.bottom - (plot.bottom - plot.top) * min(v, y_max) / y_max

    series = []
    types = list(dict.fromkeys(s.instance_type for s in samples))
    for i, instance_type in enumerate(types):
        own = sorted(
            (s for s in samples if s.instance_type == instance_type), key=lambda s: s.tps_per_instance
        )
        markers = tuple(
            Marker(sx(s.tps_per_instance), sy(s.p99_ms), s.passed, s.p99_ms > y_max, s.label) for s in own
        )
        polyline = " ".join(f"{m.x:.1f},{m.y:.1f}" for m in markers)
        series.append(Series(instance_type, PALETTE[i % len(PALETTE)], markers, polyline))
    return LatencyChart(
        plot=plot,
        series=tuple(series),
        x_ticks=tuple(Tick(sx(v), _num(v)) for v in x_values),
        y_ticks=tuple(Tick(sy(v), _num(v)) for v in y_values),
        requirement_y=sy(requirement_ms) if requirement_ms else None,
        requirement_label=f"{axes.requirement} {_num(requirement_ms)} ms" if requirement_ms else "",
        point_count=len(samples),
        axes=axes,
    )


def cost_chart(per_type: Mapping[str, Mapping[str, object]], recommended: str | None) -> CostChart | None:
    """Hourly cost of the fleet each candidate type needs for the peak; None without any cost.

    ``per_type`` is the report's ``costs["per_type"]``; types without a numeric ``hourly`` are left
    out (they appear in the cost table as "—").
    """
    costs = [(name, _money(entry.get("hourly")), entry) for name, entry in per_type.items()]
    priced = [(name, value, entry) for name, value, entry in costs if value is not None]
    if not priced:
        return None
    plot = Plot()
    y_values = nice_ticks(float(max(value for _, value, _ in priced)) * 1.1)
    y_max = y_values[-1]
    slot = (plot.right - plot.left) / len(priced)
    width = min(slot * 0.6, 90.0)
    bars = []
    for i, (name, value, entry) in enumerate(priced):
        height = (plot.bottom - plot.top) * float(value) / y_max
        instances = entry.get("instances")
        count = f" x{instances}" if instances not in (None, "") else ""
        bars.append(
            Bar(
                x=plot.left + slot * i + (slot - width) / 2,
                y=plot.bottom - height,
                width=width,
                height=height,
                name=name,
                value_label=dollars(value),
                color=PALETTE[0] if name == recommended else "#9AA5B1",
                recommended=name == recommended,
                title=f"{name}{count}: {dollars(value)} per hour",
            )
        )
    scale = plot.bottom - plot.top
    ticks = tuple(Tick(plot.bottom - scale * v / y_max, _num(v)) for v in y_values)
    return CostChart(plot=plot, bars=tuple(bars), y_ticks=ticks)


def _money(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        money = Decimal(str(value))
    except InvalidOperation:
        return None
    return money if money.is_finite() and money >= 0 else None


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
