"""perfsizesagemaker's pass rule: p99 < limit and percent_fail < limit, strictly; no success fails."""

from __future__ import annotations

from typing import Any

import pytest
from sagemaker_sizing.core.verdicts.requirements import check


def metrics(p99: float | None, fail: float = 0.0, total: int = 1000) -> dict[str, Any]:
    failed = round(total * fail / 100)
    return {
        "count_total": total,
        "count_success": total - failed,
        "count_fail": failed,
        "percent_fail": fail,
        "latency_success_p99": p99,
    }


def test_passes_below_both_limits() -> None:
    assert check(metrics(42.3), 500, 0.1) == (True, "p99 42 ms < 500 ms, 0.00% fail < 0.1%")


def test_latency_over_the_limit_fails() -> None:
    assert check(metrics(812.7), 500, 0.1) == (False, "p99 812 ms >= 500 ms")


def test_equal_is_not_below() -> None:
    passed, reason = check(metrics(500.0), 500, 0.1)
    assert not passed and reason == "p99 500 ms >= 500 ms"
    passed, reason = check(metrics(10.0, fail=0.1), 500, 0.1)
    assert not passed and reason == "0.10% fail >= 0.1%"


def test_integer_part_is_compared_like_perfsize() -> None:
    # perfsize keeps int(percentile): 499.9 ms counts as 499 < 500.
    assert check(metrics(499.9), 500, 0.1)[0] is True


def test_both_missed_are_both_named() -> None:
    passed, reason = check(metrics(900.0, fail=5.0), 500, 1)
    assert not passed
    assert reason == "p99 900 ms >= 500 ms, 5.00% fail >= 1%"


def test_zero_success_fails_even_with_a_generous_limit() -> None:
    passed, reason = check(metrics(None, fail=100.0, total=40), 10_000, 100.5)
    assert not passed and reason == "no successful request (40 requests, 100.00% fail)"


def test_no_request_fails() -> None:
    assert check({"count_total": 0}, 500, 1) == (False, "no request was made")


def test_negative_limits_are_rejected() -> None:
    with pytest.raises(ValueError, match="limits must be >= 0"):
        check(metrics(1.0), -1, 0.1)
