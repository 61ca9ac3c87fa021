"""A DAG run left "running" by a killed demo is marked failed the next time a demo starts (or by
``sagemaker-sizing orphans``): the real metadata DB, a dead owner's state dir, the real sweep."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sagemaker_sizing.commands.demo import DAG_ID, fail_orphaned_runs
from sagemaker_sizing.local import processes, state_dirs

if TYPE_CHECKING:
    from pathlib import Path


def _run_state(run_id: str) -> str | None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run = session.scalars(select(DagRun).where(DagRun.run_id == run_id)).one()
        return None if run.state is None else str(run.state)


def test_a_killed_demo_s_running_run_is_marked_failed_and_only_that_one(tmp_path: Path) -> None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType
    from sqlalchemy import delete

    tag = uuid.uuid4().hex[:8]
    orphan_date = datetime(2001, 1, 1, 0, 0, 1, int(tag[:5], 16) % 1_000_000, tzinfo=UTC)
    live_date = datetime(2001, 1, 1, 0, 0, 2, int(tag[:5], 16) % 1_000_000, tzinfo=UTC)
    runs = {f"manual__orphan-{tag}": orphan_date, f"manual__live-{tag}": live_date}
    with create_session() as session:
        for run_id, date in runs.items():
            session.add(
                DagRun(dag_id=DAG_ID, run_id=run_id, logical_date=date, run_after=date,
                       run_type=DagRunType.MANUAL, state=DagRunState.RUNNING,
                       triggered_by=DagRunTriggeredByType.TEST)
            )  # fmt: skip
    try:
        # The killed demo: its owner process is gone. The live one: this process.
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        started = processes.start_time(dead.pid)
        dead.wait()
        stale = tmp_path / f"demo-{dead.pid}"
        stale.mkdir()
        (stale / "owner.json").write_text(
            json.dumps({"pid": dead.pid, "started": started, "runs": [[DAG_ID, orphan_date.isoformat()]]})
        )
        state_dirs.claim_state_dir("demo", tmp_path, runs=[[DAG_ID, live_date.isoformat()]])
        marked = fail_orphaned_runs(dict(os.environ), tmp_path)
        assert marked == [f"{DAG_ID}/manual__orphan-{tag}"]
        assert _run_state(f"manual__orphan-{tag}") == "failed"
        assert _run_state(f"manual__live-{tag}") == "running"
        assert not stale.exists()
        assert fail_orphaned_runs(dict(os.environ), tmp_path) == []  # nothing left to mark
    finally:
        with create_session() as session:
            session.execute(delete(DagRun).where(DagRun.run_id.in_(list(runs))))
