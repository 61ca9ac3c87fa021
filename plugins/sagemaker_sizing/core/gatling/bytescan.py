"""Byte-level helpers for the vectorised scan: gather words at any offset, parse digits, key names.

A chunk of the log is one ``bytes`` object; numpy views it without copying. Fields are read by
gathering fixed-width rows of bytes at arbitrary offsets through a strided view (one fancy index
copies whole rows), then reading them as little-endian 64-bit words.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

_ASCII_ZEROS = np.uint64(0x3030303030303030)
_HIGH_BITS = np.uint64(0x8080808080808080)
_PLUS_0X76 = np.uint64(0x7676767676767676)
# TAIL_MASKS[k] keeps the first k bytes of a little-endian word.
TAIL_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_PEEL_LIMIT = 16  # distinct request names peeled off one by one before sorting the rest


def gather_rows(arr: npt.NDArray[np.uint8], pos: I64, width: int) -> npt.NDArray[np.uint8]:
    """``width`` bytes starting at each offset in ``pos`` (shape ``(n, width)``), one fancy index.

    Offsets are clipped into the buffer; callers validate what they read, so a clipped row of a
    malformed line only ever fails validation.
    """
    rows = np.lib.stride_tricks.as_strided(
        arr, shape=(arr.size - width + 1, width), strides=(1, 1), writeable=False
    )
    return rows[np.clip(pos, 0, rows.shape[0] - 1)]


def gather_words(arr: npt.NDArray[np.uint8], pos: I64, nwords: int) -> U64:
    """``nwords`` little-endian 64-bit words starting at each byte offset in ``pos``."""
    return gather_rows(arr, pos, 8 * nwords).view("<u8")


def _digits8(x: U64) -> U64:
    """Eight ASCII digits per word (first digit in the low byte) -> their value (SWAR)."""
    x = (x * np.uint64(10) + (x >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    x = (x * np.uint64(100) + (x >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    return (x * np.uint64(10000) + (x >> np.uint64(32))) & np.uint64(0xFFFFFFFF)


def _not_digits(x: U64) -> npt.NDArray[np.bool_]:
    """Rows where some byte of ``x`` (already minus '0') was not a digit."""
    return np.asarray(((x | (x + _PLUS_0X76)) & _HIGH_BITS) != 0, dtype=np.bool_)


def digits_13(high: U64, low: U64) -> tuple[I64, npt.NDArray[np.bool_]]:
    """13-digit numbers (ms epochs, years 2001-2286) from their first 8 ASCII digits (``high``) and
    last 5 (``low``, in its low bytes); also a mask of rows that were not all digits."""
    high = high - _ASCII_ZEROS
    # Shift the last 5 digits up and pad with '0's, making an 8-digit word.
    low = ((low << np.uint64(24)) | np.uint64(0x303030)) - _ASCII_ZEROS
    bad = _not_digits(high) | _not_digits(low)
    value = _digits8(high) * np.uint64(100000) + _digits8(low)
    return value.astype(np.int64), bad


def parse_13_digits(words: U64) -> tuple[I64, npt.NDArray[np.bool_]]:
    """13-digit numbers at the start of 2-word rows; also a malformed mask."""
    return digits_13(words[:, 0], words[:, 1] & np.uint64((1 << 40) - 1))


def parse_digits(arr: npt.NDArray[np.uint8], begin: I64, end: I64) -> tuple[I64, npt.NDArray[np.bool_]]:
    """Any-width decimal fields ``arr[begin:end]`` (slow general path); also a mask of malformed rows."""
    width = end - begin
    maxw = int(width.max()) if width.size else 0
    if maxw == 0:
        return np.zeros(begin.size, dtype=np.int64), width <= 0
    cols = np.arange(maxw)
    valid = cols >= (maxw - width)[:, None]
    idx = np.where(valid, end[:, None] - maxw + cols, 0)
    digits = arr[idx].astype(np.int64) - 48
    digits[~valid] = 0
    bad = ((digits < 0) | (digits > 9)).any(axis=1) | (width <= 0) | (width > 18)
    powers = 10 ** np.arange(maxw - 1, -1, -1, dtype=np.int64)
    return digits @ powers, bad


def key_words(arr: npt.NDArray[np.uint8], begin: I64, end: I64) -> U64:
    """The byte strings ``arr[begin:end]`` as zero-padded word rows, comparable with ``==``."""
    length = end - begin
    longest = int(length.max())
    nwords = max(1, (longest + 7) // 8)
    words = gather_words(arr, begin, nwords)
    if int(length.min()) == longest:  # the usual case: one mask for the last word
        words[:, nwords - 1] &= TAIL_MASKS[longest - 8 * (nwords - 1)]
        return words
    for j in range(nwords):
        words[:, j] &= TAIL_MASKS[np.clip(length - 8 * j, 0, 8)]
    return words


def first_byte_at(words: U64, byte: int) -> I64:
    """Offset of the first ``byte`` in each row of words (-1 where absent), eight bytes at a time."""
    pattern = np.uint64(0x0101010101010101 * byte)
    found = np.full(words.shape[0], -1, dtype=np.int64)
    for j in range(words.shape[1] - 1, -1, -1):  # last word first, so earlier words win
        x = words[:, j] ^ pattern  # the wanted byte becomes 0x00
        zero = (x - np.uint64(0x0101010101010101)) & ~x & _HIGH_BITS  # lowest set bit is exact
        lowest = zero & (~zero + np.uint64(1))
        hit = zero != 0
        bit = np.log2(lowest[hit].astype(np.float64)).astype(np.int64)  # powers of two: exact
        found[hit] = 8 * j + bit // 8
    return found


def group_rows(words: U64) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Group equal rows exactly: ``(representatives, inverse)``.

    ``inverse[i]`` indexes ``representatives``, row numbers holding each distinct string. A log
    holds few request names, so rows equal to the first unassigned one are peeled off in turn,
    comparing whole rows; with many names, a sort takes over.
    """
    inverse = np.empty(words.shape[0], dtype=np.intp)
    reps: list[int] = []
    todo = np.arange(words.shape[0])
    left = words
    while todo.size and len(reps) < _PEEL_LIMIT:
        same = left[:, 0] == left[0, 0]
        for j in range(1, left.shape[1]):
            same &= left[:, j] == left[0, j]
        inverse[todo[same]] = len(reps)
        reps.append(int(todo[0]))
        if same.all():
            return np.array(reps, dtype=np.intp), inverse
        todo, left = todo[~same], left[~same]
    if todo.size:
        _, first, rest = np.unique(left, axis=0, return_index=True, return_inverse=True)
        inverse[todo] = len(reps) + rest.reshape(-1)
        reps.extend(todo[first].tolist())
    return np.array(reps, dtype=np.intp), inverse
