"""DAG runs left "running" by a killed ``airflow dags test`` process, marked failed.

``airflow dags test`` runs a DAG run inside its own process (no scheduler watches it): when that
process is killed, the run and its unfinished task instances stay "running" in the metadata DB
for ever. The demo records each run it starts (DAG id, logical date, its pid); a run whose
recorder is gone is marked failed the next time a demo starts, by ``sagemaker-sizing orphans``,
or by the demo itself when its ``dags test`` child died.

    python -m sagemaker_sizing.airflow.orphaned_runs DAG_ID LOGICAL_DATE [DAG_ID LOGICAL_DATE ...]
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence


def fail_runs(runs: Iterable[tuple[str, datetime]]) -> list[str]:
    """Mark each (dag_id, logical_date) run that is still queued or running failed, with its
    unfinished task instances; returns ``dag_id/run_id`` of those changed."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState, State, TaskInstanceState
    from sqlalchemy import select

    changed = []
    with create_session() as session:
        for dag_id, logical_date in runs:
            run = session.scalars(
                select(DagRun).where(DagRun.dag_id == dag_id, DagRun.logical_date == logical_date)
            ).one_or_none()
            if run is None or run.state not in (DagRunState.RUNNING, DagRunState.QUEUED):
                continue
            started = (TaskInstanceState.RUNNING, TaskInstanceState.QUEUED, TaskInstanceState.DEFERRED)
            for ti in run.get_task_instances(session=session):
                if ti.state in started:
                    ti.state = TaskInstanceState.FAILED  # it was running when its process died
                elif ti.state is None or ti.state in State.unfinished:
                    ti.state = TaskInstanceState.UPSTREAM_FAILED  # it never started
            run.set_state(DagRunState.FAILED)
            changed.append(f"{dag_id}/{run.run_id}")
    return changed


def main(argv: Sequence[str]) -> int:
    if len(argv) % 2:
        print("usage: orphaned_runs DAG_ID LOGICAL_DATE [DAG_ID LOGICAL_DATE ...]", file=sys.stderr)
        return 2
    pairs = [(argv[i], datetime.fromisoformat(argv[i + 1])) for i in range(0, len(argv), 2)]
    for name in fail_runs(pairs):
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
