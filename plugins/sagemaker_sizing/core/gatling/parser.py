"""Parse Gatling text simulation.log files (Gatling 2.0 - 3.12) into perfsizesagemaker's metrics, XCom-safe.

Several logs are merged into one set of metrics: a step's load may be split over several injector
processes. Only stdlib and numpy are imported, so a parse is fast from interpreter start.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from sagemaker_sizing.core.gatling.errors import GatlingLogError
from sagemaker_sizing.core.gatling.layouts import (
    BINARY_LOG_RULE,
    RECORD_TYPES,
    Layout,
    fits,
    layout_for_run_record,
)
from sagemaker_sizing.core.gatling.metrics import BEHIND_RATIO, MetricsAccumulator
from sagemaker_sizing.core.gatling.scanner import LogScan, RequestBatch

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

log = logging.getLogger(__name__)

HEAD_BYTES = 256 << 10  # the RUN record and the first REQUEST lie well inside this


def parse_logs(
    paths: Sequence[Path | str], target_tps: float | None = None, window_ms: tuple[int, int] | None = None
) -> dict[str, Any]:
    """Merge the REQUEST records of ``paths``: ``{"all", "by_request", "per_second", "warnings", "files"}``.

    Each ``files`` entry says when that log's requests started (``first_request_ms``,
    ``last_request_ms``: epoch ms of the first and last request start), window or not.
    ``window_ms`` (epoch ms, both ends included) keeps only the requests that started inside it:
    the span in which every injector of a step was sending (core.gatling.injectors).

    Raises GatlingLogError (naming file and line) for an empty, binary or malformed log, or when
    the logs hold no request at all. A truncated last line (run killed mid-write) is skipped and
    reported in ``warnings``.
    """
    if not paths:
        raise ValueError("parse_logs needs at least one simulation.log")
    acc = MetricsAccumulator()
    warnings: list[str] = []
    files: list[dict[str, Any]] = []
    for raw in paths:
        path = os.fspath(raw)
        layout, version = detect_layout(path)
        scan = LogScan(path, layout)
        before = acc.all.count_ok + acc.all.count_ko
        first: int | None = None
        last: int | None = None
        try:
            for batch in scan.batches():
                if batch.start_ms.size == 0:
                    continue
                lo, hi = int(batch.start_ms.min()), int(batch.start_ms.max())
                first = lo if first is None else min(first, lo)
                last = hi if last is None else max(last, hi)
                kept = batch if window_ms is None else _inside_window(batch, window_ms)
                if kept is not None:
                    acc.add(kept)
        except ValueError as exc:
            if isinstance(exc, GatlingLogError):
                raise
            raise GatlingLogError(path, str(exc)) from exc
        requests = acc.all.count_ok + acc.all.count_ko - before
        if scan.truncated is not None:
            warnings.append(
                f"{path}:{scan.lines + 1}: truncated last line ignored ({len(scan.truncated)} bytes, "
                "the run was probably stopped mid-write)"
            )
        files.append(
            {
                "path": path,
                "gatling_version": version,
                "layout": layout.name,
                "lines": scan.lines,
                "requests": requests,
                "truncated_last_line": scan.truncated is not None,
                "first_request_ms": first,
                "last_request_ms": last,
            }
        )
        log.debug("parsed %s: Gatling %s, %s lines, %s requests", path, version, scan.lines, requests)
    if acc.all.count_ok + acc.all.count_ko == 0:
        raise GatlingLogError(
            ", ".join(f["path"] for f in files), "no REQUEST record: nothing was load tested"
        )
    result = acc.summary(target_tps)
    warnings.extend(_load_warnings(result, target_tps))
    result["warnings"] = warnings
    result["files"] = files
    return result


def _inside_window(batch: RequestBatch, window_ms: tuple[int, int]) -> RequestBatch | None:
    """The requests of ``batch`` that started inside ``window_ms``; None when none did."""
    keep = (batch.start_ms >= window_ms[0]) & (batch.start_ms <= window_ms[1])
    if keep.all():
        return batch
    if not keep.any():
        return None
    # Keys whose every request fell outside go (the accumulator expects each key to have rows).
    used, key_index = np.unique(batch.key_index[keep], return_inverse=True)
    return replace(
        batch,
        keys=[batch.keys[int(k)] for k in used],
        key_index=key_index.astype(np.intp),
        start_ms=batch.start_ms[keep],
        end_ms=batch.end_ms[keep],
        ok=batch.ok[keep],
    )


def parse_log(path: Path | str, target_tps: float | None = None) -> dict[str, Any]:
    """``parse_logs`` for one file."""
    return parse_logs([path], target_tps)


def detect_layout(path: str) -> tuple[Layout, str]:
    """Read the head of ``path``: its Gatling version (RUN record) and the REQUEST layout it implies."""
    with open(path, "rb") as stream:
        head = stream.read(HEAD_BYTES)
    if not head:
        raise GatlingLogError(path, "empty file: the load test wrote nothing")
    binary_version = binary_log_version(head)
    if binary_version is not None:
        raise GatlingLogError(
            path,
            f"a binary simulation.log written by Gatling {binary_version}: {BINARY_LOG_RULE}, and only "
            "the text one is read; run the load with a Gatling 3.12 or older jar",
        )
    if b"\0" in head[:4096] or (
        not head.startswith(tuple(r for r in RECORD_TYPES)) and b"\tRUN\t" not in head
    ):
        raise GatlingLogError(
            path, f"not a text Gatling simulation.log (binary or other content; {BINARY_LOG_RULE})", 1
        )
    lines = head.split(b"\n")
    if len(lines) > 1:
        lines = lines[:-1]  # the last piece may be cut by HEAD_BYTES
    found: tuple[Layout, str] | None = None
    before_run = 0  # lines before the RUN record other than ASSERTION ones (3.x writes those first)
    for number, raw in enumerate(lines, start=1):
        fields = raw.decode("utf-8", "replace").rstrip("\r").split("\t")
        if found is None:
            found = layout_for_run_record(fields)
            before_run += not raw.startswith(b"ASSERTION\t")
            if found is None and (raw.startswith(b"REQUEST\t") or b"\tREQUEST\t" in raw or before_run > 50):
                raise GatlingLogError(
                    path, "no RUN record before the requests: not a Gatling simulation.log", number
                )
            continue
        layout, version = found
        if len(fields) > layout.type_field and fields[layout.type_field] == "REQUEST":
            if not fits(layout, len(fields) - 1):
                raise GatlingLogError(
                    path,
                    f"REQUEST record has {len(fields)} fields, Gatling {version} ({layout.name} layout) "
                    f"writes {layout.tabs + 1}",
                    number,
                )
            return layout, version
    if found is None:
        raise GatlingLogError(path, "no RUN record: not a Gatling simulation.log", 1)
    return found


def binary_log_version(head: bytes) -> str | None:
    """The Gatling version a binary simulation.log (3.13+) announces, or None for any other content.

    Its first record is the run: a 0 header byte, then the version as a Java string (big-endian
    int32 length, the bytes, one coder byte; Gatling's LogFileDataWriter since v3.13.0).
    """
    if len(head) < 6 or head[0] != 0:
        return None
    length = int.from_bytes(head[1:5], "big")
    raw = head[5 : 5 + length]
    if not 0 < length <= 32 or len(raw) != length:
        return None
    version = raw.decode("latin-1")
    return version if re.fullmatch(r"\d+\.\d+[\w.\-]*", version) else None


def _load_warnings(result: dict[str, Any], target_tps: float | None) -> list[str]:
    """Words for a load generator that fell behind its target."""
    if not target_tps or target_tps <= 0:
        return []
    out: list[str] = []
    ratio = result["all"].get("tps_ratio")
    if ratio is not None and ratio < BEHIND_RATIO:
        out.append(
            f"achieved {result['all']['achieved_tps']:.1f} TPS is {ratio:.0%} of the target "
            f"{target_tps:g} TPS: the load generator fell behind"
        )
    inner = result["per_second"][1:-1]  # first and last seconds are partial
    behind = sum(1 for row in inner if row["requests"] < BEHIND_RATIO * target_tps)
    if inner and behind:
        out.append(
            f"{behind} of {len(inner)} full seconds had fewer than "
            f"{BEHIND_RATIO:.0%} of {target_tps:g} requests"
        )
    return out
