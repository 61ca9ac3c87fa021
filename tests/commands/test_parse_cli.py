"""``sagemaker-sizing parse``: JSON on stdout, exit 1 with the file and line on a bad log."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sagemaker_sizing.commands import parse as parse_command

from tests.conftest import FIXTURES as SHARED_FIXTURES

if TYPE_CHECKING:
    import pytest

FIXTURES = SHARED_FIXTURES / "gatling-3.2"
LOG_1TPS = next(FIXTURES.glob("*-1TPS-*.simulation.log"))
LOG_3TPS = next(FIXTURES.glob("*-3TPS-*.simulation.log"))


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sagemaker-sizing")
    parse_command.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_prints_metrics_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["parse", str(LOG_1TPS), "--target-tps", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"all", "by_request", "per_second", "warnings", "files", "failures"}
    assert result["all"]["count_total"] == 180
    assert result["all"]["target_tps"] == 1.0
    assert int(result["all"]["latency_success_p99"]) == 76


def test_merges_several_logs(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["parse", str(LOG_1TPS), str(LOG_3TPS), "--indent", "0"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # one line with --indent 0
    assert json.loads(out)["all"]["count_total"] == 720


def test_bad_log_exits_1_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    bad = tmp_path / "simulation.log"
    bad.write_bytes(b"RUN\tS\ts\t1700000000000\t \t3.2.0\nREQUEST\t1\t\tp\tnope\t1700000000010\tOK\t \n")
    with caplog.at_level(logging.ERROR):
        assert run(["parse", str(bad)]) == 1
    assert capsys.readouterr().out == ""
    assert f"{bad}:2:" in caplog.text


def test_missing_file_exits_1(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        assert run(["parse", str(tmp_path / "absent.log")]) == 1
    assert "absent.log" in caplog.text
