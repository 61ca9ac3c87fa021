"""Per-process state dirs: a process that needs a local SageMaker of its own (the demo) claims
``<root>/<name>-<pid>/`` under the default state dir, with ``owner.json`` (its pid, its start time
and what it records, e.g. its runs). The next claimant stops and removes the dirs whose owner is
gone (``release_stale_state_dirs``), so a killed demo's servers do not run on for ever, and two
demos never stop or count each other's.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.local import processes, state_files
from sagemaker_sizing.local.servers import stop_unlocked

if TYPE_CHECKING:
    from pathlib import Path

OWNER_FILE = "owner.json"


def claim_state_dir(name: str, root: str | Path | None = None, **record: Any) -> Path:
    """A state dir of this process's own, ``<root>/<name>-<pid>/``, with ``owner.json`` (the pid,
    its start time, and ``record``): nobody else starts, stops or counts what runs there."""
    pid = os.getpid()
    directory = state_files.resolve_dir(root) / f"{name}-{pid}"
    directory.mkdir(parents=True, exist_ok=True)
    update_owner_record(directory, pid=pid, started=processes.start_time(pid), **record)
    return directory


def update_owner_record(directory: Path, **record: Any) -> None:
    path = directory / OWNER_FILE
    owner = read_owner_record(directory) | record
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(owner, indent=2))
    tmp.replace(path)


def read_owner_record(directory: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((directory / OWNER_FILE).read_text()))
    except (OSError, ValueError):
        return {}


def _owner_alive(owner: dict[str, Any]) -> bool:
    pid, started = owner.get("pid"), owner.get("started")
    return isinstance(pid, int) and isinstance(started, float) and processes.is_alive(pid, started)


def release_stale_state_dirs(name: str, root: str | Path | None = None) -> list[dict[str, Any]]:
    """Stop the servers of every ``<name>-<pid>`` state dir whose owner process is gone, remove the
    dir, and return their owner records (what the dead process had recorded, e.g. its runs)."""
    released = []
    for directory in sorted(state_files.resolve_dir(root).glob(f"{name}-*")):
        owner = read_owner_record(directory)
        if not directory.is_dir() or _owner_alive(owner):
            continue
        with state_files.locked(directory):
            stop_unlocked(directory, 10.0)
        shutil.rmtree(directory, ignore_errors=True)
        released.append(owner)
    return released
