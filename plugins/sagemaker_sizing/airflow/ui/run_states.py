"""Each run folder's DAG run state, read from Airflow's metadata DB by the API server that serves
the results app (the index shows it beside what the folder holds)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.airflow.run_files import run_folder

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence


def states_by_folder(rows: Iterable[tuple[str, str, Any]], folder_names: Sequence[str]) -> dict[str, str]:
    """``(dag_id, run_id, state)`` rows -> ``{run folder name: state}`` for the folders asked about."""
    wanted = set(folder_names)
    found: dict[str, str] = {}
    for dag_id, run_id, state in rows:
        name = run_folder(Path(), dag_id, run_id).name
        if name in wanted:
            found[name] = str(getattr(state, "value", state))
    return found


def airflow_run_states(folder_names: Sequence[str]) -> dict[str, str]:
    """The state of each folder's DAG run (queued, running, success, failed); absent: no such run."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    # A folder is '<dag_id>__<run_id>' (sanitized): ask only about those DAGs.
    dag_ids = {name.split("__", 1)[0] for name in folder_names}
    if not dag_ids:
        return {}
    query = select(DagRun.dag_id, DagRun.run_id, DagRun.state).where(DagRun.dag_id.in_(dag_ids))
    with create_session() as session:
        return states_by_folder(session.execute(query).tuples(), folder_names)
