"""An LLM step's load and parse, live: the load operator runs the real AIPerf (its own venv) by its
real BashOperator against the fake runtime (tests/fixtures/aiperf/fake_runtime.py), then the parse
operator reads what it left. No DAG run: the operators get a crafted context (as in
tests/faults/test_parse_faults.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowException
from botocore.credentials import ReadOnlyCredentials
from sagemaker_sizing.adapters import aws_session
from sagemaker_sizing.adapters.aiperf_command import AIPerfStep
from sagemaker_sizing.airflow import llm_load, runtime_host, step_records
from sagemaker_sizing.airflow.run_files import run_folder
from sagemaker_sizing.airflow.tasks import load
from sagemaker_sizing.airflow.tasks.load import GatlingLoadOperator
from sagemaker_sizing.airflow.tasks.parse import ParseStepOperator
from sagemaker_sizing.core.model import LoadItem, PlanItem, StepConfig
from sagemaker_sizing.core.serde import load_item_to_dict, plan_item_to_dict

from tests.fixtures.aiperf.confs import llm_conf, llm_conf_dict

DAG_ID, RUN_ID = "sagemaker_sizing", "manual__2026-12-07T11:00:00+00:00"
KEY_ID = "AKIDLLMLIVE"


class RecordingTI:
    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value

    def xcom_pull(self, *, task_ids: list[str], key: str, map_indexes: int) -> list[Any]:
        return [None for _ in task_ids]


@dataclass
class LiveStep:
    load_failed: str | None  # the load task's failure, if it failed
    record: dict[str, Any]  # the step record parse pushed
    parse_failed: str | None
    run_dir: Path
    load_ti: RecordingTI
    bash_command: str


def run_llm_step(
    monkeypatch: pytest.MonkeyPatch,
    results: Path,
    runtime_url: str,
    endpoint: str,
    *,
    secret: str = "llm-live-secret",
    token: str | None = None,
    rate: float = 5.0,
    seconds: float = 3.0,
    change: Callable[[AIPerfStep], AIPerfStep] | None = None,
    **conf: Any,
) -> LiveStep:
    """One LLM step: ``endpoint`` is the fake runtime's behaviour; ``change`` alters the command."""
    step = StepConfig("probe", "ml.g5.xlarge", 1, rate, seconds / 60)
    plan = PlanItem(1, "ml-g5-xlarge", step, endpoint, f"1800000000-ml.g5.xlarge-1-{rate:g}RPS")
    conf = {"latency_success_p99": 2000, "ttft_p99_ms": 500, "itl_p99_ms": 50} | conf
    conf_dict = llm_conf_dict(**conf) | {"perfsize_results_dir": str(results)}
    sizing_conf = llm_conf(**conf)
    monkeypatch.setattr(load, "conf_from_dict", lambda data: sizing_conf)
    monkeypatch.setattr(runtime_host, "runtime_url_of", lambda conn_id: runtime_url)
    monkeypatch.setattr(aws_session, "credentials", lambda *a: ReadOnlyCredentials(KEY_ID, secret, token))
    if change is not None:
        prepare = llm_load.prepare
        monkeypatch.setattr(llm_load, "prepare", lambda *a: change(prepare(*a)))
    context: Any = {"dag": SimpleNamespace(dag_id=DAG_ID), "run_id": RUN_ID}
    operator = GatlingLoadOperator(task_id="load", item=load_item_to_dict(LoadItem(plan)), conf=conf_dict)
    load_ti = RecordingTI()
    load_failed = None
    try:
        operator.execute(context | {"ti": load_ti})
    except AirflowException as exc:  # AIPerf's non-zero exit fails the load task
        load_failed = str(exc)
    parse_ti = RecordingTI()
    parse_failed = None
    try:
        ParseStepOperator(task_id="parse", item=plan_item_to_dict(plan), conf=conf_dict).execute(
            context | {"ti": parse_ti}
        )
    except AirflowException as exc:
        parse_failed = str(exc)
    return LiveStep(
        load_failed,
        parse_ti.pushed[step_records.KEY],
        parse_failed,
        run_folder(results, DAG_ID, RUN_ID),
        load_ti,
        operator.bash_command,
    )


def missing_aiperf(tmp: Path) -> Callable[[AIPerfStep], AIPerfStep]:
    return lambda step: dataclasses.replace(step, aiperf=tmp / "no-venv" / "bin" / "aiperf")


def missing_tokenizer(tmp: Path) -> Callable[[AIPerfStep], AIPerfStep]:
    return lambda step: dataclasses.replace(step, tokenizer=tmp / "no-tokenizer")
