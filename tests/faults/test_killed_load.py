"""A load task killed mid-way (its Gatling JVM gets SIGKILL) is retried by Airflow; the retry's
results folder is the one parsed, the run succeeds, and nothing is left deployed."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.local import LocalSageMakerStatus

from tests.e2e.harness import SizingRun, base_conf
from tests.faults.checks import assert_nothing_left, assert_steps_reported

pytestmark = pytest.mark.e2e

Sizing = Callable[[dict[str, Any]], SizingRun]


def killing_java(tmp_path: Path, results: Path) -> Path:
    """A ``java`` first on PATH whose first run is killed once its results folder exists."""
    real = shutil.which("java")
    assert real
    shim_dir = tmp_path / "shim"
    shim_dir.mkdir()
    calls = tmp_path / "java-calls"
    shim = shim_dir / "java"
    shim.write_text(
        "#!/bin/bash\n"
        f'n=$(( $(cat "{calls}" 2>/dev/null || echo 0) + 1 )); echo $n > "{calls}"\n'
        f'if [[ $n -gt 1 ]]; then exec "{real}" "$@"; fi\n'
        f'"{real}" "$@" & pid=$!\n'
        # Mid-load: Gatling has made the step's folder; give it a moment, then kill -9.
        f'for _ in $(seq 1 150); do ls -d "{results}"/*/*TPS-* >/dev/null 2>&1 && break; sleep 0.2; done\n'
        "sleep 1; kill -9 $pid; wait $pid; exit 137\n"
    )
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return shim_dir


def test_a_killed_load_is_retried_and_the_retry_is_what_counts(
    sizing: Sizing, local_sagemaker: LocalSageMakerStatus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "results"
    shim_dir = killing_java(tmp_path, results)
    monkeypatch.setenv("PATH", f"{shim_dir}{os.pathsep}{os.environ['PATH']}")
    run = sizing(base_conf(endpoint_name="killed", type_walk="ml.m5.large", tps_walk="10", peak_tps=10))

    assert run.state == "success", run.states
    assert (tmp_path / "java-calls").read_text().strip() == "3"  # killed, retried, then round 2
    assert run.states["round_1.load"] == ["success"]
    steps = assert_steps_reported(run, expected=2)
    assert run.run_dir is not None
    # The killed attempt left its own folder; the step's result is the retry's, the newer one.
    attempts = sorted(p.name for p in run.run_dir.glob("*-ml.m5.large-1-10TPS-*") if p.is_dir())
    round_1_folders = [a for a in attempts if a.startswith(steps[0]["folder"].split("-ml.m5")[0])]
    assert len(round_1_folders) == 2, attempts
    assert steps[0]["folder"] == round_1_folders[-1]
    assert steps[0]["passed"] is True
    assert_nothing_left(run, local_sagemaker)
