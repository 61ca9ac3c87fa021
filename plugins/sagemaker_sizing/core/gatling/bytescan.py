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
# Odd multipliers for the name fingerprint (any fixed odd 64-bit constants will do).
_HASH_MULTIPLIERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5] * 64,
    dtype=np.uint64,
)


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
    nwords = max(1, (int(length.max()) + 7) // 8)
    words = gather_words(arr, begin, nwords)
    for j in range(nwords):
        words[:, j] &= TAIL_MASKS[np.clip(length - 8 * j, 0, 8)]
    return words


def group_rows(words: U64, length: I64) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Group equal rows exactly: ``(representatives, inverse)``.

    ``inverse[i]`` indexes ``representatives``, row numbers holding each distinct string.
    Fingerprints pick candidates; a full comparison of the words makes the grouping exact.
    """
    mult = _HASH_MULTIPLIERS[: words.shape[1]]
    fingerprint = (words * mult).sum(axis=1, dtype=np.uint64) + length.astype(np.uint64)
    if (fingerprint == fingerprint[0]).all() and (words == words[0]).all():
        return np.zeros(1, dtype=np.intp), np.zeros(words.shape[0], dtype=np.intp)
    _, reps, inverse = np.unique(fingerprint, return_index=True, return_inverse=True)
    if not (words == words[reps][inverse]).all():  # a fingerprint collision: exact, slower path
        _, reps, inverse = np.unique(words, axis=0, return_index=True, return_inverse=True)
    return reps.astype(np.intp), inverse.reshape(-1).astype(np.intp)
