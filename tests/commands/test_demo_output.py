"""What the demo prints: one line per measured step, the table, and the outcome it exits by."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from sagemaker_sizing.commands import demo_output
from sagemaker_sizing.commands.demo import run_id_in_log

if TYPE_CHECKING:
    from pathlib import Path


def step(round_no: int, tps: float, passed: bool, **extra: object) -> dict[str, object]:
    return {
        "step": {"phase": "probe", "instance_type": "ml.m5.large", "instance_count": 1,
                 "steady_state_tps": tps, "ramp_minutes": 0, "scaling_max_instance_count": None},
        "round": round_no,
        "passed": passed,
        "metrics": {"latency_success_p99": 41.6, "percent_fail": 0.25},
        "error": None,
    } | extra  # fmt: skip


def test_a_step_line_names_round_phase_configuration_verdict_p99_and_errors() -> None:
    assert demo_output.step_line(step(2, 40, True)) == (
        "round 2  probe        ml.m5.large x1 at 40 TPS  PASS   p99 42 ms  errors 0.25%"
    )
    failed = demo_output.step_line(step(3, 80, False))
    assert failed.startswith("round 3  probe        ml.m5.large x1 at 80 TPS  FAIL ")
    error = step(1, 10, False, metrics={}, error="connection refused by the runtime")
    assert demo_output.step_line(error) == (
        "round 1  probe        ml.m5.large x1 at 10 TPS  ERROR  p99 -  errors -  "
        "(connection refused by the runtime)"
    )
    scaled = step(5, 60, True)
    scaled["step"] |= {"scaling_min_instance_count": 1, "scaling_max_instance_count": 2, "ramp_minutes": 1,
                       "ramp_start_tps": 10}  # fmt: skip
    assert "ml.m5.large autoscaling 1..2 at ramp 10->60 TPS" in demo_output.step_line(scaled)
    serverless = step(7, 60, True)
    serverless["step"] |= {"memory_size_mb": 2048, "max_concurrency": 20}
    assert "serverless 2048 MB, max concurrency 20 at 60 TPS" in demo_output.step_line(serverless)


def test_the_cold_start_step_names_its_phase_and_idle_not_a_repeat_of_the_last_step() -> None:
    endurance = step(5, 20, True)
    endurance["step"] |= {"phase": "serverless-concurrency", "memory_size_mb": 2048, "max_concurrency": 9}
    cold = step(6, 2, True)
    cold["step"] |= {"phase": "serverless-cold-start", "memory_size_mb": 2048, "max_concurrency": 9,
                     "idle_minutes": 0.3}  # fmt: skip
    assert demo_output.step_line(endurance).startswith(
        "round 5  concurrency  serverless 2048 MB, max concurrency 9 at 20 TPS  PASS"
    )
    assert demo_output.step_line(cold).startswith(
        "round 6  cold start   serverless 2048 MB, max concurrency 9 at 2 TPS after 0.3 min idle  PASS"
    )
    # A phase the demo has no words for prints as it is named.
    other = step(1, 10, True)
    other["step"]["phase"] = "llm-something"
    assert demo_output.step_line(other).startswith("round 1  llm-something ")


def test_the_watcher_reports_each_new_step_once_oldest_first(tmp_path: Path) -> None:
    watcher = demo_output.StepWatcher(tmp_path / "run")
    assert watcher.new_lines() == []  # the run folder does not exist yet
    for i, name in enumerate(("b-step", "a-step")):
        folder = tmp_path / "run" / name
        folder.mkdir(parents=True)
        (folder / "step.json").write_text(json.dumps(step(i + 1, 10 * (i + 1), True)))
        os.utime(folder / "step.json", (1000 + i, 1000 + i))
    assert [line[:7] for line in watcher.new_lines()] == ["round 1", "round 2"]
    assert watcher.new_lines() == []
    (tmp_path / "run" / "c-step").mkdir()
    (tmp_path / "run" / "c-step" / "step.json").write_text('{"round": 3, "step": {')  # half written
    assert watcher.new_lines() == []
    (tmp_path / "run" / "c-step" / "step.json").write_text(json.dumps(step(3, 30, False)))
    assert [line[:7] for line in watcher.new_lines()] == ["round 3"]


def test_the_outcome_comes_from_status_and_headline_with_fallbacks() -> None:
    written = {"status": "failed", "headline": "Failed: infrastructure: the runtime stopped answering"}
    assert demo_output.outcome(written, 1) == demo_output.Outcome("failed", written["headline"])
    assert demo_output.outcome(written, 1).failed
    ok = {"status": "recommended", "headline": "Recommended: 2 x ml.m5.large", "recommendation": {}}
    assert not demo_output.outcome(ok, 0).failed
    # A report without status/headline (before the outcomes change): the exit code decides.
    old = {"recommendation": {"instance_type": "ml.m5.large"}}
    assert demo_output.outcome(old, 0).status == "recommended"
    assert demo_output.outcome(old, 1).failed
    assert demo_output.outcome({"status": "recommended"}, 1).failed
    assert demo_output.outcome({"recommendation": {}}, 0).status == "none"
    assert demo_output.outcome(None, 0).failed  # no report at all
    partial = demo_output.outcome({"status": "partial"}, 0)
    assert partial.headline.startswith("partial: an instance type passed")


def test_the_table_lists_the_recommendation_and_costs() -> None:
    data = {"recommendation": {"instance_type": "ml.m5.large", "max_instance_count": 2},
            "costs": {"hourly": "0.23"}}  # fmt: skip
    table = demo_output.recommendation_table(data)
    assert table[0] == "recommendation:"
    assert "  instance_type          ml.m5.large" in table
    assert any(line.split() == ["cost", "hourly", "$0.23"] for line in table)
    assert any(line.split() == ["min_instance_count", "-"] for line in table)
    assert not any("serverless" in line for line in table)
    with_serverless = demo_output.recommendation_table(data | {"serverless": {"memory_size_mb": 2048}})
    assert any(line.split() == ["serverless", "memory_size_mb", "2048"] for line in with_serverless)


def test_the_table_says_the_hourly_cost_once_and_the_targets_unit() -> None:
    data = {"status": "recommended",
            "recommendation": {"instance_type": "ml.m5.large", "max_instance_count": 2,
                               "invocations_target": 900, "hourly_cost_usd": "0.23"},
            "costs": {"hourly": "0.23", "monthly": "167.90", "annual": "2014.80"}}  # fmt: skip
    table = demo_output.recommendation_table(data)
    assert sum("0.23" in line for line in table) == 1, table
    assert any(line.split() == ["invocations_target", "900", "invocations/instance/minute"] for line in table)
    assert any(line.split() == ["cost", "annual", "$2,014.80"] for line in table)
    # min = max: the demo's answer is a fixed fleet, and the table says so.
    fixed = demo_output.recommendation_table(data | {"recommendation": data["recommendation"] | {
        "min_instance_count": 2}})  # fmt: skip
    assert "  min_instance_count     2 (no autoscaling: min = max)" in fixed, fixed


def test_a_failed_run_or_one_that_found_nothing_prints_no_table_of_dashes() -> None:
    failed = {"status": "failed", "recommendation": {"instance_type": None}, "costs": {}}
    assert demo_output.recommendation_table(failed) == []
    # Also when a type was established before the failure: the run did not reach an answer.
    established = {"status": "failed", "recommendation": {"instance_type": "ml.m5.large"}, "costs": {}}
    assert demo_output.recommendation_table(established) == []
    none = {"status": "none", "recommendation": {"instance_type": None}, "costs": {}}
    assert demo_output.recommendation_table(none) == []
    serverless_only = {"status": "recommended", "recommendation": {"instance_type": None}, "costs": {},
                       "serverless": {"memory_size_mb": 2048, "max_concurrency": 9}}  # fmt: skip
    assert demo_output.recommendation_table(serverless_only)[0] == "recommendation:"


def test_the_run_id_is_read_from_the_dags_test_log() -> None:
    line = (
        "2026-11-29T22:47:50Z [info     ] creating dag run   [airflow.serialization.definitions.dag] "
        "loc=dag.py:615 logical_date=DateTime(2026, 11, 29) run_after=DateTime(2026, 11, 29) "
        "run_id=manual__2026-11-29T22:47:31.849027+00:00 state=running\n"
    )
    assert run_id_in_log("noise\n" + line) == "manual__2026-11-29T22:47:31.849027+00:00"
    assert run_id_in_log("noise only\n") is None


def llm_step(rate: float, passed: bool, **step: object) -> dict[str, object]:
    return {
        "step": {"instance_type": "ml.g6.xlarge", "instance_count": 1, "steady_state_tps": rate,
                 "ramp_minutes": 0, "scaling_max_instance_count": None, "workload": "llm"} | step,
        "round": 3,
        "passed": passed,
        "metrics": {"ttft_ms": {"p99": 812.4}, "itl_ms": {"p99": 41.24}, "e2e_ms": {"p99": 4120.7},
                    "offered_rate": 1.47, "percent_fail": 0.0, "latency_success_p99": 4120.7},
        "error": None,
    }  # fmt: skip


def test_an_llm_step_line_shows_its_rate_ttft_itl_and_e2e() -> None:
    assert demo_output.step_line(llm_step(1.5, True)) == (
        "round 3  ml.g6.xlarge x1 at 1.5 req/s (1.47 offered)  PASS   TTFT p99 812 ms  ITL p99 41.2 ms  "
        "e2e p99 4121 ms  errors 0.00%"
    )
    scaled = llm_step(6, False, scaling_min_instance_count=2, scaling_max_instance_count=4, ramp_minutes=0.3,
                      ramp_start_tps=1)  # fmt: skip
    assert "ml.g6.xlarge autoscaling 2..4 at ramp 1->6 req/s (1.47 offered)  FAIL" in demo_output.step_line(
        scaled
    )


def test_an_llm_table_is_the_llm_block_and_its_costs() -> None:
    data = {
        "recommendation": {"instance_type": "ml.g6.xlarge"},
        "llm": {"instance_type": "ml.g6.xlarge", "instance_count": 4, "target_value": 2.4,
                "cost_per_1m_output_tokens_usd": "1.94"},
        "llm_details": {"costs": {"hourly": "4.024", "monthly": "2937.52"}},
    }  # fmt: skip
    table = demo_output.recommendation_table(data)
    assert [line.split()[0] for line in table[1:5]] == [
        "instance_type",
        "instance_count",
        "target_value",
        "cost_per_1m_output_tokens_usd",
    ]
    assert any(line.split() == ["cost", "hourly", "$4.02"] for line in table)
    assert not any("invocations_target" in line for line in table)


def test_a_components_table_is_the_endpoint_then_each_model(tmp_path: Path) -> None:
    from sagemaker_sizing.core.report.render import build_report_context

    from tests.core.components_samples import components_report_content

    data = build_report_context(components_report_content(), run_id="r", results_dir=tmp_path)
    table = demo_output.recommendation_table(data)
    assert table[1:4] == [
        "  instance_type             ml.g6e.xlarge",
        "  managed instance scaling  2..3",
        "  cost hourly               $7.83",
    ]
    assert table[5].startswith("  ic-demo-summarize: copies 1..2, target 3.0 concurrent per copy")
    assert table[5].endswith("cost share $5.22/hour")
