"""Does a step meet the user's requirements? perfsizesagemaker's rule, with the reason in words.

A step passes when its success p99 latency < ``latency_success_p99`` and its percent_fail <
``percent_fail`` (both strict). Like perfsize, the p99 compared is the integer part in ms (its
parser stores ``int(percentile)``); with the usual whole-ms limits that is the same as comparing the
exact value. A step with no successful request fails whatever its numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping


def check(
    metrics_all: Mapping[str, Any], latency_success_p99: float, percent_fail: float
) -> tuple[bool, str]:
    """``(passed, reason)`` for the parser's ``all`` metrics against the two limits.

    Reasons read like ``"p99 42 ms < 500 ms, 0.00% fail < 0.1%"`` or ``"p99 812 ms >= 500 ms"``;
    a failure names only the requirements that were missed.
    """
    if latency_success_p99 < 0 or percent_fail < 0:
        raise ValueError(f"limits must be >= 0, got p99 {latency_success_p99} ms and {percent_fail}% fail")
    total = int(metrics_all.get("count_total") or 0)
    successes = int(metrics_all.get("count_success") or 0)
    fail = float(metrics_all.get("percent_fail") or 0.0)
    p99 = metrics_all.get("latency_success_p99")
    if total == 0:
        return False, "no request was made"
    if successes == 0 or p99 is None:
        return False, f"no successful request ({total} requests, {fail:.2f}% fail)"
    p99_ms = int(float(p99))
    latency_ok = p99_ms < latency_success_p99
    fail_ok = fail < percent_fail
    latency_words = f"p99 {p99_ms} ms {'<' if latency_ok else '>='} {_num(latency_success_p99)} ms"
    fail_words = f"{fail:.2f}% fail {'<' if fail_ok else '>='} {_num(percent_fail)}%"
    if latency_ok and fail_ok:
        return True, f"{latency_words}, {fail_words}"
    missed = [words for ok, words in ((latency_ok, latency_words), (fail_ok, fail_words)) if not ok]
    return False, ", ".join(missed)


def _num(value: float) -> str:
    return f"{value:g}"
