"""Run the real ``sagemaker_sizing`` DAG with ``dag.test()`` against a local SageMaker.

One ``SizingRun`` per DAG run: the task states, the run's results folder and what the control
plane holds afterwards, so a test can check the outcome a user would see.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagemaker_sizing.local import LocalSageMakerStatus
from sagemaker_sizing.local.airflow_env import local_airflow_env
from sagemaker_sizing.paths import INCLUDE_DIR, PROJECT_ROOT

DAG_FILE = PROJECT_ROOT / "dags" / "sizing.py"
MODEL = "e2e-model"
PAYLOAD = INCLUDE_DIR / "examples" / "sample.input.json"
ROUNDS = 8  # round slots for the tests' DAG: small confs need few, and fewer slots schedule faster


def base_conf(**overrides: Any) -> dict[str, Any]:
    """A small, fast conf: seconds of load per step (the emulator's ml.m5.large holds ~49.9 TPS)."""
    conf: dict[str, Any] = {
        "region": "us-west-2",
        "endpoint_name": "e2e",
        "endpoint_config_name": "e2e-config",
        "model_name": MODEL,
        "scenario_requests": [{"path": str(PAYLOAD), "weight": 100}],
        "peak_tps": 40,
        "latency_success_p99": 500,
        "percent_fail": 1,
        "type_walk": "ml.m5.large,ml.m5.xlarge",
        "count_walk": "1",
        "tps_walk": "10,40,80",
        "duration_minutes": 0.06,
        "endurance_ramp_start_tps": 0,
        "endurance_ramp_minutes": 0,
        "endurance_steady_state_minutes": 0.08,
        "endurance_retries": 1,
        "strategy": "perfsize",
    }
    conf.update(overrides)
    return conf


def sizing_env(local: LocalSageMakerStatus, defer_after: float = 0.0) -> dict[str, str]:
    """What ``make demo`` sets for Airflow, plus the tests' round slots. Deploy defers at once by
    default (``make demo`` watches a local endpoint for 5 s first), so runs go through the triggerer."""
    env = local_airflow_env(local, defer_after=defer_after)
    env["AIRFLOW__SAGEMAKER_SIZING__MAX_ROUNDS"] = str(ROUNDS)
    return env


@dataclass
class SizingRun:
    state: str
    states: dict[str, list[str]]  # task id -> states of its (mapped) instances
    run_dir: Path | None
    endpoints_left: list[str]
    configs_left: list[str]
    recommendation: dict[str, Any] = field(default_factory=dict)

    def steps(self) -> list[dict[str, Any]]:
        return list(self.recommendation.get("steps", []))


def fresh_dag() -> Any:
    """Parse the DAG file anew: ``dag.test()`` keeps param objects between runs of one DAG object."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert not bag.import_errors, bag.import_errors
    return bag.get_dag("sagemaker_sizing")


def run_sizing(local: LocalSageMakerStatus, conf: dict[str, Any]) -> SizingRun:
    """One whole DAG run; the caller has set the environment (``sizing_env``)."""
    dag_run = fresh_dag().test(run_conf=conf)
    states: dict[str, list[str]] = {}
    for ti in dag_run.get_task_instances():
        states.setdefault(ti.task_id, []).append(str(ti.state))
    results_dir = Path(conf["perfsize_results_dir"])
    runs = sorted(results_dir.glob("sagemaker_sizing__*"), key=lambda p: p.stat().st_mtime)
    run_dir = runs[-1] if runs else None
    recommendation = {}
    if run_dir is not None and (run_dir / "recommendation.json").is_file():
        recommendation = json.loads((run_dir / "recommendation.json").read_text())
    sagemaker = local.client("sagemaker")
    return SizingRun(
        state=str(dag_run.state),
        states=states,
        run_dir=run_dir,
        endpoints_left=[e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]],
        configs_left=[c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]],
        recommendation=recommendation,
    )


def make_sizing(local: LocalSageMakerStatus, monkeypatch: Any, results_dir: Path) -> Any:
    """The ``sizing`` fixture's callable: the env set for Airflow, then one DAG run per call."""
    apply_env(monkeypatch, sizing_env(local))

    def run(conf: dict[str, Any]) -> SizingRun:
        conf = dict(conf)
        conf.setdefault("perfsize_results_dir", str(results_dir))
        return run_sizing(local, conf)

    return run


def apply_env(monkeypatch: Any, env: dict[str, str]) -> None:
    for key, value in env.items():
        if value:
            monkeypatch.setenv(key, value)
        else:
            monkeypatch.delenv(key, raising=False)
    os.environ.setdefault("AIRFLOW_HOME", str(PROJECT_ROOT / "airflow_home"))
