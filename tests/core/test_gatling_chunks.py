"""Chunked, two-thread scanning gives exactly what one sequential pass gives, faults included."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sagemaker_sizing.core.gatling import GatlingLogError, parse_log
from sagemaker_sizing.core.gatling import scanner as scanner_module

from tests.core.test_gatling_formats import make_requests, write_log

if TYPE_CHECKING:
    from pathlib import Path

# Line lengths are ~60-110 bytes: 61 splits most lines, 97 and 1009 land anywhere in a line, a
# chunk of 4096 holds many lines (the reference is one chunk for the whole file).
CHUNKS = [61, 97, 1009, 4096]


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    files = [{k: v for k, v in f.items() if k != "path"} for f in result["files"]]
    return {**result, "files": files, "warnings": [w.split(":", 2)[-1] for w in result["warnings"]]}


@pytest.mark.parametrize("chunk", CHUNKS)
@pytest.mark.parametrize("threads", [1, 2])
def test_any_chunk_size_and_thread_count_gives_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, threads: int
) -> None:
    path = write_log(tmp_path / "s.log", "3.2.0", make_requests(n=600, fail=0.1))
    path.write_bytes(path.read_bytes() + b"REQUEST\t601\t\tpredict\t17000")  # truncated tail
    reference = parse_log(path)
    assert reference["files"][0]["truncated_last_line"] is True
    monkeypatch.setattr(scanner_module, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(scanner_module, "SCAN_THREADS", threads)
    chunked = parse_log(path)
    assert comparable(chunked) == comparable(reference)
    assert chunked["files"][0]["lines"] == 3 * 600 + 1


@pytest.mark.parametrize("chunk", CHUNKS)
def test_a_bad_line_is_named_by_its_line_in_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    path = write_log(tmp_path / "s.log", "3.2.0", make_requests(n=300, fail=0))
    lines = path.read_bytes().split(b"\n")
    lines[700] = b"\x89PNG garbage"  # line 701
    lines[800] = b"REQUEST\t1\t\tp\t1700000000000\t1700000000010\tMAYBE\t "  # later: not reported
    path.write_bytes(b"\n".join(lines))
    monkeypatch.setattr(scanner_module, "CHUNK_BYTES", chunk)
    with pytest.raises(GatlingLogError) as caught:
        parse_log(path)
    assert caught.value.line == 701
    assert "record type" in str(caught.value)


def test_a_line_without_end_is_not_a_text_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_log(tmp_path / "s.log", "3.2.0", make_requests(n=50, fail=0))
    path.write_bytes(path.read_bytes() + b"A" * 5000 + b"\n" + b"REQUEST\t1\n" * 10)
    monkeypatch.setattr(scanner_module, "CHUNK_BYTES", 512)
    monkeypatch.setattr(scanner_module, "MAX_LINE_BYTES", 1024)
    with pytest.raises(GatlingLogError) as caught:
        parse_log(path)
    assert caught.value.line == 3 * 50 + 2
    assert "no line break" in str(caught.value)


def test_no_final_line_break_after_a_complete_record_is_a_truncated_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_log(tmp_path / "s.log", "3.2.0", make_requests(n=100, fail=0))
    path.write_bytes(path.read_bytes().rstrip(b"\n"))  # the last USER END line lost its newline
    monkeypatch.setattr(scanner_module, "CHUNK_BYTES", 97)
    result = parse_log(path)
    assert result["all"]["count_total"] == 100
    assert result["files"][0]["truncated_last_line"] is True
    assert result["files"][0]["lines"] == 3 * 100  # RUN, and every line but the cut one
