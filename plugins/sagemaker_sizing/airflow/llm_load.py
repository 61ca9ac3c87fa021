"""The load task's LLM side (workload "llm"): AIPerf's step folder, the files its command names, and
the folder's trip to the object store. The operator (``tasks/load.py``) stays one BashOperator.

An LLM step's folder is ``<run dir>/<step base>-<yyyyMMddHHmmssSSS>``, named as Gatling names its
results folders, so every reader finds the newest one by the same rule
(``gatling_command.result_folder``); it is AIPerf's ``--artifact-dir``: its exports and logs, the
prompts it sent (a prompts-file step), the console output and exit code, and parse's ``step.json``.
"""

from __future__ import annotations

import logging
import shutil
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.adapters.aiperf_command import CONSOLE_FILE, FileInput, step_files
from sagemaker_sizing.adapters.load_command import aiperf_step, prompts_source
from sagemaker_sizing.airflow import results_store, settings
from sagemaker_sizing.core.llm.prompts import aiperf_input, load_prompts

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from sagemaker_sizing.adapters.aiperf_command import AIPerfStep
    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.model import LoadItem

log = logging.getLogger(__name__)


def step_folder_name(base: str, now_s: float | None = None) -> str:
    """``<base>-<yyyyMMddHHmmssSSS>`` (UTC), Gatling's results-folder name."""
    now = datetime.fromtimestamp(time.time() if now_s is None else now_s, UTC)
    return f"{base}-{now:%Y%m%d%H%M%S}{now.microsecond // 1000:03d}"


def prepare(
    sizing_conf: SizingConf, item: LoadItem, step_dir: Path, url: str | None, slot: int = 0
) -> AIPerfStep:
    """The step's AIPerf command, with its folder made and the files it names written there: the
    checked prompts (a prompts file that does not pass ``core.llm.prompts`` raises PromptsError,
    written to the console file first so parse names it) and a ramp's rate schedule."""
    step_dir.mkdir(parents=True, exist_ok=True)
    command = aiperf_step(sizing_conf, item, step_dir, url, slot)
    if isinstance(command.prompts, FileInput):
        source = settings.resolve(str(prompts_source(sizing_conf, item, slot) or ""))
        try:
            prompts = load_prompts(source)
        except ValueError as exc:
            (step_dir / CONSOLE_FILE).write_text(f"PromptsError: {exc}\n")
            raise
        command.prompts.path.write_text(aiperf_input(prompts), encoding="utf-8")
    for path, text in step_files(command).items():
        path.write_text(text, encoding="utf-8")
    return command


def upload_step_dir(step_dir: Path, conf: Mapping[str, Any], context: Any) -> None:
    """Copy the step folder from this host's staging folder to the store (when results live there)."""
    run_dir = results_store.results_dir_of(conf, context["dag"].dag_id, context["run_id"])
    if results_store.is_local(run_dir):
        return
    if not step_dir.is_dir():
        log.warning("no step folder %s: nothing to upload", step_dir)
        return
    results_store.upload_folder(step_dir, run_dir / step_dir.name)
    shutil.rmtree(step_dir, ignore_errors=True)
