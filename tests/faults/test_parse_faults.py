"""The parse task on bad Gatling output, and on a retried load's results (no DAG run needed).

The operator runs with a crafted context over a results folder laid out as the load leaves it.
A log that cannot be read fails the task at once (no retry: it will not change) with the file
named; a truncated last line (a load killed mid-write) is skipped with a warning; a retried load's
newer folder is the one parsed.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException
from sagemaker_sizing.airflow import step_records
from sagemaker_sizing.airflow.run_files import run_folder
from sagemaker_sizing.airflow.tasks.parse import ParseStepOperator
from sagemaker_sizing.core.model import StepConfig
from sagemaker_sizing.core.serde import step_config_to_dict
from structlog.testing import capture_logs

from tests.conftest import FIXTURES

SAMPLE = FIXTURES / "gatling-3.2" / "1628678200-ml.m5.large-1-10TPS-20210811103642572.simulation.log"
BASE = "1628678200-ml.m5.large-1-10TPS"
RUN_ID = "manual__2026-01-01T00:00:00+00:00"
FIRST_TRY = f"{BASE}-20260101000000000"
RETRY = f"{BASE}-20260101000500000"


class RecordingTI:
    """The task instance's XCom push, recorded; no step record of deploy to pull."""

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value

    def xcom_pull(self, *, task_ids: list[str], key: str, map_indexes: int) -> list[Any]:
        return [None for _ in task_ids]


def parse(results: Path, ti: RecordingTI | None = None) -> dict[str, Any]:
    """The step record parse pushed (its one XCom)."""
    step = StepConfig("type", "ml.m5.large", 1, 10, 3)
    item = {
        "round": 1,
        "index": 0,
        "lane": "ml-m5-large",
        "step": step_config_to_dict(step),
        "folder": BASE,
        "injectors": 1,
    }
    conf = {"perfsize_results_dir": str(results), "latency_success_p99": 500, "percent_fail": 1}
    operator = ParseStepOperator(task_id="parse", item=item, conf=conf)
    ti = ti or RecordingTI()
    context: Any = {"dag": SimpleNamespace(dag_id="sagemaker_sizing"), "run_id": RUN_ID, "ti": ti}
    operator.execute(context)
    assert list(ti.pushed) == [step_records.KEY]
    result: dict[str, Any] = ti.pushed[step_records.KEY]
    return result


def write_log(results: Path, folder: str, content: bytes) -> Path:
    path = run_folder(results, "sagemaker_sizing", RUN_ID) / folder / "simulation.log"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    return path


def test_a_good_log_is_measured(tmp_path: Path) -> None:
    write_log(tmp_path, FIRST_TRY, SAMPLE.read_bytes())
    summary = parse(tmp_path)
    assert summary["passed"] is True
    assert summary["folder"] == FIRST_TRY


def test_a_missing_log_fails_at_once_saying_the_load_did_not_finish(tmp_path: Path) -> None:
    (run_folder(tmp_path, "sagemaker_sizing", RUN_ID) / FIRST_TRY).mkdir(
        parents=True
    )  # killed before writing
    with pytest.raises(
        AirflowFailException, match=r"setup error: the load did not run: found 0 of 1 simulation\.log"
    ):
        parse(tmp_path)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary\xff\xfe" * 50, "simulation.log"),
        (b"this is not a gatling log\nat all\n", "simulation.log"),
    ],
    ids=["empty", "binary", "garbage"],
)
def test_an_unreadable_log_fails_at_once_naming_the_file(tmp_path: Path, content: bytes, words: str) -> None:
    path = write_log(tmp_path, FIRST_TRY, content)
    with pytest.raises(AirflowFailException) as info:
        parse(tmp_path)
    assert str(path) in str(info.value) and words in str(info.value)
    assert "round 1: ml.m5.large x1 at 10 TPS" in str(info.value)


def test_a_truncated_log_is_measured_up_to_the_cut(tmp_path: Path) -> None:
    data = SAMPLE.read_bytes()
    path = write_log(tmp_path, FIRST_TRY, data[: len(data) // 2 + 7])  # cut inside a line
    with capture_logs() as logs:  # Airflow's task logging is structlog's
        summary = parse(tmp_path)
    full = parse_count(tmp_path / "full", data)
    assert 0 < summary["metrics"]["count_total"] < full
    # The task log says so, naming the file and the line after the last whole one.
    lines = data[: len(data) // 2 + 7].count(b"\n")
    texts = [(e["log_level"], render(e)) for e in logs]
    (warning,) = [(level, text) for level, text in texts if "truncated last line ignored" in text]
    assert warning[0] == "warning"
    text = warning[1]
    assert text.startswith(f"round 1: {path}:{lines + 1}: truncated last line ignored"), text


def render(entry: dict[str, Any]) -> str:
    """A captured log entry's message, its %-placeholders filled as the log would show it."""
    args = entry.get("positional_args")
    return str(entry["event"]) % tuple(args) if args else str(entry["event"])


def parse_count(results: Path, data: bytes) -> int:
    write_log(results, FIRST_TRY, data)
    return int(parse(results)["metrics"]["count_total"])


def test_a_retried_load_is_judged_on_its_own_newest_folder(tmp_path: Path) -> None:
    # The first try was killed mid-way (a truncated, garbage tail); the retry wrote a full log.
    write_log(tmp_path, FIRST_TRY, b"RUN\tbroken\n\x00\x00")
    write_log(tmp_path, RETRY, SAMPLE.read_bytes())
    summary = parse(tmp_path)
    assert summary["folder"] == RETRY and summary["passed"] is True
    assert (run_folder(tmp_path, "sagemaker_sizing", RUN_ID) / RETRY / "step.json").is_file()


def test_a_log_of_403s_is_an_error_step_recorded_before_the_task_fails(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # Every request refused by the endpoint's signature check (bad credentials): intuit's 3.2 layout.
    forbidden = "status.find.in(200,201,202,203,204,205,206,207,208,209,304), but actually found 403"
    head = SAMPLE.read_bytes().split(b"\n", 1)[0] + b"\n"  # the fixture's RUN record (Gatling 3.2.0)
    t0 = 1628678200000
    name = "SageMaker-LEARNING-model-simulator-1"
    lines = b"".join(
        f"REQUEST\t{i}\t\t{name}\t{t0 + 100 * i}\t{t0 + 100 * i + 3}\tKO\t{forbidden}\n".encode()
        for i in range(1, 301)
    )
    log = write_log(tmp_path, FIRST_TRY, head + lines)
    ti = RecordingTI()
    with pytest.raises(AirflowFailException) as info:  # fails for good: a retry meets the same 403s
        parse(tmp_path, ti)
    assert "setup error: the load did not reach the model" in str(info.value)
    summary = ti.pushed[step_records.KEY]  # the step's record, pushed before the task fails
    assert summary["error_category"] == "setup" and summary["passed"] is False
    assert summary["failures"] == [{"kind": "setup", "message": forbidden, "count": 300}]
    assert summary["metrics"]["count_total"] == 300
    assert json.loads((log.parent / "step.json").read_text()) == summary
    assert f"300 x setup: {forbidden}" in "".join(capfd.readouterr())  # top messages in the task log


def test_a_missing_log_is_recorded_beside_the_step_folder(tmp_path: Path) -> None:
    ti = RecordingTI()
    with pytest.raises(AirflowFailException):
        parse(tmp_path, ti)
    record = run_folder(tmp_path, "sagemaker_sizing", RUN_ID) / f"{BASE}.step.json"
    assert json.loads(record.read_text()) == ti.pushed[step_records.KEY]
    assert ti.pushed[step_records.KEY]["error_category"] == "setup"
