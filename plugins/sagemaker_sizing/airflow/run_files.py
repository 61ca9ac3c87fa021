"""Where a run's files live: ``<results_dir>/<dag>__<run-id>/`` with one folder per step."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from sagemaker_sizing.adapters.gatling_command import output_base_name
from sagemaker_sizing.core.files import run_folder_name

if TYPE_CHECKING:
    from pathlib import PurePath

    from airflow.sdk import ObjectStoragePath

    from sagemaker_sizing.core.model import StepConfig

_P = TypeVar("_P", bound="PurePath | ObjectStoragePath")


def run_folder(results_dir: _P, dag_id: str, run_id: str) -> _P:
    """One folder per DAG run; Airflow run ids hold ``:`` and ``+``, which we keep out of paths."""
    return cast("_P", results_dir / run_folder_name(dag_id, run_id))


def step_base_name(step: StepConfig, unix: int) -> str:
    """perfsizesagemaker's step folder name (Gatling, or the AIPerf step, appends ``-<timestamp>``);
    an LLM step's rate reads ``<rate>RPS``; a step of inference components adds its copies per
    model (``-c1-0``: two models' lanes on one type at one rate are two steps)."""
    base = output_base_name(
        unix,
        step.instance_type,
        step.steady_state_tps,
        instance_count=step.instance_count,
        scaling_min=step.scaling_min_instance_count if step.autoscaling else None,
        scaling_max=step.scaling_max_instance_count,
        unit="RPS" if step.is_llm else "TPS",
    )
    return f"{base}-c{'-'.join(map(str, step.copies))}" if step.components else base
