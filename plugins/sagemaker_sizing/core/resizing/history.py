"""A model's sizing history: ``<results_dir>/<dag_id>/index.json``, one snapshot per recorded run.

The next run of the same model reads the last snapshot and compares (``core.resizing.drift``). Writes are
atomic, so a retried task never leaves half an index.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.files import write_atomically
from sagemaker_sizing.core.resizing.drift import SizingSnapshot

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

INDEX_FILE = "index.json"


def index_path(results_dir: Any, dag_id: str) -> Any:
    """``results_dir`` a local Path or an object-store path (same ``/`` operator): of the same kind."""
    return results_dir / dag_id / INDEX_FILE


def read_index(path: Path) -> list[SizingSnapshot]:
    return [SizingSnapshot.from_dict(entry) for entry in _entries(path)]


def previous_snapshot(path: Path, run_id: str) -> SizingSnapshot | None:
    """The newest recorded run other than ``run_id`` (a retried task must not compare with itself)."""
    earlier = [s for s in read_index(path) if s.run_id != run_id]
    return earlier[-1] if earlier else None


def record(
    path: Path,
    dag_id: str,
    entry: SizingSnapshot,
    drift: dict[str, Any] | None = None,
    write: Callable[[Any, str], None] | None = None,
) -> None:
    """Append (or, for a retried run, replace) this run's snapshot.

    ``path`` is a local path or any path-like with ``is_file``/``read_text`` (an object-store
    path); ``write(path, text)`` stores the whole index (default: a local atomic write).
    """
    runs = [e for e in _entries(path) if e.get("run_id") != entry.run_id]
    runs.append({**entry.to_dict(), "drift": drift})
    (write or write_atomically)(path, json.dumps({"dag_id": dag_id, "runs": runs}, indent=2) + "\n")


def _entries(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    runs = json.loads(path.read_text(encoding="utf-8")).get("runs", [])
    return [e for e in runs if isinstance(e, dict)]
