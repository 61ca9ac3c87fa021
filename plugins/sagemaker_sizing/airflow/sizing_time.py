"""What a run's endpoints did and when, gathered for the report's "what the sizing took" line.

Three tasks know it: each ``deploy`` returns when it asked SageMaker for a change and when it saw
the endpoint InService (``EndpointManager.finish_deploy``); each ``plan`` pushes the deletions it
asked for when it retired idle lanes (``RETIRED_KEY``); ``teardown`` returns what it deleted and
when each endpoint was gone. The core prices them (``core.timeline.measured``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.airflow.task_ids import DEPLOY, PLAN, TEARDOWN, in_round
from sagemaker_sizing.core.timeline.measured import EndpointChange, deletions_from

if TYPE_CHECKING:
    from sagemaker_sizing.core.timeline.measured import EndpointDeletion

log = logging.getLogger(__name__)

RETIRED_KEY = "retired"  # a plan's cleanup.retire_lanes result: {"deleted_at": {endpoint: epoch s}}


def push_retired(context: Mapping[str, Any], retired: Mapping[str, Any]) -> None:
    """Record the deletions a plan asked for (nothing outside a task run)."""
    ti = context.get("ti")
    if ti is not None and retired.get("deleted_at"):
        ti.xcom_push(key=RETIRED_KEY, value={"deleted_at": dict(retired["deleted_at"])})


def gathered(ti: Any, rounds: int) -> tuple[list[EndpointChange], dict[str, EndpointDeletion]]:
    """Every deploy of rounds 1..``rounds`` and every deletion asked for or seen, from XCom."""
    round_ids = range(1, rounds + 1)
    deploys = _present(ti.xcom_pull(task_ids=[in_round(r, DEPLOY) for r in round_ids]))
    changes = [c for c in (EndpointChange.from_record(d) for d in deploys if isinstance(d, Mapping)) if c]
    records = _present(ti.xcom_pull(task_ids=[in_round(r, PLAN) for r in round_ids], key=RETIRED_KEY))
    records += _present(ti.xcom_pull(task_ids=TEARDOWN))
    return changes, deletions_from(r for r in records if isinstance(r, Mapping))


def _present(value: Any) -> list[Any]:
    """xcom_pull over several tasks or map indexes: a list with None where nothing was pushed."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [value]
    flat: list[Any] = []
    for item in value:
        if isinstance(item, list):  # a mapped task's values, where they come as one list
            flat += [v for v in item if v is not None]
        elif item is not None:
            flat.append(item)
    return flat
