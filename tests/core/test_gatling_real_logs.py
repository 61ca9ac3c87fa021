"""The parser against real simulation.log files written by several Gatling versions.

The logs (tests/fixtures/gatling-real/, see its README) come from one simulation run headless
against a loopback server by each Gatling: six users, each sending two OK requests, one OK request
inside a group, one HTTP 500 failing its status check, one HTTP 500 failing a body check (its KO
message holds the body's unusual characters), one refused connection, and one request that cannot
be built (an ERROR record whose message runs over two lines). Expectations are read from the log
with a plain line split here, not from the parser.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sagemaker_sizing.cli import main
from sagemaker_sizing.core.gatling import GatlingLogError, parse_log

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "gatling-real"
TEXT_VERSIONS = ["3.3.1", "3.4.2", "3.9.5", "3.10.5", "3.11.5", "3.12.0"]
BINARY_VERSION = "3.13.0"
USERS = 6
EXPECTED_KEYS = {
    "ok": (USERS, 0),
    "ok again": (USERS, 0),
    "my group / in group": (USERS, 0),
    "server error": (0, USERS),
    "bödy ✓ check": (0, USERS),
    "refused": (0, USERS),
}
BODY = 'ünïcødé ✓ tab new line "quoted" <b>&amp;</b> 100% ${x} #{y}'  # the server's body, sanitised


def log_of(version: str) -> Path:
    return REAL / version / "simulation.log"


def plain_requests(path: Path) -> list[tuple[str, int, bool, str]]:
    """(key, latency ms, ok, message) of every REQUEST line, by a plain split on tabs."""
    out = []
    with_user_id = path.parent.name.startswith("3.3")
    for line in path.read_bytes().decode("utf-8").split("\n"):
        fields = line.rstrip("\r").split("\t")
        if fields[0] != "REQUEST":
            continue
        if with_user_id:
            del fields[1]
        _, groups, name, start, end, status, message = fields
        key = " / ".join([*groups.split(","), name]) if groups else name
        out.append((key, int(end) - int(start), status == "OK", message))
    return out


def test_every_fixture_is_there_and_announces_its_version() -> None:
    for version in TEXT_VERSIONS:
        head = log_of(version).read_bytes()[:2000]
        assert re.search(rb"\nRUN\t[^\n]*\t" + re.escape(version.encode()) + rb"\r?\n", head), version
        assert b"\nERROR\t" in log_of(version).read_bytes()  # the ERROR record spanning two lines
    assert log_of(BINARY_VERSION).read_bytes()[:1] == b"\x00"


@pytest.mark.parametrize("version", TEXT_VERSIONS)
def test_a_real_log_gives_the_counts_and_latencies_it_holds(version: str) -> None:
    path = log_of(version)
    plain = plain_requests(path)
    out = parse_log(path)

    assert out["files"][0]["gatling_version"] == version
    assert out["warnings"] == []
    counts = {key: (stats["count_success"], stats["count_fail"]) for key, stats in out["by_request"].items()}
    assert counts == EXPECTED_KEYS
    assert Counter(ok for _, _, ok, _ in plain) == Counter({True: 3 * USERS, False: 3 * USERS})
    assert out["all"]["count_total"] == len(plain) == 6 * USERS
    assert out["all"]["percent_fail"] == 50.0

    ok_latencies = np.array([ms for _, ms, ok, _ in plain if ok])
    assert out["all"]["latency_success_max"] == ok_latencies.max()
    assert out["all"]["latency_success_min"] == ok_latencies.min()
    assert out["all"]["latency_success_p99"] == pytest.approx(np.percentile(ok_latencies, 99))
    assert out["all"]["latency_success_p50"] == pytest.approx(np.percentile(ok_latencies, 50))

    failures = {f["message"]: f["count"] for f in out["failures"]}
    assert failures == Counter(message for _, _, ok, message in plain if not ok)
    assert any(BODY in message for message in failures), failures
    assert any("Connection refused" in message for message in failures)


@pytest.mark.parametrize("version", ["3.3.1", "3.11.5"])
def test_a_log_written_with_windows_line_endings_reads_the_same(version: str, tmp_path: Path) -> None:
    # Gatling ends each record with the JVM's line separator (CRLF on Windows); the unsanitised
    # ERROR message keeps its own bare line break.
    text = log_of(version).read_bytes()
    crlf = re.sub(rb"\n(?=(RUN|REQUEST|USER|GROUP|ERROR|ASSERTION)\t|$)", b"\r\n", text)
    assert crlf.count(b"\r\n") == text.count(b"\n") - text.count(b"\nERROR\t")
    windows = tmp_path / "simulation.log"
    windows.write_bytes(crlf)
    unix, out = parse_log(log_of(version)), parse_log(windows)
    assert out["by_request"] == unix["by_request"]
    assert out["failures"] == unix["failures"]


def test_a_real_log_cut_in_its_last_request_keeps_the_whole_lines(tmp_path: Path) -> None:
    text = log_of("3.11.5").read_bytes()
    last = text.rindex(b"\nREQUEST\t")
    cut = tmp_path / "simulation.log"
    cut.write_bytes(text[: last + 20])  # the run was killed while writing that line
    out = parse_log(cut)
    assert out["all"]["count_total"] == 6 * USERS - 1
    assert len(out["warnings"]) == 1 and "truncated last line ignored" in out["warnings"][0]
    assert out["files"][0]["truncated_last_line"] is True


def test_a_binary_log_is_refused_naming_its_version_and_the_rule(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(GatlingLogError) as caught:
        parse_log(log_of(BINARY_VERSION))
    message = str(caught.value)
    assert f"binary simulation.log written by Gatling {BINARY_VERSION}" in message
    assert "Gatling 3.12 and older write a text simulation.log, 3.13 and later a binary one" in message

    assert main(["parse", str(log_of(BINARY_VERSION))]) != 0
    printed = capsys.readouterr()
    assert "Traceback" not in printed.out + printed.err


def test_garbage_after_a_record_that_is_not_an_error_is_still_refused(tmp_path: Path) -> None:
    # Continuation lines are accepted only after an ERROR record, whose message Gatling leaves raw.
    text = log_of("3.11.5").read_bytes()
    broken = text.replace(b"\nUSER\t", b"\nUSER\tbroken\nnot a record\nUSER\t", 1)
    path = tmp_path / "simulation.log"
    path.write_bytes(broken)
    with pytest.raises(GatlingLogError, match="not a Gatling record"):
        parse_log(path)


@pytest.mark.parametrize("chunk", [61, 200, 1000])
def test_an_error_record_split_over_chunks_reads_the_same(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sagemaker_sizing.core.gatling import scanner

    whole = parse_log(log_of("3.11.5"))
    monkeypatch.setattr(scanner, "CHUNK_BYTES", chunk)
    chunked = parse_log(log_of("3.11.5"))
    assert chunked["by_request"] == whole["by_request"]
    assert chunked["failures"] == whole["failures"]


def test_many_assertions_before_the_run_record_are_read_past(tmp_path: Path) -> None:
    # Gatling 3.x writes every assertion of the simulation before its RUN record.
    text = log_of("3.11.5").read_bytes()
    assertion = text.split(b"\n", 1)[0] + b"\n"
    assert assertion.startswith(b"ASSERTION\t")
    many = tmp_path / "simulation.log"
    many.write_bytes(assertion * 200 + text)
    assert parse_log(many)["all"]["count_total"] == 6 * USERS
