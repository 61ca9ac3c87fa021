"""Run the sizing DAG on the embedded local SageMaker: the environment that points Airflow at it."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING

from sagemaker_sizing.local.state_files import write_private
from sagemaker_sizing.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from sagemaker_sizing.local import LocalSageMakerStatus

LOCAL_CONN_ID = "sagemaker_sizing_local"


def local_airflow_env(
    local: LocalSageMakerStatus, *, waiter_delay: int = 1, defer_after: float = 5.0
) -> dict[str, str]:
    """Environment for Airflow processes: an AWS connection on the local control plane, with the
    runtime emulator as the ``sagemaker-runtime`` endpoint, and the DAG settings that use it
    (local endpoints settle in about a second: deploy watches them before deferring).

    The connection travels in the environment (``AIRFLOW_CONN_*``), never on a command line.
    """
    connection = local.airflow_connection()
    connection["extra"]["service_config"] = {
        "sagemaker-runtime": {"endpoint_url": local.runtime_url, "tls_endpoint_url": local.runtime_tls_url}
    }
    return {
        f"AIRFLOW_CONN_{LOCAL_CONN_ID.upper()}": json.dumps(connection),
        "AIRFLOW__SAGEMAKER_SIZING__AWS_CONN_ID": LOCAL_CONN_ID,
        "AIRFLOW__SAGEMAKER_SIZING__WAITER_DELAY": str(waiter_delay),
        "AIRFLOW__SAGEMAKER_SIZING__DEFER_AFTER": str(defer_after),
        # The local SageMaker has no use for the real account's credentials or profile.
        "AWS_PROFILE": "",
    }


def with_local_env(base: Mapping[str, str], local: LocalSageMakerStatus) -> dict[str, str]:
    """``base`` (e.g. ``os.environ``) plus the local settings; empty values remove a variable."""
    env = dict(base) | local_airflow_env(local)
    return {key: value for key, value in env.items() if value}


def write_airflow_cfg(home: Path, root: Path = PROJECT_ROOT) -> Path:
    """``home/airflow.cfg`` from the project's template: DAGs and plugins of ``root``, the DB and
    logs in ``home``, and fresh random JWT and API secrets that all the home's components share."""
    template = (root / "scripts" / "airflow.cfg.template").read_text()
    text = (
        template.replace("@ROOT@/airflow_home", str(home))
        .replace("@ROOT@", str(root))
        .replace("@JWT_SECRET@", secrets.token_urlsafe(32))
        .replace("@SECRET_KEY@", secrets.token_urlsafe(32))
    )
    home.mkdir(parents=True, exist_ok=True)
    cfg = home / "airflow.cfg"
    write_private(cfg, text)  # its secrets are never readable by others, not even for a moment
    return cfg
