"""The fast path for Gatling 3.x REQUEST lines, read from both ends of the line.

A 3.x line is ``REQUEST [<userId>] <groups> <name> <start> <end> <status> <message>`` and a
successful request's message is a single space, so an OK line always ends with
``\\t<13 digits>\\t<13 digits>\\tOK\\t \\n``: one 40-byte row gathered before the newline holds both
timestamps and the status at fixed offsets, with no tab search. The key (groups and name) runs
from after the userId to the tab before the start timestamp. Rows that do not match (KO, odd
widths, CRLF) are left to the slower paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sagemaker_sizing.core.gatling import bytescan
from sagemaker_sizing.core.gatling.layouts import GATLING_3_0, Layout

_TAB = ord("\t")
_TAIL = 40  # bytes: "?\t<start 13>\t<end 13>\tOK\t " ending at the newline
_OK_END = np.uint64(int.from_bytes(b"\tOK\t ", "little"))  # bytes 35..39 = high 5 bytes of word 4
_LOW5 = np.uint64((1 << 40) - 1)
_USER_ID_WINDOW = 24  # a userId is a positive long: at most 19 digits and its tab


@dataclass(frozen=True)
class TailRows:
    """Fields of the rows that matched; ``fast`` marks them among the chunk's REQUEST lines."""

    fast: npt.NDArray[np.bool_]
    start_ms: bytescan.I64
    end_ms: bytescan.I64
    key_words: bytescan.U64
    key_length: bytescan.I64


def _u(shift: int) -> np.uint64:
    return np.uint64(shift)


def scan_ok_tails(arr: npt.NDArray[np.uint8], layout: Layout, s: bytescan.I64, e: bytescan.I64) -> TailRows:
    """Read the OK lines among REQUEST lines starting at ``s`` with newline at ``e``."""
    head = 8  # len("REQUEST\t")
    w = bytescan.gather_words(arr, e - _TAIL, _TAIL // 8)
    w0, w1, w2, w3, w4 = (w[:, i] for i in range(5))
    fast = (e - s) >= head + _TAIL + 1
    fast &= ((w0 >> _u(56)) == _TAB) & (((w2 >> _u(40)) & _u(0xFF)) == _TAB) & ((w4 >> _u(24)) == _OK_END)
    # Timestamps: start in bytes 8..20, end in bytes 22..34 (first 8 digits, then the last 5).
    start_high, start_low = w1, w2 & _LOW5
    end_high = (w2 >> _u(48)) | (w3 << _u(16))
    end_low = ((w3 >> _u(48)) | (w4 << _u(16))) & _LOW5
    start_ms, bad_start = bytescan.digits_13(start_high, start_low)
    end_ms, bad_end = bytescan.digits_13(end_high, end_low)
    fast &= ~bad_start & ~bad_end
    key_begin = s + head
    if layout == GATLING_3_0:  # skip the userId field
        tab = bytescan.first_byte_at(bytescan.gather_words(arr, key_begin, _USER_ID_WINDOW // 8), _TAB)
        fast &= tab >= 0
        key_begin = key_begin + tab + 1
    key_end = e - _TAIL + 7
    fast &= key_end > key_begin
    rows = np.flatnonzero(fast)
    length = (key_end - key_begin)[rows]
    if not rows.size:
        return TailRows(fast, start_ms[rows], end_ms[rows], np.zeros((0, 1), np.uint64), length)
    words = bytescan.key_words(arr, key_begin[rows], key_end[rows])
    return TailRows(fast, start_ms[rows], end_ms[rows], words, length)
