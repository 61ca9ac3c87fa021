"""The report task: report.html and recommendation.json from every step recorded, whatever happened."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import TriggerRule, get_current_context, task

from sagemaker_sizing.airflow import notes, results_store, sizing_time, step_records
from sagemaker_sizing.airflow.task_ids import PLAN, PREFLIGHT, REPORT, TEARDOWN, VALIDATE, in_round
from sagemaker_sizing.core.conf.model import conf_from_dict

if TYPE_CHECKING:
    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.model import StepResult
    from sagemaker_sizing.core.timeline.simulated import SizingTime

log = logging.getLogger(__name__)


@task(task_id=REPORT, trigger_rule=TriggerRule.ALL_DONE)
def report(rounds: int) -> dict[str, Any] | None:
    """Render report.html and recommendation.json from every measured step, whatever happened."""
    return render_run_report(get_current_context(), rounds)


def render_run_report(context: Any, rounds: int) -> dict[str, Any] | None:
    """Render the final report from every step recorded so far, also after a failure.

    The steps are the run's step records (``step_records``: deploy's for a refused or failed
    deployment, parse's for the others); the report's content, the run's outcome included, is
    assembled once from them (core.report.assemble): its headline is the returned ``summary``.
    """
    from sagemaker_sizing.core.cost import serverless_compare
    from sagemaker_sizing.core.report.assemble import assemble_report
    from sagemaker_sizing.core.report.render import render_report

    ti = context["ti"]
    # The conf the rounds sized (preflight's: on_quota skip may have dropped types); a preflight
    # that refused the run leaves the validated conf and its findings, which the report names.
    conf = ti.xcom_pull(task_ids=PREFLIGHT)
    refused = ti.xcom_pull(task_ids=PREFLIGHT, key=notes.BLOCKING_KEY)
    if not conf and refused:
        conf = ti.xcom_pull(task_ids=VALIDATE)
    if not conf:
        log.error(
            "no conf passed validation and preflight: nothing was deployed and there is nothing to report"
        )
        return None
    results = step_records.all_for_run(ti, rounds)
    run_notes = [str(n) for n in ti.xcom_pull(task_ids=PREFLIGHT, key=notes.NOTES_KEY) or []]
    plan_ids = [in_round(r, PLAN) for r in range(1, rounds + 1)]
    run_notes += [n for n in _as_list(ti.xcom_pull(task_ids=plan_ids, key=notes.NOTE_KEY)) if n]
    sizing_conf = conf_from_dict(conf)
    took = _took(ti, rounds, sizing_conf, results)
    content = assemble_report(sizing_conf, results, run_notes, refused=refused, round_slots=rounds, took=took)
    outcome, serverless = content.outcome, content.serverless
    run_dir = results_store.results_dir_of(conf, context["dag"].dag_id, context["run_id"])
    with results_store.scratch_dir() as scratch:
        local_dir = Path(str(run_dir)) if results_store.is_local(run_dir) else Path(scratch)
        html, json_path = render_report(content, run_id=context["run_id"], results_dir=local_dir)
        if not results_store.is_local(run_dir):
            for written in (json_path, html):
                results_store.upload_file(written, run_dir / written.name)
    report_file, recommendation_file = run_dir / html.name, run_dir / json_path.name
    (log.error if outcome.failed else log.info)("%s", outcome.headline)
    if serverless is not None:
        log.info("recommendation: serverless %s", serverless_compare.summary(serverless))
    log.info("report: %s", results_store.describe(report_file))
    return {
        "report": results_store.describe(report_file),
        "recommendation": results_store.describe(recommendation_file),
        "status": str(outcome.status),
        "summary": outcome.headline,
    }


def _took(ti: Any, rounds: int, conf: SizingConf, results: list[StepResult]) -> SizingTime | None:
    """What the sizing took, from the instants deploy, plan and teardown recorded (a run that
    deployed nothing: None)."""
    from sagemaker_sizing.core.simulate.dry_run import load_test_minutes, steps_by_round
    from sagemaker_sizing.core.timeline.deploy_times import load_deploy_times
    from sagemaker_sizing.core.timeline.measured import measured_timeline

    changes, deletions = sizing_time.gathered(ti, rounds)
    torn = ti.xcom_pull(task_ids=TEARDOWN)
    return measured_timeline(
        changes,
        deletions,
        [r.step for r in results],
        load_minutes=load_test_minutes(steps_by_round(results)),
        prices=conf.price_table,
        times=load_deploy_times(),
        torn_down_at=torn.get("finished_at") if isinstance(torn, Mapping) else None,
    )


def _as_list(value: Any) -> list[Any]:
    """xcom_pull over several tasks gives a list (None where nothing ran); a single value otherwise."""
    if value is None:
        return []
    return [value] if isinstance(value, Mapping | str) else [v for v in value if v is not None]
