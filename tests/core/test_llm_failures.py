"""LLM steps' failures judged on real AIPerf exports: setup, infrastructure, load generator, or
capacity evidence (a stream cut mid-answer is a failed request)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sagemaker_sizing.core.llm.exports import AIPerfExport, read_export
from sagemaker_sizing.core.verdicts.llm_failures import (
    START_LATENCY_P99_MS,
    classify_kind,
    expected_requests,
    judge_llm_failures,
    load_generator_problems,
    no_export_verdict,
)
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory, FailureKind

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aiperf"
STEP = {"rate": 5.0, "duration_s": 3.0}


def judge(name: str, **step: float) -> tuple[AIPerfExport, object]:
    export = read_export(FIXTURES / name)
    return export, judge_llm_failures(export, **(STEP | step))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["stream-ok", "completions-ok"])
def test_a_clean_run_is_a_measurement(name: str) -> None:
    _, verdict = judge(name)
    assert verdict.category is None and verdict.failures == ()  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["stream-cut", "all-stream-cut", "grace-loss"])
def test_stream_cuts_and_lost_answers_are_capacity_evidence(name: str) -> None:
    step = {"rate": 4.0, "duration_s": 2.0} if name == "grace-loss" else {}
    export, verdict = judge(name, **step)
    assert verdict.category is None  # type: ignore[attr-defined]
    assert verdict.failures and all(f.kind is FailureKind.CAPACITY for f in verdict.failures)  # type: ignore[attr-defined]
    assert export.metrics.ko == sum(f.count for f in verdict.failures)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "words"), [("http-403", "HTTP 403"), ("refused", "ConnectionRefused")])
def test_setup_failures_make_an_error_step(name: str, words: str) -> None:
    _, verdict = judge(name)
    assert verdict.category is ErrorCategory.SETUP  # type: ignore[attr-defined]
    assert "the load did not reach the model: 17 of 17 requests" in verdict.error  # type: ignore[attr-defined]
    assert words in verdict.error  # type: ignore[attr-defined]


def test_refused_after_a_success_is_infrastructure() -> None:
    _, verdict = judge("refused-mid-run", rate=10.0, duration_s=4.0)
    assert verdict.category is ErrorCategory.INFRASTRUCTURE  # type: ignore[attr-defined]
    assert "stopped answering mid-load" in verdict.error  # type: ignore[attr-defined]


def test_a_few_setup_failures_among_many_requests_stay_a_measurement() -> None:
    export = read_export(FIXTURES / "stream-ok")
    metrics = dataclasses.replace(export.metrics, requests=1000, ok=999, ko=1, offered_rate=1000 / 3)
    lone = dataclasses.replace(read_export(FIXTURES / "http-403").failures[0], count=1)
    verdict = judge_llm_failures(
        dataclasses.replace(export, metrics=metrics, failures=(lone,)), rate=1000 / 3, duration_s=3
    )
    assert verdict.category is None and verdict.failures[0].kind is FailureKind.SETUP


def test_the_load_generator_is_blamed_when_it_could_not_offer_the_rate() -> None:
    export = read_export(FIXTURES / "stream-ok")  # 17 requests in 3 s
    assert load_generator_problems(export, rate=5, duration_s=3) == []
    # Asked for 50/s: 150 expected, 17 sent, far beyond chance.
    [count, rate] = load_generator_problems(export, rate=50, duration_s=3)
    assert "AIPerf sent 17 requests where the step's rate gives 150" in count
    assert "requests started at" in rate
    verdict = judge_llm_failures(export, rate=50, duration_s=3)
    assert verdict.category is ErrorCategory.LOAD_GENERATOR


def test_late_starts_and_a_stopped_aiperf_are_load_generator_problems() -> None:
    export = read_export(FIXTURES / "stream-ok")
    late = dataclasses.replace(export, start_latency_p99_ms=START_LATENCY_P99_MS + 1)
    [problem] = load_generator_problems(late, rate=5, duration_s=3)
    assert "started its requests late" in problem
    stopped = dataclasses.replace(export, summary={"was_cancelled": True})
    assert "stopped before the end" in load_generator_problems(stopped, rate=5, duration_s=3)[0]


def test_poisson_noise_is_not_a_shortfall_but_an_even_schedule_is_held_to_5_percent() -> None:
    export = read_export(FIXTURES / "stream-ok")
    # 17 where 20 were expected: within 3 sigma of a Poisson count, not for evenly spaced arrivals.
    assert load_generator_problems(export, rate=20 / 3, duration_s=3) == []
    assert load_generator_problems(export, rate=20 / 3, duration_s=3, arrival="constant")


def test_a_ramp_expects_its_average_rate() -> None:
    assert expected_requests(10, 60, ramp_s=30, ramp_start_rate=2) == pytest.approx(6 * 30 + 10 * 30)
    assert expected_requests(10, 60) == 600


def test_kinds() -> None:
    assert classify_kind("HTTP 404") is FailureKind.SETUP
    assert (
        classify_kind("HTTP 429")
        is classify_kind("HTTP 424")
        is classify_kind("HTTP 500")
        is FailureKind.CAPACITY
    )
    assert classify_kind("InvalidInferenceResultError") is FailureKind.SETUP  # the wrong API or container
    assert classify_kind("TimeoutError") is classify_kind("AwsEventStreamError") is FailureKind.CAPACITY
    assert classify_kind("ClientResponseError", "SignatureDoesNotMatch ...") is FailureKind.SETUP


def test_no_export_names_aiperf_and_why() -> None:
    missing = no_export_verdict(127, "/x/.aiperf/venv/bin/aiperf")
    assert missing.category is ErrorCategory.SETUP
    assert "AIPerf is missing: /x/.aiperf/venv/bin/aiperf" in str(missing.error) and "make setup" in str(
        missing.error
    )
    timed_out = no_export_verdict(124, "aiperf")
    assert timed_out.category is ErrorCategory.LOAD_GENERATOR and "time budget" in str(timed_out.error)
    log = (FIXTURES / "no-credentials" / "logs" / "aiperf.log").read_text().splitlines()
    failed = no_export_verdict(1, "aiperf", log)
    assert failed.category is ErrorCategory.SETUP
    assert "AIPerf failed to start (exit 1)" in str(failed.error)
    assert "No AWS credentials" in str(failed.error)
    assert "AIPerf did not run" in str(no_export_verdict(None, "aiperf").error)
