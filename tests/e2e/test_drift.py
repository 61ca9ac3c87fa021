"""Periodic re-sizing on the local SageMaker: a steady model is not flagged, a slowed one is.

Three runs of the same ``resize_<model>`` DAG, each on a fresh local SageMaker: the first two
with the bundled capacity model, the third with every request 2.5x slower (as if a new model
version were heavier). The history index keeps all three; only the third run's drift_check fails
and its report says why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from sagemaker_sizing.core.resizing.history import index_path, read_index
from sagemaker_sizing.local import running_local_sagemaker
from sagemaker_sizing.paths import PROJECT_ROOT, RESOURCES_DIR

from tests.e2e.harness import MODEL, apply_env, base_conf, sizing_env

pytestmark = pytest.mark.e2e

DAG_FILE = PROJECT_ROOT / "dags" / "resizing.py"
DAG_ID = "resize_e2e"
SLOWDOWN = 2.5


def _slowed_profile(tmp_path: Path) -> Path:
    profile = json.loads((RESOURCES_DIR / "model_profiles.json").read_text())
    profile["payload"]["base_ms"] *= SLOWDOWN
    profile["payload"]["per_kib_ms"] *= SLOWDOWN
    path = tmp_path / "slowed_profile.json"
    path.write_text(json.dumps(profile))
    return path


def _resize_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, profile: Path | None) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    with running_local_sagemaker(
        tmp_path / name, models=(MODEL,), creating_delay=1.0, time_compression=30, profile=profile
    ) as local:
        apply_env(monkeypatch, sizing_env(local))
        bag = DagBag(dag_folder=str(DAG_FILE))  # parsed anew: dag.test() keeps params between runs
        assert not bag.import_errors, bag.import_errors
        dag_run = bag.get_dag(DAG_ID).test()
        states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances() if ti.map_index < 1}
        return str(dag_run.state), states


def test_slowed_model_drifts_and_a_steady_one_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "results"
    models = {
        "models": {
            "e2e": {
                "schedule": None,
                "drift_threshold": 0.2,
                "conf": base_conf(perfsize_results_dir=str(results)),
            }
        }
    }
    models_file = tmp_path / "models.yaml"
    models_file.write_text(yaml.safe_dump(models))
    monkeypatch.setenv("AIRFLOW__SAGEMAKER_SIZING__MODELS_FILE", str(models_file))
    index = index_path(results, DAG_ID)

    first = _resize_once(tmp_path, monkeypatch, "first", None)
    assert first[0] == "success", first
    second = _resize_once(tmp_path, monkeypatch, "second", None)
    assert second[0] == "success", second
    assert second[1]["drift_check"] == "success"
    snapshots = read_index(index)
    assert [s.capacity.get("ml.m5.large") for s in snapshots] == [40.0, 40.0]

    third = _resize_once(tmp_path, monkeypatch, "slowed", _slowed_profile(tmp_path))
    assert third[0] == "failed", third
    assert third[1]["history"] == "success"
    assert third[1]["drift_check"] == "failed"
    assert third[1]["teardown"] == "success"

    entries = json.loads(index.read_text())["runs"]
    assert [e["drift"]["drifted"] for e in entries] == [False, False, True]
    slowed = read_index(index)[-1]
    assert slowed.capacity["ml.m5.large"] < 40.0 * 0.8
    run_dir = results / slowed.report.split("/")[0]  # type: ignore[union-attr]
    rec = json.loads((run_dir / "recommendation.json").read_text())
    assert rec["drift"]["drifted"] is True
    assert rec["drift"]["previous"]["run_id"] == entries[1]["run_id"]
    html = (run_dir / "report.html").read_text()
    assert "DRIFT: capacity per instance of ml.m5.large" in html
