"""perfsizesagemaker's metrics from REQUEST records, accumulated batch by batch.

Kept per request key: success latencies (int32 ms) and their start second (int32), a few counters.
Percentiles are numpy's default (linear) over success latencies, as perfsize computes them, so the
integer parts match its parser exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from sagemaker_sizing.core.gatling.scanner import RequestBatch

PERCENTILES = (25, 50, 75, 90, 95, 98, 99)
# A second whose arrivals fall below this share of the target counts as the injector lagging.
BEHIND_RATIO = 0.9
MAX_SPAN_S = 7 * 86400  # the per-second series is dense: refuse spans no load test has

I32 = npt.NDArray[np.int32]


@dataclass
class KeyStats:
    """Everything kept for one request key (or for all requests)."""

    latencies: list[I32] = field(default_factory=list)  # success latencies, ms
    seconds: list[I32] = field(default_factory=list)  # their start second, offset from ``base_s``
    count_ok: int = 0
    count_ko: int = 0
    first_start: int | None = None
    last_start: int | None = None
    last_end: int | None = None

    def add(
        self, start: npt.NDArray[np.int64], end: npt.NDArray[np.int64], ok: npt.NDArray[np.bool_]
    ) -> None:
        n_ok = int(np.count_nonzero(ok))
        self.count_ok += n_ok
        self.count_ko += ok.size - n_ok
        lo, hi, hi_end = int(start.min()), int(start.max()), int(end.max())
        self.first_start = lo if self.first_start is None else min(self.first_start, lo)
        self.last_start = hi if self.last_start is None else max(self.last_start, hi)
        self.last_end = hi_end if self.last_end is None else max(self.last_end, hi_end)

    def latency_array(self) -> I32:
        return np.concatenate(self.latencies) if self.latencies else np.zeros(0, dtype=np.int32)

    def metrics(self, target_tps: float | None) -> dict[str, Any]:
        total = self.count_ok + self.count_ko
        out: dict[str, Any] = {
            "count_success": self.count_ok,
            "count_fail": self.count_ko,
            "count_total": total,
            "percent_success": 100.0 * self.count_ok / total if total else 0.0,
            "percent_fail": 100.0 * self.count_ko / total if total else 0.0,
        }
        out.update(latency_metrics(self.latency_array()))
        span_ms = (self.last_start or 0) - (self.first_start or 0)
        # Arrival rate over the span of request starts: n starts make n-1 intervals, so a 10 s run
        # at 100 TPS (starts at 0.00 .. 9.99 s) gives exactly 100.
        achieved = (total - 1) / (span_ms / 1000.0) if span_ms > 0 else None
        out.update(
            achieved_tps=achieved,
            simulation_start=self.first_start,
            simulation_end=self.last_end,
            duration_s=span_ms / 1000.0,
        )
        if target_tps is not None:
            out["target_tps"] = target_tps
            out["tps_ratio"] = achieved / target_tps if achieved is not None and target_tps > 0 else None
        return out


def latency_metrics(latencies: I32) -> dict[str, Any]:
    """min, p25..p99 and max of success latencies in ms; None when nothing succeeded."""
    keys = ["latency_success_min", *(f"latency_success_p{p}" for p in PERCENTILES), "latency_success_max"]
    if latencies.size == 0:
        return dict.fromkeys(keys)
    ordered = np.sort(latencies)  # one sort (vectorised, ms for 1M) serves every percentile
    return {
        keys[0]: int(ordered[0]),
        **{k: sorted_percentile(ordered, p) for k, p in zip(keys[1:-1], PERCENTILES, strict=True)},
        keys[-1]: int(ordered[-1]),
    }


def sorted_percentile(ordered: npt.NDArray[Any], q: float) -> float:
    """``np.percentile(a, q)`` (default linear method) of ``ordered = np.sort(a)``, bit for bit."""
    return float(runs_percentile(ordered, np.zeros(1, np.int64), np.full(1, ordered.size), q)[0])


def runs_percentile(
    ordered: npt.NDArray[Any], begins: npt.NDArray[np.int64], sizes: npt.NDArray[np.int64], q: float
) -> npt.NDArray[np.float64]:
    """The linear ``q``-th percentile of each sorted run ``ordered[begin : begin + size]``: numpy's
    virtual index and its two-sided interpolation (``_lerp``), so the values are np.percentile's."""
    virtual = (q / 100) * (sizes - 1)
    below = np.floor(virtual).astype(np.int64)
    above = np.minimum(below + 1, sizes - 1)
    a = ordered[begins + below].astype(np.float64)
    b = ordered[begins + above].astype(np.float64)
    t = virtual - below
    diff = b - a
    values: npt.NDArray[np.float64] = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
    return values


# Parts of a KO message that differ from request to request: a UUID (a request id) or a long hex
# run (Netty's NotSslRecordException dumps the bytes it got). One failure is one message.
_VARIABLE_PART = re.compile(r"\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b|[0-9a-fA-F]{16,}")


def failure_message(message: str) -> str:
    """A KO message with its per-request parts replaced by "…", so equal failures count together."""
    return _VARIABLE_PART.sub("…", message)


class MetricsAccumulator:
    """Folds request batches (from any number of files) into per-key stats and per-second counts."""

    def __init__(self) -> None:
        self.by_key: dict[str, KeyStats] = {}
        self.all = KeyStats()
        self.base_s: int | None = None  # second offsets are relative to the first start second seen
        self.requests = np.zeros(0, dtype=np.int64)  # per second from base_s (may grow both ways)
        self.errors = np.zeros(0, dtype=np.int64)
        self.failures: dict[str, list[int]] = {}  # KO message -> [count, first start ms]

    def add(self, batch: RequestBatch) -> None:
        for message, (count, first) in batch.failures.items():
            seen = self.failures.setdefault(failure_message(message), [0, first])
            seen[0] += count
            seen[1] = min(seen[1], first)
        second = batch.start_ms // 1000
        if self.base_s is None:
            self.base_s = int(second.min())
        self._shift_base(int(second.min()))
        offset = (second - self.base_s).astype(np.int32)
        self._count_seconds(offset, batch.ok)
        latency = (batch.end_ms - batch.start_ms).astype(np.int32)
        self.all.add(batch.start_ms, batch.end_ms, batch.ok)
        single = len(batch.keys) == 1
        for k, key in enumerate(batch.keys):
            rows = slice(None) if single else batch.key_index == k
            stats = self.by_key.setdefault(key, KeyStats())
            ok = batch.ok[rows]
            stats.add(batch.start_ms[rows], batch.end_ms[rows], ok)
            stats.latencies.append(latency[rows][ok])
            stats.seconds.append(offset[rows][ok])

    def _shift_base(self, first_second: int) -> None:
        """Re-base when a merged file starts earlier than everything seen so far."""
        assert self.base_s is not None
        shift = self.base_s - first_second
        if shift <= 0:
            return
        if shift + self.requests.size > MAX_SPAN_S:
            raise ValueError(f"request start times span {shift / 86400:.0f}+ days: not one load test")
        pad = np.zeros(shift, dtype=np.int64)
        self.requests = np.concatenate([pad, self.requests])
        self.errors = np.concatenate([pad, self.errors])
        for stats in self.by_key.values():
            stats.seconds = [s + np.int32(shift) for s in stats.seconds]
        self.base_s = first_second

    def _count_seconds(self, offset: I32, ok: npt.NDArray[np.bool_]) -> None:
        size = max(int(offset.max()) + 1, self.requests.size)
        if size > MAX_SPAN_S:
            raise ValueError(f"request start times span {size / 86400:.0f} days: not one load test")
        requests = np.bincount(offset, minlength=size)
        errors = np.bincount(offset[~ok], minlength=size)
        requests[: self.requests.size] += self.requests
        errors[: self.errors.size] += self.errors
        self.requests, self.errors = requests, errors

    def summary(self, target_tps: float | None) -> dict[str, Any]:
        """``all`` and ``by_request`` metrics, the ``per_second`` series and the KO ``failures``
        (``{"message", "count", "first_ms"}``, most frequent first)."""
        every = [a for s in self.by_key.values() for a in s.latencies]
        self.all.latencies = [np.concatenate(every)] if every else []
        return {
            "all": self.all.metrics(target_tps),
            "by_request": {key: stats.metrics(None) for key, stats in self.by_key.items()},
            "per_second": self.per_second(),
            "failures": [
                {"message": message, "count": count, "first_ms": first}
                for message, (count, first) in sorted(
                    self.failures.items(), key=lambda kv: (-kv[1][0], kv[0])
                )
            ],
        }

    def per_second(self) -> list[dict[str, Any]]:
        """One row per second from the first to the last request start: requests, errors, p99."""
        if self.base_s is None:
            return []
        latencies = np.concatenate([a for s in self.by_key.values() for a in s.latencies])
        seconds = np.concatenate([a for s in self.by_key.values() for a in s.seconds])
        p99 = per_second_p99(seconds, latencies, self.requests.size)
        return [
            {"t": self.base_s + i, "requests": int(r), "errors": int(e), "p99": p}
            for i, (r, e, p) in enumerate(zip(self.requests, self.errors, p99, strict=True))
        ]


def per_second_p99(seconds: I32, latencies: I32, size: int) -> list[float | None]:
    """numpy-linear 99th percentile of the latencies of each second (None where none succeeded)."""
    out: list[float | None] = [None] * size
    if latencies.size == 0:
        return out
    low = int(latencies.min())
    spread = int(latencies.max()) - low + 1
    # Sort (second, latency) pairs packed into one integer: int32 when they fit (a sort of 1M
    # int32 takes a fraction of an int64 one), else int64.
    wide = size * spread >= 1 << 31
    kind = np.dtype(np.int64 if wide else np.int32)
    ordered = np.sort(seconds.astype(kind) * spread + (latencies.astype(kind) - low))
    sorted_lat = ordered % spread + low
    counts = np.bincount(seconds, minlength=size)
    begins = np.concatenate([[0], np.cumsum(counts)[:-1]])
    present = np.flatnonzero(counts)
    values = runs_percentile(sorted_lat, begins[present], counts[present], 99)
    for i, v in zip(present.tolist(), values.tolist(), strict=True):
        out[i] = v
    return out
