"""A step's injector logs, read from wherever the results live, and measured on their common window.

Parse's side of scale-out: each injector's newest ``simulation.log`` (local folder or object
store), the skew of their first requests, and the metrics of the window in which every injector
was sending. A step whose injectors did not offer its load together is a load-generator error.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.adapters.gatling_command import result_folder
from sagemaker_sizing.airflow import results_store
from sagemaker_sizing.core.files import injector_base_name

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sagemaker_sizing.airflow.results_store import StorePath

log = logging.getLogger(__name__)

LOG_FILE = "simulation.log"


@dataclass
class StepMeasure:
    """The merged metrics of a step's injectors and, when they did not load together, why."""

    metrics: dict[str, Any]
    injectors: int
    start_skew_s: float | None = None
    load_generator_problems: list[str] = field(default_factory=list)


def step_logs(run_dir: StorePath, base: str, injectors: int) -> list[StorePath]:
    """The newest simulation.log of each injector of a step (a retried load leaves older folders)."""
    logs = []
    for injector in range(injectors):
        folder = result_folder(run_dir, injector_base_name(base, injector, injectors))
        if folder is not None and (folder / LOG_FILE).is_file():
            logs.append(folder / LOG_FILE)
    return logs


@contextlib.contextmanager
def local_logs(logs: list[StorePath]) -> Iterator[list[Path]]:
    """Local paths of ``logs`` for the parser (downloaded from a store, removed afterwards)."""
    with results_store.scratch_dir() as scratch:
        yield results_store.local_copies(logs, Path(scratch))


def measure(paths: list[Path], target_tps: float, tolerance_s: float) -> StepMeasure:
    """Parse a step's logs; with several injectors, judge it on the window they all sent in.

    Raises GatlingLogError for an unreadable log (as ``parse_logs``).
    """
    from sagemaker_sizing.core.gatling import parse_logs
    from sagemaker_sizing.core.gatling.injectors import behind_share, common_window

    whole = parse_logs(paths, target_tps=target_tps)
    if len(paths) < 2:
        return StepMeasure(metrics=whole, injectors=len(paths))
    window = common_window(whole["files"], tolerance_s)
    measured = StepMeasure(
        metrics=whole,
        injectors=len(paths),
        start_skew_s=window.start_skew_s,
        load_generator_problems=window.problems,
    )
    if window.late or window.window_ms is None:
        _annotate(measured)
        return measured
    windowed = parse_logs(paths, target_tps=target_tps, window_ms=window.window_ms)
    measured.metrics = windowed
    measured.load_generator_problems = behind_share(windowed["files"], window.window_ms, target_tps)
    _annotate(measured)
    return measured


def _annotate(measured: StepMeasure) -> None:
    """The skew and injector count go with the step's metrics (step.json, XCom, the report)."""
    measured.metrics["all"]["injectors"] = measured.injectors
    measured.metrics["all"]["start_skew_s"] = measured.start_skew_s
