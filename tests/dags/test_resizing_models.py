"""include/models.yaml: one scheduled DAG per model; a bad file is an import error naming model and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from sagemaker_sizing.airflow.resizing import ModelsFileError, load_models

ROOT = Path(__file__).resolve().parents[2]

GOOD_CONF = """
      region: us-west-2
      endpoint_name: e
      endpoint_config_name: c
      model_name: m
      scenario_requests: [{path: examples/sample.input.json, weight: 100}]
      peak_tps: 40
      latency_success_p99: 500
      percent_fail: 1
      type_walk: ml.m5.large
      count_walk: "1"
      tps_walk: 10,40
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "models.yaml"
    path.write_text(text)
    return path


def test_bundled_models_file_is_valid() -> None:
    models = load_models(ROOT / "include" / "models.yaml", max_rounds=20)
    assert models and all(m.schedule for m in models)
    assert Path(models[0].conf["scenario_requests"][0]["path"]).is_file()  # relative to include/


def test_defaults_apply_and_threshold_is_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        f"defaults: {{schedule: '@daily'}}\nmodels:\n  a:\n    drift_threshold: 0.3\n    conf:{GOOD_CONF}",
    )
    (model,) = load_models(path)
    assert (model.dag_id, model.schedule, model.drift_threshold) == ("resize_a", "@daily", 0.3)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("models:\n  a: [unclosed", "cannot read models"),
        ("nothing: here\n", "expected a mapping"),
        (
            f"models:\n  bad-one:\n    conf:{GOOD_CONF.replace('peak_tps: 40', 'peak_tps: -3')}",
            "model 'bad-one'",
        ),
        (f"models:\n  a:\n    conf:{GOOD_CONF.replace('peak_tps: 40', 'peak_tps: -3')}", "field 'peak_tps'"),
        (f"models:\n  a:\n    conf:{GOOD_CONF}    colour: red\n", "field 'colour'"),
        (f"models:\n  a:\n    drift_threshold: 20\n    conf:{GOOD_CONF}", "field 'drift_threshold'"),
        ("models:\n  a:\n    schedule: '@daily'\n", "field 'conf'"),
        (f"models:\n  'a b':\n    conf:{GOOD_CONF}", "model 'a b'"),
    ],
)
def test_errors_name_the_model_and_field(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(ModelsFileError, match=words.replace("(", r"\(")):
        load_models(_write(tmp_path, text))


def test_bad_models_file_is_a_dag_import_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    bad = _write(
        tmp_path, f"models:\n  churn:\n    conf:{GOOD_CONF.replace('tps_walk: 10,40', 'tps_walk: ten')}"
    )
    monkeypatch.setenv("AIRFLOW__SAGEMAKER_SIZING__MODELS_FILE", str(bad))
    bag = DagBag(dag_folder=str(ROOT / "dags" / "resizing.py"))
    (error,) = bag.import_errors.values()
    assert "model 'churn'" in error and "field 'tps_walk'" in error


def test_one_scheduled_dag_per_model_sharing_the_sizing_shape() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert not bag.import_errors
    sizing = bag.get_dag("sagemaker_sizing")
    resize = bag.get_dag("resize_demo-model")
    assert resize.schedule == "@weekly"
    assert set(sizing.task_ids) < set(resize.task_ids)
    assert set(resize.task_ids) - set(sizing.task_ids) == {"history", "drift_check"}
    assert resize.get_task("drift_check").upstream_task_ids == {"history"}
    assert resize.get_task("history").upstream_task_ids == {"report", "walk_done"}
    # Paused when it appears (issue 26): a schedule starts when someone unpauses it, not on a
    # `make ui` that only meant to try the sizing DAG (the sizing DAG itself is not paused).
    assert resize.is_paused_upon_creation is True
    assert sizing.is_paused_upon_creation is not True
