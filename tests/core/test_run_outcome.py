"""The run's outcome: one status and headline from results, notes and the recommendation; the walk
replay that feeds it tolerates an incomplete round (the report), the plan's stays strict."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sagemaker_sizing.core.cost.budget import NOTE_PREFIX
from sagemaker_sizing.core.model import Recommendation, StepConfig, StepResult
from sagemaker_sizing.core.report.assemble import ReportContent
from sagemaker_sizing.core.report.render import build_report_context, render_html
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory, RunStatus
from sagemaker_sizing.core.verdicts.run_outcome import run_outcome
from sagemaker_sizing.core.walk import WalkMismatchError, next_batch, recommend
from walk_helpers import make_conf

NOTHING = Recommendation(None, None, None, None, None, None, None, None)
PARTIAL = Recommendation("ml.m5.large", 20.0, 2, None, None, None, None, Decimal("0.23"))
FULL = Recommendation("ml.m5.large", 20.0, 2, 2, None, None, None, Decimal("0.23"))
STEP = StepConfig("type", "ml.m5.large", 1, 10, 1)


def measured(passed: bool, round_no: int = 1) -> StepResult:
    return StepResult(STEP, round_no, passed, "p99 12 ms < 500 ms" if passed else "p99 900 ms >= 500 ms")


def error(category: ErrorCategory, text: str, round_no: int = 2) -> StepResult:
    return StepResult(STEP, round_no, False, text, error=text, error_category=category)


def test_measured_failures_only_are_none() -> None:
    outcome = run_outcome([measured(False)], NOTHING)
    assert outcome.status is RunStatus.NONE and outcome.failure() is None
    assert outcome.headline.startswith("No configuration met the requirements")


@pytest.mark.parametrize("category", list(ErrorCategory))
def test_an_error_step_fails_the_run_naming_its_cause(category: ErrorCategory) -> None:
    cause = "the load did not reach the model: 300 of 300 requests failed"
    outcome = run_outcome([measured(True, 1), error(category, cause)], PARTIAL)
    assert outcome.status is RunStatus.FAILED and outcome.category is category
    assert cause in outcome.headline and "requirements" not in outcome.headline
    assert outcome.failure() == {"category": str(category), "cause": f"round 2, {STEP.describe()}: {cause}"}
    assert "1 measured step(s) kept" in outcome.headline


def test_a_run_with_no_step_at_all_is_not_a_capacity_verdict() -> None:
    outcome = run_outcome(
        [error(ErrorCategory.SETUP, "deploy failed (ValidationException): no model", 1)], NOTHING
    )
    assert outcome.status is RunStatus.FAILED and "no model" in outcome.headline
    assert run_outcome([], NOTHING).status is RunStatus.FAILED


def test_the_cost_guard_stopping_a_passing_walk_is_budget_with_what_was_found() -> None:
    note = f"{NOTE_PREFIX}round 3 was not started: ..."
    outcome = run_outcome([measured(True, 1), measured(True, 2)], PARTIAL, [note])
    assert outcome.status is RunStatus.BUDGET and outcome.failure() is None
    assert "Stopped by the budget" in outcome.headline and "ml.m5.large x2" in outcome.headline
    assert run_outcome([measured(True)], PARTIAL, ["some other note"]).status is RunStatus.PARTIAL
    # The walk had not established a type yet: the headline says what passed.
    early = run_outcome([measured(True, 1)], NOTHING, [note])
    assert early.status is RunStatus.BUDGET
    assert "1 step(s) passed, the most load held: ml.m5.large x1 at 10 TPS" in early.headline


def test_an_infrastructure_error_is_the_cause_over_the_setup_errors_it_caused() -> None:
    # Lane 1's runtime died mid-load; lane 2's jar then found nothing to connect to.
    results = [
        error(ErrorCategory.SETUP, "the load did not run", 1),
        error(ErrorCategory.INFRASTRUCTURE, "the endpoint stopped answering mid-load", 1),
    ]
    outcome = run_outcome(results, NOTHING)
    assert outcome.category is ErrorCategory.INFRASTRUCTURE and "stopped answering" in outcome.headline


def test_recommended() -> None:
    outcome = run_outcome([measured(True)], FULL)
    assert outcome.status is RunStatus.RECOMMENDED
    assert outcome.headline.startswith("Recommended: ml.m5.large x2")


def test_report_headline_json_and_step_rows_say_the_same(tmp_path: Path) -> None:
    results = [measured(True, 1), error(ErrorCategory.INFRASTRUCTURE, "the endpoint stopped answering")]
    content = ReportContent({"peak_tps": 40}, tuple(results), PARTIAL, {}, run_outcome(results, PARTIAL))
    context = build_report_context(content, run_id="r", results_dir=tmp_path)
    assert context["status"] == "failed"
    assert context["failure"]["category"] == "infrastructure"
    assert [s["outcome"] for s in context["steps"]] == ["pass", "error"]
    assert context["steps"][1]["error_category"] == "infrastructure"
    html = render_html(context)
    body = html.split("<main>", 1)[1].lstrip()
    assert body.startswith('<p class="headline failed" id="headline" data-status="failed">Run failed')
    assert "No configuration met the requirements" not in html


def test_replay_stops_at_an_incomplete_round_for_the_report_and_refuses_it_for_the_plan() -> None:
    conf = make_conf(
        type_walk="ml.m5.large", count_walk="1", tps_walk="10,20,30", endurance_steady_state_minutes=0
    )
    first = next_batch(conf, [])
    round_1 = [StepResult(s, 1, True, "ok") for s in first]
    second = next_batch(conf, round_1)
    broken = StepResult(
        second[0], 2, False, "x", error="refused", error_category=ErrorCategory.INFRASTRUCTURE
    )
    # The plan's replay is strict: an error step is no capacity evidence.
    with pytest.raises(WalkMismatchError, match="could not be measured"):
        next_batch(conf, [*round_1, broken])
    # The report's is tolerant: round 1 stands, round 2 establishes nothing.
    assert next_batch(conf, [*round_1, broken], tolerate_incomplete=True) == second
    assert recommend(conf, [*round_1, broken]) == recommend(conf, round_1)


def test_replay_tolerates_a_round_with_a_missing_result() -> None:
    conf = make_conf(
        type_walk="ml.m5.large,ml.m5.xlarge", count_walk="1", tps_walk="10,20", strategy="adaptive"
    )
    first = next_batch(conf, [])
    assert len(first) == 2  # two lanes
    only_one = [StepResult(first[0], 1, True, "ok")]  # the other lane's parse never reported
    with pytest.raises(WalkMismatchError, match="no result"):
        next_batch(conf, only_one)
    assert recommend(conf, only_one).instance_type is None  # nothing established, but no crash


def test_a_serverless_only_answer_is_recommended_not_none() -> None:
    serverless = {
        "memory_size_mb": 2048,
        "max_concurrency": 20,
        "provisioned_concurrency": None,
        "p99_ms": 41.0,
        "cold_start_p99_ms": 900.0,
        "monthly_cost_usd": "12.00",
        "average_tps": 1.0,
    }
    outcome = run_outcome([measured(True)], NOTHING, (), serverless)
    assert outcome.status is RunStatus.RECOMMENDED
    assert outcome.headline.startswith("Recommended (serverless): 2048 MB, max concurrency 20")
    assert run_outcome([measured(False)], NOTHING, (), {"max_concurrency": None}).status is RunStatus.NONE


def test_a_quota_step_fails_the_run_unless_the_conf_skips_quota_refused_types() -> None:
    refused = error(ErrorCategory.QUOTA, "'ml.m5.xlarge for endpoint usage' is 0 Instances")
    assert run_outcome([measured(True, 1), refused], FULL).category is ErrorCategory.QUOTA
    skipped = run_outcome([measured(True, 1), refused], FULL, quota_skips=True)
    assert skipped.status is RunStatus.RECOMMENDED and skipped.failure() is None
    # Skipping quotas does not hide other errors.
    other = error(ErrorCategory.SETUP, "403 on every request", 3)
    assert run_outcome([measured(True, 1), refused, other], FULL, quota_skips=True).category is (
        ErrorCategory.SETUP
    )


def test_a_run_preflight_refused_names_its_problems_and_a_quota_first() -> None:
    from sagemaker_sizing.core.verdicts.run_outcome import preflight_outcome

    model = {"check": "model", "message": "model 'sizing-demo-model' does not exist in us-west-2"}
    outcome = preflight_outcome([model])
    assert outcome.status is RunStatus.FAILED and outcome.category is ErrorCategory.SETUP
    assert "sizing-demo-model" in outcome.headline and "nothing was deployed" in outcome.headline
    quota = {"check": "quota", "message": "'ml.m5.xlarge for endpoint usage' is 0"}
    assert preflight_outcome([model, quota]).category is ErrorCategory.QUOTA
