"""The load task: the round's typed load items, the command its operator builds when it runs
(the same the commands task built before the load step was typed), and what it does around the
JVM: the shared start instant, the results folder on its own host, a step deploy decided."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.providers.standard.operators.bash import BashOperator
from sagemaker_sizing.adapters.gatling_command import START_AT_PROPERTY, GatlingStep, ScenarioRequest
from sagemaker_sizing.airflow import runtime_host, settings, step_records
from sagemaker_sizing.airflow.links import GatlingReportLink
from sagemaker_sizing.airflow.tasks import load
from sagemaker_sizing.airflow.tasks.load import (
    GatlingLoadOperator,
    injector_start,
    load_items,
    wait_for_foreign_jar,
)
from sagemaker_sizing.core.conf.model import conf_to_dict, load_conf
from sagemaker_sizing.core.model import LoadItem, PlanItem, StepConfig, StepResult
from sagemaker_sizing.core.serde import (
    load_item_to_dict,
    plan_item_from_dict,
    plan_item_to_dict,
    step_result_to_dict,
)
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory
from sagemaker_sizing.paths import GATLING_JAR, INCLUDE_DIR, PROJECT_ROOT
from structlog.testing import capture_logs

RECORDED = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "load" / "commands-recorded.json").read_text()
)
DAG_ID, RUN_ID = "sagemaker_sizing", "manual__x"
START_MS = 1_800_000_010_000
STEP = StepConfig("type", "ml.m5.large", 1, 10.0, 1.0)
WAITED: list[int | None] = []  # the start instants the load tasks were asked to wait for


class FakeTI:
    """A load task instance: the records deploy pushed for its step, and what it pushes."""

    def __init__(self, deploy_record: StepResult | None = None) -> None:
        self.deploy_record = deploy_record
        self.pushed: dict[str, Any] = {}

    def xcom_pull(self, *, task_ids: list[str], key: str, map_indexes: int) -> list[Any]:
        assert key == step_records.KEY and task_ids == ["round_1.deploy", "round_1.parse"]
        return [step_result_to_dict(self.deploy_record) if self.deploy_record else None, None]

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def run_load(
    monkeypatch: pytest.MonkeyPatch,
    conf: dict[str, Any],
    item: LoadItem,
    ti: FakeTI,
    urls: tuple[str | None, str | None] = (None, None),
) -> tuple[GatlingLoadOperator, list[str]]:
    """The operator's execute, up to the jar: what BashOperator would run, recorded instead."""
    ran: list[str] = []
    monkeypatch.setattr(BashOperator, "execute", lambda self, context: ran.append(self.bash_command))
    # The recorded instants lie ahead: a foreign jar's task would sleep until then.
    monkeypatch.setattr(
        load, "wait_for_foreign_jar", lambda command: WAITED.append(command.start_at_epoch_ms)
    )
    monkeypatch.setattr(runtime_host, "runtime_url_of", lambda conn_id: urls[0])
    monkeypatch.setattr(runtime_host, "runtime_tls_url_of", lambda conn_id: urls[1])
    operator = GatlingLoadOperator(task_id="load", item=load_item_to_dict(item), conf=conf)
    context: Any = {"dag": SimpleNamespace(dag_id=DAG_ID), "run_id": RUN_ID, "ti": ti}
    operator.execute(context)
    return operator, ran


def recorded_conf(case: dict[str, Any], results: Path) -> dict[str, Any]:
    overrides = json.loads(json.dumps(case["overrides"]).replace("{root}", str(PROJECT_ROOT)))
    raw = json.loads((INCLUDE_DIR / "examples" / case["example"]).read_text()) | overrides
    return conf_to_dict(
        load_conf(raw | {"perfsize_results_dir": str(results)}, base_dir=INCLUDE_DIR / "examples")
    )


def words(command: str, run_dir: str) -> list[str]:
    """A command's words with the run folder and the root as recorded; the class-data archive
    (there when setup built it) left out."""
    text = command.replace(run_dir, RECORDED["cases"][0]["run_dir"]).replace(str(PROJECT_ROOT), "{root}")
    return [w for w in shlex.split(text) if not w.startswith("-XX:SharedArchiveFile=")]


@pytest.mark.parametrize("case", RECORDED["cases"], ids=[c["name"] for c in RECORDED["cases"]])
def test_execute_builds_the_command_the_commands_task_built(
    case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "java_opts", lambda: RECORDED["java_opts"])
    conf = recorded_conf(case, tmp_path / "results")
    run_dir = tmp_path / "results" / f"{DAG_ID}__{RUN_ID}"
    plan = plan_item_from_dict(case["item"])
    items = load_items([plan], case["start_at_epoch_ms"])
    assert len(items) == len(case["commands"]) == plan.injectors
    for item, recorded in zip(items, case["commands"], strict=True):
        ti = FakeTI()
        WAITED.clear()
        operator, ran = run_load(monkeypatch, conf, item, ti, (case["runtime_url"], case["runtime_tls_url"]))
        assert ran == [operator.bash_command]  # the jar ran the command built in execute
        assert words(operator.bash_command, str(run_dir)) == words(recorded, str(run_dir))
        # Asked to wait for the shared instant, if any (whether it waits is the jar's kind's).
        assert [case["start_at_epoch_ms"]] == WAITED
        # The UI's link and the Rendered tab read the typed item, not the command line.
        assert ti.pushed[GatlingReportLink.key] == {"run": run_dir.name, "step": item.output_base_name}
        assert "bash_command" in operator.template_fields and operator.overwrite_rtif_after_execution


def test_a_refused_step_runs_no_jar_and_records_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = StepResult(
        STEP, 1, False, "quota: limit is 4", error="limit is 4", error_category=ErrorCategory.QUOTA
    )
    ti = FakeTI(deploy_record=refused)
    conf = {"perfsize_results_dir": str(tmp_path / "results")}
    item = LoadItem(PlanItem(1, "lane", STEP, endpoint_name="ep", folder="f"))
    with capture_logs() as logs:  # Airflow's task logging is structlog's
        operator, ran = run_load(monkeypatch, conf, item, ti)
    assert ran == []  # no jar
    assert not isinstance(operator.bash_command, str)  # no command was even built
    assert ti.pushed == {}  # no record, no link to a folder that will never exist
    assert not (tmp_path / "results").exists()
    said = [str(e["event"]) % tuple(e.get("positional_args", ())) for e in logs]
    assert "round 1: a quota refused this deployment: no load (limit is 4)" in said, said


def test_a_worker_makes_the_results_folder_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Another host (a Celery worker) may run the load: nothing made the folder there before.
    conf = recorded_conf(RECORDED["cases"][0], tmp_path / "results")
    item = LoadItem(PlanItem(1, "lane", STEP, endpoint_name="ep", folder="f"))
    operator, _ = run_load(monkeypatch, conf, item, FakeTI(), ("http://127.0.0.1:1", None))
    folder = tmp_path / "results" / f"{DAG_ID}__{RUN_ID}"
    assert folder.is_dir() and f"-rf {folder}" in operator.bash_command


def test_only_split_steps_share_an_instant_ahead_of_now() -> None:
    one = PlanItem(1, "a", STEP, folder="a", injectors=1, index=0)
    three = PlanItem(1, "b", STEP, folder="b", injectors=3, index=1)
    assert injector_start([one, one], now_s=100.0) is None
    assert injector_start([one, three], now_s=100.0) == 115_000
    items = load_items([one, three], 115_000)
    assert [(i.plan.lane, i.injector, i.start_at_epoch_ms) for i in items] == [
        ("a", 0, None),
        ("b", 0, 115_000),
        ("b", 1, 115_000),
        ("b", 2, 115_000),
    ]


def test_the_injectors_task_turns_the_batch_into_load_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "injector_start", lambda items: START_MS)
    batch = [plan_item_to_dict(PlanItem(1, "b", STEP, folder="b", injectors=2))]
    out = load.split_injectors.function(batch)
    assert [(i["injector"], i["start_at_epoch_ms"], i["plan"]["lane"]) for i in out] == [
        (0, START_MS, "b"),
        (1, START_MS, "b"),
    ]


def command(jar: Path, start_at_ms: int | None) -> GatlingStep:
    return GatlingStep(
        host="http://127.0.0.1:1",
        region="us-west-2",
        endpoint="ep",
        steady_state_tps=10,
        steady_state_minutes=1,
        requests=[ScenarioRequest("p.json", 100)],
        output_base_name="base-inj1of2",
        results_dir="/tmp/results",
        jar=jar,
        start_at_epoch_ms=start_at_ms,
        class_data_archive=None,
    )


def test_the_instant_is_a_system_property_only_when_set() -> None:
    from sagemaker_sizing.adapters.gatling_command import gatling_args

    assert f"{START_AT_PROPERTY}{START_MS}" in gatling_args(command(GATLING_JAR, START_MS))
    assert not any(a.startswith(START_AT_PROPERTY) for a in gatling_args(command(GATLING_JAR, None)))


def test_a_foreign_jar_is_started_at_the_instant_the_projects_jar_waits_itself() -> None:
    slept: list[float] = []
    now = lambda: START_MS / 1000 - 4.0  # noqa: E731
    assert (
        wait_for_foreign_jar(
            command(Path("/opt/user/sagemaker-gatling.jar"), START_MS), now=now, sleep=slept.append
        )
        == 4.0
    )
    assert slept == [4.0]
    assert wait_for_foreign_jar(command(GATLING_JAR, START_MS), now=now, sleep=slept.append) == 0.0
    assert wait_for_foreign_jar(command(Path("/opt/user/j.jar"), None), now=now, sleep=slept.append) == 0.0
    late = lambda: START_MS / 1000 + 1.0  # noqa: E731
    assert (
        wait_for_foreign_jar(command(Path("/opt/user/j.jar"), START_MS), now=late, sleep=slept.append) == 0.0
    )
    assert slept == [4.0]


def test_the_load_log_names_the_gatling_report_in_the_ui_not_a_worker_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 26: the log ended with Gatling's ``file:///…/index.html``, which a reader of the log in
    the UI cannot open; the line now gives the report's link in the UI (the worker's path after it)."""
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://127.0.0.1:8080")
    conf = recorded_conf(RECORDED["cases"][0], tmp_path / "results")
    item = load_items([plan_item_from_dict(RECORDED["cases"][0]["item"])], None)[0]
    operator, _ = run_load(monkeypatch, conf, item, FakeTI())
    gatling = "file:///work/results/x/1767323045-ml.m5.large-1-10TPS-20260102030405000/index.html"
    last = f"Reports generated, please open the following file: {gatling}"
    script = f"echo '---- Global Information ----'; echo '{last}'"
    with capture_logs() as logs:
        result = operator.subprocess_hook.run_command(["bash", "-c", script])
    lines = [
        entry["event"] % entry["positional_args"] if entry.get("positional_args") else entry["event"]
        for entry in logs
    ]
    report = f"http://127.0.0.1:8080/sagemaker-sizing/runs/{DAG_ID}__{RUN_ID}/steps/{item.output_base_name}"
    assert f"Gatling report: {report} (on the worker: {gatling})" in lines, lines
    assert "---- Global Information ----" in lines
    assert not any(line.startswith("Reports generated") for line in lines)
    assert result.exit_code == 0
