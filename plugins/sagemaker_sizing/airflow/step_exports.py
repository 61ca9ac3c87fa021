"""An LLM step's AIPerf exports, read from wherever the results live, and judged: parse's side of
the AIPerf branch, as ``step_logs`` is for the Gatling logs.

The step folder is the newest ``<step base>-<stamp>`` under the run folder (local or object store);
its exports are read locally (downloaded from a store into a scratch folder first).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sagemaker_sizing.adapters.aiperf_command import CONSOLE_FILE, EXIT_CODE_FILE, exit_code_of
from sagemaker_sizing.adapters.gatling_command import result_folder
from sagemaker_sizing.airflow import results_store
from sagemaker_sizing.core.llm.exports import LOG_FILE, RECORDS_FILE, SUMMARY_FILE

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sagemaker_sizing.airflow.results_store import StorePath
    from sagemaker_sizing.core.llm.exports import AIPerfExport
    from sagemaker_sizing.core.verdicts.failures import StepVerdict

# What parse reads of a step folder (the rest stays where it is, for the user).
_FILES = (RECORDS_FILE, SUMMARY_FILE, LOG_FILE, CONSOLE_FILE, EXIT_CODE_FILE)


@dataclass(frozen=True)
class StepExport:
    """One LLM step's reading: its export, or (none written) the verdict saying why."""

    folder: StorePath | None  # the step folder (None: the load made none)
    export: AIPerfExport | None
    no_export: StepVerdict | None = None


def step_folder(run_dir: StorePath, base: str) -> StorePath | None:
    """The newest AIPerf step folder of ``base`` under the run folder."""
    return result_folder(run_dir, base)


@contextlib.contextmanager
def local_folder(folder: StorePath) -> Iterator[Path]:
    """The step folder's files parse reads, as a local folder (downloaded from a store)."""
    if results_store.is_local(folder):
        yield Path(folder)
        return
    with results_store.scratch_dir() as scratch:
        local = Path(scratch)
        for name in _FILES:
            remote = folder / name
            if remote.is_file():
                (local / name).parent.mkdir(parents=True, exist_ok=True)
                results_store.download_file(remote, local / name)
        yield local


def read_step(run_dir: StorePath, base: str, aiperf: str) -> StepExport:
    """Read an LLM step's exports; without one, why (``core.verdicts.llm_failures.no_export_verdict``).

    ``aiperf`` names the executable the load ran (in a missing-AIPerf message).
    """
    from sagemaker_sizing.core.llm.exports import AIPerfExportError, read_export
    from sagemaker_sizing.core.verdicts.llm_failures import no_export_verdict

    folder = step_folder(run_dir, base)
    if folder is None:
        return StepExport(None, None, no_export_verdict(None, aiperf))
    with local_folder(folder) as local:
        try:
            return StepExport(folder, read_export(local))
        except AIPerfExportError:
            pass
        exit_file = local / EXIT_CODE_FILE
        exit_code = exit_code_of(exit_file.read_text() if exit_file.is_file() else None)
        lines = [
            line
            for name in (LOG_FILE, CONSOLE_FILE)
            if (local / name).is_file()
            for line in (local / name).read_text(errors="replace").splitlines()
        ]
        return StepExport(folder, None, no_export_verdict(exit_code, aiperf, lines))
