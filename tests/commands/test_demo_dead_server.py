"""A server of the demo's local SageMaker that dies mid-run is named (issue 26, item 5): the demo
says so as soon as it notices, and again under the outcome, instead of leaving the next step's
"setup error ... Connection refused" to read like a fault of the endpoint."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sagemaker_sizing.commands import demo
from sagemaker_sizing.local import processes, servers


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A state dir whose control plane runs and whose runtime (pid 4242) is gone."""
    (tmp_path / "state.json").write_text(
        json.dumps({"pids": {"control_plane": os.getpid(), "runtime": 4242}})
    )
    alive = {os.getpid()}
    monkeypatch.setattr(processes, "runs_module", lambda pid, module: pid in alive)
    return tmp_path


def test_the_demo_names_the_dead_runtime_once_as_soon_as_it_notices(state_dir: Path) -> None:
    [dead] = servers.dead_servers(state_dir)
    assert (dead.part, dead.pid, dead.log) == ("runtime", 4242, state_dir / "runtime.log")
    watch = demo.ServerWatch(state_dir)
    assert watch.new_lines() == [
        f"error: the local SageMaker's runtime (pid 4242) died (its log: {state_dir / 'runtime.log'}): "
        "the steps from here on cannot reach it"
    ]
    assert watch.new_lines() == []  # once
    assert watch.died == [dead]


def test_the_end_of_the_demo_says_the_failure_was_the_dead_runtime(
    state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    headline = "Run failed: setup error, the load could not measure the endpoint. round 3: Connection refused"
    (run_dir / "recommendation.json").write_text(json.dumps({"status": "failed", "headline": headline}))
    code = demo._print_end(run_dir, 1, [], tmp_path / "demo.log", servers.dead_servers(state_dir))
    out = capsys.readouterr().out.splitlines()
    assert code == demo.EXIT_FAILED
    assert out[-2:] == [
        headline,
        f"note: the local SageMaker's runtime (pid 4242) died (its log: {state_dir / 'runtime.log'}) "
        "during the run: a step that could not reach it failed for that, not the endpoint",
    ]
    assert "recommendation:" not in out  # a failed run: no table of dashes


def test_a_state_dir_whose_servers_run_has_no_dead_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "state.json").write_text(json.dumps({"pids": {"control_plane": 1, "runtime": 2}}))
    monkeypatch.setattr(processes, "runs_module", lambda pid, module: True)
    assert servers.dead_servers(tmp_path) == []
    assert demo.ServerWatch(tmp_path).new_lines() == []
