"""Deployment settings of the sizing DAG, read from Airflow's config (section ``[sagemaker_sizing]``).

Each can be set in airflow.cfg or as ``AIRFLOW__SAGEMAKER_SIZING__<NAME>``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from airflow.sdk.configuration import conf as airflow_config

from sagemaker_sizing.core.conf import model as conf_model
from sagemaker_sizing.core.conf.validation import DEFAULT_MAX_ROUNDS
from sagemaker_sizing.paths import PROJECT_ROOT

SECTION = "sagemaker_sizing"
# The conf's default perfsize_results_dir: a run that leaves it there writes to results_dir.
RESULTS_DIR_DEFAULT = conf_model.RESULTS_DIR_DEFAULT


def max_rounds() -> int:
    """Round slots of the DAG, fixed when it is parsed; validation rejects a walk that needs more."""
    return int(airflow_config.getint(SECTION, "max_rounds", fallback=DEFAULT_MAX_ROUNDS))


def injector_max_tps() -> float:
    """The TPS one Gatling process holds; a step above it is split over several injector tasks."""
    return float(airflow_config.getfloat(SECTION, "injector_max_tps", fallback=1000.0))


def aws_conn_id() -> str:
    return str(airflow_config.get(SECTION, "aws_conn_id", fallback="aws_default"))


def java_opts() -> str:
    return str(airflow_config.get(SECTION, "java_opts", fallback="-Xms256m -Xmx1g -XX:+UseParallelGC"))


def resolve(path: str) -> Path:
    """Relative paths in a conf are relative to the project's root, wherever the worker runs."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else PROJECT_ROOT / p


def waiter_delay() -> int:
    """Seconds between status checks while an endpoint is being created (the triggerer polls)."""
    return int(airflow_config.getint(SECTION, "waiter_delay", fallback=30))


def defer_after() -> float:
    """Seconds deploy watches a Creating/Updating endpoint in the worker before deferring to the
    triggerer. 0 (the default) defers at once: a real endpoint takes minutes. The local SageMaker's
    take a second, where a trip through the triggerer would cost more than the wait. Plan watches
    the endpoints it retires as long, to record when they are gone (the sizing's own bill)."""
    return float(airflow_config.getfloat(SECTION, "defer_after", fallback=0.0))


def results_roots_setting() -> str:
    """``results_roots``: comma-separated folders or object-store URLs the UI serves runs from
    (opened by ``results_store.results_roots``)."""
    return str(airflow_config.get(SECTION, "results_roots", fallback=f"{results_dir()},results"))


def results_dir() -> str:
    """The deployment's results folder or object-store URL (``s3://bucket/prefix``): where a run
    whose conf leaves ``perfsize_results_dir`` at its default writes. Several Celery hosts share
    an object store (or one volume mounted at the same path on every host)."""
    return str(
        airflow_config.get(SECTION, "results_dir", fallback=RESULTS_DIR_DEFAULT) or RESULTS_DIR_DEFAULT
    )


def staging_dir() -> Path:
    """Local folder where Gatling writes before a load uploads to an object-store results dir."""
    raw = str(airflow_config.get(SECTION, "staging_dir", fallback="") or "")
    return resolve(raw) if raw else Path(tempfile.gettempdir()) / "sagemaker-sizing-staging"


def injector_start_lead() -> float:
    """Seconds ahead of the ``injectors`` task at which a step's injectors start together: enough for
    every worker to pick its load task up and start its JVM. Only steps with several injectors wait."""
    return float(airflow_config.getfloat(SECTION, "injector_start_lead", fallback=15.0))


def injector_start_tolerance() -> float:
    """Seconds the first requests of a step's injectors may lie apart before the step is a
    load-generator error (the endpoint never saw the step's TPS from all of them at once)."""
    return float(airflow_config.getfloat(SECTION, "injector_start_tolerance", fallback=1.0))


def models_file() -> Path:
    """The models to re-size periodically (one DAG each); relative paths are from the project root."""
    return resolve(str(airflow_config.get(SECTION, "models_file", fallback="include/models.yaml")))


def form_defaults() -> dict[str, Any]:
    """``form_defaults``: a conf JSON file the trigger form opens with (``make ui`` points it at the
    local demo's conf, so Trigger starts a short sizing on the local SageMaker); unset: the
    conf's own defaults, the required fields empty with an example each. A file that cannot be
    read as a JSON object is a DAG import error naming it."""
    path = str(airflow_config.get(SECTION, "form_defaults", fallback="") or "")
    if not path:
        return {}
    try:
        conf = json.loads(resolve(path).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"[{SECTION}] form_defaults: cannot read {path} as a conf: {exc}") from exc
    if not isinstance(conf, dict):
        raise ValueError(f"[{SECTION}] form_defaults: {path} is not a JSON object of conf fields")
    return conf
