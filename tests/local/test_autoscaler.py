"""Target tracking with a fake clock (compression 60: one simulated minute per second)."""

from __future__ import annotations

import pytest
from sagemaker_sizing.local.autoscaler import CONCURRENCY_METRIC, Autoscaler, ScalingPolicy
from sagemaker_sizing.local.capacity import AutoscalingProfile

SETTINGS = AutoscalingProfile()  # 3 datapoints out, 15 in, 240 s start-up, 300 s cooldowns
POLICY = ScalingPolicy(min_count=1, max_count=4, target=600.0)


def _run(
    scaler: Autoscaler, count: int, tps: float, start: float, seconds: float, done: int = 0
) -> tuple[int, float, int]:
    """Tick every 0.05 s with ``tps`` real requests per second after ``done`` earlier invocations;
    returns (count, time, invocations)."""
    invocations, now, ticks = done, start, 0
    while now < start + seconds:
        ticks += 1
        now = start + ticks * 0.05
        invocations = done + int(tps * (now - start))
        new = scaler.tick(now, invocations, count, POLICY)
        if new is not None:
            count = new
    return count, now, invocations


def test_sustained_breach_scales_out_after_the_startup_delay() -> None:
    scaler = Autoscaler(SETTINGS, compression=60.0, now=0.0)
    # 30 TPS on one instance = 1800/min, three times the target: wants 3 instances.
    count, _, done = _run(scaler, 1, tps=30, start=0.0, seconds=3.5)
    assert count == 1 and scaler.pending_count == 3  # decided after 3 windows, not in service yet
    count, _, _ = _run(scaler, count, tps=30, start=3.5, seconds=4.0, done=done)
    assert count == 3  # 240 s start-up = 4 s compressed


def test_scale_out_never_passes_the_maximum() -> None:
    scaler = Autoscaler(SETTINGS, compression=60.0, now=0.0)
    count, _, _ = _run(scaler, 1, tps=500, start=0.0, seconds=10)
    assert count == POLICY.max_count


def test_idle_endpoint_scales_in_after_fifteen_low_datapoints_and_cooldown() -> None:
    scaler = Autoscaler(SETTINGS, compression=60.0, now=0.0)
    count, _, _ = _run(scaler, 4, tps=0, start=0.0, seconds=10)
    assert count == 4  # only 10 low datapoints yet
    count, _, _ = _run(scaler, count, tps=0, start=10.0, seconds=40)
    assert count == POLICY.min_count


def test_load_near_the_target_keeps_the_count() -> None:
    scaler = Autoscaler(SETTINGS, compression=60.0, now=0.0)
    count, _, _ = _run(scaler, 2, tps=19, start=0.0, seconds=40)  # 570/min per instance
    assert count == 2
    assert len(scaler.datapoints) >= 35 and all(500 < d < 620 for d in scaler.datapoints[1:])


def test_count_outside_the_bounds_is_brought_back() -> None:
    scaler = Autoscaler(SETTINGS, compression=60.0, now=0.0)
    assert scaler.tick(0.1, 0, 6, POLICY) == 4
    assert scaler.tick(0.2, 0, 0, POLICY) == 1


CONCURRENCY = ScalingPolicy(min_count=1, max_count=4, target=4.0, metric=CONCURRENCY_METRIC)


def test_concurrency_metric_is_requests_in_flight_per_instance_over_ten_second_periods() -> None:
    scaler = Autoscaler(SETTINGS, compression=60.0, now=0.0, metric=CONCURRENCY_METRIC)
    assert scaler.window_s == pytest.approx(10.0 / 60.0)
    count, now, area = 2, 0.0, 0.0
    while now < 0.55:  # 3 periods with 12 requests in flight: 6 per instance, above the target of 4
        now += 0.05
        area += 12 * 0.05
        new = scaler.tick(now, 0, count, CONCURRENCY, area)
        count = new or count
    assert scaler.datapoints[:3] == pytest.approx([6.0, 6.0, 6.0], rel=0.05)
    assert scaler.pending_count == 3  # ceil(2 x 6 / 4)


def test_concurrency_below_the_target_keeps_the_count() -> None:
    scaler = Autoscaler(SETTINGS, compression=60.0, now=0.0, metric=CONCURRENCY_METRIC)
    area = 0.0
    for tick in range(1, 200):
        area += 7.6 * 0.05  # 3.8 per instance on 2: between the scale-in threshold (3.6) and 4
        assert scaler.tick(tick * 0.05, 10_000 * tick, 2, CONCURRENCY, area) is None
    assert scaler.pending_count is None  # many invocations, but the metric is concurrency
