"""PLACEHOLDER until llm-size's SLO check lands (core/verdicts/llm_requirements.py): does a measured
LLM step meet the conf's SLOs? The parse task's AIPerf branch calls ``check_llm_slos``; llm-size
replaces this module (and that one import) with the real check.

The rule of docs/llm.md's design: TTFT p99, ITL p99 and end-to-end p99 of successful requests and
the error percentage, each against its limit with requirements.py's strictness (measured < limit);
a step with no successful request fails. The reason names every SLO missed, with the value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sagemaker_sizing.core.llm.metrics import LlmMetrics


def check_llm_slos(metrics: LlmMetrics, conf: Mapping[str, Any]) -> tuple[bool, str]:
    """``(passed, reason)`` of ``metrics`` against the conf's SLOs (absent ones are not checked)."""
    if metrics.requests == 0:
        return False, "no request was made"
    if metrics.ok == 0:
        return False, f"no successful request ({metrics.requests} requests, {metrics.percent_fail:.2f}% fail)"
    checks = [
        ("TTFT p99", metrics.ttft_ms.p99, conf.get("ttft_p99_ms"), "ms"),
        ("ITL p99", metrics.itl_ms.p99, conf.get("itl_p99_ms"), "ms"),
        ("e2e p99", metrics.e2e_ms.p99, conf.get("latency_success_p99"), "ms"),
        ("fail", metrics.percent_fail, conf.get("percent_fail"), "%"),
    ]
    words, missed = [], []
    for name, value, limit, unit in checks:
        if limit is None:
            continue
        ok = value is not None and value < float(limit)
        shown = (
            "unmeasured" if value is None else f"{value:.2f}{unit}" if unit == "%" else f"{value:.0f} {unit}"
        )
        text = f"{name} {shown} {'<' if ok else '>='} {float(limit):g}{'' if unit == '%' else ' '}{unit}"
        words.append(text)
        if not ok:
            missed.append(text)
    return (not missed), ", ".join(missed or words)
