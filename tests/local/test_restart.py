"""A local SageMaker whose server died comes back where its users look for it (issue 26, item 5).

``local start`` (or ``make ui``'s watch) on a half-up state dir used to start both servers anew on
new ports: a running ``make ui`` kept the old URLs and reached nothing. Now the part still up keeps
running (with its models and endpoints) and what died comes back on the port it had.
"""

from __future__ import annotations

import os
import signal
import time
import urllib.request
from pathlib import Path

import pytest
from sagemaker_sizing.local import dead_servers, processes, running_local_sagemaker, start, status

pytestmark = pytest.mark.e2e

MODEL = "restart-model"


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while processes.runs_module(pid, "sagemaker_sizing.local") and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_dead_runtime_comes_back_on_its_port_beside_the_running_control_plane(tmp_path: Path) -> None:
    with running_local_sagemaker(tmp_path, models=(MODEL,), time_compression=7.0) as local:
        kill(local.pids["runtime"])
        [dead] = dead_servers(tmp_path)
        assert (dead.part, dead.pid) == ("runtime", local.pids["runtime"])
        assert not status(tmp_path).up

        again = start(tmp_path)  # what `sagemaker-sizing local start` does, without the model
        assert again.up and dead_servers(tmp_path) == []
        assert (again.runtime_url, again.runtime_tls_url) == (local.runtime_url, local.runtime_tls_url)
        assert again.pids["control_plane"] == local.pids["control_plane"]  # kept, with its state
        assert again.pids["runtime"] != local.pids["runtime"]
        assert again.client("sagemaker").describe_model(ModelName=MODEL)["ModelName"] == MODEL
        assert again.options["time_compression"] == 7.0  # the runtime's options, as it had them
        with urllib.request.urlopen(f"{again.runtime_url}/ping", timeout=5) as answer:
            assert answer.status == 200


def test_a_dead_control_plane_comes_back_on_its_port_with_the_models_asked_for(tmp_path: Path) -> None:
    with running_local_sagemaker(tmp_path, models=(MODEL,)) as local:
        kill(local.pids["control_plane"])
        assert [d.part for d in dead_servers(tmp_path)] == ["control_plane"]

        again = start(tmp_path, models=(MODEL,))
        assert again.up
        assert (again.control_plane_url, again.runtime_url) == (local.control_plane_url, local.runtime_url)
        assert again.client("sagemaker").describe_model(ModelName=MODEL)["ModelName"] == MODEL
