"""Whole runs (``dag.test()`` on the local SageMaker) that could not measure: they end ``failed``,
the report's first line names the cause (never "no configuration met the requirements"), what
was measured is kept, and nothing is left deployed (issues 13 and 19)."""

from __future__ import annotations

import html as html_text
import json
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.local import LocalSageMakerStatus, running_local_sagemaker
from sagemaker_sizing.local.airflow_env import LOCAL_CONN_ID

from tests.e2e.harness import MODEL, SizingRun, base_conf, make_sizing
from tests.faults.checks import assert_nothing_left

pytestmark = pytest.mark.e2e

Sizing = Callable[[dict[str, Any]], SizingRun]
CAPACITY_VERDICT = "No configuration met the requirements"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def headline(run: SizingRun) -> str:
    """The report's first line: the first element of its body, and recommendation.json's headline."""
    assert run.run_dir is not None
    html = (run.run_dir / "report.html").read_text()
    first = re.search(r"<main>\s*<p [^>]*id=\"headline\"[^>]*>([^<]*)</p>", html)
    assert first is not None, html[:2000]
    text = html_text.unescape(first.group(1))
    assert text == run.recommendation["headline"]
    assert CAPACITY_VERDICT not in html
    return text


def assert_failed(run: SizingRun, category: str) -> str:
    assert run.state == "failed", run.states
    assert run.recommendation["status"] == "failed", run.recommendation.get("headline")
    assert run.recommendation["failure"]["category"] == category, run.recommendation["failure"]
    assert run.states["report"] == ["success"], run.states
    text = headline(run)
    assert text.startswith("Run failed"), text
    return text


def test_a_closed_port_is_a_setup_error_not_a_capacity_verdict(
    sizing: Sizing, local_sagemaker: LocalSageMakerStatus
) -> None:
    run = sizing(
        base_conf(
            endpoint_name="closed",
            type_walk="ml.m5.large",
            tps_walk="10",
            host=f"http://127.0.0.1:{closed_port()}",
        )
    )
    text = assert_failed(run, "setup")
    assert "the load did not run" in text and "round 1" in text
    assert run.states["round_1.parse"] == ["failed"] and run.states["end"] != ["success"]
    [step] = run.steps()
    assert step["outcome"] == "error" and step["error_category"] == "setup"
    assert_nothing_left(run, local_sagemaker)


def test_a_missing_model_is_a_setup_error_found_by_preflight_with_no_step(
    sizing: Sizing, local_sagemaker: LocalSageMakerStatus
) -> None:
    run = sizing(
        base_conf(endpoint_name="nomodel", type_walk="ml.m5.large", tps_walk="10", model_name="no-such-model")
    )
    text = assert_failed(run, "setup")
    # Preflight finds it before any deploy: the report names it, nothing was deployed or measured.
    assert "preflight" in text and "no-such-model" in text and "nothing was deployed" in text, text
    assert run.states["preflight"] == ["failed"]
    assert "success" not in run.states.get("round_1.deploy", []) and run.steps() == []
    assert_nothing_left(run, local_sagemaker)


def test_bad_credentials_are_a_setup_error(
    sizing: Sizing, local_sagemaker: LocalSageMakerStatus, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control plane (moto) takes any secret; the runtime checks every signature: all 403.
    name = f"AIRFLOW_CONN_{LOCAL_CONN_ID.upper()}"
    connection = json.loads(os.environ[name])
    connection["password"] = "not-the-secret-key"
    monkeypatch.setenv(name, json.dumps(connection))
    run = sizing(base_conf(endpoint_name="badcreds", type_walk="ml.m5.large", tps_walk="10"))
    text = assert_failed(run, "setup")
    assert "did not reach the model" in text and "found 403" in text, text
    [step] = run.steps()
    assert step["failed_by_kind"]["setup"] == step["count_total"] > 0
    assert step["failures"][0]["kind"] == "setup"
    assert_nothing_left(run, local_sagemaker)


@pytest.fixture
def own_local(tmp_path: Path) -> Iterator[LocalSageMakerStatus]:
    """A local SageMaker of this test alone: its runtime gets killed."""
    with running_local_sagemaker(
        tmp_path / "local", models=(MODEL,), creating_delay=1.0, time_compression=30
    ) as local:
        yield local


def kill_runtime_mid_load(local: LocalSageMakerStatus, results: Path, requests: int = 30) -> threading.Thread:
    """Once a step's log holds ``requests`` requests, SIGKILL the runtime emulator (this test's)."""

    def watch() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            for log in results.glob("*/*TPS-*/simulation.log"):
                if log.read_bytes().count(b"\nREQUEST\t") >= requests:
                    os.kill(local.pids["runtime"], signal.SIGKILL)
                    return
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


def test_a_runtime_killed_mid_load_with_two_lanes_is_infrastructure_and_keeps_the_report(
    own_local: LocalSageMakerStatus, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    sizing = make_sizing(own_local, monkeypatch, results)
    watcher = kill_runtime_mid_load(own_local, results)
    run = sizing(
        base_conf(
            endpoint_name="killed",
            strategy="adaptive",
            type_walk="ml.m5.large,ml.m5.xlarge",
            tps_walk="10",
            duration_minutes=0.2,
        )
    )
    watcher.join(timeout=1)
    text = assert_failed(run, "infrastructure")
    assert "stopped answering mid-load" in text
    steps = run.steps()
    assert len(steps) == 2 and {s["outcome"] for s in steps} == {"error"}, steps  # both lanes kept
    # dag.test() runs the lanes' loads one after the other: the one under way when the runtime died
    # kept what it measured and why its requests failed; the other found no runtime to reach.
    killed = [s for s in steps if s["error_category"] == "infrastructure"]
    assert len(killed) == 1, steps
    assert killed[0]["count_total"] and killed[0]["latency_success_p99"] is not None
    assert any("Connection refused" in f["message"] for f in killed[0]["failures"]), killed[0]["failures"]
    assert run.run_dir is not None and (run.run_dir / killed[0]["folder"] / "simulation.log").is_file()
    assert killed[0]["folder"] in (run.run_dir / "report.html").read_text()
    assert run.recommendation["recommendation"]["instance_type"] is None
    assert_nothing_left(run, own_local)
