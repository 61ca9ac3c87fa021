"""The plan step of a round: the walk's next batch, and the branch into the round or to its end."""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.python import BranchPythonOperator, PythonOperator
from airflow.sdk import get_current_context
from airflow.sdk.exceptions import AirflowFailException

from sagemaker_sizing.adapters import cleanup
from sagemaker_sizing.adapters.ownership import component_name, endpoint_name, lane_for
from sagemaker_sizing.airflow import notes, settings, sizing_time, step_records
from sagemaker_sizing.airflow.run_files import step_base_name
from sagemaker_sizing.airflow.tasks.deploy import run_key
from sagemaker_sizing.airflow.tasks.teardown import run_manager
from sagemaker_sizing.core import walk
from sagemaker_sizing.core.components.models import component_models
from sagemaker_sizing.core.conf import model as conf_mod
from sagemaker_sizing.core.cost import budget as cost_guard
from sagemaker_sizing.core.model import PlanItem
from sagemaker_sizing.core.serde import plan_item_from_dict, plan_item_to_dict

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from airflow.sdk import Context

    from sagemaker_sizing.core.model import StepConfig, StepResult

log = logging.getLogger(__name__)


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

    :param round_no: the round (1-based); the walk reads the step records of the rounds before it.
    :param conf: the conf the rounds size (preflight's; templated).
    """

    def __init__(self, *, round_no: int, conf: Any, **kwargs: Any) -> None:
        super().__init__(python_callable=plan_batch, op_args=[round_no, conf], **kwargs)

    def execute(self, context: Context) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = PythonOperator.execute(self, context)
        self.do_branch(context, sorted(self.downstream_task_ids) if batch else None)
        return batch


def plan_batch(round_no: int, conf: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The round's batch from every step recorded so far; the lanes it leaves idle are retired."""
    context = get_current_context()
    key = run_key(context)
    results = step_records.all_for_run(context["ti"], round_no - 1)
    items = plan_round(round_no, conf, results, key)
    retired = retire_idle_lanes(key, items, settings.aws_conn_id(), conf, results)
    sizing_time.push_retired(context, retired)
    return items


def plan_round(
    round_no: int, conf: Mapping[str, Any], results: Sequence[StepResult], run_key: str
) -> list[dict[str, Any]]:
    """The next batch of the walk, one item per configuration; an empty list ends the walk.

    Each item names the endpoint its lane deploys to (a function of the conf, the run and the
    lane, the same one deploy uses), so the load items can be made before deploy is done.
    """
    sizing_conf = conf_mod.conf_from_dict(conf)
    _stop_on_quota(sizing_conf, results)
    batch = walk.next_batch(sizing_conf, results)
    budget = cost_guard.check_round(sizing_conf, results, batch, round_no)
    if not budget.allowed:
        # An empty batch ends the walk; the note reaches the report through this task's XCom.
        log.warning("%s", budget.note)
        notes.push(str(budget.note))
        return []
    unix = int(time.time())
    base = conf.get("endpoint_name") or conf["model_name"]
    items = []
    for index, (step, lane) in enumerate(zip(batch, batch_lanes(batch), strict=True)):
        item = PlanItem(
            round=round_no,
            lane=lane,
            step=step,
            endpoint_name=endpoint_name(base, run_key, lane),
            folder=step_base_name(step, unix),
            injectors=injectors_for(step),
            index=index,
            component_names=component_names(sizing_conf, step, base, run_key, lane),
        )
        items.append(plan_item_to_dict(item))
        log.info("round %s: will test %s", round_no, step.describe())
    if not items:
        log.info("round %s: the walk is complete, nothing left to test", round_no)
    return items


def _stop_on_quota(sizing_conf: conf_mod.SizingConf, results: Sequence[StepResult]) -> None:
    """``on_quota: "stop"``: a step a quota refused ends the walk, and the run fails naming the
    quota (report and teardown still run). ``skip`` goes on without that type."""
    refused = [r for r in results if step_records.is_refusal(r)]
    if refused and sizing_conf.on_quota == "stop":
        first = refused[0]
        raise AirflowFailException(
            f"a quota refused {first.step.describe()}: {first.error}; on_quota is stop, so the walk "
            "ends here (request the increase, or set on_quota to skip to size the other types)"
        )


def batch_lanes(batch: Sequence[StepConfig]) -> list[str]:
    """The lane of each step of a batch: one endpoint per lane, and the first step of a type keeps
    the type's endpoint across rounds (a second step of the same type gets ``<lane>-2``, ...)."""
    per_type: Counter[str] = Counter()
    lanes = []
    for step in batch:
        per_type[step.instance_type] += 1
        lane = lane_for(step.instance_type)
        if per_type[step.instance_type] > 1:
            lane += f"-{per_type[step.instance_type]}"
        lanes.append(lane)
    return lanes


def component_names(
    sizing_conf: conf_mod.SizingConf, step: StepConfig, base: str, run_key: str, lane: str
) -> tuple[str, ...]:
    """The inference components a step's load addresses (one per loaded model), named as deploy
    names them; () for an endpoint without components."""
    if not step.components:
        return ()
    models = component_models(sizing_conf)
    return tuple(component_name(base, models[i].model_name, run_key, lane) for i in step.models_loaded)


def injectors_for(step: StepConfig) -> int:
    """Gatling processes sharing a step's TPS; an LLM step's load is one AIPerf process (it holds
    ~150 requests/s on 2 cores, far above an LLM endpoint's rates; on an endpoint of inference
    components, one load task starts one AIPerf per model together)."""
    if step.is_llm:
        return 1
    return max(1, math.ceil(step.steady_state_tps / settings.injector_max_tps()))


def retire_idle_lanes(
    key: str,
    items: Sequence[Mapping[str, Any]],
    aws_conn_id: str,
    conf: Mapping[str, Any],
    results: Sequence[StepResult],
) -> dict[str, Any]:
    """Endpoints the next round does not use are deleted now rather than billed until teardown;
    an endpoint stays while the next round uses its lane (a later round that needs the type again
    creates it anew: an idle endpoint bills every minute, a create costs minutes only then).

    Only the previous round's lanes can still have an endpoint (each plan retired the ones before
    it), so when the new batch keeps all of them there is nothing to look for in the account. The
    deletions are asked for, not waited for (the round's deploys need not wait; teardown does);
    returns what was asked and when.
    """
    last_round = max((r.round for r in results), default=None)
    previous = set(batch_lanes([r.step for r in results if r.round == last_round]))
    lanes = {plan_item_from_dict(item).lane for item in items}
    if not previous - lanes:
        log.debug("no idle lane to retire: the batch keeps %s", sorted(previous))
        return {}
    retired = cleanup.retire_lanes(run_manager(aws_conn_id, conf), key, lanes, watch_s=settings.defer_after())
    if retired.get("endpoints"):
        log.info("retiring idle endpoints (deleting): %s", ", ".join(retired["endpoints"]))
    return retired
