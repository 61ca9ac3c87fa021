"""What an LLM step measured: ``LlmMetrics``, from AIPerf's per-request export.

A step's ``StepResult.metrics`` is ``step_metrics(m)``: ``m.to_dict()`` plus the keys every step
has and the shared code reads (the report's table, the demo's lines, the requirement check):
``count_total``/``count_success``/``count_fail``, ``percent_fail``, ``latency_success_p50``/``p99``
(end-to-end latency of successful requests, ms) and ``achieved_tps`` (the offered request rate).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.serde import to_jsonable

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


@dataclass(frozen=True)
class Percentiles:
    """Percentiles of one per-request quantity, in milliseconds; None when no request had it."""

    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    mean: float | None = None
    max: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Percentiles:
        data = data or {}
        return cls(**{f.name: _opt_float(data.get(f.name)) for f in fields(cls)})


@dataclass(frozen=True)
class LlmMetrics:
    """One LLM step's measurement (the benchmark phase: warm-up records left out)."""

    requests: int  # benchmark-phase requests sent, errors (and requests lost at the grace period) included
    ok: int
    ko: int
    percent_fail: float  # 100 * ko / requests
    duration_s: float  # the measured window: first to last request start
    offered_rate: float  # requests started per second (from the export's start times)
    ttft_ms: Percentiles  # successful requests only
    itl_ms: Percentiles
    e2e_ms: Percentiles
    output_tokens_per_s: float  # successful requests' output tokens / duration (server counts)
    input_tokens_mean: float | None
    output_tokens_mean: float | None
    concurrency_mean: float  # Little's law: offered_rate * mean e2e s (what autoscaling sees)
    errors: tuple[tuple[str, int], ...]  # by kind ("HTTP 403", "ModelStreamError", ...), most first
    # Beyond the shared design: AIPerf's goodput, the successful requests that met every SLO it was
    # given (--goodput), and their rate over the window. None when no SLO was given.
    good_requests: int | None = None
    goodput_rps: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = [[kind, count] for kind, count in self.errors]
        result: dict[str, Any] = to_jsonable(data)
        return result

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LlmMetrics:
        return cls(
            requests=int(d["requests"]),
            ok=int(d["ok"]),
            ko=int(d["ko"]),
            percent_fail=float(d["percent_fail"]),
            duration_s=float(d["duration_s"]),
            offered_rate=float(d["offered_rate"]),
            ttft_ms=Percentiles.from_dict(d.get("ttft_ms")),
            itl_ms=Percentiles.from_dict(d.get("itl_ms")),
            e2e_ms=Percentiles.from_dict(d.get("e2e_ms")),
            output_tokens_per_s=float(d["output_tokens_per_s"]),
            input_tokens_mean=_opt_float(d.get("input_tokens_mean")),
            output_tokens_mean=_opt_float(d.get("output_tokens_mean")),
            concurrency_mean=float(d["concurrency_mean"]),
            errors=tuple((str(kind), int(count)) for kind, count in d.get("errors") or ()),
            good_requests=None if d.get("good_requests") is None else int(d["good_requests"]),
            goodput_rps=_opt_float(d.get("goodput_rps")),
        )


def step_metrics(m: LlmMetrics) -> dict[str, Any]:
    """``StepResult.metrics`` of an LLM step: the LLM metrics and the keys every step has."""
    return {
        **m.to_dict(),
        "workload": "llm",
        "count_total": m.requests,
        "count_success": m.ok,
        "count_fail": m.ko,
        "percent_success": 100.0 - m.percent_fail if m.requests else 0.0,
        "latency_success_p50": m.e2e_ms.p50,
        "latency_success_p99": m.e2e_ms.p99,
        "latency_success_max": m.e2e_ms.max,
        "achieved_tps": m.offered_rate,
    }


# Keys of several models' step metrics (``step_metrics``) that add up, and those whose worst
# (highest) value stands for a step where the models are loaded together.
_SUMMED = ("requests", "ok", "ko", "count_total", "count_success", "count_fail", "offered_rate",
           "achieved_tps", "output_tokens_per_s", "concurrency_mean")  # fmt: skip
_WORST = ("duration_s", "latency_success_p50", "latency_success_p99", "latency_success_max")
_PERCENTILES = ("ttft_ms", "itl_ms", "e2e_ms")


def combined_metrics(per_model: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The step metrics of models loaded together (an endpoint of inference components' step),
    from each one's ``step_metrics``: counts, rates and tokens/s summed, the failure percentage of
    all requests, each latency and percentile the worst model's (the step meets an SLO only if
    every model does), token counts the request-weighted means, the errors of all."""
    if len(per_model) == 1:
        return dict(per_model[0])
    out: dict[str, Any] = {"workload": "llm"}
    for key in _SUMMED:
        out[key] = sum(float(m.get(key) or 0) for m in per_model)
    for key in ("requests", "ok", "ko", "count_total", "count_success", "count_fail"):
        out[key] = int(out[key])
    out["percent_fail"] = 100.0 * out["ko"] / out["requests"] if out["requests"] else 0.0
    out["percent_success"] = 100.0 - out["percent_fail"] if out["requests"] else 0.0
    for key in _WORST:
        out[key] = _worst(m.get(key) for m in per_model)
    for key in _PERCENTILES:
        names = {name for m in per_model for name in (m.get(key) or {})}
        out[key] = {name: _worst((m.get(key) or {}).get(name) for m in per_model) for name in sorted(names)}
    for key in ("input_tokens_mean", "output_tokens_mean"):
        weighted = [(float(m[key]), int(m.get("ok") or 0)) for m in per_model if m.get(key) is not None]
        total = sum(n for _, n in weighted)
        out[key] = sum(v * n for v, n in weighted) / total if total else None
    out["errors"] = [error for m in per_model for error in (m.get("errors") or [])]
    return out


def _worst(values: Any) -> float | None:
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return max(numbers) if numbers else None


def _opt_float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None
