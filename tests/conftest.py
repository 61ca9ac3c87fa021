"""Shared test set-up: Airflow's home is the project's own (made by scripts/setup.sh), and the fast
tier: ``make check`` runs only tests without the markers ``e2e``, ``gatling`` and ``slow``.

Every test that starts a JVM, the local SageMaker (emulator), Airflow (a DAG run, an API server, a
CLI process) or a database server carries one of those markers. Tests using a fixture that starts
one get the marker here; in the fast tier (``SAGEMAKER_SIZING_FAST_TIER=1``, set by ``make
check``) an unmarked test that starts one anyway fails, naming what it started and the marker it
needs, so nothing slow slips into the inner loop unnoticed.
"""

from __future__ import annotations

import gzip
import importlib.abc
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _unpacked_fixtures() -> Path:
    """The fixtures kept gzipped in tests/fixtures (real Gatling logs), unpacked once per checkout
    into .pytest_cache/fixtures: every file lives in the repository, so a clone anywhere has them."""
    packed, unpacked = ROOT / "tests" / "fixtures", ROOT / ".pytest_cache" / "fixtures"
    for source in packed.glob("*/*.gz"):
        target = unpacked / source.parent.name / source.stem
        if not target.is_file() or target.stat().st_mtime < source.stat().st_mtime:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(gzip.decompress(source.read_bytes()))
            partial.replace(target)  # atomic: tests side by side never read half a file
    return unpacked


FIXTURES = _unpacked_fixtures()

# Before anything imports Airflow: its settings are read once, at import.
os.environ.setdefault("AIRFLOW_HOME", str(ROOT / "airflow_home"))

SLOW_MARKERS = ("e2e", "gatling", "slow")
FAST_TIER = os.environ.get("SAGEMAKER_SIZING_FAST_TIER") == "1"
# Fixtures that start something slow, and the marker their users get.
FIXTURE_MARKERS = {
    "local_sagemaker": "e2e",  # the emulator and moto's server, as processes
    "sizing": "e2e",  # a whole DAG run on the local SageMaker
    "gatling_jar": "gatling",
    "java_shim": "gatling",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in FIXTURE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()) and item.get_closest_marker(marker) is None:
                item.add_marker(marker)


def slow_process(argv: list[str]) -> tuple[str, str] | None:
    """What a command starts that has no place in the fast tier, and the marker it needs."""
    words = [os.path.basename(str(a)) for a in argv]
    head = words[0] if words else ""
    if head == "java" or head.startswith("java"):
        return "a JVM", "gatling"
    if head in ("airflow", "chromium"):
        return f"`{' '.join(words[:3])}`", "e2e"
    if head == "sagemaker-sizing" and len(words) > 1 and words[1] in ("demo", "local", "ui"):
        return f"`sagemaker-sizing {words[1]}`", "e2e"
    if "-m" in argv and any(str(a).startswith("sagemaker_sizing.local") for a in argv):
        return "the local SageMaker", "e2e"
    if any(w in ("postgres.sh", "redis.sh", "pg_ctl", "initdb", "redis-server", "docker") for w in words):
        return f"`{' '.join(words[:3])}`", "slow"
    # AIPerf, also inside the load task's `bash -c` line (a path that does not exist starts nothing).
    if any(os.path.basename(w) == "aiperf" and os.path.isfile(w) for w in " ".join(map(str, argv)).split()):
        return "AIPerf", "slow"
    return None


# Whether the running test may start slow things (it carries a slow marker).
_ALLOWED = {"now": True}


def _guard_popen() -> None:
    original = subprocess.Popen._execute_child  # type: ignore[attr-defined]

    def guarded(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> Any:
        # A string is a shell command line or a lone program: its words.
        argv = str(args).split() if isinstance(args, str | bytes | os.PathLike) else list(args)
        found = None if _ALLOWED["now"] else slow_process([str(a) for a in argv])
        if found is not None:
            what, marker = found
            pytest.fail(f"this test starts {what}: mark it `{marker}` (make check leaves those out)")
        return original(self, args, *rest, **kwargs)

    subprocess.Popen._execute_child = guarded  # type: ignore[attr-defined]


def _guard_dag_run_tasks(dag: Any) -> None:
    """``dag.test()`` runs each task through ``_run_task`` (a bad conf is refused before it)."""
    original = dag._run_task

    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not _ALLOWED["now"]:
            pytest.fail("this test runs a DAG's tasks (dag.test()): mark it `e2e` (make check leaves it out)")
        return original(*args, **kwargs)

    dag._run_task = guarded


class _GuardDagRunsOnImport(importlib.abc.MetaPathFinder):
    """Guards Airflow's DAG module when something imports it, not before: importing Airflow here
    would configure its logging earlier than the tests expect."""

    MODULE = "airflow.sdk.definitions.dag"

    def find_spec(self, name: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if name != self.MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_and_guard(module: Any) -> None:
            exec_module(module)
            _guard_dag_run_tasks(module)

        loader.exec_module = exec_and_guard  # type: ignore[method-assign]
        return spec


def _guard_dag_runs() -> None:
    if _GuardDagRunsOnImport.MODULE in sys.modules:
        _guard_dag_run_tasks(sys.modules[_GuardDagRunsOnImport.MODULE])
    else:
        sys.meta_path.insert(0, _GuardDagRunsOnImport())


def pytest_configure(config: pytest.Config) -> None:
    if FAST_TIER:
        _guard_popen()
        _guard_dag_runs()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _ALLOWED["now"] = not FAST_TIER or any(item.get_closest_marker(m) for m in SLOW_MARKERS)
