"""The sizing DAG's shape: validate → preflight, N round slots, then report, teardown and an
honest end. Each task's body is its module of ``tasks/``; the ids are ``task_ids``.

Each round: ``plan`` (a BranchPythonOperator: the core's walk gives the next batch from every step
recorded so far; into the round, or stop when it is empty) → ``deploy`` (mapped over the batch)
→ ``injectors`` (the batch as typed load items, one per Gatling process, with the instant a split
step's injectors start together) → ``load`` (mapped over the load items) → ``parse`` (mapped over
the batch). The number of slots is fixed at parse time; validation rejects a conf whose walk could
need more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import Param, TaskGroup, TriggerRule

from sagemaker_sizing.airflow import settings
from sagemaker_sizing.airflow.links import FinalReportLink
from sagemaker_sizing.airflow.task_ids import DEPLOY, LOAD, PARSE, PLAN, WALK_DONE, round_group
from sagemaker_sizing.airflow.tasks.deploy import DeployStepOperator
from sagemaker_sizing.airflow.tasks.end import end_run
from sagemaker_sizing.airflow.tasks.load import GatlingLoadOperator, split_injectors
from sagemaker_sizing.airflow.tasks.parse import ParseStepOperator
from sagemaker_sizing.airflow.tasks.plan import PlanRoundOperator
from sagemaker_sizing.airflow.tasks.preflight import preflight_account
from sagemaker_sizing.airflow.tasks.report import report
from sagemaker_sizing.airflow.tasks.teardown import teardown_run
from sagemaker_sizing.airflow.tasks.validate import validate_conf

if TYPE_CHECKING:
    from airflow.sdk import XComArg
    from airflow.sdk.bases.operator import BaseOperator
    from airflow.sdk.definitions.mappedoperator import MappedOperator


class _SharedSchema(dict[str, Any]):
    """A Param's JSON schema that its copies share instead of deep-copying."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _SharedSchema:
        return self


def shared_schema_param(**schema: Any) -> Param:
    """A Param whose schema is shared by its copies (it is never changed once the DAG is built).

    Airflow deep-copies the DAG's params into every task it builds: with the conf's ~40 fields
    that was most of the DAG file's parse time, which every task process pays. Still a plain
    ``Param``, which is what DAG serialization accepts; the value is still copied.
    """
    param = Param(**schema)
    param.schema = _SharedSchema(param.schema)
    return param


def add_checks() -> XComArg:
    """validate → preflight: the conf the rounds size, checked before any spend."""
    return preflight_account(validate_conf())


def add_rounds(conf: XComArg, rounds: int) -> BaseOperator:
    """Chain ``rounds`` round slots after ``conf``; returns the task that follows the walk."""
    parses: list[MappedOperator] = []
    for round_no in range(1, rounds + 1):
        with TaskGroup(group_id=round_group(round_no)):
            parse = _add_round(round_no, conf, list(parses))
        parses.append(parse)
    # The walk is done once every round slot is: measured, or skipped from the round whose plan
    # found the walk complete. A failed step fails it; validate is its success if no round ran.
    walk_done = EmptyOperator(task_id=WALK_DONE, trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    [conf, *parses] >> walk_done
    return walk_done


def _add_round(round_no: int, conf: XComArg, previous: list[MappedOperator]) -> MappedOperator:
    # Into the round (deploy, and the tasks beside it) or, once the walk is complete, stop. The
    # plan reads the earlier rounds' step records: it follows every earlier parse.
    plan = PlanRoundOperator(task_id=PLAN, round_no=round_no, conf=conf)
    previous >> plan
    items = plan.output
    deploy = DeployStepOperator.partial(
        task_id=DEPLOY,
        conf=conf,
        aws_conn_id=settings.aws_conn_id(),
        waiter_delay=settings.waiter_delay(),
        defer_after=settings.defer_after(),
    ).expand(item=items)
    # Once the endpoints are InService: the split steps' injectors start together then.
    load_items = split_injectors(items)
    load = GatlingLoadOperator.partial(task_id=LOAD, aws_conn_id=settings.aws_conn_id(), conf=conf).expand(
        item=load_items
    )
    # Runs after a failed load too, so the lanes that were measured keep their results.
    parse = ParseStepOperator.partial(task_id=PARSE, conf=conf, trigger_rule=TriggerRule.NONE_SKIPPED).expand(
        item=items
    )
    deploy >> load_items >> load >> parse
    return parse


def add_report_and_teardown(validated: XComArg, walk_done: BaseOperator, rounds: int) -> XComArg:
    """Teardown and report always run, the report after teardown (it says what the sizing took,
    to the last endpoint's deletion); ``end`` keeps the run's state honest (teardowns don't count):
    it fails when a task failed or when the report's outcome is ``failed``."""
    reported = report(rounds)
    reported.operator.operator_extra_links = (FinalReportLink(),)  # type: ignore[attr-defined]  # @task: no class of its own
    torn_down = teardown_run().as_teardown(on_failure_fail_dagrun=True)
    walk_done >> torn_down >> reported
    walk_done >> end_run(reported)
    return reported
