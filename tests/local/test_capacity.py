"""The capacity model's ground truth: pure functions, no processes."""

from __future__ import annotations

import pytest
from sagemaker_sizing.local.capacity import analytical_capacity, load_profile, service_rate

PROFILE = load_profile()
REQUIRED_TYPES = (
    "ml.m5.large",
    "ml.m5.xlarge",
    "ml.c5.large",
    "ml.c5.xlarge",
    "ml.m5.2xlarge",
    "ml.c5.2xlarge",
)


def test_bundled_profile_covers_the_usual_types_and_a_default() -> None:
    for name in (*REQUIRED_TYPES, "default"):
        assert name in PROFILE.instance_types


def test_example_payload_sizes_m5_large_between_40_and_60_tps_and_xlarge_twice() -> None:
    large = analytical_capacity(PROFILE, "ml.m5.large", 1, 500)
    xlarge = analytical_capacity(PROFILE, "ml.m5.xlarge", 1, 500)
    assert 40 <= large <= 60
    assert xlarge == pytest.approx(2 * large)


def test_capacity_is_linear_in_instance_count() -> None:
    one = analytical_capacity(PROFILE, "ml.c5.xlarge", 1, 500)
    assert analytical_capacity(PROFILE, "ml.c5.xlarge", 3, 500) == pytest.approx(3 * one)
    assert analytical_capacity(PROFILE, "ml.c5.xlarge", 0, 500) == 0.0


def test_capacity_is_workers_over_service_time() -> None:
    service_ms = PROFILE.service_ms("ml.c5.2xlarge")
    assert analytical_capacity(PROFILE, "ml.c5.2xlarge", 1, 500) == pytest.approx(8 * 1000 / service_ms)


def test_a_limit_below_the_service_time_allows_nothing() -> None:
    service_p99 = PROFILE.service_p99_ms("ml.m5.large")
    assert analytical_capacity(PROFILE, "ml.m5.large", 4, service_p99 - 1) == 0.0
    assert analytical_capacity(PROFILE, "ml.m5.large", 4, service_p99 + 1) > 0.0


def test_bigger_payloads_take_longer() -> None:
    small = service_rate(PROFILE, "ml.m5.large", 1, payload_bytes=100)
    big = service_rate(PROFILE, "ml.m5.large", 1, payload_bytes=100 * 1024)
    assert big < small / 5


def test_unknown_instance_type_falls_back_to_default() -> None:
    assert analytical_capacity(PROFILE, "ml.x99.huge", 1, 500) == analytical_capacity(
        PROFILE, "default", 1, 500
    )
