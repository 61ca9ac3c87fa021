"""A split step's injectors start together: the project's jar waits for the shared start instant
once its JVM is up; parse measures the skew, and a held-back injector makes the step a
load-generator error, not a capacity result."""

from __future__ import annotations

import json
import subprocess
import time
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from airflow.sdk.exceptions import AirflowFailException
from conftest import jar_env
from loopback_server import LoopbackSageMaker
from sagemaker_sizing.adapters.gatling_command import GatlingStep, ScenarioRequest, gatling_args
from sagemaker_sizing.airflow import step_records
from sagemaker_sizing.airflow.run_files import run_folder
from sagemaker_sizing.airflow.tasks.parse import ParseStepOperator
from sagemaker_sizing.core.files import injector_base_name
from sagemaker_sizing.core.model import StepConfig
from sagemaker_sizing.core.serde import step_config_to_dict

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.gatling
RUN_ID = "manual__2026-01-01T00:00:00+00:00"
BASE = "1767225600-ml.m5.large-1-40TPS"
TPS, SECONDS = 40, 6


def run_step(tmp_path: Path, jar: Path, lateness_s: tuple[float, float], launch_gap_s: float) -> Path:
    """Two injectors of one 40 TPS step, the second JVM launched ``launch_gap_s`` after the first;
    each waits for the shared instant plus its ``lateness_s``. Returns the results root."""
    payload = tmp_path / "payload.json"
    payload.write_bytes(b'{"instances": [1]}')
    results = tmp_path / "results"
    run_dir = run_folder(results, "sagemaker_sizing", RUN_ID)
    start_at = time.time() + 8  # both JVMs are up well before it
    with LoopbackSageMaker() as server:
        procs = []
        for injector, late in enumerate(lateness_s):
            step = GatlingStep(
                host=server.url,
                region="us-west-2",
                endpoint="sizing-ep",
                steady_state_tps=TPS / 2,
                steady_state_minutes=Decimal(SECONDS) / 60,
                requests=[ScenarioRequest(str(payload), 100)],
                output_base_name=injector_base_name(BASE, injector, 2),
                results_dir=run_dir,
                jar=jar,
                start_at_epoch_ms=int((start_at + late) * 1000),
            )
            if injector:
                time.sleep(launch_gap_s)
            procs.append(
                subprocess.Popen(
                    gatling_args(step),
                    env=jar_env(tmp_path),
                    cwd=tmp_path,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err[-2000:]
    return results


def parse_step(results: Path) -> tuple[dict[str, Any], list[Any]]:
    item = {
        "round": 1,
        "index": 0,
        "lane": "ml-m5-large",
        "step": step_config_to_dict(StepConfig("type", "ml.m5.large", 1, TPS, SECONDS / 60)),
        "folder": BASE,
        "injectors": 2,
    }
    conf = {"perfsize_results_dir": str(results), "latency_success_p99": 500, "percent_fail": 1}
    pushed: list[Any] = []
    ti = SimpleNamespace(
        xcom_push=lambda key, value: pushed.append((key, value)),
        xcom_pull=lambda *, task_ids, key, map_indexes: [None for _ in task_ids],  # deploy recorded nothing
    )
    context: Any = {"dag": SimpleNamespace(dag_id="sagemaker_sizing"), "run_id": RUN_ID, "ti": ti}
    ParseStepOperator(task_id="parse", item=item, conf=conf).execute(context)
    ((key, summary),) = pushed
    assert key == step_records.KEY
    return summary, pushed


def test_injectors_launched_apart_start_together(gatling_jar: Path, tmp_path: Path) -> None:
    # The second JVM starts 3 s after the first; both wait for the same instant.
    results = run_step(tmp_path, gatling_jar, lateness_s=(0.0, 0.0), launch_gap_s=3.0)
    summary, _ = parse_step(results)
    metrics = summary["metrics"]
    assert metrics["injectors"] == 2
    assert metrics["start_skew_s"] < 0.5
    assert summary["passed"] is True and summary.get("error") is None
    assert abs(metrics["achieved_tps"] - TPS) <= 0.02 * TPS, metrics


def test_an_injector_held_back_past_the_tolerance_is_a_load_generator_error(
    gatling_jar: Path, tmp_path: Path
) -> None:
    # The endpoint answers every request at once: a capacity verdict would be a PASS.
    results = run_step(tmp_path, gatling_jar, lateness_s=(0.0, 2.5), launch_gap_s=0.0)
    with pytest.raises(
        AirflowFailException, match=r"load generator: injectors started 2\.\d+ s apart"
    ) as raised:
        parse_step(results)
    assert "injector 2 started 2." in str(raised.value) and "tolerance 1 s" in str(raised.value)
    step_json = next(run_folder(results, "sagemaker_sizing", RUN_ID).glob(f"{BASE}-inj1of2-*/step.json"))
    recorded = json.loads(step_json.read_text())
    assert recorded["error_category"] == "load_generator"
    assert recorded["passed"] is False and recorded["error"].startswith("load generator:")
    assert recorded["metrics"]["start_skew_s"] > 2.0
