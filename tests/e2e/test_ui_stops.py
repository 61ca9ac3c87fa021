"""``sagemaker-sizing ui`` (what ``make ui`` runs): Ctrl-C or SIGTERM stops everything it started,
Airflow's processes and the local SageMaker's two servers, and the command exits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from sagemaker_sizing.commands import ui
from sagemaker_sizing.local.airflow_env import write_airflow_cfg

from tests.e2e.test_scheduler_path import _free_port

pytestmark = pytest.mark.e2e


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "the ui command exited before Airflow was up"
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(2)
    raise AssertionError(f"{url} did not answer")


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_the_stop_budget_is_under_ten_seconds() -> None:
    # SIGTERM-to-SIGKILL grace for Airflow, then each of the two local servers, then the reaping.
    assert ui.STOP_GRACE_S + 2 * ui.LOCAL_STOP_S + 1.0 < 10


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_airflow_and_the_local_sagemaker(tmp_path: Path, signum: int) -> None:
    home = tmp_path / "airflow_home"
    write_airflow_cfg(home)
    port = _free_port()
    env = {**os.environ, "AIRFLOW_HOME": str(home)}
    log = (tmp_path / "ui.log").open("wb")
    command = [sys.executable, "-m", "sagemaker_sizing.cli", "ui", "--port", str(port)]
    command += ["--local-dir", str(tmp_path / "local")]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    tree: list[psutil.Process] = []
    try:
        wait_until_up(f"http://127.0.0.1:{port}/api/v2/version", process)
        root = psutil.Process(process.pid)
        tree = root.children(recursive=True)
        names = " ".join(" ".join(_cmdline(p)) for p in tree)
        local_pids = json.loads((tmp_path / "local" / "state.json").read_text())["pids"].values()
        assert set(local_pids) <= {p.pid for p in tree}  # the two local servers
        # the scheduler, dag-processor, triggerer and api-server (with their own children), the two servers
        assert len(tree) >= 7 and "airflow" in names

        process.send_signal(signum)  # to the command only, as a terminal's Ctrl-C reaches it
        assert process.wait(timeout=60) == 0

        # Every process it started is gone within seconds (multiprocessing's resource tracker exits
        # once its parent's pipe closes, a moment after that parent).
        psutil.wait_procs(tree, timeout=10)
        assert [_cmdline(p) for p in tree if alive(p)] == []
        assert b"stopped" in (tmp_path / "ui.log").read_bytes()
    finally:
        for member in [p for p in tree if alive(p)]:
            member.kill()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def _cmdline(process: psutil.Process) -> list[str]:
    """A process's command line; a child that exited between listing and reading (a short-lived
    helper of Airflow's, seen as a zombie until reaped) has none."""
    try:
        return process.cmdline()
    except (psutil.ZombieProcess, psutil.NoSuchProcess):
        return []
