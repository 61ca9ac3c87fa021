"""The teardown task: everything tagged with this run goes, found by tag (so also after a crash)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from airflow.sdk import get_current_context, task

from sagemaker_sizing.adapters import cleanup
from sagemaker_sizing.airflow import settings
from sagemaker_sizing.airflow.task_ids import TEARDOWN, VALIDATE
from sagemaker_sizing.airflow.tasks.deploy import run_key

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sagemaker_sizing.adapters.sagemaker import EndpointManager

log = logging.getLogger(__name__)


@task(task_id=TEARDOWN)
def teardown_run() -> dict[str, Any]:
    """Delete every endpoint, endpoint config and scaling policy this run created (found by tag)."""
    context = get_current_context()
    # The conf (region, role) when validation passed; else the region the run's params name.
    conf = context["ti"].xcom_pull(task_ids=VALIDATE)
    if conf is None:
        region = context["params"].get("region")
        conf = {"region": region.strip()} if isinstance(region, str) and region.strip() else None
    return teardown(run_key(context), settings.aws_conn_id(), conf)


def teardown(key: str, aws_conn_id: str, conf: Mapping[str, Any] | None) -> dict[str, Any]:
    """Everything tagged with this run goes, found by tag (so also after a crash).

    ``conf`` is the validated conf, or ``{"region": ...}`` as the run's params name it when
    validation failed (a cleared run may have deployed in an earlier attempt: its region is swept).
    """
    from botocore.exceptions import InvalidRegionError, NoRegionError

    try:
        deleted = cleanup.teardown(run_manager(aws_conn_id, conf), key)
    except (NoRegionError, InvalidRegionError) as exc:
        # A validated conf names a valid region: this one never validated, so no deploy had it.
        log.warning("teardown of %s: %s (the conf never validated): nothing to delete", key, exc)
        return {}
    log.info("teardown of %s: %s", key, deleted)
    return deleted


def run_manager(aws_conn_id: str, conf: Mapping[str, Any] | None) -> EndpointManager:
    """The run's EndpointManager: the connection, the conf's region and, if given, its IAM role,
    waiting as deploy waits (``waiter_delay``: an inference component's deletion is waited for
    before its endpoint's, so a fixed 30 s would cost each one 30 s on the local SageMaker)."""
    from sagemaker_sizing.adapters.sagemaker import endpoint_manager

    conf = conf or {}
    return endpoint_manager(
        aws_conn_id, conf.get("region"), conf.get("iam_role_arn"), waiter_delay=settings.waiter_delay()
    )
