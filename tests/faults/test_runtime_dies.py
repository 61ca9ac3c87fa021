"""The runtime emulator dies mid-load: Gatling finishes, the requests after the death are KO, and
the step is judged failed with the error rate as its reason (the load task itself succeeds).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sagemaker_sizing.adapters.gatling_command import (
    GatlingStep,
    ScenarioRequest,
    gatling_args,
    result_folder,
)
from sagemaker_sizing.core.gatling import parse_logs
from sagemaker_sizing.core.verdicts.requirements import check
from sagemaker_sizing.local import LocalSageMakerStatus, running_local_sagemaker
from sagemaker_sizing.paths import GATLING_JAR

pytestmark = pytest.mark.e2e
MODEL = "dying-model"


@pytest.fixture
def local(tmp_path: Path) -> Iterator[LocalSageMakerStatus]:
    with running_local_sagemaker(tmp_path / "local", models=(MODEL,)) as running:
        sagemaker = running.client("sagemaker")
        variant = {"VariantName": "AllTraffic", "ModelName": MODEL, "InstanceType": "ml.m5.large"}
        sagemaker.create_endpoint_config(
            EndpointConfigName="dying-config", ProductionVariants=[{**variant, "InitialInstanceCount": 1}]
        )
        sagemaker.create_endpoint(EndpointName="dying", EndpointConfigName="dying-config")
        yield running


def wait_for_requests(results: Path, name: str, deadline_s: float = 60) -> None:
    """Until the jar has logged some requests (so the kill lands mid-load, not before it)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        folder = result_folder(results, name)
        log = folder / "simulation.log" if folder is not None else None
        if log is not None and log.is_file() and log.read_bytes().count(b"\nREQUEST\t") >= 20:
            return
        time.sleep(0.2)
    raise AssertionError("the jar logged no requests")


def test_a_dying_runtime_fails_the_step_with_its_error_rate(
    local: LocalSageMakerStatus, tmp_path: Path
) -> None:
    payload = tmp_path / "payload.json"
    payload.write_text('{"message": "hello"}')
    assert local.runtime_url is not None
    step = GatlingStep(
        host=local.runtime_url,
        region=local.region,
        endpoint="dying",
        steady_state_tps=20,
        steady_state_minutes=Decimal(8) / 60,
        requests=[ScenarioRequest(str(payload), 100)],
        output_base_name="dying",
        results_dir=tmp_path / "results",
        jar=GATLING_JAR,
        warm_up_seconds=0,
    )
    env = {**os.environ, **local.aws_env(), "HOME": str(tmp_path)}
    jar = subprocess.Popen(
        gatling_args(step), env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for_requests(tmp_path / "results", "dying")
        os.kill(local.pids["runtime"], signal.SIGKILL)  # the emulator this test started
        _, stderr = jar.communicate(timeout=120)
    finally:
        if jar.poll() is None:
            jar.kill()
    assert jar.returncode == 0, stderr[-2000:]

    folder = result_folder(tmp_path / "results", "dying")
    assert folder is not None
    metrics = parse_logs([folder / "simulation.log"], target_tps=20)["all"]
    assert metrics["count_success"] >= 20 and metrics["count_fail"] > 0
    passed, reason = check(metrics, 500, 1)
    assert not passed
    assert "fail" in reason.lower(), reason
