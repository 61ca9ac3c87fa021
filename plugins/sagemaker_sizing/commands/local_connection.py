"""``--local`` of the commands that reach SageMaker (preflight, orphans): the running local
SageMaker's Airflow connection, set in this process's environment as the demo and ``make ui`` set
it for Airflow (``AIRFLOW_CONN_SAGEMAKER_SIZING_LOCAL``: a connection no airflow.cfg holds)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

NOT_RUNNING = "the local SageMaker is not running: start it with `sagemaker-sizing local start`"


def use_local_sagemaker(state_dir: str | Path | None = None) -> str | None:
    """The local SageMaker's connection id, its environment set here; None when it is not running."""
    from sagemaker_sizing.local import status
    from sagemaker_sizing.local.airflow_env import LOCAL_CONN_ID, local_airflow_env

    local = status(state_dir)
    if not local.up:
        return None
    for key, value in local_airflow_env(local).items():
        if value:
            os.environ[key] = value
        else:
            os.environ.pop(key, None)
    os.environ.update(local.aws_env())
    return LOCAL_CONN_ID
