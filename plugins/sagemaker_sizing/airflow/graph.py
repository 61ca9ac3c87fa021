"""The sizing DAG's shape and its tasks: validate, N round slots, then report, teardown and an honest
end. The tasks here are thin: the work of each is a function of ``callables.py``.

Each round: ``plan`` (a BranchPythonOperator: the core's walk gives the next batch; into the
round, or stop when it is empty) → ``deploy`` (mapped over the batch) → ``commands`` (the Gatling
command of each injector, with the instant a split step's injectors start together) → ``load``
(mapped over injectors) → ``parse`` (mapped over the batch).
The number of slots is fixed at parse time; validation rejects a conf whose walk could need more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import Param, TaskGroup, TriggerRule, get_current_context, task

from sagemaker_sizing.airflow import callables, settings
from sagemaker_sizing.airflow.links import FinalReportLink
from sagemaker_sizing.airflow.operators.deploy import DeployStepOperator, run_key
from sagemaker_sizing.airflow.operators.load import GatlingLoadOperator
from sagemaker_sizing.airflow.operators.parse import ParseStepOperator
from sagemaker_sizing.airflow.operators.plan import PlanRoundOperator

if TYPE_CHECKING:
    from airflow.sdk import XComArg
    from airflow.sdk.bases.operator import BaseOperator


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


@task(task_id="validate")
def validate_conf() -> dict[str, Any]:
    """Validate the run's conf (the DAG's Params) with the core: every problem at once."""
    return callables.validate(dict(get_current_context()["params"]))


@task(task_id="preflight", retries=0)
def preflight_account(conf: Any) -> dict[str, Any]:
    """The account before any spend (quotas, permissions, the model, prices): the conf the rounds size."""
    return callables.preflight(conf, settings.aws_conn_id())


def add_rounds(conf: XComArg, rounds: int) -> BaseOperator:
    """Chain ``rounds`` round slots after ``conf``; returns the task that follows the walk."""
    parses: list[XComArg] = []
    for round_no in range(1, rounds + 1):
        with TaskGroup(group_id=f"round_{round_no}"):
            parse = _add_round(round_no, conf, list(parses))
        parses.append(parse)
    # The walk is done once every round slot is: measured, or skipped from the round whose plan
    # found the walk complete. A failed step fails it; validate is its success if no round ran.
    walk_done = EmptyOperator(task_id="walk_done", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    [conf, *parses] >> walk_done
    return walk_done


def _add_round(round_no: int, conf: XComArg, previous: list[XComArg]) -> XComArg:
    def plan(conf: Any, previous: Any) -> list[dict[str, Any]]:
        key = run_key(get_current_context())
        results = callables.flatten_results(previous)
        items = callables.plan_round(round_no, conf, results, key)
        callables.retire_idle_lanes(key, items, settings.aws_conn_id(), conf, results)
        return items

    # Into the round (deploy, and the load commands beside it) or, once the walk is complete, stop.
    plan_task = PlanRoundOperator(task_id="plan", python_callable=plan, op_args=[conf, previous])
    items = plan_task.output
    deploy = DeployStepOperator.partial(
        task_id="deploy",
        conf=conf,
        aws_conn_id=settings.aws_conn_id(),
        waiter_delay=settings.waiter_delay(),
        defer_after=settings.defer_after(),
    ).expand(item=items)

    @task(task_id="commands")
    def commands(conf: Any, items: Any) -> list[str]:
        context = get_current_context()
        load_dir = callables.load_dir_of(conf, context["dag"].dag_id, context["run_id"])
        load_dir.mkdir(parents=True, exist_ok=True)
        conn_id = settings.aws_conn_id()
        # Set once the endpoints are InService: the split steps' injectors start together then.
        start_at = callables.injector_start(list(items))
        return callables.load_commands(
            conf,
            load_dir,
            list(items),
            callables.runtime_url_of(conn_id),
            callables.runtime_tls_url_of(conn_id),
            start_at_epoch_ms=start_at,
        )

    load_commands = commands(conf, items)
    load = GatlingLoadOperator.partial(task_id="load", aws_conn_id=settings.aws_conn_id(), conf=conf).expand(
        bash_command=load_commands
    )
    # Runs after a failed load too, so the lanes that were measured keep their results.
    parse = ParseStepOperator.partial(
        task_id="parse", conf=conf, trigger_rule=TriggerRule.NONE_SKIPPED
    ).expand(item=items)
    deploy >> load_commands >> load >> parse
    return parse.output


@task(task_id="report", trigger_rule=TriggerRule.ALL_DONE)
def report(rounds: int) -> dict[str, Any] | None:
    """Render report.html and recommendation.json from every measured step, whatever happened."""
    context = get_current_context()
    return callables.report(context, rounds)


@task(task_id="teardown")
def teardown_run() -> dict[str, Any]:
    """Delete every endpoint, endpoint config and scaling policy this run created (found by tag)."""
    context = get_current_context()
    # The conf (region, role) when validation passed; else the region the run's params name.
    conf = context["ti"].xcom_pull(task_ids="validate")
    if conf is None:
        region = context["params"].get("region")
        conf = {"region": region.strip()} if isinstance(region, str) and region.strip() else None
    return callables.teardown(run_key(context), settings.aws_conn_id(), conf)


@task(task_id="end")
def end_run(reported: Any) -> None:
    """The run's state says what its report says: a failed outcome fails the run (after the report)."""
    callables.end(reported)


def add_report_and_teardown(validated: XComArg, walk_done: BaseOperator, rounds: int) -> XComArg:
    """Report and teardown always run; ``end`` keeps the run's state honest (teardowns don't count):
    it fails when a task failed or when the report's outcome is ``failed``."""
    reported = report(rounds)
    reported.operator.operator_extra_links = (FinalReportLink(),)  # type: ignore[attr-defined]  # @task: no class of its own
    walk_done >> reported
    torn_down = teardown_run().as_teardown(on_failure_fail_dagrun=True)
    walk_done >> torn_down
    walk_done >> end_run(reported)
    return reported
