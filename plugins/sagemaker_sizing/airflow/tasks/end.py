"""The run's last task: its state says what the report says."""

from __future__ import annotations

from typing import Any

from airflow.sdk import task
from airflow.sdk.exceptions import AirflowFailException

from sagemaker_sizing.airflow.task_ids import END


@task(task_id=END)
def end_run(reported: Any) -> None:
    """A failed outcome fails the run, after the report was written."""
    if reported and reported.get("status") == "failed":
        raise AirflowFailException(str(reported.get("summary")))
