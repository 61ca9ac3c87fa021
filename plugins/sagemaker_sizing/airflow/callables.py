"""What each task of a sizing run does, as plain functions over core + adapters (each reads like a
paragraph); ``graph.py`` makes them into tasks (``@task``, the operators) and wires the DAG."""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow.sdk.exceptions import AirflowFailException

from sagemaker_sizing.adapters import cleanup
from sagemaker_sizing.adapters.gatling_command import (
    DEFAULT_WARM_UP_SECONDS,
    GatlingStep,
    gatling_shell_command,
)
from sagemaker_sizing.adapters.ownership import endpoint_name, lane_for
from sagemaker_sizing.airflow import results_store, settings
from sagemaker_sizing.airflow.run_files import injector_base_name, refusal_file, step_base_name
from sagemaker_sizing.core import walk
from sagemaker_sizing.core.conf import model as conf_mod
from sagemaker_sizing.core.conf.validation import validate_conf
from sagemaker_sizing.core.cost import budget as cost_guard
from sagemaker_sizing.core.cost.money import dollars
from sagemaker_sizing.core.gatling.jar_kind import PROJECT
from sagemaker_sizing.core.model import PlanItem
from sagemaker_sizing.core.serde import plan_item_from_dict, plan_item_to_dict, step_result_from_dict
from sagemaker_sizing.paths import GATLING_JAR, PROJECT_ROOT

if TYPE_CHECKING:
    from sagemaker_sizing.adapters.sagemaker import EndpointManager
    from sagemaker_sizing.core.model import StepConfig, StepResult

log = logging.getLogger(__name__)


def validate(raw_conf: Mapping[str, Any]) -> dict[str, Any]:
    """Every problem of the conf at once, before anything is deployed or any money is spent."""
    try:
        valid = validate_conf(raw_conf, max_rounds=settings.max_rounds(), base_dir=PROJECT_ROOT)
    except conf_mod.ConfError as exc:
        for problem in exc.problems:
            log.error("invalid conf: %s", problem)
        # A bad conf stays bad: fail at once, no retry, nothing deployed.
        raise AirflowFailException(f"invalid conf: {len(exc.problems)} problem(s): {exc}") from exc
    sizing_conf, worst = valid.conf, valid.worst
    log.info(
        "conf is valid: strategy %s, peak %s TPS; worst case %s rounds, %s test cost",
        sizing_conf.strategy,
        sizing_conf.peak_tps,
        worst.rounds,
        dollars(worst.test_cost_usd),
    )
    for warning in valid.warnings:
        log.warning("%s", warning)
    return conf_mod.conf_to_dict(sizing_conf)


# XCom key of preflight's blocking findings (``[{"check", "message"}]``), pushed before it fails.
BLOCKING_KEY = "blocking"


def preflight(conf: Mapping[str, Any], aws_conn_id: str) -> dict[str, Any]:
    """The account before any spend: every problem at once; fails without retry on a blocking one.

    Returns the conf the rounds size: with ``on_quota: "skip"``, without the types whose quota
    cannot hold even their first step (the report says why, from this task's ``notes``).
    """
    from sagemaker_sizing.adapters.preflight import run_preflight
    from sagemaker_sizing.core.account.preflight import Severity, without_types

    sizing_conf = load_sizing_conf(conf)
    result = run_preflight(sizing_conf, aws_conn_id)
    for finding in result.findings:  # the task log (the command line prints them itself)
        level = logging.ERROR if finding.severity is Severity.BLOCKING else logging.WARNING
        log.log(level, "preflight: %s", finding)
    if not result.ok:
        problems = "; ".join(str(f) for f in result.blocking)
        # A failed task's pushed XComs are kept: the report names these as the run's cause.
        _push_note([{"check": str(f.check), "message": f.message} for f in result.blocking], key=BLOCKING_KEY)
        raise AirflowFailException(f"preflight: {len(result.blocking)} blocking problem(s): {problems}")
    notes = result.report_notes()
    if result.dropped_types:
        sizing_conf = without_types(sizing_conf, result.dropped_types)
        log.warning("on_quota skip: sizing %s only", ", ".join(sizing_conf.type_walk))
    checked = conf_mod.conf_to_dict(sizing_conf)
    cost_file, price_notes = run_prices(sizing_conf, aws_conn_id)
    if cost_file is not None:
        checked["cost_file"] = cost_file  # the day's cached live prices: every later task uses them
    _push_note(notes + price_notes, key="notes")
    return checked


def run_prices(sizing_conf: conf_mod.SizingConf, aws_conn_id: str) -> tuple[str | None, list[str]]:
    """The run's prices: live ones (``live_prices``, cached per day under the results root) or
    the conf's table; one report line per price with its source and date."""
    from datetime import UTC, datetime

    from sagemaker_sizing.adapters.pricing import resolve_prices
    from sagemaker_sizing.core.cost.instances import load_cost_table
    from sagemaker_sizing.core.cost.sources import price_notes

    root_text = str(sizing_conf.perfsize_results_dir)
    root = None if "://" in root_text else settings.resolve(root_text)
    day = datetime.now(UTC).date().isoformat()
    cost_file, sources, warnings = resolve_prices(sizing_conf, aws_conn_id, root, day)
    for warning in warnings:
        log.warning("prices: %s", warning)
    table = sizing_conf.price_table
    if cost_file is not None:
        from pathlib import Path

        table = load_cost_table(sizing_conf.region, Path(cost_file))
    prices = [(t, table[t]) for t in dict.fromkeys(sizing_conf.type_walk)]
    return cost_file, [f"prices: {w}" for w in warnings] + price_notes(prices, sources)


def load_sizing_conf(conf: Mapping[str, Any]) -> conf_mod.SizingConf:
    """The conf the validate task returned, rebuilt (not validated again)."""
    return conf_mod.conf_from_dict(conf)


def flatten_results(previous: Iterable[Iterable[Mapping[str, Any]] | None]) -> list[StepResult]:
    """Results of earlier rounds, in round then map order (skipped or empty rounds give nothing)."""
    return [step_result_from_dict(r) for batch in previous if batch for r in batch if r]


def plan_round(
    round_no: int, conf: Mapping[str, Any], results: Sequence[StepResult], run_key: str
) -> list[dict[str, Any]]:
    """The next batch of the walk, one item per configuration; an empty list ends the walk.

    Each item names the endpoint its lane deploys to (a function of the conf, the run and the
    lane, the same one deploy uses), so the load commands can be made while deploy runs.
    """
    sizing_conf = load_sizing_conf(conf)
    _stop_on_quota(sizing_conf, results)
    batch = walk.next_batch(sizing_conf, results)
    budget = cost_guard.check_round(sizing_conf, results, batch, round_no)
    if not budget.allowed:
        # An empty batch ends the walk; the note reaches the report through this task's XCom.
        log.warning("%s", budget.note)
        _push_note(str(budget.note))
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
            injectors=max(1, math.ceil(step.steady_state_tps / settings.injector_max_tps())),
            index=index,
        )
        items.append(plan_item_to_dict(item))
        log.info("round %s: will test %s", round_no, step.describe())
    if not items:
        log.info("round %s: the walk is complete, nothing left to test", round_no)
    return items


def _stop_on_quota(sizing_conf: conf_mod.SizingConf, results: Sequence[StepResult]) -> None:
    """``on_quota: "stop"``: a step a quota refused ends the walk, and the run fails naming the
    quota (report and teardown still run). ``skip`` goes on without that type."""
    from sagemaker_sizing.core.verdicts.outcome import ErrorCategory

    refused = [r for r in results if r.error_category == ErrorCategory.QUOTA]
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


def _push_note(note: str | list[Any], key: str = "note") -> None:
    """A note for the report, as XCom ``key`` of the running task (nothing outside a task)."""
    from airflow.sdk import get_current_context

    try:
        context = get_current_context()
    except RuntimeError:
        log.debug("not in a task: note not pushed: %s", note)
        return
    context["ti"].xcom_push(key=key, value=note)


def load_commands(
    conf: Mapping[str, Any],
    run_dir: Path,
    items: Sequence[Mapping[str, Any]],
    runtime_url: str | None = None,
    runtime_tls_url: str | None = None,
    *,
    start_at_epoch_ms: int | None = None,
) -> list[str]:
    """One Gatling command per injector process; a step above one injector's TPS is split evenly.

    Each item's endpoint is the one its plan named (deploy makes it InService under that name).
    The injectors of a split step share ``start_at_epoch_ms`` (see ``injector_start``); a step
    with one injector starts when its task does.

    The host is the conf's, else the connection's ``sagemaker-runtime`` endpoint (the local
    SageMaker), else the region's public runtime host, in the form the jar's kind expects: the
    project's jar takes the plain URL; a sagemaker-gatling jar a bare host, and locally the
    runtime's TLS listener (``127.0.0.1:<tls port>``), since it always calls ``https://<host>``.
    """
    sizing_conf = load_sizing_conf(conf)
    kind = conf_mod.resolved_jar_kind(sizing_conf)
    host = load_host(sizing_conf, kind, runtime_url, runtime_tls_url)
    jar = settings.resolve(sizing_conf.jar_file) if sizing_conf.jar_file else GATLING_JAR
    commands = []
    for planned in items:
        item = plan_item_from_dict(planned)
        step, injectors = item.step, item.injectors
        for injector in range(injectors):
            gatling_step = GatlingStep(
                host=host,
                region=sizing_conf.region,
                endpoint=str(item.endpoint_name),
                ramp_start_tps=step.ramp_start_tps / injectors,
                ramp_minutes=step.ramp_minutes,
                steady_state_tps=step.steady_state_tps / injectors,
                steady_state_minutes=step.steady_state_minutes,
                requests=sizing_conf.scenario_requests,
                output_base_name=injector_base_name(item.folder, injector, injectors),
                results_dir=run_dir,
                jar=jar,
                jvm_opts=tuple(settings.java_opts().split()),
                # A foreign jar gets perfsizesagemaker's command line (plus foreign_jar_opts).
                warm_up_seconds=DEFAULT_WARM_UP_SECONDS if kind == PROJECT else 0,
                start_at_epoch_ms=start_at_epoch_ms if injectors > 1 else None,
                jar_kind=kind,
            )
            if step.serverless:  # it measures its cold starts: no silent warm-up requests first
                gatling_step = dataclasses.replace(gatling_step, warm_up_seconds=0)
            command = _unless_refused(refusal_file(run_dir, item.folder), gatling_shell_command(gatling_step))
            if step.idle_minutes > 0:  # a serverless cold-start step: the endpoint idles first
                command = f"sleep {step.idle_minutes * 60:g} && {command}"
            commands.append(command)
    return commands


def load_host(
    sizing_conf: conf_mod.SizingConf, kind: str, runtime_url: str | None, runtime_tls_url: str | None
) -> str:
    """``-Dsagemaker.host`` for a jar of ``kind`` (see load_commands)."""
    if kind == PROJECT:
        return sizing_conf.host or runtime_url or sizing_conf.runtime_host
    if sizing_conf.host:
        return bare_host(sizing_conf.host)
    if runtime_tls_url:
        return bare_host(runtime_tls_url)
    if runtime_url:
        raise AirflowFailException(
            f"the {kind} jar calls https://<host>, but the connection's sagemaker-runtime endpoint "
            f"{runtime_url} has no TLS listener (tls_endpoint_url): start the local SageMaker again"
        )
    return sizing_conf.runtime_host


def _unless_refused(marker: Path, command: str) -> str:
    """The load runs unless deploy found the step refused by a quota (it then writes ``marker``):
    there is no endpoint of that configuration to load, and parse reports the refusal."""
    import shlex

    quoted = shlex.quote(str(marker))
    return f"if [ -e {quoted} ]; then echo 'a quota refused this deployment: no load'; exit 0; fi; {command}"


def bare_host(host: str) -> str:
    """``https://h:p/`` -> ``h:p`` (a sagemaker-gatling jar prefixes ``https://`` itself)."""
    return urlsplit(host).netloc if "://" in host else host.strip().rstrip("/")


def runtime_tls_url_of(aws_conn_id: str) -> str | None:
    """The connection's ``service_config.sagemaker-runtime.tls_endpoint_url`` (local TLS listener)."""
    url = _runtime_service_config(aws_conn_id).get("tls_endpoint_url")
    return str(url) if url else None


def _runtime_service_config(aws_conn_id: str) -> dict[str, Any]:
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        extra = BaseHook.get_connection(aws_conn_id).extra_dejson
    except AirflowNotFoundException:
        return {}
    return dict((extra.get("service_config") or {}).get("sagemaker-runtime", {}))


def runtime_url_of(aws_conn_id: str) -> str | None:
    """The connection's ``service_config.sagemaker-runtime.endpoint_url`` (set for the local SageMaker).

    Read from the connection's extra as the Amazon provider reads it, without building a hook
    (boto3 is not needed to make the commands). No such connection: the region's public host.
    """
    url = _runtime_service_config(aws_conn_id).get("endpoint_url")
    return str(url) if url else None


def injector_start(items: Sequence[Mapping[str, Any]], now_s: float | None = None) -> int | None:
    """The instant (epoch ms) a round's split steps start: ``injector_start_lead`` seconds from now,
    time for every worker to pick its load task up and start its JVM. None when no step is split."""
    if all(int(item["injectors"]) <= 1 for item in items):
        return None
    now = time.time() if now_s is None else now_s
    return int((now + settings.injector_start_lead()) * 1000)


def load_dir_of(conf: Mapping[str, Any], dag_id: str, run_id: str) -> Path:
    """Where Gatling writes: the run folder itself when local, else this host's staging folder
    (the load task uploads its step folder to the store when the JVM is done)."""
    run_dir = results_store.results_dir_of(conf, dag_id, run_id)
    if results_store.is_local(run_dir):
        return Path(str(run_dir))
    return results_store.staging_folder(run_dir.name)


def report(context: Any, rounds: int) -> dict[str, Any] | None:
    """Render the final report from every step measured so far, also after a failure.

    The steps are the parse tasks' results (an error step's parse pushed its result before it
    failed) and the deploys that failed (XCom ``step_error``); the report's content, the run's
    outcome included, is computed once from them (core.report.assemble): its headline is the
    returned ``status`` and ``summary``.
    """
    from sagemaker_sizing.airflow.operators.deploy import DEPLOY_ERROR_KEY
    from sagemaker_sizing.core.cost import serverless_compare
    from sagemaker_sizing.core.report.assemble import assemble_report
    from sagemaker_sizing.core.report.render import render_report

    ti = context["ti"]
    # The conf the rounds sized (preflight's: on_quota skip may have dropped types); a preflight
    # that refused the run leaves the validated conf and its findings, which the report names.
    conf = ti.xcom_pull(task_ids="preflight")
    refused = ti.xcom_pull(task_ids="preflight", key=BLOCKING_KEY)
    if not conf and refused:
        conf = ti.xcom_pull(task_ids="validate")
    if not conf:
        log.error(
            "no conf passed validation and preflight: nothing was deployed and there is nothing to report"
        )
        return None
    parse_ids = [f"round_{r}.parse" for r in range(1, rounds + 1)]
    results = flatten_results([_as_list(ti.xcom_pull(task_ids=parse_ids))])
    deploy_ids = [f"round_{r}.deploy" for r in range(1, rounds + 1)]
    deploy_errors = flatten_results([_as_list(ti.xcom_pull(task_ids=deploy_ids, key=DEPLOY_ERROR_KEY))])
    # A deploy that failed for good measured nothing: its error replaces that step's parse ("no log").
    failed_deploys = {(r.round, r.step): r for r in deploy_errors}
    parsed = {(r.round, r.step) for r in results}
    results = [failed_deploys.get((r.round, r.step), r) for r in results]
    results += [r for key, r in failed_deploys.items() if key not in parsed]
    notes = [str(n) for n in ti.xcom_pull(task_ids="preflight", key="notes") or []]
    notes += [
        n
        for n in _as_list(
            ti.xcom_pull(task_ids=[f"round_{r}.plan" for r in range(1, rounds + 1)], key="note")
        )
        if n
    ]
    content = assemble_report(load_sizing_conf(conf), results, notes, refused=refused, round_slots=rounds)
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


def end(reported: Mapping[str, Any] | None) -> None:
    """The run's last task: a failed outcome fails the run, after the report was written."""
    if reported and reported.get("status") == "failed":
        raise AirflowFailException(str(reported.get("summary")))


def run_manager(aws_conn_id: str, conf: Mapping[str, Any] | None) -> EndpointManager:
    """The run's EndpointManager: the connection, the conf's region and, if given, its IAM role."""
    from sagemaker_sizing.adapters.sagemaker import endpoint_manager

    conf = conf or {}
    return endpoint_manager(aws_conn_id, conf.get("region"), conf.get("iam_role_arn"))


def retire_idle_lanes(
    key: str,
    items: Sequence[Mapping[str, Any]],
    aws_conn_id: str,
    conf: Mapping[str, Any],
    results: Sequence[StepResult],
) -> None:
    """Endpoints the next round does not use are deleted now rather than billed until teardown.

    Only the previous round's lanes can still have an endpoint (each plan retired the ones before
    it), so when the new batch keeps all of them there is nothing to look for in the account.
    """
    last_round = max((r.round for r in results), default=None)
    previous = set(batch_lanes([r.step for r in results if r.round == last_round]))
    lanes = {plan_item_from_dict(item).lane for item in items}
    if not previous - lanes:
        log.debug("no idle lane to retire: the batch keeps %s", sorted(previous))
        return
    retired = cleanup.retire_lanes(run_manager(aws_conn_id, conf), key, lanes)
    if retired.get("endpoints"):
        log.info("retired idle endpoints: %s", ", ".join(retired["endpoints"]))


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


def _as_list(value: Any) -> list[Any]:
    """xcom_pull over several tasks gives a list (None where nothing ran); a single value otherwise."""
    if value is None:
        return []
    return [value] if isinstance(value, Mapping | str) else [v for v in value if v is not None]
