"""Find runs and files under the served results roots, never anything outside them.

A run is a folder ``<dag_id>__<run_id sanitized>`` directly under a root (see
``airflow.run_files.run_folder``). Every path a client names is resolved (symlinks included)
and must stay inside its run folder, which must itself stay inside its root.

A root may be an object store (``s3://bucket/prefix``, see ``airflow.results_store``): there a
path has no symlinks to follow, and a client's path is refused when any part of it is empty,
``.`` or ``..``.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.airflow import results_store

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from sagemaker_sizing.airflow.results_store import StorePath

log = logging.getLogger(__name__)

# What run_folder() writes: letters, digits and ._=- only, with the dag/run separator.
_RUN_NAME = re.compile(r"^[A-Za-z0-9_=-][A-Za-z0-9._=-]*__[A-Za-z0-9._=-]+$")


@dataclass(frozen=True)
class RunEntry:
    """One run folder, with what its recommendation.json says (when there is one)."""

    name: str
    folder: StorePath
    modified: float
    has_report: bool
    status: str | None = None
    recommendation: str | None = None
    hourly_cost: str | None = None
    headline: str | None = None  # the run's outcome in one line (core.verdicts.run_outcome)

    @property
    def dag_id(self) -> str:
        return self.name.split("__", 1)[0]


def is_run_name(name: str) -> bool:
    return bool(_RUN_NAME.match(name)) and ".." not in name


def find_run(roots: Sequence[StorePath], name: str) -> StorePath | None:
    """The run folder called ``name`` in the first root that has it; None for anything else."""
    if not is_run_name(name):
        return None
    for root in roots:
        if not results_store.is_local(root):
            if _store_is_dir(root / name):
                return root / name
            continue
        folder = _inside(root, root / name)
        if folder is not None and folder.is_dir():
            return folder
    return None


def find_file(run_dir: StorePath, relative: str) -> StorePath | None:
    """The file ``relative`` of a run (a folder gives its index.html); None if absent or outside."""
    if not relative or relative.startswith(("/", "\\")) or "\x00" in relative:
        return None
    if not results_store.is_local(run_dir):
        relative = relative.removesuffix("/")  # a folder's URL ends with its slash
        parts = relative.split("/")
        if any(part in {"", ".", ".."} or "\\" in part for part in parts):
            return None
        found = run_dir / relative
        if _store_is_dir(found):
            found = found / "index.html"
        return found if _store_is_file(found) else None
    target = _inside(run_dir, run_dir / relative)
    if target is not None and target.is_dir():
        target = _inside(run_dir, target / "index.html")
    return target if target is not None and target.is_file() else None


def list_folder(run_dir: StorePath, relative: str) -> list[tuple[str, bool]] | None:
    """``(name, is_folder)`` of each entry of the folder ``relative`` of a run, by name (an LLM
    step's folder: AIPerf's exports and logs, no index.html); None unless it is such a folder."""
    relative = relative.removesuffix("/")
    if not relative or relative.startswith(("/", "\\")) or "\x00" in relative:
        return None
    if not results_store.is_local(run_dir):
        parts = relative.split("/")
        if any(part in {"", ".", ".."} or "\\" in part for part in parts):
            return None
        folder = run_dir / relative
        if not _store_is_dir(folder):
            return None
        return sorted((c.name, _store_is_dir(c)) for c in _store_children(folder))
    found = _inside(run_dir, run_dir / relative)
    if found is None or not found.is_dir():
        return None
    entries = [(c.name, c.is_dir()) for c in found.iterdir() if _inside(run_dir, c) is not None]
    return sorted(entries)


def list_runs(roots: Sequence[StorePath]) -> list[RunEntry]:
    """Every run folder under the roots, newest first (a name in two roots: the first root wins)."""
    seen: dict[str, RunEntry] = {}
    for root in roots:
        if not results_store.is_local(root):
            for child in _store_children(root):
                if child.name not in seen and is_run_name(child.name) and _store_is_dir(child):
                    seen[child.name] = _entry(child.name, child)
            continue
        if not root.is_dir():
            continue
        for child in root.iterdir():
            if child.name in seen or not is_run_name(child.name):
                continue
            folder = _inside(root, child)
            if folder is None or not folder.is_dir():
                continue
            seen[child.name] = _entry(child.name, folder)
    return sorted(seen.values(), key=lambda e: (e.modified, e.name), reverse=True)


def _entry(name: str, folder: StorePath) -> RunEntry:
    rec = _read_json(folder / "recommendation.json")
    summary = rec.get("recommendation") or {}
    text = None
    if summary.get("instance_type"):
        count = summary.get("max_instance_count") or summary.get("instance_count_needed")
        text = f"{summary['instance_type']} x{count}"
    return RunEntry(
        name=name,
        folder=folder,
        modified=_modified(folder),
        has_report=(folder / "report.html").is_file(),
        status=rec.get("status"),
        recommendation=text,
        hourly_cost=(rec.get("costs") or {}).get("hourly"),
        headline=rec.get("headline") if isinstance(rec.get("headline"), str) else None,
    )


def _read_json(path: StorePath) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("unreadable %s: %s", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def _inside(parent: Path, path: Path) -> Path | None:
    """``path`` resolved, if it stays inside ``parent`` resolved (symlinks followed)."""
    try:
        resolved = path.resolve(strict=True)
        base = parent.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return resolved if resolved == base or resolved.is_relative_to(base) else None


def _modified(folder: StorePath) -> float:
    """A local folder's mtime; on a store (no folder objects), its report's or 0 when absent."""
    if results_store.is_local(folder):
        return folder.stat().st_mtime
    for name in ("recommendation.json", "report.html"):
        try:
            return float((folder / name).stat().st_mtime)
        except (OSError, AttributeError, TypeError, ValueError):
            continue
    return 0.0


def _store_children(root: StorePath) -> list[StorePath]:
    try:
        return list(root.iterdir()) if root.is_dir() else []
    except OSError as exc:
        log.warning("cannot list %s: %s", results_store.describe(root), exc)
        return []


def _store_is_dir(path: StorePath) -> bool:
    try:
        return bool(path.is_dir())
    except OSError:
        return False


def _store_is_file(path: StorePath) -> bool:
    try:
        return bool(path.is_file())
    except OSError:
        return False
