"""AIPerf's exports of one LLM step, read into ``LlmMetrics`` and the step's failed requests.

The source is ``profile_export.jsonl`` (one record per request, errors included), not the summary
``profile_export_aiperf.json``: AIPerf writes no summary when every request failed, its request
throughput divides by a window that includes the drain, and it has no offered rate. What the
records do not say, read with care (measured: docs/operations.md, "LLM load: AIPerf"):

- warm-up records sit in the same file (``metadata.benchmark_phase == "warmup"``): left out;
- error records carry no latency; a stream cut mid-answer (``ModelStreamError``, an incomplete
  frame) is an error record: a failed request, never a success;
- requests still in flight when the benchmark's grace period ends are cancelled and vanish from
  the records and from AIPerf's error counts. Their only trace is AIPerf's log line
  ``Phase profiling (profiling) sending complete | sent=N``: the records missing from N are
  counted as failed requests of kind ``LostAtGracePeriod`` (no answer in time).

Percentiles are numpy's default (linear) method, as the Gatling parser computes them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sagemaker_sizing.core.gatling.metrics import failure_message
from sagemaker_sizing.core.llm.metrics import LlmMetrics, Percentiles

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

RECORDS_FILE = "profile_export.jsonl"
SUMMARY_FILE = "profile_export_aiperf.json"
LOG_FILE = "logs/aiperf.log"
PROFILING = "profiling"
# Error kinds of requests with no record of their own.
LOST_AT_GRACE = "LostAtGracePeriod"
CANCELLED = "Cancelled"
MESSAGE_CHARS = 300  # of an error's message, kept per distinct failure

_SENT = re.compile(r"Phase \S+ \(profiling\) sending complete \| sent=([\d,]+)")
_CANCELLED = re.compile(r"Phase \S+ \(profiling\) complete \| completed=[\d,]+, cancelled=([\d,]+)")
# Parts of AIPerf's error messages that differ from request to request, beyond failure_message's
# ids: object addresses in reprs.
_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


class AIPerfExportError(ValueError):
    """The step folder holds no readable per-request export."""


@dataclass(frozen=True)
class Failure:
    """Failed requests of one kind and message."""

    kind: str  # "HTTP 403", "ModelStreamError", "ConnectionRefused", "LostAtGracePeriod", ...
    message: str
    count: int
    first_start_ns: int | None  # the earliest request start among them (None: no record)


@dataclass(frozen=True)
class AIPerfExport:
    """What one step's exports say: the metrics and what the verdicts need beside them."""

    metrics: LlmMetrics
    failures: tuple[Failure, ...]  # most frequent first
    records: int  # benchmark-phase records in the jsonl
    warmup_records: int
    sent: int | None  # benchmark-phase requests AIPerf says it sent (its log); None: unknown
    first_start_ns: int | None
    first_ok_start_ns: int | None  # start of the first successful request
    # Client back-pressure: credit issued (the arrival was due) to request start, ms.
    start_latency_p99_ms: float | None
    summary: dict[str, Any] | None = field(default=None, repr=False)  # profile_export_aiperf.json

    @property
    def lost(self) -> int:
        return max(0, (self.sent or 0) - self.records)

    @property
    def was_cancelled(self) -> bool:
        """AIPerf was stopped before its end (SIGINT: the load task's time budget ran out)."""
        return bool(self.summary and self.summary.get("was_cancelled"))


def read_export(folder: Path) -> AIPerfExport:
    """The exports of the step folder ``folder`` (AIPerf's artifact dir). Raises AIPerfExportError
    when it holds no ``profile_export.jsonl`` and its log names no request sent (a run whose every
    request was lost at the grace period writes no jsonl: that is a measurement, all failed)."""
    log = folder / LOG_FILE
    log_text = log.read_text(errors="replace") if log.is_file() else ""
    sent = sent_requests(log_text)
    summary_file = folder / SUMMARY_FILE
    summary = _json_object(summary_file.read_text()) if summary_file.is_file() else None
    records = folder / RECORDS_FILE
    if not records.is_file():
        if not sent:
            raise AIPerfExportError(f"no {RECORDS_FILE} in {folder}")
        return parse_records((), sent=sent, summary=summary)
    with records.open(encoding="utf-8", errors="replace") as lines:
        return parse_records(lines, sent=sent, summary=summary)


def sent_requests(log_text: str) -> int | None:
    """Benchmark-phase requests AIPerf sent, from its log (the last such line: one run per folder)."""
    found = _SENT.findall(log_text)
    return int(found[-1].replace(",", "")) if found else None


def cancelled_requests(log_text: str) -> int | None:
    """Benchmark-phase requests AIPerf cancelled at the end of its grace period, from its log."""
    found = _CANCELLED.findall(log_text)
    return int(found[-1].replace(",", "")) if found else None


@dataclass
class _Columns:
    """The per-record values kept (a step may have many thousand records)."""

    start: list[int] = field(default_factory=list)  # every benchmark record's start, ns
    start_latency: list[float] = field(default_factory=list)  # ms
    ok_start: list[int] = field(default_factory=list)
    ttft: list[float] = field(default_factory=list)
    itl: list[float] = field(default_factory=list)
    e2e: list[float] = field(default_factory=list)
    input_tokens: list[float] = field(default_factory=list)
    output_tokens: list[float] = field(default_factory=list)
    good: int | None = None
    records: int = 0
    warmup: int = 0
    failures: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # -> [count, first ns]


def parse_records(
    lines: Iterable[str], *, sent: int | None = None, summary: dict[str, Any] | None = None
) -> AIPerfExport:
    """``AIPerfExport`` of the jsonl ``lines``; ``sent`` as AIPerf's log says (None: unknown)."""
    cols = _Columns()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            # A run stopped hard (SIGKILL) can leave its last line half-written: that one is lost.
            continue
        if not isinstance(record, dict):
            raise AIPerfExportError(f"{RECORDS_FILE} line {number}: not a JSON object")
        _add(cols, record)
    return _export(cols, sent, summary)


def _add(cols: _Columns, record: dict[str, Any]) -> None:
    meta = record.get("metadata") or {}
    if meta.get("benchmark_phase", PROFILING) != PROFILING:
        cols.warmup += 1
        return
    cols.records += 1
    metrics = record.get("metrics") or {}
    start = _int(meta.get("request_start_ns")) or _int(meta.get("credit_issued_ns"))
    if start is not None:
        cols.start.append(start)
        issued = _int(meta.get("credit_issued_ns"))
        if issued is not None:
            cols.start_latency.append((start - issued) / 1e6)
    error = record.get("error")
    if error or meta.get("was_cancelled"):
        kind, message = error_kind(error) if error else (CANCELLED, "cancelled by AIPerf")
        seen = cols.failures.setdefault((kind, message), [0, start if start is not None else -1])
        seen[0] += 1
        if start is not None and (seen[1] < 0 or start < seen[1]):
            seen[1] = start
        return
    if start is not None:
        cols.ok_start.append(start)
    _append(cols.ttft, metrics, "time_to_first_token")
    _append(cols.itl, metrics, "inter_token_latency")
    _append(cols.e2e, metrics, "request_latency")
    _append(cols.input_tokens, metrics, "input_sequence_length", "usage_prompt_tokens")
    _append(cols.output_tokens, metrics, "output_sequence_length", "usage_completion_tokens")
    good = _value(metrics, "good_request_count")
    if good is not None:
        cols.good = (cols.good or 0) + int(good)


def error_kind(error: dict[str, Any]) -> tuple[str, str]:
    """``(kind, message)`` of an AIPerf ``ErrorDetails``: ``HTTP <code>`` for a status, else the
    exception's class (``ConnectionRefused`` / ``ConnectionReset`` for those causes), and its
    message with per-request parts replaced."""
    code, kind = error.get("code"), str(error.get("type") or "Error")
    chain = [str(c) for c in error.get("cause_chain") or ()]
    message = str(error.get("message") or "")
    if code is not None:
        kind = f"HTTP {code}"
        message = f"{error.get('type') or 'status'}: {message}"
    elif "ConnectionRefusedError" in chain:
        kind = "ConnectionRefused"
    elif "ConnectionResetError" in chain or kind in ("ServerDisconnectedError", "ClientOSError"):
        kind = "ConnectionReset"
    message = _ADDRESS.sub("", failure_message(message))
    return kind, message[:MESSAGE_CHARS]


def _export(cols: _Columns, sent: int | None, summary: dict[str, Any] | None) -> AIPerfExport:
    records = cols.records
    lost = max(0, sent - records) if sent is not None else 0
    failures = [
        Failure(kind, message, count, first if first >= 0 else None)
        for (kind, message), (count, first) in cols.failures.items()
    ]
    if lost:
        failures.append(
            Failure(
                LOST_AT_GRACE,
                f"{lost} request(s) still unanswered when AIPerf's grace period ended (no record)",
                lost,
                None,
            )
        )
    failures.sort(key=lambda f: (-f.count, f.kind, f.message))
    ko = sum(f.count for f in failures)
    requests = records + lost
    ok = requests - ko
    starts = np.sort(np.asarray(cols.start, dtype=np.int64))
    span_s = float(starts[-1] - starts[0]) / 1e9 if starts.size > 1 else 0.0
    offered = (starts.size - 1) / span_s if span_s > 0 else 0.0
    e2e = percentiles(cols.e2e)
    output_total = float(np.sum(cols.output_tokens)) if cols.output_tokens else 0.0
    errors: dict[str, int] = {}
    for f in failures:
        errors[f.kind] = errors.get(f.kind, 0) + f.count
    metrics = LlmMetrics(
        requests=requests,
        ok=ok,
        ko=ko,
        percent_fail=100.0 * ko / requests if requests else 0.0,
        duration_s=span_s,
        offered_rate=offered,
        ttft_ms=percentiles(cols.ttft),
        itl_ms=percentiles(cols.itl),
        e2e_ms=e2e,
        output_tokens_per_s=output_total / span_s if span_s > 0 else 0.0,
        input_tokens_mean=_mean(cols.input_tokens),
        output_tokens_mean=_mean(cols.output_tokens),
        concurrency_mean=offered * (e2e.mean or 0.0) / 1000.0,
        errors=tuple(sorted(errors.items(), key=lambda kv: (-kv[1], kv[0]))),
        good_requests=cols.good,
        goodput_rps=(cols.good / span_s if span_s > 0 else 0.0) if cols.good is not None else None,
    )
    return AIPerfExport(
        metrics=metrics,
        failures=tuple(failures),
        records=records,
        warmup_records=cols.warmup,
        sent=sent,
        first_start_ns=int(starts[0]) if starts.size else None,
        first_ok_start_ns=min(cols.ok_start) if cols.ok_start else None,
        start_latency_p99_ms=percentiles(cols.start_latency).p99,
        summary=summary,
    )


def percentiles(values: list[float]) -> Percentiles:
    """p50, p90, p99 (numpy's linear method), mean and max; all None for no value."""
    if not values:
        return Percentiles()
    array = np.asarray(values, dtype=np.float64)
    p50, p90, p99 = (float(v) for v in np.percentile(array, [50, 90, 99]))
    return Percentiles(p50=p50, p90=p90, p99=p99, mean=float(array.mean()), max=float(array.max()))


def _value(metrics: dict[str, Any], name: str) -> float | None:
    entry = metrics.get(name)
    value = entry.get("value") if isinstance(entry, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _append(target: list[float], metrics: dict[str, Any], *names: str) -> None:
    for name in names:
        value = _value(metrics, name)
        if value is not None:
            target.append(value)
            return


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None
