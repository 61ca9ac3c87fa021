"""What a load task does around its JVM: start with the step's other injectors, keep the results.

- A split step's injectors share a start instant (``-Dscenario.startAtEpochMs``). The project's
  jar waits for it itself, once its JVM is up; a foreign jar (intuit's sagemaker-gatling) does
  not know the property, so the task waits before starting it.
- With an object-store results dir, Gatling wrote to this host's staging folder: the step's
  folder (simulation.log and the HTML report) goes to the store, where parse, the report and
  the UI read it from any host.
"""

from __future__ import annotations

import logging
import re
import shlex
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sagemaker_sizing.adapters.gatling_command import result_folder, start_instant
from sagemaker_sizing.airflow import results_store
from sagemaker_sizing.paths import GATLING_JAR

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from sagemaker_sizing.airflow.results_store import StorePath

log = logging.getLogger(__name__)


class _StoreStep(NamedTuple):
    run_dir: StorePath  # the run's folder on the store
    base: str  # the injector's Gatling output base name
    staging: Path  # this host's folder Gatling wrote to


_BASE_NAME_PROPERTY = "-Dgatling.core.outputDirectoryBaseName="
_INJECTOR_SUFFIX = re.compile(r"-inj\d+of\d+$")  # run_files.injector_base_name


def _args(bash_command: str) -> list[str]:
    try:
        return shlex.split(bash_command)
    except ValueError:
        return []


def wait_for_foreign_jar(
    bash_command: str,
    *,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Sleep until the start instant when the jar is not the project's; the seconds slept."""
    start_ms, jar = start_instant(_args(bash_command))
    if start_ms is None or jar is None or Path(jar).resolve() == GATLING_JAR.resolve():
        return 0.0
    delay = start_ms / 1000.0 - now()
    if delay <= 0:
        log.warning("the step's start instant passed %.2f s ago: starting the jar at once", -delay)
        return 0.0
    log.info("waiting %.2f s for the step's shared start instant", delay)
    sleep(delay)
    return delay


def ensure_results_folder(bash_command: str) -> None:
    """Make the ``-rf`` folder on this host: the commands task made it only on its own host."""
    args = _args(bash_command)
    folder = next((args[i + 1] for i, a in enumerate(args[:-1]) if a == "-rf"), None)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)


def _store_step(bash_command: str, conf: Mapping[str, Any], context: Any) -> _StoreStep | None:
    """Where this injector's step lives on the store and on this host; None for local results."""
    if not conf.get("perfsize_results_dir"):
        return None
    run_dir = results_store.results_dir_of(conf, context["dag"].dag_id, context["run_id"])
    if results_store.is_local(run_dir):
        return None
    args = _args(bash_command)
    base = next((a[len(_BASE_NAME_PROPERTY) :] for a in args if a.startswith(_BASE_NAME_PROPERTY)), None)
    staging = next((args[i + 1] for i, a in enumerate(args[:-1]) if a == "-rf"), None)
    if not base or not staging:
        log.warning("no results folder in the command: nothing to sync with the store")
        return None
    return _StoreStep(run_dir, base, Path(staging))


def mirror_refusal(bash_command: str, conf: Mapping[str, Any], context: Any) -> None:
    """A quota-refused step's marker, from the store to this worker's staging folder, where the
    command's guard looks for it (deploy wrote it to the store, the shared results folder)."""
    from sagemaker_sizing.airflow.run_files import refusal_file

    step = _store_step(bash_command, conf, context)
    if step is None:
        return
    step_base = _INJECTOR_SUFFIX.sub("", step.base)
    if refusal_file(step.run_dir, step_base).is_file():
        marker = refusal_file(step.staging, step_base)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(refusal_file(step.run_dir, step_base).read_text())


def upload_step_folder(bash_command: str, conf: Mapping[str, Any], context: Any) -> None:
    """Copy this injector's newest Gatling folder from the staging folder to the store (if any)."""
    step = _store_step(bash_command, conf, context)
    if step is None:
        return
    run_dir, base, staging = step
    folder = result_folder(Path(staging), base)
    if folder is None:
        log.warning("Gatling wrote no folder %s-* under %s: nothing to upload", base, staging)
        return
    results_store.upload_folder(Path(str(folder)), run_dir / folder.name)
    # The store holds it now; the worker's disk does not keep every step of every run.
    shutil.rmtree(Path(str(folder)), ignore_errors=True)
