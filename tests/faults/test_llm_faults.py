"""LLM load faults, live (the real AIPerf against the fake event-stream runtime, through the load and
parse operators), each with the outcome the rules give it:

- a stream cut mid-answer (ModelStreamError): failed requests, a capacity FAIL, never a success;
- a 403: a setup error naming it;
- an unreachable runtime: a setup error;
- AIPerf missing (its venv absent) or failing to start: a setup error naming AIPerf.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.llm_live import KEY_ID, missing_aiperf, missing_tokenizer, run_llm_step
from tests.fixtures.aiperf.fake_runtime import FakeRuntime
from tests.fixtures.aiperf.scenarios import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def runtime() -> Iterator[FakeRuntime]:
    with FakeRuntime() as fake:
        yield fake


def test_a_stream_cut_mid_answer_is_a_failed_request_and_fails_the_step(
    runtime: FakeRuntime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No warm-up: every request the runtime sees is one of the step's.
    no_warm_up = lambda step: dataclasses.replace(step, warm_up_s=0)  # noqa: E731
    step = run_llm_step(monkeypatch, tmp_path, runtime.url, "flaky", percent_fail=1, change=no_warm_up)
    seen = runtime.stats()["requests"]["flaky"]
    record = step.record
    assert step.load_failed is None and step.parse_failed is None  # measured: AIPerf exited 0
    metrics = record["metrics"]
    assert record["passed"] is False and record["error_category"] is None
    # Every 3rd request the runtime answered was cut: each one is a failed request.
    assert metrics["errors"] == [["ModelStreamError", seen // 3]]
    assert metrics["ko"] == seen // 3 and metrics["ok"] == metrics["requests"] - seen // 3
    assert "fail" in record["reason"] and record["failures"][0]["kind"] == "capacity"
    assert runtime.stats()["key_ids"] == [KEY_ID]  # signed with the step's credentials


def test_a_403_is_a_setup_error_naming_it(
    runtime: FakeRuntime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = run_llm_step(monkeypatch, tmp_path, runtime.url, "forbidden")
    assert step.load_failed is not None  # every request failed: AIPerf exits 1
    assert step.record["error_category"] == "setup"
    assert "the load did not reach the model" in step.record["error"] and "HTTP 403" in step.record["error"]
    assert step.parse_failed is not None and "setup error" in step.parse_failed


def test_an_unreachable_runtime_is_a_setup_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    step = run_llm_step(monkeypatch, tmp_path, f"http://127.0.0.1:{free_port()}", "ok")
    assert step.record["error_category"] == "setup" and "ConnectionRefused" in step.record["error"]
    assert step.parse_failed is not None


def test_aiperf_missing_is_a_setup_error_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    step = run_llm_step(monkeypatch, tmp_path, "http://127.0.0.1:1", "ok", change=missing_aiperf(tmp_path))
    assert step.load_failed is not None and "127" in step.load_failed
    assert step.record["error_category"] == "setup"
    assert "AIPerf is missing: " in step.record["error"]
    # The command the load ran, as the shell said it could not run it.
    # (Quoted by coreutils in the locale's quotes.)
    assert "failed to run command" in step.record["error"]
    assert str(tmp_path / "no-venv" / "bin" / "aiperf") in step.record["error"]
    assert "make setup" in step.record["error"] and step.parse_failed is not None


def test_aiperf_failing_to_start_is_a_setup_error_naming_it(
    runtime: FakeRuntime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = run_llm_step(monkeypatch, tmp_path, runtime.url, "ok", change=missing_tokenizer(tmp_path))
    assert step.load_failed is not None and runtime.stats()["requests"] == {}
    assert step.record["error_category"] == "setup"
    assert "AIPerf failed to start (exit 1)" in step.record["error"]
    assert "no-tokenizer" in step.record["error"]  # AIPerf's own words say what it missed
