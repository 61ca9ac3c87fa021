"""PLACEHOLDER for llm-size's SLO check (``core/verdicts/llm_requirements.py``: ``LlmLimits``,
``check_llm``), with the same names and signatures, so the parse task's AIPerf branch switches
with one import line when that module is in main. Does a measured LLM step meet the conf's SLOs?

TTFT p99, ITL p99 and end-to-end p99 of successful requests and the error percentage, each below
its limit (``<``, as core.verdicts.requirements); a step with no successful request fails; a
percentile not measured fails its SLO. The reason names every SLO missed, with the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class LlmLimits:
    ttft_p99_ms: float
    itl_p99_ms: float
    e2e_p99_ms: float
    percent_fail: float

    @classmethod
    def of(cls, conf: Mapping[str, Any]) -> LlmLimits:
        return cls(
            float(conf["ttft_p99_ms"]),
            float(conf["itl_p99_ms"]),
            float(conf["latency_success_p99"]),
            float(conf["percent_fail"]),
        )


def check_llm(metrics: Mapping[str, Any], limits: LlmLimits) -> tuple[bool, str]:
    """``(passed, reason)`` of an LLM step's metrics (``LlmMetrics.to_dict()``) against the SLOs."""
    requests, ok = int(metrics.get("requests") or 0), int(metrics.get("ok") or 0)
    fail = float(metrics.get("percent_fail") or 0.0)
    if requests == 0:
        return False, "no request was made"
    if ok == 0:
        return False, f"no successful request ({requests} requests, {fail:.2f}% fail)"
    checks = [
        (name, (metrics.get(key) or {}).get("p99"), limit)
        for name, key, limit in (
            ("TTFT p99", "ttft_ms", limits.ttft_p99_ms),
            ("ITL p99", "itl_ms", limits.itl_p99_ms),
            ("e2e p99", "e2e_ms", limits.e2e_p99_ms),
        )
    ]
    words, missed = [], []
    for name, value, limit in checks:
        passed = value is not None and value < limit
        shown = "unmeasured" if value is None else f"{value:.1f} ms"
        text = f"{name} {shown} {'<' if passed else '>='} {limit:g} ms"
        words.append(text)
        if not passed:
            missed.append(text)
    fail_text = f"{fail:.2f}% fail {'<' if fail < limits.percent_fail else '>='} {limits.percent_fail:g}%"
    words.append(fail_text)
    if fail >= limits.percent_fail:
        missed.append(fail_text)
    return (not missed), ", ".join(missed or words)
