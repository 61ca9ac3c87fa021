"""The LLM SLO check: TTFT, ITL, end-to-end p99 and the error rate, each named with its value."""

from __future__ import annotations

from typing import Any

import pytest
from sagemaker_sizing.core.verdicts.llm_requirements import LlmLimits, check_llm

LIMITS = LlmLimits(ttft_p99_ms=1500, itl_p99_ms=60, e2e_p99_ms=10000, percent_fail=1)


def metrics(
    ttft: float | None = 412.3, itl: float | None = 38.24, e2e: float | None = 4120.7, **kw: Any
) -> dict[str, Any]:
    return {
        "requests": 300,
        "ok": 300,
        "ko": 0,
        "percent_fail": 0.0,
        "ttft_ms": {"p50": 120.0, "p99": ttft},
        "itl_ms": {"p50": 30.0, "p99": itl},
        "e2e_ms": {"p50": 3000.0, "p99": e2e},
    } | kw


def test_a_step_within_every_slo_passes_and_says_each() -> None:
    assert check_llm(metrics(), LIMITS) == (
        True,
        "TTFT p99 412 ms < 1500 ms, ITL p99 38.2 ms < 60 ms, e2e p99 4121 ms < 10000 ms, 0.00% fail < 1%",
    )


def test_a_failure_names_every_missed_slo_with_its_value_and_only_those() -> None:
    passed, reason = check_llm(metrics(ttft=2210.0, percent_fail=3.1, ok=290, ko=10), LIMITS)
    assert not passed
    assert reason == "TTFT p99 2210 ms >= 1500 ms, 3.10% fail >= 1%"


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"itl": 60.0}, "ITL p99 60.0 ms >= 60 ms"),  # at the limit: strict, as requirements.py
        ({"itl": 60.04}, "ITL p99 60.0 ms >= 60 ms"),  # compared as measured, not truncated
        ({"e2e": 10000.0}, "e2e p99 10000 ms >= 10000 ms"),
        ({"ttft": None}, "TTFT p99 not measured (limit 1500 ms)"),
    ],
)
def test_each_slo_is_strict_and_compared_as_measured(override: dict[str, Any], words: str) -> None:
    passed, reason = check_llm(metrics(**override), LIMITS)
    assert not passed and reason == words


def test_just_below_the_itl_limit_passes() -> None:
    assert check_llm(metrics(itl=59.96), LIMITS)[0]


def test_no_request_or_no_success_fails_whatever_the_numbers() -> None:
    assert check_llm(metrics(requests=0, ok=0), LIMITS) == (False, "no request was made")
    assert check_llm(metrics(ok=0, ko=300, percent_fail=100.0), LIMITS) == (
        False,
        "no successful request (300 requests, 100.00% fail)",
    )


def test_limits_come_from_the_conf_as_the_tasks_receive_it() -> None:
    conf = {"ttft_p99_ms": 800, "itl_p99_ms": 45.5, "latency_success_p99": 9000, "percent_fail": 0.5}
    assert LlmLimits.of(conf) == LlmLimits(800.0, 45.5, 9000.0, 0.5)


def test_a_step_is_credited_at_the_rate_it_offered_where_that_is_against_it() -> None:
    from sagemaker_sizing.core.verdicts.llm_requirements import credited_rate, short_offer

    # A pass counts at no more than it offered; a failure at no less; within 5%, the step's rate.
    assert credited_rate(3.0, True, {"offered_rate": 2.4}) == 2.4
    assert credited_rate(3.0, True, {"offered_rate": 3.9}) == 3.0
    assert credited_rate(3.0, False, {"offered_rate": 3.9}) == 3.9
    assert credited_rate(3.0, False, {"offered_rate": 2.4}) == 3.0
    assert credited_rate(3.0, True, {"offered_rate": 2.9}) == 3.0
    assert credited_rate(3.0, True, {}) == 3.0 and credited_rate(3.0, True, None) == 3.0
    assert short_offer(6.0, {"offered_rate": 6.2}) is None
    assert short_offer(6.0, {"offered_rate": 5.8}) is None
    assert short_offer(6.0, {"offered_rate": 5.1, "requests": 92}) == (
        "not a pass at 6 req/s: requests were offered at 5.1 req/s (-15%, 92 requests)"
    )
