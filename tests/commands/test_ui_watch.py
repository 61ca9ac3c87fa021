"""``make ui`` while its local SageMaker's runtime dies (issue 26, item 5).

``make ui`` kept serving with a dead runtime (only ``local status`` showed ``runtime_up: false``),
every run's next step read "Connection refused", and ``local start`` started new servers on ports
the running UI did not know. Its watch now names the dead server and starts it again on the port
Airflow's connection names.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from sagemaker_sizing.commands import ui
from sagemaker_sizing.local import LocalSageMaker, processes, status

pytestmark = pytest.mark.e2e

MODEL = "ui-watch-model"


def test_the_ui_names_a_dead_runtime_and_starts_it_again_on_its_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local_sagemaker = LocalSageMaker(tmp_path / "local", models=(MODEL,), stop_timeout_s=2.0)
    with local_sagemaker as before:
        dead_pid = before.pids["runtime"]
        os.kill(dead_pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while processes.runs_module(dead_pid, "sagemaker_sizing.local") and time.monotonic() < deadline:
            time.sleep(0.05)
        # A stand-in for Airflow's components: the watch runs until one exits.
        component = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        back = threading.Thread(
            target=_end_once_the_runtime_is_back, args=(local_sagemaker, dead_pid, component)
        )
        back.start()
        try:
            code = ui._watch({"scheduler": component}, tmp_path, local_sagemaker)
        finally:
            component.kill()
            back.join()
        printed = capsys.readouterr().out
        after = status(local_sagemaker.state_dir)
        with urllib.request.urlopen(f"{after.runtime_url}/ping", timeout=5) as answer:
            assert answer.status == 200  # where Airflow's connection looks

    assert code == 1  # the stand-in exited: the watch stops the UI, naming it
    assert f"error: the local SageMaker's runtime (pid {dead_pid}) died" in printed, printed
    assert "starting it again on its port" in printed and "back on the same ports" in printed, printed
    assert after.runtime_up and after.pids["runtime"] != dead_pid
    assert (after.runtime_url, after.control_plane_url) == (before.runtime_url, before.control_plane_url)


def _end_once_the_runtime_is_back(
    local_sagemaker: LocalSageMaker, dead_pid: int, component: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = status(local_sagemaker.state_dir)
        if now.runtime_up and now.pids.get("runtime") not in (None, dead_pid):
            break
        time.sleep(0.2)
    time.sleep(1.5)  # the watch prints its "back" line once start() returns
    component.terminate()
