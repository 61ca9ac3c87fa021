"""Stream a text simulation.log in large binary chunks and pull REQUEST records out, vectorised.

Per 4 MiB chunk (one reused buffer per thread): newlines are located with numpy and REQUEST lines picked by
their first bytes. Gatling 3.x OK lines are then read at fixed offsets from their end (tailscan);
the few other lines (KO ones carry a message) are split one by one. Gatling 2.x logs, and chunks
where most lines are not OK, take the general path: every field addressed through a tab index.
Timestamps are parsed eight digits at a time, request names grouped by exact comparison of
gathered words. Only per-request numbers leave a chunk, so memory stays flat. A line that starts
with no record type is refused, unless it continues an ERROR record (Gatling writes an ERROR's
message unsanitised, line breaks included).
"""

from __future__ import annotations

import os
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from sagemaker_sizing.core.gatling import bytescan, tailscan
from sagemaker_sizing.core.gatling.errors import GatlingLogError
from sagemaker_sizing.core.gatling.layouts import RECORD_TYPES, Layout

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

CHUNK_BYTES = 4 << 20  # measured: 4-8 MiB best here (buffers stay in the L3 cache)
MAX_LINE_BYTES = 1 << 20  # no Gatling record is this long: the file is not a text log
_LOOK_AHEAD = 64 << 10  # read past a chunk's end to finish its last line (rarely not enough)
SCAN_THREADS = 2  # measured: the scan is numpy-bound, two threads nearly halve it
SLOW_LINES_PER_CHUNK = 2000  # non-OK lines read one by one; beyond (and 5%), the general path
MESSAGE_BYTES = 256  # a KO message is grouped and kept up to this length

_FIRST_BYTE_OK = np.zeros(256, dtype=np.bool_)
for _record in RECORD_TYPES:
    _FIRST_BYTE_OK[_record[0]] = True
_FIRST_BYTE_OK[ord("\n")] = True  # an empty line is harmless
_R, _Q, _O, _K = (ord(c) for c in "RQOK")
# A record's first bytes (up to eight: one 64-bit word), its type and the tab after it.
_RECORD_PREFIXES = tuple(r + b"\t" if len(r) < 8 else r[:8] for r in RECORD_TYPES)
_ERROR_PREFIX = b"ERROR\t"


@dataclass(frozen=True)
class RequestBatch:
    """The REQUEST records of one chunk."""

    keys: list[str]  # distinct request keys ("name", or "group / name")
    key_index: npt.NDArray[np.intp]  # per request, an index into keys
    start_ms: npt.NDArray[np.int64]
    end_ms: npt.NDArray[np.int64]
    ok: npt.NDArray[np.bool_]
    # KO message -> (how many, first start ms): what the failed requests said.
    failures: dict[str, tuple[int, int]] = field(default_factory=dict)


class _LineFault(Exception):
    """A malformed line, numbered within its chunk; ``LogScan`` turns it into a GatlingLogError."""

    def __init__(self, line_in_chunk: int, message: str) -> None:
        super().__init__(message)
        self.line_in_chunk = line_in_chunk
        self.message = message


@dataclass(frozen=True)
class _Chunk:
    batch: RequestBatch | None
    lines: int
    truncated: bytes | None


class LogScan:
    """One pass over one file. After iterating ``batches()``: ``lines`` read, ``truncated`` tail.

    Chunk k owns the lines that start in bytes [k * CHUNK_BYTES, (k + 1) * CHUNK_BYTES), so chunks
    are read (``os.preadv``) and scanned independently: on two threads where the file spans
    several chunks (numpy releases the GIL in the scan's big array operations), consumed in file
    order, at most ``2 * threads`` chunks in flight, so memory stays flat.
    """

    def __init__(self, path: str, layout: Layout) -> None:
        self.path = path
        self.layout = layout
        self.lines = 0
        self.truncated: bytes | None = None
        self._local = threading.local()  # per thread: one reused buffer (fresh ones cost page faults)

    def batches(self) -> Iterator[RequestBatch]:
        with open(self.path, "rb") as stream:
            fd = stream.fileno()
            size = os.fstat(fd).st_size
            begins = range(0, size, CHUNK_BYTES)
            threads = min(SCAN_THREADS, os.cpu_count() or 1, len(begins))
            if threads <= 1:
                yield from self._consume(self._read_chunk(fd, size, begin) for begin in begins)
                return
            with ThreadPoolExecutor(threads, thread_name_prefix="gatling-scan") as pool:
                pending: deque[Future[_Chunk]] = deque()

                def in_order() -> Iterator[_Chunk]:
                    for begin in begins:
                        pending.append(pool.submit(self._read_chunk, fd, size, begin))
                        if len(pending) > 2 * threads:
                            yield pending.popleft().result()
                    while pending:
                        yield pending.popleft().result()

                try:
                    yield from self._consume(in_order())
                finally:
                    for future in pending:
                        future.cancel()

    def _consume(self, chunks: Iterator[_Chunk]) -> Iterator[RequestBatch]:
        try:
            for chunk in chunks:
                self.lines += chunk.lines
                if chunk.truncated is not None:
                    self.truncated = chunk.truncated
                if chunk.batch is not None:
                    yield chunk.batch
        except _LineFault as fault:
            raise GatlingLogError(self.path, fault.message, self.lines + fault.line_in_chunk + 1) from None

    def _buffer(self) -> tuple[bytearray, npt.NDArray[np.bool_]]:
        local = self._local
        if getattr(local, "size", None) != CHUNK_BYTES:
            local.buf = bytearray(CHUNK_BYTES + MAX_LINE_BYTES + 1)
            local.newlines = np.empty(len(local.buf), dtype=np.bool_)
            local.size = CHUNK_BYTES
        return local.buf, local.newlines

    def _read_chunk(self, fd: int, size: int, begin: int) -> _Chunk:
        """Read and scan the lines starting in [begin, begin + CHUNK_BYTES)."""
        buf, newlines = self._buffer()
        view = memoryview(buf)
        at = begin - 1 if begin else 0  # one byte before: is there a line start at ``begin``?
        boundary = begin + CHUNK_BYTES - at  # owned lines start before this offset in ``buf``
        n = os.preadv(fd, [view[: min(boundary + _LOOK_AHEAD, size - at)]], at)
        start = 0 if begin == 0 else buf.find(b"\n", 0, n) + 1
        if (begin and start == 0) or start >= boundary:
            return _Chunk(None, 0, None)  # a line longer than a chunk started earlier
        end = buf.find(b"\n", boundary - 1, n)
        if end < 0 and at + n < size:  # the last owned line runs on: read up to a line's limit
            n += os.preadv(fd, [view[n : min(boundary + MAX_LINE_BYTES, size - at)]], at + n)
            end = buf.find(b"\n", boundary - 1, n)
            if end < 0 and at + n < size:
                lines = buf.count(b"\n", start, n)
                raise _LineFault(lines, "no line break in 1 MiB: not a text log")
        truncated = None
        if end < 0:  # the file ends in this chunk without a final line break
            end = max(buf.rfind(b"\n", start, n), start - 1)
            if end + 1 < n:
                truncated = bytes(buf[end + 1 : n])
        cut = end + 1 - start
        if cut <= 0:
            return _Chunk(None, 0, truncated)
        batch, lines = self._scan_chunk(
            view[start:n], n - start, cut, newlines, lambda: begin > 0 and _ends_in_error(fd, at + start)
        )
        return _Chunk(batch, lines, truncated)

    def _fail(self, line_in_chunk: int, message: str) -> _LineFault:
        return _LineFault(line_in_chunk, message)

    def _scan_chunk(
        self,
        data: memoryview,
        size: int,
        cut: int,
        newlines: npt.NDArray[np.bool_],
        preceded_by_error: Callable[[], bool],
    ) -> tuple[RequestBatch | None, int]:
        """The REQUEST records of ``data[:cut]`` (whole lines) and its number of lines.

        ``preceded_by_error``: whether the last record before the chunk is an ERROR one (asked
        only when the chunk starts with lines that are no record).
        """
        arr = np.frombuffer(data, dtype=np.uint8, count=size)
        body = arr[:cut]
        ends = np.flatnonzero(np.equal(body, ord("\n"), out=newlines[:cut]))
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        tabs = None
        if self.layout.type_field == 0:
            first = arr[starts]
            bad = ~_FIRST_BYTE_OK[first]
            if bad.any():
                bad &= ~_error_continuations(arr, starts, preceded_by_error)
            if bad.any():
                raise self._fail(int(np.argmax(bad)), "not a Gatling record (unknown record type)")
            lines = np.flatnonzero((first == _R) & (arr[np.minimum(starts + 2, cut - 1)] == _Q))
        else:
            tabs = np.flatnonzero(body == ord("\t"))
            lines = self._request_lines_by_field(arr, starts, ends, tabs)
        if not lines.size:
            return None, ends.size
        if not self.layout.extra_fields:
            batch = self._requests_3x(data, arr, starts[lines], ends[lines], lines)
            if batch is not None:
                return batch, ends.size
        if tabs is None:
            tabs = np.flatnonzero(body == ord("\t"))
        return self._requests(arr, tabs, starts=starts, ends=ends, lines=lines), ends.size

    def _request_lines_by_field(
        self, arr: npt.NDArray[np.uint8], starts: bytescan.I64, ends: bytescan.I64, tabs: bytescan.I64
    ) -> bytescan.I64:
        """Gatling 2.0/2.1 put the record type in field 2: find it through the tab index."""
        first = np.searchsorted(tabs, starts)
        k = self.layout.type_field
        idx = np.minimum(first + k - 1, tabs.size - 1)
        has_type = (first + k - 1 < tabs.size) & (tabs[idx] < ends)
        empty = starts == ends
        if not (has_type | empty).all():
            bad = int(np.argmax(~(has_type | empty)))
            raise self._fail(bad, "not a Gatling 2.0 record (too few fields)")
        type_at = np.where(has_type, tabs[idx] + 1, 0)
        return np.flatnonzero(has_type & (arr[type_at] == _R) & (arr[np.minimum(type_at + 2, ends)] == _Q))

    def _requests_3x(
        self,
        data: memoryview,
        arr: npt.NDArray[np.uint8],
        s: bytescan.I64,
        e: bytescan.I64,
        lines: bytescan.I64,
    ) -> RequestBatch | None:
        """OK lines through the fixed-offset tail; the few others one by one. None: too many others."""
        tail = tailscan.scan_ok_tails(arr, self.layout, s, e)
        slow = np.flatnonzero(~tail.fast)
        if slow.size > max(SLOW_LINES_PER_CHUNK, lines.size // 20):
            return None  # e.g. an overloaded step full of KO: the vectorised general path is faster
        keys: list[str] = []
        key_index = np.zeros(0, dtype=np.intp)
        if tail.key_length.size:
            reps, key_index = bytescan.group_rows(tail.key_words)
            raw_keys = [tail.key_words[r].tobytes()[: tail.key_length[r]] for r in reps]
            for r, raw in zip(reps.tolist(), raw_keys, strict=True):
                if raw.count(b"\t") != 1:  # groups<TAB>name, or the line has a wrong field count
                    line = int(lines[np.flatnonzero(tail.fast)[r]])
                    raise self._fail(line, f"REQUEST record does not fit the {self.layout.name} layout")
            keys = [_request_key(raw) for raw in raw_keys]
        if not slow.size:
            return RequestBatch(
                keys, key_index, tail.start_ms, tail.end_ms, np.ones(key_index.size, np.bool_)
            )
        known = {k: i for i, k in enumerate(keys)}
        slow_index, slow_start, slow_end, slow_ok, failures = self._split_lines(
            data, s[slow], e[slow], lines[slow], known
        )
        return RequestBatch(
            list(known),
            np.concatenate([key_index, slow_index]),
            np.concatenate([tail.start_ms, slow_start]),
            np.concatenate([tail.end_ms, slow_end]),
            np.concatenate([np.ones(key_index.size, np.bool_), slow_ok]),
            failures,
        )

    def _split_lines(
        self, data: memoryview, s: bytescan.I64, e: bytescan.I64, lines: bytescan.I64, known: dict[str, int]
    ) -> tuple[
        npt.NDArray[np.intp], bytescan.I64, bytescan.I64, npt.NDArray[np.bool_], dict[str, tuple[int, int]]
    ]:
        """A few REQUEST lines the plain way (KO ones carry a message); keys are added to ``known``."""
        lay = self.layout
        by_raw: dict[bytes, int] = {}
        failures: dict[bytes, tuple[int, int]] = {}
        index: list[int] = []
        starts: list[int] = []
        ends: list[int] = []
        oks: list[bool] = []
        for begin, end, line in zip(s.tolist(), e.tolist(), lines.tolist(), strict=True):
            fields = bytes(data[begin:end]).rstrip(b"\r").split(b"\t")
            if len(fields) != lay.tabs + 1:
                raise self._fail(
                    line, f"REQUEST record has {len(fields)} fields, {lay.name} layout expects {lay.tabs + 1}"
                )
            status = fields[lay.status_field]
            if status not in (b"OK", b"KO"):
                raise self._fail(line, f"status is not OK or KO: {status!r}")
            try:
                starts.append(int(fields[lay.start_field]))
                ends.append(int(fields[lay.end_field]))
            except ValueError:
                raise self._fail(line, "timestamp is not a number") from None
            raw_key = fields[lay.groups_field] + b"\t" + fields[lay.name_field]
            if (k := by_raw.get(raw_key)) is None:
                k = by_raw[raw_key] = known.setdefault(_request_key(raw_key), len(known))
            index.append(k)
            oks.append(status == b"OK")
            if status == b"KO":
                message = fields[lay.status_field + 1][:MESSAGE_BYTES]
                count, first = failures.get(message, (0, starts[-1]))
                failures[message] = (count + 1, min(first, starts[-1]))
        return (
            np.array(index, dtype=np.intp),
            np.array(starts, dtype=np.int64),
            np.array(ends, dtype=np.int64),
            np.array(oks, dtype=np.bool_),
            {_message(raw): value for raw, value in failures.items()},
        )

    def _requests(
        self,
        arr: npt.NDArray[np.uint8],
        tabs: bytescan.I64,
        *,
        starts: bytescan.I64,
        ends: bytescan.I64,
        lines: bytescan.I64,
    ) -> RequestBatch:
        """The general path: every field addressed through the tab index (all layouts)."""
        lay = self.layout
        first = np.searchsorted(tabs, starts[lines])
        count = np.searchsorted(tabs, ends[lines]) - first
        wrong = count < lay.tabs if lay.extra_fields else count != lay.tabs
        if wrong.any():
            i = int(np.argmax(wrong))
            raise self._fail(
                int(lines[i]),
                f"REQUEST record has {int(count[i]) + 1} fields, {lay.name} layout expects {lay.tabs + 1}",
            )

        def field(k: int) -> tuple[bytescan.I64, bytescan.I64]:
            begin = starts[lines] if k == 0 else tabs[first + k - 1] + 1
            return begin, tabs[first + k]

        type_begin, type_end = field(lay.type_field)
        if ((type_end - type_begin) != 7).any():
            i = int(np.argmax((type_end - type_begin) != 7))
            raise self._fail(int(lines[i]), "not a Gatling record (unknown record type)")
        start_ms = self._timestamps(arr, *field(lay.start_field), lines)
        end_ms = self._timestamps(arr, *field(lay.end_field), lines)
        ok = self._statuses(arr, *field(lay.status_field), lines)
        key_begin, _ = field(lay.groups_field)
        _, key_end = field(lay.name_field)
        length = key_end - key_begin
        words = bytescan.key_words(arr, key_begin, key_end)
        reps, inverse = bytescan.group_rows(words)
        keys = [_request_key(words[r].tobytes()[: length[r]]) for r in reps]
        failures = (
            self._messages(arr, tabs, first, ends[lines], ko=~ok, start_ms=start_ms) if not ok.all() else {}
        )
        return RequestBatch(keys, inverse, start_ms, end_ms, ok, failures)

    def _messages(
        self,
        arr: npt.NDArray[np.uint8],
        tabs: bytescan.I64,
        first: bytescan.I64,
        ends: bytescan.I64,
        *,
        ko: npt.NDArray[np.bool_],
        start_ms: bytescan.I64,
    ) -> dict[str, tuple[int, int]]:
        """The KO lines' messages (the field after the status, up to MESSAGE_BYTES), grouped exactly."""
        lay = self.layout
        rows = np.flatnonzero(ko)
        begin = tabs[first[rows] + lay.status_field] + 1
        end = ends[rows]
        if lay.extra_fields:  # 2.x: extra info fields may follow the message
            after = first[rows] + lay.status_field + 1
            has_next = after < tabs.size
            next_tab = tabs[np.minimum(after, tabs.size - 1)]
            end = np.where(has_next & (next_tab < end), next_tab, end)
        end = end - (arr[np.maximum(end - 1, 0)] == ord("\r"))
        end = np.minimum(np.maximum(end, begin), begin + MESSAGE_BYTES)
        if int((end - begin).max()) == 0:
            return {"": (int(rows.size), int(start_ms[rows].min()))}
        reps, inverse = bytescan.group_rows(bytescan.key_words(arr, begin, end))
        counts = np.bincount(inverse, minlength=reps.size)
        firsts = np.full(reps.size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(firsts, inverse, start_ms[rows])
        return {
            _message(bytes(arr[begin[r] : end[r]])): (int(c), int(f))
            for r, c, f in zip(reps.tolist(), counts.tolist(), firsts.tolist(), strict=True)
        }

    def _timestamps(
        self, arr: npt.NDArray[np.uint8], begin: bytescan.I64, end: bytescan.I64, lines: bytescan.I64
    ) -> bytescan.I64:
        if ((end - begin) == 13).all():
            value, bad = bytescan.parse_13_digits(bytescan.gather_words(arr, begin, 2))
        else:
            value, bad = bytescan.parse_digits(arr, begin, end)
        if bad.any():
            i = int(np.argmax(bad))
            raise self._fail(int(lines[i]), f"timestamp is not a number: {bytes(arr[begin[i] : end[i]])!r}")
        return value

    def _statuses(
        self, arr: npt.NDArray[np.uint8], begin: bytescan.I64, end: bytescan.I64, lines: bytescan.I64
    ) -> npt.NDArray[np.bool_]:
        first, second = arr[begin], arr[begin + 1]
        ok = (first == _O) & (second == _K)
        bad = ((end - begin) != 2) | ~(ok | ((first == _K) & (second == _O)))
        if bad.any():
            i = int(np.argmax(bad))
            raise self._fail(int(lines[i]), f"status is not OK or KO: {bytes(arr[begin[i] : end[i]])!r}")
        return np.asarray(ok, dtype=np.bool_)


def _record_starts(words: bytescan.U64, prefixes: tuple[bytes, ...]) -> npt.NDArray[np.bool_]:
    """Rows whose first word starts with one of ``prefixes`` (each at most eight bytes)."""
    found = np.zeros(words.size, dtype=np.bool_)
    for prefix in prefixes:
        found |= (words & bytescan.TAIL_MASKS[len(prefix)]) == np.uint64(int.from_bytes(prefix, "little"))
    return found


def _error_continuations(
    arr: npt.NDArray[np.uint8], starts: bytescan.I64, preceded_by_error: Callable[[], bool]
) -> npt.NDArray[np.bool_]:
    """Lines that continue an ERROR record: its message is not sanitised, so it may hold line breaks.

    A line belongs to the ERROR record when the last line before it that starts with a record type
    (``ERROR<TAB>``, ``REQUEST<TAB>``, ...) is an ERROR one, in this chunk or before it.
    """
    words = bytescan.gather_words(arr, starts, 1)[:, 0]
    error = _record_starts(words, (_ERROR_PREFIX,))
    index = np.arange(starts.size)
    last_record = np.maximum.accumulate(np.where(_record_starts(words, _RECORD_PREFIXES), index, -1))
    inside = error[np.maximum(last_record, 0)] & (last_record >= 0)
    if (last_record < 0).any() and preceded_by_error():
        inside |= last_record < 0
    return np.asarray(inside, dtype=np.bool_)


def _ends_in_error(fd: int, offset: int) -> bool:
    """Whether the last record that starts before byte ``offset`` (a line start) is an ERROR one.

    Reads back at most _LOOK_AHEAD bytes; an ERROR message longer than that is taken as going on.
    """
    begin = max(0, offset - _LOOK_AHEAD)
    for line in reversed(os.pread(fd, offset - begin, begin).split(b"\n")[:-1]):
        if line.startswith(_ERROR_PREFIX):
            return True
        if line.startswith(_RECORD_PREFIXES):
            return False
    return begin > 0


def _message(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").strip()


def _request_key(raw: bytes) -> str:
    """``groups<TAB>name`` -> ``name``, or ``group / subgroup / name`` inside groups."""
    groups, _, name = raw.decode("utf-8", "replace").partition("\t")
    return " / ".join([*groups.split(","), name]) if groups else name
