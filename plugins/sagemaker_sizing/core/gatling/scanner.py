"""Stream a text simulation.log in large binary chunks and pull REQUEST records out, vectorised.

Per chunk: newlines and tabs are located with numpy, REQUEST lines picked by their first bytes,
their fields addressed through the tab index, timestamps parsed eight digits at a time and request
names grouped by fingerprint. Only the per-request numbers leave a chunk, so memory stays flat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from sagemaker_sizing.core.gatling import bytescan
from sagemaker_sizing.core.gatling.errors import GatlingLogError
from sagemaker_sizing.core.gatling.layouts import RECORD_TYPES, Layout

if TYPE_CHECKING:
    from collections.abc import Iterator

CHUNK_BYTES = 8 << 20
MAX_LINE_BYTES = 1 << 20  # no Gatling record is this long: the file is not a text log

_FIRST_BYTE_OK = np.zeros(256, dtype=np.bool_)
for _record in RECORD_TYPES:
    _FIRST_BYTE_OK[_record[0]] = True
_FIRST_BYTE_OK[ord("\n")] = True  # an empty line is harmless
_R, _Q, _O, _K = (ord(c) for c in "RQOK")


@dataclass(frozen=True)
class RequestBatch:
    """The REQUEST records of one chunk."""

    keys: list[str]  # distinct request keys ("name", or "group / name")
    key_index: npt.NDArray[np.intp]  # per request, an index into keys
    start_ms: npt.NDArray[np.int64]
    end_ms: npt.NDArray[np.int64]
    ok: npt.NDArray[np.bool_]


class LogScan:
    """One pass over one file. After iterating ``batches()``: ``lines`` read, ``truncated`` tail."""

    def __init__(self, path: str, layout: Layout) -> None:
        self.path = path
        self.layout = layout
        self.lines = 0
        self.truncated: bytes | None = None

    def batches(self) -> Iterator[RequestBatch]:
        carry = b""
        with open(self.path, "rb") as stream:
            while block := stream.read(CHUNK_BYTES):
                data = carry + block if carry else block
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    if len(data) > MAX_LINE_BYTES:
                        raise GatlingLogError(
                            self.path, "no line break in 1 MiB: not a text log", self.lines + 1
                        )
                    carry = data
                    continue
                batch = self._scan_chunk(data, cut)
                carry = data[cut:]
                if batch is not None:
                    yield batch
        if carry:
            self.truncated = carry

    def _fail(self, line_in_chunk: int, message: str) -> GatlingLogError:
        return GatlingLogError(self.path, message, self.lines + line_in_chunk + 1)

    def _scan_chunk(self, data: bytes, cut: int) -> RequestBatch | None:
        arr = np.frombuffer(data, dtype=np.uint8)
        body = arr[:cut]
        ends = np.flatnonzero(body == ord("\n"))
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        tabs = np.flatnonzero(body == ord("\t"))
        try:
            if self.layout.type_field == 0:
                bad = ~_FIRST_BYTE_OK[arr[starts]]
                if bad.any():
                    raise self._fail(int(np.argmax(bad)), "not a Gatling record (unknown record type)")
                lines = np.flatnonzero((arr[starts] == _R) & (arr[np.minimum(starts + 2, cut - 1)] == _Q))
            else:
                lines = self._request_lines_by_field(arr, starts, ends, tabs)
            batch = (
                self._requests(data, arr, tabs, starts=starts, ends=ends, lines=lines) if lines.size else None
            )
        finally:
            self.lines += ends.size
        return batch

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

    def _requests(
        self,
        data: bytes,
        arr: npt.NDArray[np.uint8],
        tabs: bytescan.I64,
        *,
        starts: bytescan.I64,
        ends: bytescan.I64,
        lines: bytescan.I64,
    ) -> RequestBatch:
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
        views = bytescan.word_views(data)
        start_ms = self._timestamps(arr, views, *field(lay.start_field), lines)
        end_ms = self._timestamps(arr, views, *field(lay.end_field), lines)
        ok = self._statuses(arr, *field(lay.status_field), lines)
        key_begin, _ = field(lay.groups_field)
        _, key_end = field(lay.name_field)
        reps, inverse = bytescan.key_ids(views, key_begin, key_end)
        keys = [_request_key(data[key_begin[r] : key_end[r]]) for r in reps]
        return RequestBatch(keys, inverse, start_ms, end_ms, ok)

    def _timestamps(
        self,
        arr: npt.NDArray[np.uint8],
        views: list[bytescan.U64],
        begin: bytescan.I64,
        end: bytescan.I64,
        lines: bytescan.I64,
    ) -> bytescan.I64:
        if ((end - begin) == 13).all():
            value, bad = bytescan.parse_13_digits(views, begin)
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


def _request_key(raw: bytes) -> str:
    """``groups<TAB>name`` -> ``name``, or ``group / subgroup / name`` inside groups."""
    groups, _, name = raw.decode("utf-8", "replace").partition("\t")
    return " / ".join([*groups.split(","), name]) if groups else name
