"""Geometry of the "Serverless vs real-time" chart: monthly cost against the average TPS.

Two lines over 0..peak TPS (serverless grows with traffic; the real-time endpoint costs the same
every month), the break-even average TPS marked, and the stated average. Markup in
``templates/serverless.html.j2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.report.charts import PALETTE, Plot, Tick, _num, nice_ticks

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class CostLines:
    plot: Plot
    serverless: str  # polyline "x,y x,y ..."
    realtime: str | None
    break_even_x: float | None
    average_x: float | None
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    serverless_color: str = PALETTE[0]
    realtime_color: str = PALETTE[1]


def cost_lines(serverless: Mapping[str, Any] | None) -> CostLines | None:
    """None when the comparison has no cost series (serverless not sized, or nothing passed)."""
    chart = (serverless or {}).get("chart")
    if not chart:
        return None
    xs = [float(x) for x in chart["average_tps"]]
    sl = [float(y) for y in chart["serverless"]]
    rt = None if chart.get("realtime") is None else [float(y) for y in chart["realtime"]]
    plot = Plot()
    x_values = nice_ticks(max(xs) or 1.0)
    y_values = nice_ticks(max([*sl, *(rt or [])]) * 1.05 or 1.0)
    x_max, y_max = x_values[-1], y_values[-1]

    def sx(v: float) -> float:
        return plot.left + (plot.right - plot.left) * v / x_max

    def sy(v: float) -> float:
        return plot.bottom - (plot.bottom - plot.top) * min(v, y_max) / y_max

    def line(ys: list[float]) -> str:
        return " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys, strict=True))

    even = serverless.get("break_even_average_tps") if serverless else None
    average = serverless.get("average_tps") if serverless else None
    return CostLines(
        plot=plot,
        serverless=line(sl),
        realtime=None if rt is None else line(rt),
        break_even_x=sx(float(even)) if even is not None and 0 < float(even) <= x_max else None,
        average_x=sx(float(average)) if average is not None and float(average) <= x_max else None,
        x_ticks=tuple(Tick(sx(v), _num(v)) for v in x_values),
        y_ticks=tuple(Tick(sy(v), "$" + _num(v)) for v in y_values),
    )
