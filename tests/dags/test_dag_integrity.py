"""Every DAG file imports into a DagBag without errors and carries owner, tags, retries and a doc."""

from __future__ import annotations

from pathlib import Path

import pytest

DAGS_FOLDER = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def dag_bag():  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


def test_no_import_errors(dag_bag) -> None:  # type: ignore[no-untyped-def]
    assert dag_bag.import_errors == {}
    assert dag_bag.dags, "no DAG found in dags/"


def test_sizing_dag_present(dag_bag) -> None:  # type: ignore[no-untyped-def]
    assert "sagemaker_sizing" in dag_bag.dags


def test_every_dag_has_owner_tags_retries_and_doc(dag_bag) -> None:  # type: ignore[no-untyped-def]
    for dag_id, dag in dag_bag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md and len(dag.doc_md) > 40, f"{dag_id} has no doc"
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", f"{dag_id}.{task.task_id} has no owner"
        assert dag.default_args.get("retries", 0) >= 1, f"{dag_id} has no retries by default"
        for task in dag.tasks:
            # The default, or none where a retry cannot help (a bad conf stays bad).
            assert task.retries in (0, dag.default_args["retries"]), (dag_id, task.task_id, task.retries)


def test_dags_survive_serialization_with_their_params(dag_bag) -> None:  # type: ignore[no-untyped-def]
    # What the DAG processor stores and the scheduler and UI read back: the trigger form's schema.
    from airflow.serialization.serialized_objects import DagSerialization

    dag = dag_bag.dags["sagemaker_sizing"]
    restored = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
    for name in ("peak_tps", "type_walk", "strategy"):
        assert restored.params.get_param(name).schema == dag.params.get_param(name).schema
    # Every task shares the DAG's schema objects rather than holding its own deep copy.
    task = dag.get_task("round_1.plan")
    assert task.params.get_param("peak_tps").schema is dag.params.get_param("peak_tps").schema


def test_preflight_runs_after_validate_and_before_any_deploy(dag_bag) -> None:  # type: ignore[no-untyped-def]
    """In every sizing DAG (the triggered one and each resizing one): validate -> preflight (no
    retry: a quota or a missing permission stays missing) -> the first round's plan."""
    sizing_dags = [dag for dag in dag_bag.dags.values() if "validate" in dag.task_dict]
    assert len(sizing_dags) >= 2  # sagemaker_sizing and at least one resize_<model>
    for dag in sizing_dags:
        preflight = dag.get_task("preflight")
        assert preflight.upstream_task_ids == {"validate"}, dag.dag_id
        assert "round_1.plan" in preflight.downstream_task_ids, dag.dag_id
        assert preflight.retries == 0
        assert "preflight" in dag.get_task("round_1.deploy").get_flat_relative_ids(upstream=True)
