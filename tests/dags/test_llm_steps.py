"""The load and parse tasks of an LLM step (workload "llm"), without a DAG run: the load operator
builds AIPerf's command and step folder from its item; the parse operator reads real AIPerf
exports (tests/fixtures/aiperf) laid out as the load leaves them and records the step."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk.exceptions import AirflowFailException
from botocore.credentials import ReadOnlyCredentials
from sagemaker_sizing.adapters import aws_session
from sagemaker_sizing.adapters.aiperf_command import EXIT_CODE_FILE, PROMPTS_FILE
from sagemaker_sizing.airflow import runtime_host, step_records
from sagemaker_sizing.airflow.links import GatlingReportLink
from sagemaker_sizing.airflow.run_files import run_folder
from sagemaker_sizing.airflow.tasks import load
from sagemaker_sizing.airflow.tasks.load import GatlingLoadOperator
from sagemaker_sizing.airflow.tasks.parse import ParseStepOperator
from sagemaker_sizing.core.model import LoadItem, PlanItem, StepConfig
from sagemaker_sizing.core.serde import load_item_to_dict, plan_item_to_dict
from sagemaker_sizing.paths import AIPERF_BIN
from structlog.testing import capture_logs

from tests.fixtures.aiperf.confs import llm_conf, llm_conf_dict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aiperf"
DAG_ID, RUN_ID = "sagemaker_sizing", "manual__2026-12-07T10:00:00+00:00"
BASE = "1800000000-ml.g5.xlarge-1-5RPS"
STEP = StepConfig("probe", "ml.g5.xlarge", 1, 5.0, 0.05)  # 3 s at 5 requests/s, as the fixtures
PLAN = PlanItem(1, "ml-g5-xlarge", STEP, "sizing-llm-x-ml-g5-xlarge", BASE)
SECRET = "LLM-LOAD-TEST-SECRET-4a1f"


class RecordingTI:
    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value

    def xcom_pull(self, *, task_ids: list[str], key: str, map_indexes: int) -> list[Any]:
        return [None for _ in task_ids]


def context(ti: RecordingTI) -> Any:
    return {"dag": SimpleNamespace(dag_id=DAG_ID), "run_id": RUN_ID, "ti": ti}


def run_load(
    monkeypatch: pytest.MonkeyPatch, results: Path, **conf: Any
) -> tuple[GatlingLoadOperator, RecordingTI]:
    """The load operator's execute up to AIPerf (BashOperator's execute records instead)."""
    sizing_conf = llm_conf(**conf)
    conf_dict = llm_conf_dict(**conf) | {"perfsize_results_dir": str(results)}
    # Until the LLM fields are SizingConf's, the operator's conf_from_dict would drop them.
    monkeypatch.setattr(load, "conf_from_dict", lambda data: sizing_conf)
    monkeypatch.setattr(runtime_host, "runtime_url_of", lambda conn_id: "http://127.0.0.1:9999")
    monkeypatch.setattr(BashOperator, "execute", lambda self, ctx: None)
    operator = GatlingLoadOperator(task_id="load", item=load_item_to_dict(LoadItem(PLAN)), conf=conf_dict)
    ti = RecordingTI()
    operator.execute(context(ti))
    return operator, ti


def test_the_load_of_an_llm_step_runs_aiperf_into_its_step_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator, ti = run_load(monkeypatch, tmp_path)
    run_dir = run_folder(tmp_path, DAG_ID, RUN_ID)
    [step_dir] = run_dir.iterdir()
    assert re.fullmatch(rf"{re.escape(BASE)}-\d{{17}}", step_dir.name)
    words = shlex.split(operator.bash_command)
    assert words[3] == "timeout" and str(AIPERF_BIN) in words
    assert words[words.index("--artifact-dir") + 1] == str(step_dir)
    assert words[words.index("--url") + 1] == "http://127.0.0.1:9999"
    assert words[words.index("--sagemaker-endpoint-name") + 1] == PLAN.endpoint_name
    assert words[words.index("--request-rate") + 1] == "5"
    assert ti.pushed[GatlingReportLink.key] == {"run": run_dir.name, "step": BASE}
    assert operator._tmp_dir is None  # AIPerf's TMPDIR is gone after the run


def test_a_prompts_file_is_checked_and_written_for_aiperf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('{"text": "Summarize Hamlet.", "output_length": 32}\n')
    operator, _ = run_load(monkeypatch, tmp_path / "results", llm_prompts_file=str(prompts))
    [step_dir] = run_folder(tmp_path / "results", DAG_ID, RUN_ID).iterdir()
    assert (step_dir / PROMPTS_FILE).read_text() == '{"text": "Summarize Hamlet.", "output_length": 32}\n'
    assert f"--input-file {step_dir / PROMPTS_FILE}" in operator.bash_command


def test_a_bad_prompts_file_stops_the_load_naming_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('{"text": "ok"}\n{"text": "bad", "stream": true}\n')
    with pytest.raises(
        AirflowFailException, match=r'AIPerf was not started: .*line 2: unknown field\(s\) "stream"'
    ):
        run_load(monkeypatch, tmp_path / "results", llm_prompts_file=str(prompts))


def test_aiperf_gets_the_credentials_in_its_environment_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        aws_session, "credentials", lambda *a: ReadOnlyCredentials("AKIDLLM", SECRET, "TOKEN-LLM")
    )
    monkeypatch.setenv("AWS_PROFILE", "someone-elses")
    operator, ti = run_load(monkeypatch, tmp_path)
    operator._tmp_dir = str(tmp_path / "tmp")
    env = operator.get_env(context(ti))
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]) == (
        "AKIDLLM",
        SECRET,
        "TOKEN-LLM",
    )
    assert env["AWS_EC2_METADATA_DISABLED"] == "true" and env["HF_HUB_OFFLINE"] == "1"
    assert "AWS_PROFILE" not in env and env["TMPDIR"] == str(tmp_path / "tmp")
    assert SECRET not in operator.bash_command and SECRET not in json.dumps(ti.pushed)


# --- parse -----------------------------------------------------------------------------------------


def lay_out(results: Path, fixture: str | None, stamp: str = "20261207100000000") -> Path:
    """A run folder whose step folder holds ``fixture``'s files, as the load leaves them."""
    step_dir = run_folder(results, DAG_ID, RUN_ID) / f"{BASE}-{stamp}"
    if fixture is None:
        step_dir.mkdir(parents=True)
    else:
        shutil.copytree(FIXTURES / fixture, step_dir)
    return step_dir


def parse(results: Path, plan: PlanItem = PLAN, **conf: Any) -> tuple[dict[str, Any], list[str]]:
    """The step record parse pushed, and the task's error (empty when it did not fail)."""
    operator = ParseStepOperator(
        task_id="parse",
        item=plan_item_to_dict(plan),
        conf=llm_conf_dict(**conf) | {"perfsize_results_dir": str(results)},
    )
    ti = RecordingTI()
    failed: list[str] = []
    try:
        operator.execute(context(ti))
    except AirflowFailException as exc:
        failed.append(str(exc))
    assert list(ti.pushed) == [step_records.KEY]
    return ti.pushed[step_records.KEY], failed


def test_a_measured_llm_step_is_judged_on_its_slos(tmp_path: Path) -> None:
    step_dir = lay_out(tmp_path, "stream-ok")
    record, failed = parse(tmp_path, ttft_p99_ms=500, itl_p99_ms=50, latency_success_p99=2000)
    assert not failed and record["passed"] is True and record["error"] is None
    assert record["folder"] == step_dir.name
    metrics = record["metrics"]
    assert metrics["workload"] == "llm" and metrics["requests"] == metrics["count_total"] == 17
    assert metrics["ttft_ms"]["p99"] < 500 and metrics["latency_success_p99"] == metrics["e2e_ms"]["p99"]
    assert json.loads((step_dir / "step.json").read_text()) == record
    # The same export against a TTFT SLO it misses: a capacity FAIL naming the SLO and the value.
    record, failed = parse(tmp_path, ttft_p99_ms=20, itl_p99_ms=50, latency_success_p99=2000)
    assert not failed and record["passed"] is False and record["reason"].startswith("TTFT p99 ")
    assert ">= 20 ms" in record["reason"] and record["error"] is None


def test_a_stream_cut_mid_answer_fails_the_step_on_capacity(tmp_path: Path) -> None:
    lay_out(tmp_path, "stream-cut")
    record, failed = parse(tmp_path, percent_fail=1)
    assert not failed and record["passed"] is False and record["error_category"] is None
    assert record["metrics"]["ko"] == 5 and record["metrics"]["errors"] == [["ModelStreamError", 5]]
    assert "29.41% fail >= 1%" in record["reason"]
    assert (
        record["failures"][0]["kind"] == "capacity" and "ModelStreamError" in record["failures"][0]["message"]
    )


@pytest.mark.parametrize(
    ("fixture", "category", "words"),
    [
        ("http-403", "setup", "HTTP 403"),
        ("refused", "setup", "ConnectionRefused"),
        ("refused-mid-run", "infrastructure", "stopped answering mid-load"),
        ("no-credentials", "setup", "AIPerf failed to start (exit 1)"),
    ],
)
def test_steps_that_measured_nothing_are_error_steps(
    tmp_path: Path, fixture: str, category: str, words: str
) -> None:
    step_dir = lay_out(tmp_path, fixture)
    record, failed = parse(tmp_path)
    assert record["error_category"] == category and words in record["error"]
    assert failed and words in failed[0]
    assert json.loads((step_dir / "step.json").read_text())["error_category"] == category


def test_a_missing_aiperf_is_a_setup_error_naming_it_and_the_set_up(tmp_path: Path) -> None:
    step_dir = lay_out(tmp_path, None)
    (step_dir / EXIT_CODE_FILE).write_text("127\n")
    record, failed = parse(tmp_path)
    assert record["error_category"] == "setup"
    assert f"AIPerf is missing: {AIPERF_BIN} could not be run (exit 127)" in record["error"]
    assert "make setup" in record["error"] and failed


def test_no_step_folder_at_all_says_aiperf_did_not_run(tmp_path: Path) -> None:
    run_folder(tmp_path, DAG_ID, RUN_ID).mkdir(parents=True)
    record, failed = parse(tmp_path)
    assert record["error_category"] == "setup" and "AIPerf did not run" in record["error"]
    assert record["folder"] is None and failed


def test_the_newest_step_folder_is_the_one_parsed(tmp_path: Path) -> None:
    lay_out(tmp_path, "http-403", stamp="20261207100000000")
    newest = lay_out(tmp_path, "stream-ok", stamp="20261207100500000")
    record, failed = parse(tmp_path)
    assert not failed and record["folder"] == newest.name and record["passed"] is True


def test_a_step_counts_at_the_rate_it_offered(tmp_path: Path) -> None:
    lay_out(tmp_path, "stream-ok")  # 17 requests in 3 s, started at 5.96/s, within the SLOs
    # A search step planned at 8/s: 24 expected, 17 within Poisson chance of it (no load-generator
    # error); it passed at 5.96/s, so it counts there (the walk credits it), and says so.
    plan = PlanItem(
        1, "ml-g5-xlarge", StepConfig("probe", "ml.g5.xlarge", 1, 8.0, 0.05), PLAN.endpoint_name, BASE
    )
    with capture_logs() as logs:
        record, failed = parse(tmp_path, plan)
    assert not failed and record["error"] is None and record["passed"] is True
    assert record["reason"].endswith("; counts at 5.96 req/s, the rate offered")
    [warning] = [rate_warning(e) for e in logs if "the rate it offered" in str(e["event"])]
    assert "counts at 5.96 req/s" in warning
    # The endurance step at the peak (8/s on two instances) met its SLOs at 5.96/s: no pass at 8.
    peak = PlanItem(
        1, "ml-g5-xlarge", StepConfig("max", "ml.g5.xlarge", 2, 8.0, 0.05), PLAN.endpoint_name, BASE
    )
    record, failed = parse(tmp_path, peak)
    assert not failed and record["error"] is None and record["passed"] is False
    assert record["reason"].startswith(
        "not a pass at 8 req/s: requests were offered at 5.96 req/s (-25%, 17 requests); SLOs met there (TTFT"
    )
    close = PlanItem(
        1, "ml-g5-xlarge", StepConfig("max", "ml.g5.xlarge", 2, 6.0, 0.05), PLAN.endpoint_name, BASE
    )
    with capture_logs() as logs:
        record, _ = parse(tmp_path, close)  # started at 5.96/s: within 5% of 6/s, a pass at 6
    assert record["passed"] is True and "offered" not in record["reason"]
    assert [e for e in logs if "offered" in str(e["event"])] == []


def rate_warning(entry: dict[str, Any]) -> str:
    assert entry["log_level"] == "warning"
    args = entry.get("positional_args")  # formatted already when the logger did it
    return str(entry["event"]) % tuple(args) if args else str(entry["event"])
