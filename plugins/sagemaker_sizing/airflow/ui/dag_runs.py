"""Each run folder's DAG run in Airflow (its run id and state), read from the metadata DB by the
API server that serves the results app.

A folder's name is the run key ``<dag_id>__<run_id sanitized>`` (``:`` and ``+`` become ``_``):
it is not the run id, and a DAG run page addressed with it does not exist (Airflow's run page
then shows only a red error bar). The index shows the run id, and the "Sizing report" tab checks
that the run it is asked about exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sagemaker_sizing.airflow.run_files import run_folder

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence


class AirflowRun(NamedTuple):
    """A DAG run as Airflow knows it: the id its pages and API use, and its state."""

    run_id: str
    state: str


def runs_by_folder(
    rows: Iterable[tuple[str, str, Any]], folder_names: Sequence[str]
) -> dict[str, AirflowRun]:
    """``(dag_id, run_id, state)`` rows -> ``{run folder name: AirflowRun}`` for the folders asked about."""
    wanted = set(folder_names)
    found: dict[str, AirflowRun] = {}
    for dag_id, run_id, state in rows:
        name = run_folder(Path(), dag_id, run_id).name
        if name in wanted:
            found[name] = AirflowRun(run_id, str(getattr(state, "value", state)))
    return found


def airflow_runs(folder_names: Sequence[str]) -> dict[str, AirflowRun]:
    """The DAG run of each folder (queued, running, success, failed); absent: Airflow has none."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    # A folder is '<dag_id>__<run_id>' (sanitized): ask only about those DAGs.
    dag_ids = {name.split("__", 1)[0] for name in folder_names}
    if not dag_ids:
        return {}
    query = select(DagRun.dag_id, DagRun.run_id, DagRun.state).where(DagRun.dag_id.in_(dag_ids))
    with create_session() as session:
        return runs_by_folder(session.execute(query).tuples(), folder_names)
