"""Deployment settings of the sizing DAG, read from Airflow's config (section ``[sagemaker_sizing]``).

Each can be set in airflow.cfg or as ``AIRFLOW__SAGEMAKER_SIZING__<NAME>``.
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk.configuration import conf

from sagemaker_sizing.paths import PROJECT_ROOT

SECTION = "sagemaker_sizing"


def max_rounds() -> int:
    """Round slots of the DAG, fixed when it is parsed; validation rejects a walk that needs more."""
    return int(conf.getint(SECTION, "max_rounds", fallback=20))


def injector_max_tps() -> float:
    """The TPS one Gatling process holds; a step above it is split over several injector tasks."""
    return float(conf.getfloat(SECTION, "injector_max_tps", fallback=1000.0))


def aws_conn_id() -> str:
    return str(conf.get(SECTION, "aws_conn_id", fallback="aws_default"))


def java_opts() -> str:
    return str(conf.get(SECTION, "java_opts", fallback="-Xms256m -Xmx1g -XX:+UseParallelGC"))


def resolve(path: str) -> Path:
    """Relative paths in a conf are relative to the project's root, wherever the worker runs."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else PROJECT_ROOT / p


def waiter_delay() -> int:
    """Seconds between status checks while an endpoint is being created (the triggerer polls)."""
    return int(conf.getint(SECTION, "waiter_delay", fallback=30))


def defer_after() -> float:
    """Seconds deploy watches a Creating/Updating endpoint in the worker before deferring to the
    triggerer. 0 (the default) defers at once: a real endpoint takes minutes. The local SageMaker's
    take a second, where a trip through the triggerer would cost more than the wait."""
    return float(conf.getfloat(SECTION, "defer_after", fallback=0.0))


def results_roots() -> list[Path]:
    """Folders the UI plugin serves run folders from: the conf's default results dir and the demo's."""
    raw = str(conf.get(SECTION, "results_roots", fallback="perfsize-results-dir,results"))
    roots = [resolve(part.strip()) for part in raw.split(",") if part.strip()]
    return list(dict.fromkeys(roots))


def models_file() -> str:
    """The models to re-size periodically (one DAG each); relative paths are from the project root."""
    return str(conf.get(SECTION, "models_file", fallback="include/models.yaml"))
