from __future__ import annotations

import pytest
from sagemaker_sizing.core.report.charts import (
    OFF_SCALE_FACTOR,
    PALETTE,
    LatencySample,
    cost_chart,
    latency_chart,
    nice_ticks,
)


def sample(itype: str, tps: float, p99: float, passed: bool = True) -> LatencySample:
    return LatencySample(itype, tps, p99, passed, f"{itype} {tps} TPS p99 {p99}")


@pytest.mark.parametrize(
    ("upper", "expected"),
    [
        (10, [0, 2, 4, 6, 8, 10]),
        (105, [0, 25, 50, 75, 100, 125]),
        (0.69, [0, 0.2, 0.4, 0.6, 0.8]),
        (1500, [0, 500, 1000, 1500]),
    ],
)
def test_nice_ticks_cover_the_range_with_round_steps(upper: float, expected: list[float]) -> None:
    ticks = nice_ticks(upper)
    assert ticks == pytest.approx(expected)
    assert ticks[-1] >= upper


def test_nice_ticks_of_nothing() -> None:
    assert nice_ticks(0) == [0.0, 1.0]


def test_latency_chart_scales_and_groups_by_type() -> None:
    samples = [
        sample("ml.m5.large", 30, 190),
        sample("ml.c5.xlarge", 10, 60),
        sample("ml.m5.large", 10, 80),
        sample("ml.c5.xlarge", 70, 300),
        sample("ml.c5.xlarge", 100, 900, passed=False),
    ]
    chart = latency_chart(samples, 500)
    assert chart is not None
    assert chart.point_count == 5
    assert [s.name for s in chart.series] == ["ml.m5.large", "ml.c5.xlarge"]
    assert [s.color for s in chart.series] == list(PALETTE[:2])
    m5, c5 = chart.series
    # Within a series, points run left to right by load, and higher latency is drawn higher up.
    assert [m.x for m in m5.markers] == sorted(m.x for m in m5.markers)
    assert m5.markers[0].y > m5.markers[1].y
    assert [m.passed for m in c5.markers] == [True, True, False]
    assert c5.polyline.count(",") == 3
    plot = chart.plot
    for s in chart.series:
        for m in s.markers:
            assert plot.left <= m.x <= plot.right and plot.top <= m.y <= plot.bottom
    # The requirement line sits between the 300 ms and 900 ms points.
    assert chart.requirement_y is not None
    assert c5.markers[2].y < chart.requirement_y < c5.markers[1].y
    assert chart.requirement_label == "p99 requirement 500 ms"
    assert chart.y_ticks[0].label == "0" and chart.y_ticks[0].pos == plot.bottom


def test_latency_far_above_requirement_is_pinned_and_flagged() -> None:
    chart = latency_chart([sample("ml.m5.large", 10, 80), sample("ml.m5.large", 50, 30000, False)], 500)
    assert chart is not None
    low, high = chart.series[0].markers
    assert not low.off_scale and high.off_scale
    assert high.y == chart.plot.top
    # The axis stops near the cap, so the passing point is not squashed onto the floor.
    assert float(chart.y_ticks[-1].label) <= 500 * OFF_SCALE_FACTOR
    assert chart.plot.bottom - low.y > 5


def test_latency_chart_without_requirement_or_samples() -> None:
    assert latency_chart([], 500) is None
    chart = latency_chart([sample("ml.m5.large", 10, 80)], None)
    assert chart is not None and chart.requirement_y is None and chart.requirement_label == ""


def test_cost_chart_bars_are_proportional_and_mark_the_choice() -> None:
    chart = cost_chart(
        {
            "ml.m5.large": {"hourly": "0.575", "instances": 5},
            "ml.c5.xlarge": {"hourly": "1.15", "instances": 3},
            "ml.g4dn.xlarge": {"hourly": None},
            "ml.bad": {"hourly": "n/a"},
        },
        "ml.m5.large",
    )
    assert chart is not None
    assert [b.name for b in chart.bars] == ["ml.m5.large", "ml.c5.xlarge"]
    small, large = chart.bars
    assert large.height == pytest.approx(2 * small.height)
    assert small.y + small.height == pytest.approx(chart.plot.bottom)
    assert small.recommended and not large.recommended
    assert small.value_label == "$0.575"
    assert small.title == "ml.m5.large x5: $0.575 per hour"
    assert large.x > small.x + small.width


def test_cost_chart_without_prices() -> None:
    assert cost_chart({}, None) is None
    assert cost_chart({"ml.m5.large": {"hourly": None}}, None) is None
