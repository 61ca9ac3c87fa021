"""Each step's typed record: the one ``StepResult`` a step of the run ends with, in one XCom key.

Written once, by the task that decides it: deploy, when a quota refused the deployment or the
deployment failed (nothing was measured); else parse (a measured step, or an error step: no log,
no usable log, setup KOs, injectors that did not load together). Read only through here: a step's
load and parse (did deploy decide it already?), each round's plan and the report (every step).

Airflow clears a task's XComs when a try starts, not when it fails: a failed task's record stays
for the report, and a retried or cleared task writes its record anew.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.airflow.task_ids import DEPLOY, PARSE, PLAN, in_round
from sagemaker_sizing.core.serde import plan_item_from_dict, step_result_from_dict, step_result_to_dict
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory

if TYPE_CHECKING:
    from sagemaker_sizing.core.model import PlanItem, StepResult

KEY = "step_result"
# The tasks that write a step's record, in the order they decide it.
WRITERS = (DEPLOY, PARSE)


def push(context: Mapping[str, Any], result: StepResult) -> None:
    """Record ``result`` as the running task's step record (nothing outside a task run)."""
    ti = context.get("ti")
    if ti is not None:
        ti.xcom_push(key=KEY, value=step_result_to_dict(result))


def is_refusal(result: StepResult) -> bool:
    """A quota refused the step's deployment: no load ran, and the walk decides what follows."""
    return result.error_category is ErrorCategory.QUOTA


def for_item(context: Mapping[str, Any], item: PlanItem) -> StepResult | None:
    """The record of one plan item so far (deploy's, or parse's once it ran); None if undecided."""
    ti = context.get("ti")
    if ti is None:
        return None
    task_ids = [in_round(item.round, task) for task in WRITERS]
    # Deploy and parse are mapped over the round's batch: the item's index is its map index.
    found = _present(ti.xcom_pull(task_ids=task_ids, key=KEY, map_indexes=item.index))
    return step_result_from_dict(found[0]) if found else None


def all_for_run(ti: Any, rounds: int) -> list[StepResult]:
    """Every step's record of rounds 1..``rounds``, in round then batch order (a round that did
    not run, or a step nobody decided yet, gives nothing)."""
    results: list[StepResult] = []
    for round_no in range(1, rounds + 1):
        task_ids = [in_round(round_no, task) for task in WRITERS]
        records = [step_result_from_dict(r) for r in _present(ti.xcom_pull(task_ids=task_ids, key=KEY))]
        if len(records) > 1:  # deploy's and parse's records of one round, in the batch's order
            batch = [
                plan_item_from_dict(i) for i in _present(ti.xcom_pull(task_ids=in_round(round_no, PLAN)))
            ]
            steps = [item.step for item in batch]
            records.sort(key=lambda r: steps.index(r.step) if r.step in steps else len(steps))
        results += records
    return results


def _present(value: Any) -> list[Any]:
    """xcom_pull over several tasks or map indexes gives a list with None where nothing was pushed."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [value]
    return [v for v in value if v is not None]
