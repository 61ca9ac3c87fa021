"""AIPerf's real exports (tests/fixtures/aiperf) read into LlmMetrics: the same figures as AIPerf's
own summary where it wrote one, warm-up left out, stream cuts and lost requests counted failed."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from sagemaker_sizing.core.llm.exports import (
    LOST_AT_GRACE,
    SUMMARY_FILE,
    AIPerfExportError,
    cancelled_requests,
    error_kind,
    parse_records,
    read_export,
    sent_requests,
)
from sagemaker_sizing.core.llm.metrics import LlmMetrics, Percentiles, step_metrics

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aiperf"
WITH_SUMMARY = ["stream-ok", "completions-ok", "stream-cut", "refused-mid-run", "grace-loss"]


def fixture(name: str) -> Path:
    return FIXTURES / name


@pytest.mark.parametrize("name", WITH_SUMMARY)
def test_metrics_agree_with_aiperfs_own_summary(name: str) -> None:
    summary = json.loads((fixture(name) / SUMMARY_FILE).read_text())
    export = read_export(fixture(name))
    m = export.metrics
    assert m.ok == summary["request_count"]["avg"]
    errors = summary.get("error_request_count", {}).get("avg", 0)
    assert m.ko == errors + export.lost  # AIPerf does not count requests lost at the grace period
    for mine, theirs in (
        (m.ttft_ms, summary["time_to_first_token"]),
        (m.itl_ms, summary["inter_token_latency"]),
        (m.e2e_ms, summary["request_latency"]),
    ):
        for key, summary_key in (
            ("p50", "p50"),
            ("p90", "p90"),
            ("p99", "p99"),
            ("mean", "avg"),
            ("max", "max"),
        ):
            assert math.isclose(getattr(mine, key), theirs[summary_key], rel_tol=1e-9), (name, key)
    assert m.output_tokens_mean == pytest.approx(summary["output_sequence_length"]["avg"])
    assert m.good_requests == summary["good_request_count"]["avg"]


def test_a_normal_run_leaves_its_warm_up_out_and_offers_its_rate() -> None:
    export = read_export(fixture("stream-ok"))
    m = export.metrics
    assert export.warmup_records == 9 and export.records == 17 == export.sent
    assert (m.requests, m.ok, m.ko, m.percent_fail, m.errors) == (17, 17, 0, 0.0, ())
    # 5 requests/s asked; Poisson over 3 s: the start-time rate is near it.
    assert 3 < m.offered_rate < 8
    assert m.duration_s == pytest.approx(16 / m.offered_rate)
    # The fake's TTFT is 30 ms and a token every 5 ms: what AIPerf measured of it.
    assert 28 < m.ttft_ms.p50 < 60 and 4 < m.itl_ms.p50 < 8
    assert m.output_tokens_per_s == pytest.approx(17 * 16 / m.duration_s)
    assert m.concurrency_mean == pytest.approx(m.offered_rate * m.e2e_ms.mean / 1000)
    assert m.goodput_rps == pytest.approx(17 / m.duration_s)
    assert export.start_latency_p99_ms is not None and export.start_latency_p99_ms < 100


def test_a_stream_cut_mid_answer_is_a_failed_request_never_a_success() -> None:
    export = read_export(fixture("stream-cut"))
    m = export.metrics
    assert (m.requests, m.ok, m.ko) == (17, 12, 5)
    assert m.errors == (("ModelStreamError", 5),)
    assert m.percent_fail == pytest.approx(100 * 5 / 17)
    [failure] = export.failures
    assert "CUDA out of memory" in failure.message and failure.count == 5


def test_all_requests_failing_leaves_only_the_jsonl_and_is_still_read() -> None:
    assert not (fixture("all-stream-cut") / SUMMARY_FILE).exists()
    export = read_export(fixture("all-stream-cut"))
    m = export.metrics
    assert (m.requests, m.ok, m.ko, m.percent_fail) == (17, 0, 17, 100.0)
    assert m.ttft_ms == m.itl_ms == m.e2e_ms == Percentiles()
    assert m.output_tokens_per_s == 0.0 and m.output_tokens_mean is None
    assert export.first_ok_start_ns is None and export.summary is None


@pytest.mark.parametrize(
    ("name", "kind", "words"),
    [
        ("http-403", "HTTP 403", "The security token included in the request is invalid."),
        ("refused", "ConnectionRefused", "Connect call failed"),
    ],
)
def test_errors_by_kind(name: str, kind: str, words: str) -> None:
    export = read_export(fixture(name))
    assert export.metrics.errors == ((kind, 17),)
    assert words in export.failures[0].message


def test_requests_lost_at_the_grace_period_count_as_failed() -> None:
    export = read_export(fixture("grace-loss"))
    log = (fixture("grace-loss") / "logs" / "aiperf.log").read_text()
    assert sent_requests(log) == 7 and cancelled_requests(log) == 2
    assert (export.records, export.sent, export.lost) == (5, 7, 2)
    m = export.metrics
    assert (m.requests, m.ok, m.ko) == (7, 5, 2)
    assert dict(m.errors) == {LOST_AT_GRACE: 2}


def test_refusals_after_a_success_start_after_it() -> None:
    export = read_export(fixture("refused-mid-run"))
    [refused] = [f for f in export.failures if f.kind == "ConnectionRefused"]
    assert export.first_ok_start_ns is not None and refused.first_start_ns is not None
    assert refused.first_start_ns > export.first_ok_start_ns


def test_a_folder_without_records_or_a_sent_count_is_no_export(tmp_path: Path) -> None:
    with pytest.raises(AIPerfExportError, match=r"no profile_export\.jsonl"):
        read_export(fixture("no-credentials"))
    with pytest.raises(AIPerfExportError):
        read_export(tmp_path)


def record(phase: str = "profiling", start: int = 0, **extra: object) -> str:
    meta = {"benchmark_phase": phase, "credit_issued_ns": start, "request_start_ns": start + 1_000_000}
    return json.dumps(
        {"metadata": meta, "metrics": {"request_latency": {"value": 10.0, "unit": "ms"}}} | extra
    )


def test_a_half_written_last_line_is_skipped_and_sent_counts_take_commas() -> None:
    lines = [record(start=i * 10**9) for i in range(3)] + ['{"metadata": {"benchmark_ph']
    export = parse_records(
        lines, sent=sent_requests("Phase profiling (profiling) sending complete | sent=1,204, x")
    )
    assert export.records == 3 and export.sent == 1204 and export.lost == 1201
    assert export.start_latency_p99_ms == pytest.approx(1.0)
    assert export.metrics.offered_rate == pytest.approx(1.0)


def test_a_cancelled_record_is_a_failure() -> None:
    lines = [record(), record(start=10**9, metadata={"benchmark_phase": "profiling", "was_cancelled": True})]
    export = parse_records(lines)
    assert export.metrics.errors == (("Cancelled", 1),)


def test_error_kinds() -> None:
    assert error_kind({"code": 503, "type": "Service Unavailable", "message": "busy"})[0] == "HTTP 503"
    reset = {
        "type": "ClientOSError",
        "message": "x",
        "cause_chain": ["ClientOSError", "ConnectionResetError"],
    }
    assert error_kind(reset)[0] == "ConnectionReset"
    kind, message = error_kind({"type": "TimeoutError", "message": "TimeoutError() at 0x7f00ab12"})
    assert (kind, message) == ("TimeoutError", "TimeoutError()")


def test_llm_metrics_round_trip_through_json_and_carry_the_shared_keys() -> None:
    m = read_export(fixture("stream-cut")).metrics
    data = json.loads(json.dumps(step_metrics(m)))
    assert LlmMetrics.from_dict(data) == m
    # What the report, the demo and the requirement check read of every step.
    assert data["count_total"] == 17 and data["count_success"] == 12 and data["count_fail"] == 5
    assert data["percent_fail"] == m.percent_fail
    assert data["latency_success_p99"] == m.e2e_ms.p99 and data["latency_success_p50"] == m.e2e_ms.p50
    assert data["achieved_tps"] == m.offered_rate and data["workload"] == "llm"
