"""The plan step of a round: the walk's next batch, and the branch into the round or to its end."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.python import BranchPythonOperator, PythonOperator

if TYPE_CHECKING:
    from airflow.sdk import Context


class PlanRoundOperator(BranchPythonOperator):
    """Plans a round and decides on it in one task: a BranchPythonOperator whose callable returns
    the round's batch (the walk's next configurations) rather than task ids.

    A batch that holds something goes into the round: every task directly downstream (deploy and
    parse, mapped over the batch, and whatever runs beside deploy) is followed. An empty batch
    stops: nothing is followed, so the round and every round after it are skipped.

    The batch is the task's ``return_value``, what the round's mapped tasks expand over. A
    branch that skips some of its downstream tasks ends before the Task SDK pushes the return
    value (skipping is an exception the task runner handles), which is why going into the round
    follows all of them; a stop skips them all and has nothing to map.
    """

    def execute(self, context: Context) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = PythonOperator.execute(self, context)
        self.do_branch(context, sorted(self.downstream_task_ids) if batch else None)
        return batch
