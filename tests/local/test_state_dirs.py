"""Per-process state dirs: a demo's local SageMaker is its own; a dead owner's is stopped and removed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sagemaker_sizing.local import processes
from sagemaker_sizing.local.servers import RUNTIME_MODULE
from sagemaker_sizing.local.state_dirs import (
    claim_state_dir,
    read_owner_record,
    release_stale_state_dirs,
    update_owner_record,
)


def _sleeper() -> subprocess.Popen[bytes]:
    """A process whose command line names the runtime module, as ``stop`` checks before a kill."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", RUNTIME_MODULE])
    deadline = time.monotonic() + 10
    while not processes.runs_module(process.pid, RUNTIME_MODULE) and time.monotonic() < deadline:
        time.sleep(0.01)  # until exec: before it, the command line is the parent's
    return process


def test_a_claimed_dir_is_this_process_s_and_survives_a_sweep(tmp_path: Path) -> None:
    mine = claim_state_dir("demo", tmp_path, runs=[["sagemaker_sizing", "2026-01-01T00:00:00+00:00"]])
    assert mine == tmp_path / f"demo-{os.getpid()}"
    owner = read_owner_record(mine)
    assert owner["pid"] == os.getpid() and owner["runs"] == [
        ["sagemaker_sizing", "2026-01-01T00:00:00+00:00"]
    ]
    update_owner_record(mine, runs=[])
    assert read_owner_record(mine)["runs"] == [] and read_owner_record(mine)["pid"] == os.getpid()
    assert release_stale_state_dirs("demo", tmp_path) == []
    assert mine.is_dir()


def test_a_dead_owner_s_servers_are_stopped_and_its_dir_removed(tmp_path: Path) -> None:
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.2)"])
    started = processes.start_time(owner.pid)
    owner.wait()
    server = _sleeper()
    try:
        stale = tmp_path / f"demo-{owner.pid}"
        stale.mkdir()
        record = {
            "pid": owner.pid,
            "started": started,
            "runs": [["sagemaker_sizing", "2026-01-02T00:00:00+00:00"]],
        }
        (stale / "owner.json").write_text(json.dumps(record))
        (stale / "state.json").write_text(json.dumps({"pids": {"runtime": server.pid}}))
        other = tmp_path / "other-1"  # another name: not this sweep's
        other.mkdir()
        assert release_stale_state_dirs("demo", tmp_path) == [record]
        assert not stale.exists() and other.exists()
        deadline = time.monotonic() + 10
        while server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.poll() is not None, "the dead demo's server still runs"
    finally:
        server.kill()
        server.wait()


def test_a_recycled_pid_is_not_the_owner(tmp_path: Path) -> None:
    # The pid is alive (this process) but started at another time: its owner is gone.
    stale = tmp_path / f"demo-{os.getpid()}"
    stale.mkdir()
    (stale / "owner.json").write_text(json.dumps({"pid": os.getpid(), "started": "1"}))
    assert release_stale_state_dirs("demo", tmp_path) == [{"pid": os.getpid(), "started": "1"}]
    assert not stale.exists()
