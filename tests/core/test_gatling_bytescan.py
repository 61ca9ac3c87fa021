"""The byte-level helpers of the vectorised scan, against plain Python on random data."""

from __future__ import annotations

import random

import numpy as np
from sagemaker_sizing.core.gatling import bytescan


def as_array(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8)


def test_digits_13_reads_millisecond_epochs_and_flags_non_digits() -> None:
    values = [1628676533646, 1000000000000, 9999999999999, 1700000000007]
    data = b"".join(f"{v}\t__".encode() for v in values) + b"12345678x0123\t__" + b"\0" * 16
    begin = np.arange(len(values) + 1, dtype=np.int64) * 16
    parsed, bad = bytescan.parse_13_digits(bytescan.gather_words(as_array(data), begin, 2))
    assert parsed[:-1].tolist() == values
    assert bad.tolist() == [False] * len(values) + [True]


def test_parse_digits_any_width() -> None:
    data = b"7\t42\t1234567890123456\t12a\t"
    arr = as_array(data)
    begin = np.array([0, 2, 5, 22])
    end = np.array([1, 4, 21, 25])
    value, bad = bytescan.parse_digits(arr, begin, end)
    assert value[:3].tolist() == [7, 42, 1234567890123456]
    assert bad.tolist() == [False, False, False, True]


def test_first_byte_at_finds_the_first_tab_of_each_row() -> None:
    rng = random.Random(3)
    rows = []
    for _ in range(300):
        width = rng.randint(0, 30)
        rows.append(bytes(rng.choice(b"0123456789\t") for _ in range(width)).ljust(32, b"x"))
    data = b"".join(rows)
    begin = np.arange(len(rows), dtype=np.int64) * 32
    found = bytescan.first_byte_at(bytescan.gather_words(as_array(data), begin, 3), ord("\t"))
    assert found.tolist() == [r[:24].find(b"\t") for r in rows]


def test_group_rows_is_exact_with_few_and_many_names() -> None:
    rng = random.Random(5)
    for count in (1, 3, 40):  # 40 distinct names exceed the peeling limit: the sort path runs too
        names = [f"name-{i}-{'x' * rng.randint(0, 20)}".encode() for i in range(count)]
        picked = [rng.choice(names) for _ in range(2000)]
        data = b"".join(p + b"\n" for p in picked) + b"\0" * 64
        ends = np.cumsum([len(p) + 1 for p in picked]) - 1
        begin = ends - np.array([len(p) for p in picked])
        words = bytescan.key_words(as_array(data), begin, ends)
        reps, inverse = bytescan.group_rows(words)
        assert len(reps) == len(set(picked))
        assert [picked[reps[k]] for k in inverse] == picked


def test_key_words_zero_the_bytes_past_each_string() -> None:
    data = b"abc\tabcdefghij\t" + b"\0" * 16
    words = bytescan.key_words(as_array(data), np.array([0, 4]), np.array([3, 14]))
    assert words[0].tobytes() == b"abc" + b"\0" * 13
    assert words[1].tobytes() == b"abcdefghij" + b"\0" * 6
