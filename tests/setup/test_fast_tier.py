"""The fast tier's guard (tests/conftest.py): an unmarked test that starts a JVM, the local
SageMaker or a DAG run fails under ``make check``; a marked one runs in ``make test``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import slow_process

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = """
import subprocess, sys

import pytest


def test_unmarked_jvm():
    subprocess.run(["java", "-version"], check=True)


@pytest.mark.gatling
def test_marked_jvm():
    subprocess.run(["java", "-version"], check=True)


def test_unmarked_local_sagemaker():
    subprocess.run([sys.executable, "-m", "sagemaker_sizing.local.runtime_server", "--help"], check=True)


def test_quick_process():
    subprocess.run([sys.executable, "-c", "pass"], check=True)
"""


def run_sample(tmp_path: Path, fast_tier: bool) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    shim = tmp_path / "bin" / "java"  # a JVM stand-in: the guard judges the command, not the binary
    shim.parent.mkdir()
    shim.write_text("#!/bin/sh\nexit 0\n")
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{shim.parent}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    env["SAGEMAKER_SIZING_FAST_TIER"] = "1" if fast_tier else "0"
    env["COLUMNS"] = "400"  # the summary lines whole
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.conftest",
            "--rootdir",
            str(tmp_path),
            "-q",
            "-rA",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore",
            str(tmp_path / "test_sample.py"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_the_fast_tier_fails_an_unmarked_test_that_starts_something_slow(tmp_path: Path) -> None:
    out = run_sample(tmp_path, fast_tier=True).stdout
    assert (
        "FAILED test_sample.py::test_unmarked_jvm - Failed: this test starts a JVM: mark it `gatling`" in out
    )
    assert "FAILED test_sample.py::test_unmarked_local_sagemaker - Failed: this test starts the local" in out
    assert "PASSED test_sample.py::test_marked_jvm" in out
    assert "PASSED test_sample.py::test_quick_process" in out


def test_outside_the_fast_tier_nothing_is_refused(tmp_path: Path) -> None:
    out = run_sample(tmp_path, fast_tier=False).stdout
    assert "4 passed" in out, out[-2000:]


def test_what_counts_as_slow() -> None:
    assert slow_process(["/usr/bin/java", "-jar", "x.jar"]) == ("a JVM", "gatling")
    assert slow_process([".venv/bin/airflow", "dags", "test"]) == ("`airflow dags test`", "e2e")
    assert slow_process(["bash", "scripts/postgres.sh", "start"]) is not None
    assert slow_process([sys.executable, "-m", "sagemaker_sizing.local.control_plane"]) is not None
    assert slow_process([".venv/bin/sagemaker-sizing", "parse", "x.log"]) is None
    assert slow_process([sys.executable, "-c", "import sagemaker_sizing.core"]) is None


def test_aiperf_counts_as_slow_also_inside_a_shell_line(tmp_path: Path) -> None:
    aiperf = tmp_path / "venv" / "bin" / "aiperf"
    aiperf.parent.mkdir(parents=True)
    aiperf.write_text("#!/bin/sh\n")
    assert slow_process([str(aiperf), "profile"]) == ("AIPerf", "slow")
    line = f"set -o pipefail; timeout -s INT 60 {aiperf} profile --model m 2>&1 | tee x"
    assert slow_process(["bash", "-c", line]) == ("AIPerf", "slow")
    # A path where nothing is installed starts nothing (the missing-AIPerf tests run it at once).
    assert slow_process(["bash", "-c", line.replace(str(aiperf), str(tmp_path / "none" / "aiperf"))]) is None
