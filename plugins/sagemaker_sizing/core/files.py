"""Result files: the run folder's name, and writing files so that a reader (the UI, another task)
never sees half of one."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._=-]+")


def run_folder_name(dag_id: str, run_id: str) -> str:
    """One folder per DAG run; Airflow run ids hold ``:`` and ``+``, which we keep out of paths."""
    return _UNSAFE.sub("_", f"{dag_id}__{run_id}")


def injector_base_name(base: str, injector: int, injectors: int) -> str:
    """The output base name of injector ``injector`` (0-based) of a step split over ``injectors``."""
    return base if injectors == 1 else f"{base}-inj{injector + 1}of{injectors}"


def write_atomically(path: Path, text: str) -> None:
    """``text`` into ``path`` through a temporary file in the same folder, then one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the Airflow UI may serve it as another user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
