"""Does an LLM step meet the user's SLOs? TTFT, ITL, end-to-end p99 and the error rate, each named.

The step's metrics are ``core.llm.metrics.LlmMetrics.to_dict()`` (AIPerf's per-request export of
the step, warm-up excluded): ``requests``, ``ok``, ``percent_fail`` and the percentiles of the
successful requests in ``ttft_ms``, ``itl_ms`` and ``e2e_ms`` (milliseconds). A stream cut
mid-answer is a failed request there, never a success.

Strictness as in ``core.verdicts.requirements``: each value must be below its limit (``<``). The
values are compared as measured, to the fraction of a millisecond (an ITL of 45.9 ms is not 45
ms): perfsize's whole-millisecond p99 is its parser's, not a rule worth carrying to token gaps. A
step with no successful request fails whatever its numbers; a percentile that was not measured
(no streamed token, say) fails its SLO and says so. The reason names every SLO, and a failure
names only those missed, each with its measured value.

A step counts at the rate it offered. Poisson arrivals over a short step offer more or less than
its rate (about 1/sqrt(requests): +13% to +30% at 15 s steps of 2-3 req/s with AIPerf's seed 1),
and a rate the step did not offer was not measured: ``credited_rate`` is the rate one instance's
step is evidence for (a pass at no more than it offered, a failure at no less), and
``short_offer`` says why a step at a fixed rate (the peak) that met its SLOs is no pass there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class LlmLimits:
    """The SLOs of an LLM sizing (the conf's ``ttft_p99_ms``, ``itl_p99_ms``,
    ``latency_success_p99`` and ``percent_fail``)."""

    ttft_p99_ms: float
    itl_p99_ms: float
    e2e_p99_ms: float
    percent_fail: float

    @classmethod
    def of(cls, conf: Mapping[str, Any]) -> LlmLimits:
        """From a conf's JSON dict (``conf_to_dict``, what the tasks receive) or its attributes."""
        return cls(
            float(conf["ttft_p99_ms"]),
            float(conf["itl_p99_ms"]),
            float(conf["latency_success_p99"]),
            float(conf["percent_fail"]),
        )


def check_llm(metrics: Mapping[str, Any], limits: LlmLimits) -> tuple[bool, str]:
    """``(passed, reason)`` of an LLM step's metrics against the SLOs.

    Reasons read like ``"TTFT p99 412 ms < 1500 ms, ITL p99 38.2 ms < 60 ms, e2e p99 4120 ms <
    10000 ms, 0.00% fail < 1%"``, or on a failure ``"TTFT p99 2210 ms >= 1500 ms, 3.10% fail >= 1%"``.
    """
    requests = int(metrics.get("requests") or 0)
    ok = int(metrics.get("ok") or 0)
    fail = float(metrics.get("percent_fail") or 0.0)
    if requests == 0:
        return False, "no request was made"
    if ok == 0:
        return False, f"no successful request ({requests} requests, {fail:.2f}% fail)"
    checks = [
        _slo("TTFT p99", _p99(metrics, "ttft_ms"), limits.ttft_p99_ms, "ms"),
        _slo("ITL p99", _p99(metrics, "itl_ms"), limits.itl_p99_ms, "ms"),
        _slo("e2e p99", _p99(metrics, "e2e_ms"), limits.e2e_p99_ms, "ms"),
        _slo("fail", fail, limits.percent_fail, "%"),
    ]
    if all(ok for ok, _ in checks):
        return True, ", ".join(words for _, words in checks)
    return False, ", ".join(words for ok, words in checks if not ok)


# The offered rate's precision: within this share of the step's rate, a step counts at its rate.
RATE_TOLERANCE = 0.05


def credited_rate(rate: float, passed: bool, metrics: Mapping[str, Any] | None) -> float:
    """The request rate a single-instance step is evidence for: its own ``rate`` unless it offered
    more than ``RATE_TOLERANCE`` under it and passed (then the offered rate: the instance held that,
    not ``rate``), or offered more than that over it and failed (then the offered rate: it failed
    there, not at ``rate``). A step that held more than its rate, or failed at less, counts at its
    rate. No offered rate measured: ``rate``."""
    offered = _offered(metrics)
    if offered is None:
        return rate
    if passed and offered < rate * (1 - RATE_TOLERANCE):
        return offered
    if not passed and offered > rate * (1 + RATE_TOLERANCE):
        return offered
    return rate


def short_offer(rate: float, metrics: Mapping[str, Any]) -> str | None:
    """Why a step that met its SLOs is no pass at ``rate`` (its requests' average rate, ramp
    included), or None: it offered more than ``RATE_TOLERANCE`` under ``rate``."""
    offered = _offered(metrics)
    if offered is None or offered >= rate * (1 - RATE_TOLERANCE):
        return None
    return (
        f"not a pass at {rate:.3g} req/s: requests were offered at {offered:.3g} req/s "
        f"({100 * (offered / rate - 1):+.0f}%, {int(metrics.get('requests') or 0)} requests)"
    )


def _offered(metrics: Mapping[str, Any] | None) -> float | None:
    value = (metrics or {}).get("offered_rate")
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return float(value)


def _p99(metrics: Mapping[str, Any], key: str) -> float | None:
    value = (metrics.get(key) or {}).get("p99")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _slo(name: str, value: float | None, limit: float, unit: str) -> tuple[bool, str]:
    if value is None:
        return False, f"{name} not measured (limit {_num(limit)} {unit})"
    passed = value < limit
    sign = "<" if passed else ">="
    if unit == "%":
        return passed, f"{value:.2f}% fail {sign} {_num(limit)}%"
    return passed, f"{name} {_ms(value)} ms {sign} {_num(limit)} ms"


def _ms(value: float) -> str:
    """Whole milliseconds from 100 ms up, one decimal below (token gaps are tens of ms)."""
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _num(value: float) -> str:
    return f"{value:g}"
