"""A step's typed record: one ``StepResult`` in one XCom key, written once by the task that decides
it (deploy for a refused or failed deployment, parse for the others), read through one helper
(``airflow/step_records.py``) by the step's load and parse, the next plan and the report."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk.exceptions import AirflowFailException
from botocore.exceptions import ClientError
from sagemaker_sizing.airflow import step_records
from sagemaker_sizing.airflow.tasks import report
from sagemaker_sizing.airflow.tasks.deploy import DeployStepOperator
from sagemaker_sizing.airflow.tasks.load import GatlingLoadOperator
from sagemaker_sizing.airflow.tasks.parse import ParseStepOperator
from sagemaker_sizing.core.conf.model import conf_to_dict, load_conf
from sagemaker_sizing.core.model import LoadItem, PlanItem, StepConfig, StepResult
from sagemaker_sizing.core.serde import (
    load_item_to_dict,
    plan_item_to_dict,
    step_result_from_dict,
)
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory
from sagemaker_sizing.paths import INCLUDE_DIR

DAG_ID, RUN_ID = "sagemaker_sizing", "manual__records"
QUOTA = "The account-level service limit 'ml.m5.large for endpoint usage' is 4 Instances"
LARGE = StepConfig("type", "ml.m5.large", 6, 10.0, 1.0)
XLARGE = StepConfig("type", "ml.m5.xlarge", 1, 10.0, 1.0)
_ALL = object()


class Run:
    """A run's XComs, as Airflow's task instances push and pull them (by task id, map index, key)."""

    def __init__(self) -> None:
        self.xcoms: dict[tuple[str, int, str], Any] = {}

    def ti(self, task_id: str, map_index: int = -1) -> Any:
        return SimpleNamespace(
            xcom_push=lambda key, value: self.xcoms.__setitem__((task_id, map_index, key), value),
            xcom_pull=lambda task_ids, key="return_value", map_indexes=_ALL: self.pull(
                task_ids, key, map_indexes
            ),
        )

    def pull(self, task_ids: str | list[str], key: str, map_indexes: Any) -> Any:
        ids = [task_ids] if isinstance(task_ids, str) else list(task_ids)
        if map_indexes is _ALL:  # every map index of each task, None for a task with none
            found: list[Any] = []
            for task_id in ids:
                values = [v for (t, _, k), v in sorted(self.xcoms.items()) if t == task_id and k == key]
                found += values or [None]
            return found[0] if isinstance(task_ids, str) and len(found) == 1 else found
        return [self.xcoms.get((t, map_indexes, key)) for t in ids]

    def context(self, task_id: str, map_index: int = -1) -> Any:
        return {"dag": SimpleNamespace(dag_id=DAG_ID), "run_id": RUN_ID, "ti": self.ti(task_id, map_index)}

    def records(self, task_id: str) -> list[Any]:
        return [v for (t, _, k), v in self.xcoms.items() if t == task_id and k == step_records.KEY]


def item(step: StepConfig, index: int = 0, round_no: int = 1) -> PlanItem:
    return PlanItem(
        round_no, f"lane-{index}", step, endpoint_name=f"ep-{index}", folder=f"f{index}", index=index
    )


def deploy_refused_by(run: Run, planned: PlanItem, code: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Deploy of ``planned`` whose CreateEndpoint the control plane refuses with ``code``."""
    error = ClientError({"Error": {"Code": code, "Message": QUOTA}}, "CreateEndpoint")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(DeployStepOperator, "_manager", lambda self: SimpleNamespace(start_deploy=refuse))
    operator = DeployStepOperator(
        task_id="deploy",
        item=plan_item_to_dict(planned),
        conf={"region": "us-west-2", "model_name": "m", "variant_name": "v", "endpoint_name": "ep"},
    )
    return operator.execute(run.context(f"round_{planned.round}.deploy", planned.index))


def parse(run: Run, planned: PlanItem, results: Path) -> None:
    conf = {"perfsize_results_dir": str(results), "latency_success_p99": 500, "percent_fail": 1}
    operator = ParseStepOperator(task_id="parse", item=plan_item_to_dict(planned), conf=conf)
    operator.execute(run.context(f"round_{planned.round}.parse", planned.index))


def test_a_refused_step_is_one_record_its_load_and_parse_leave_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, planned = Run(), item(LARGE)
    deployed = deploy_refused_by(run, planned, "ResourceLimitExceeded", monkeypatch)
    assert deployed == {"endpoint_name": "ep-0", "action": "refused", "quota": QUOTA}
    (record,) = run.records("round_1.deploy")
    assert step_result_from_dict(record) == StepResult(
        LARGE, 1, False, f"quota: {QUOTA}", error=QUOTA, error_category=ErrorCategory.QUOTA
    )
    # The load sends nothing (there is no endpoint), and parse adds no second record.
    ran: list[Any] = []
    monkeypatch.setattr(BashOperator, "execute", lambda self, context: ran.append(self.bash_command))
    load = GatlingLoadOperator(task_id="load", item=load_item_to_dict(LoadItem(planned)), conf={})
    assert load.execute(run.context("round_1.load", 0)) is None and ran == []
    parse(run, planned, tmp_path)
    assert run.records("round_1.parse") == [] and list(tmp_path.iterdir()) == []  # no step.json either
    assert step_records.all_for_run(run.ti("report"), 1) == [step_result_from_dict(record)]


def test_a_failed_deploy_is_one_record_and_its_parse_fails_without_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, planned = Run(), item(LARGE)
    with pytest.raises(AirflowFailException, match="ValidationException"):  # a refused request: no retry
        deploy_refused_by(run, planned, "ValidationException", monkeypatch)
    (record,) = run.records("round_1.deploy")
    assert step_result_from_dict(record).error_category is ErrorCategory.SETUP
    with pytest.raises(AirflowFailException, match=r"round 1: ml.m5.large x6 .*: setup error: deploy failed"):
        parse(run, planned, tmp_path)
    assert run.records("round_1.parse") == []
    assert step_records.all_for_run(run.ti("report"), 1) == [step_result_from_dict(record)]


def test_every_step_is_read_once_in_round_then_batch_order() -> None:
    run = Run()
    measured = StepResult(LARGE, 1, True, "p99 80 ms <= 500 ms", {"count_total": 600})
    refused = StepResult(XLARGE, 1, False, "quota: q", error="q", error_category=ErrorCategory.QUOTA)
    later = StepResult(XLARGE, 2, False, "p99 900 ms > 500 ms", {"count_total": 600})
    # Round 1: the second item was refused by deploy (written first), the first was parsed.
    run.ti("round_1.plan").xcom_push(
        "return_value", [plan_item_to_dict(item(LARGE, 0)), plan_item_to_dict(item(XLARGE, 1))]
    )
    step_records.push(run.context("round_1.deploy", 1), refused)
    step_records.push(run.context("round_1.parse", 0), measured)
    run.ti("round_2.plan").xcom_push("return_value", [plan_item_to_dict(item(XLARGE, 0, 2))])
    step_records.push(run.context("round_2.parse", 0), later)
    run.ti("round_3.plan").xcom_push("return_value", [])  # the walk was complete
    reader = run.ti("report")
    assert step_records.all_for_run(reader, 3) == [measured, refused, later]
    assert step_records.all_for_run(reader, 1) == [measured, refused]  # what round 2's plan read
    assert step_records.for_item(run.context("round_1.load", 0), item(XLARGE, 1)) == refused
    assert step_records.for_item(run.context("round_1.load", 0), item(LARGE, 0)) == measured
    assert step_records.for_item({"ti": None}, item(LARGE, 0)) is None  # outside a task run


def test_the_report_has_one_row_per_recorded_step(tmp_path: Path) -> None:
    raw = json.loads((INCLUDE_DIR / "examples" / "demo.conf.json").read_text())
    conf = conf_to_dict(
        load_conf(raw | {"perfsize_results_dir": str(tmp_path)}, base_dir=INCLUDE_DIR / "examples")
    )
    run = Run()
    run.ti("preflight").xcom_push("return_value", conf)
    run.ti("round_1.plan").xcom_push(
        "return_value", [plan_item_to_dict(item(LARGE, 0)), plan_item_to_dict(item(XLARGE, 1))]
    )
    measured = StepResult(
        LARGE, 1, True, "p99 80 ms <= 500 ms", {"count_total": 600, "latency_success_p99": 80.0}
    )
    refused = StepResult(XLARGE, 1, False, "quota: q", error="q", error_category=ErrorCategory.QUOTA)
    step_records.push(run.context("round_1.parse", 0), measured)
    step_records.push(run.context("round_1.deploy", 1), refused)
    reported = report.render_run_report(run.context("report"), 2)
    assert reported is not None
    written = json.loads(Path(reported["recommendation"]).read_text())
    rows = [(s["instance_type"], s["instance_count"], s["outcome"]) for s in written["steps"]]
    assert rows == [("ml.m5.large", 6, "pass"), ("ml.m5.xlarge", 1, "error")]
    assert [s.get("error_category") for s in written["steps"]] == [None, "quota"]


def test_the_ids_the_helper_pulls_are_the_dags() -> None:
    from sagemaker_sizing.airflow.task_ids import PLAN, in_round

    from tests.e2e.harness import fresh_dag

    dag = fresh_dag()
    for round_no in (1, 2):
        for task in (*step_records.WRITERS, PLAN):
            assert in_round(round_no, task) in dag.task_dict
