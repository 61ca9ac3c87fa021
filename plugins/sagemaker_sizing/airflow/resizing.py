"""Periodic re-sizing: one scheduled DAG per model of ``include/models.yaml``.

Each DAG is the sizing DAG (same validate, rounds, report and teardown from ``graph``) with the
model's conf as its Params' defaults, plus ``history`` (compare with the previous sizing of the
model, keep this one in ``<results_dir>/<dag_id>/index.json``, flag drift in the report) and
``drift_check`` (fails on drift, so Airflow's usual alerting fires).

The YAML is read and every conf validated when the DAG file is parsed: a bad file is a DAG
import error naming the model and the field.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import DAG, Param, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from sagemaker_sizing.airflow import results_store, task_ids
from sagemaker_sizing.airflow.graph import add_checks, add_report_and_teardown, add_rounds
from sagemaker_sizing.core.conf import model as conf_mod
from sagemaker_sizing.core.conf import validation
from sagemaker_sizing.core.conf.schema import params_schema
from sagemaker_sizing.core.resizing import drift, history
from sagemaker_sizing.paths import INCLUDE_DIR

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger(__name__)

_MODEL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
_MODEL_KEYS = {"schedule", "conf", "drift_threshold", "description"}


class ModelsFileError(ValueError):
    """An invalid models file; the message names the file, the model and the field."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    schedule: str | None
    conf: dict[str, Any]  # validated, paths resolved (conf_to_dict of load_conf)
    drift_threshold: float
    description: str = ""

    @property
    def dag_id(self) -> str:
        return f"resize_{self.name}"


def load_models(path: Path, *, max_rounds: int | None = None) -> list[ModelSpec]:
    """Every model of the YAML file, validated; paths in confs are relative to include/."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ModelsFileError(f"{path}: cannot read models: {exc}") from exc
    models = (data or {}).get("models") if isinstance(data, dict) else None
    if not isinstance(models, dict) or not models:
        raise ModelsFileError(f"{path}: expected a mapping 'models: {{<name>: {{schedule, conf}}}}'")
    defaults = data.get("defaults") or {}
    return [_model(path, name, {**defaults, **(spec or {})}, max_rounds) for name, spec in models.items()]


def _model(path: Path, name: Any, spec: dict[str, Any], max_rounds: int | None) -> ModelSpec:
    where = f"{path}: model {name!r}"
    if not isinstance(name, str) or not _MODEL_NAME.match(name):
        raise ModelsFileError(f"{where}: the name must be letters, digits, '_' or '-'")
    unknown = sorted(set(spec) - _MODEL_KEYS)
    if unknown:
        raise ModelsFileError(
            f"{where}: field {unknown[0]!r}: unknown (expected one of {sorted(_MODEL_KEYS)})"
        )
    if not isinstance(spec.get("conf"), dict):
        raise ModelsFileError(f"{where}: field 'conf': expected a mapping of sizing conf fields")
    try:
        sizing_conf = validation.validate_conf(spec["conf"], max_rounds=max_rounds, base_dir=INCLUDE_DIR).conf
    except conf_mod.ConfError as exc:
        fields = "; ".join(f"field {p.field!r}: got {p.value!r}, expected {p.expected}" for p in exc.problems)
        raise ModelsFileError(f"{where}: invalid conf: {fields}") from exc
    threshold = spec.get("drift_threshold", drift.DEFAULT_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold < 1:
        raise ModelsFileError(
            f"{where}: field 'drift_threshold': got {threshold!r}, expected a fraction in (0, 1)"
        )
    schedule = spec.get("schedule")
    if schedule is not None and not isinstance(schedule, str):
        raise ModelsFileError(
            f"{where}: field 'schedule': got {schedule!r}, expected a cron or preset string"
        )
    return ModelSpec(
        name=name,
        schedule=schedule,
        conf=conf_mod.conf_to_dict(sizing_conf),
        drift_threshold=float(threshold),
        description=str(spec.get("description") or ""),
    )


def build_dag(model: ModelSpec, rounds: int, doc_md: str) -> DAG:
    # The model's validated values (as the form shows them); a field no longer used is not in them
    # and keeps its null default.
    params = {name: Param(**schema) for name, schema in params_schema(model.conf).items()}
    with DAG(
        dag_id=model.dag_id,
        doc_md=f"{doc_md}\n\n**Model `{model.name}`** {model.description}".rstrip(),
        schedule=model.schedule,
        catchup=False,
        max_active_runs=1,  # a model's runs compare with each other: one at a time
        # Created paused: its schedule starts (and spends) when someone unpauses it, not when it appears.
        is_paused_upon_creation=True,
        tags=["sagemaker", "sizing", "resizing"],
        default_args={"owner": "sagemaker-sizing", "retries": 1, "retry_delay": timedelta(seconds=10)},
        params=params,
        render_template_as_native_obj=True,
    ) as dag:
        conf = add_checks()
        walk_done = add_rounds(conf, rounds)
        reported = add_report_and_teardown(conf, walk_done, rounds)
        compared = record_history(model.drift_threshold)
        # Only a whole, healthy walk is kept: a failed step would pass for a capacity drop.
        walk_done >> compared
        reported >> compared
        drift_check(compared)
    return dag


@task(task_id="history")
def record_history(threshold: float) -> dict[str, Any]:
    """Compare with the model's previous sizing, keep this one in the index, note drift in the report."""
    from sagemaker_sizing.core.report.render import RECOMMENDATION_FILE, REPORT_FILE, render_html

    context = get_current_context()
    ti = context["ti"]
    reported = ti.xcom_pull(task_ids=task_ids.REPORT)
    if not reported:
        raise AirflowFailException("the report task wrote no report: nothing to record")
    dag_id = context["dag"].dag_id
    # Where the report task wrote: a local folder or the object store every worker shares.
    run_dir = results_store.results_dir_of(
        ti.xcom_pull(task_ids=task_ids.VALIDATE), dag_id, context["run_id"]
    )
    index = history.index_path(run_dir.parent, dag_id)
    report_context = json.loads((run_dir / RECOMMENDATION_FILE).read_text(encoding="utf-8"))
    current = drift.snapshot(report_context, report=f"{run_dir.name}/{REPORT_FILE}")
    result = drift.compare(history.previous_snapshot(index, current.run_id), current, threshold)
    for note in result.notes:
        (log.warning if note.startswith("DRIFT") else log.info)("%s", note)
    report_context["notes"] = [*report_context.get("notes", []), *result.notes]
    report_context["drift"] = result.to_dict()
    results_store.write_text(run_dir / RECOMMENDATION_FILE, json.dumps(report_context, indent=2) + "\n")
    results_store.write_text(run_dir / REPORT_FILE, render_html(report_context))
    history.record(
        index,
        dag_id,
        current,
        {"drifted": result.drifted, "capacity_change": result.capacity_change},
        write=results_store.write_text,
    )
    log.info("recorded in %s", results_store.describe(index))
    return result.to_dict()


@task(task_id="drift_check")
def drift_check(result: Any) -> None:
    """Fails when the capacity dropped beyond the threshold, so the run's alerting fires."""
    if result["drifted"]:
        drifts = [n for n in result["notes"] if n.startswith("DRIFT")]
        raise AirflowFailException("; ".join(drifts))
    log.info("no drift beyond %.0f%%", 100 * float(result["threshold"]))
