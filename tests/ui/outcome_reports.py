"""A report of every run outcome, from the example confs walked against their capacity models.

Each is what the report task would write for such a run (``core.report.assemble`` then
``render_report``): the walk's real steps, with the metrics a parse would have given them, so the
report's tables hold what real runs put there (reasons, failure messages, long error causes).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from sagemaker_sizing.core.conf.model import SizingConf, load_conf
from sagemaker_sizing.core.cost.budget import check_round
from sagemaker_sizing.core.model import StepResult
from sagemaker_sizing.core.report.assemble import ReportContent, assemble_report
from sagemaker_sizing.core.report.render import render_report
from sagemaker_sizing.core.simulate.capacity import capacity_model_from_dict
from sagemaker_sizing.core.simulate.dry_run import run_walk
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory, FailureCount, FailureKind
from sagemaker_sizing.core.walk import next_batch
from sagemaker_sizing.paths import INCLUDE_DIR

EXAMPLES = INCLUDE_DIR / "examples"
ROUND_SLOTS = 24
OUTCOMES = (
    "recommended",
    "partial",
    "none",
    "budget",
    "failed",
    "serverless cheaper",
    "serverless dearer",
)
# What a setup error's cause reads like in a real run: long, one word that does not break.
SETUP_ERROR = (
    "the load did not run: sagemaker-sizing-gatling: cannot run: host 127.0.0.1:41539 is unreachable: "
    "Connection refused (https://127.0.0.1:41539/endpoints/sizing-demo-3f9c2a1b-ml-m5-large/invocations)"
)
HTTP_503 = "status.find.is(200), but actually found 503"


def conf_of(name: str, **extra: Any) -> SizingConf:
    raw = {**json.loads((EXAMPLES / f"{name}.conf.json").read_text()), **extra}
    return load_conf(raw, base_dir=EXAMPLES)


def measured(conf: SizingConf, result: StepResult) -> StepResult:
    """The result with what a parse of its Gatling log would have measured (passed or not)."""
    if result.metrics:  # serverless steps: the capacity model measured them
        return result
    step = result.step
    total = int(step.steady_state_tps * 60 * (step.steady_state_minutes + step.ramp_minutes))
    fail = 0.0 if result.passed else (5.1 if step.autoscaling else 0.0)
    p99 = 73.01 if result.passed else 2048.0
    metrics = {
        "count_total": total,
        "count_success": total - int(total * fail / 100),
        "percent_fail": fail,
        "latency_success_p50": 43.0 if result.passed else 953.5,
        "latency_success_p99": p99,
        "achieved_tps": step.steady_state_tps,
    }
    if result.passed:
        reason = f"p99 {p99:.0f} ms < {conf.latency_success_p99:g} ms, 0.00% fail < {conf.percent_fail:g}%"
    else:
        reason = f"p99 {p99:.0f} ms >= {conf.latency_success_p99:g} ms"
        if fail:
            reason += f", {fail:.2f}% fail >= {conf.percent_fail:g}%"
    failures = (FailureCount(FailureKind.CAPACITY, HTTP_503, int(total * fail / 100)),) if fail else ()
    return dataclasses.replace(
        result, metrics=metrics, reason=reason, failures=failures, folder=f"step-{result.round}"
    )


def walked(conf: SizingConf, capacity: str) -> list[StepResult]:
    model = capacity_model_from_dict(json.loads((EXAMPLES / f"{capacity}.capacity.json").read_text()))
    return [measured(conf, r) for r in run_walk(conf, model)]


def within_budget(conf: SizingConf, capacity: str) -> tuple[list[StepResult], list[str]]:
    """The walk as the plan task runs it with a budget: the first round that would exceed it is
    not started, and the cost guard's note says so."""
    every = walked(conf, capacity)
    results: list[StepResult] = []
    for round_no in sorted({r.round for r in every}):
        batch = next_batch(conf, results)
        verdict = check_round(conf, results, batch, round_no)
        if not verdict.allowed:
            return results, [str(verdict.note)]
        results += [r for r in every if r.round == round_no]
    raise AssertionError("the budget never stopped the walk")


def outcome_content(outcome: str) -> ReportContent:
    """The report content of a run that ends as ``outcome`` (one of OUTCOMES)."""
    notes: list[str] = []
    if outcome == "recommended":
        conf = conf_of("demo")
        results = walked(conf, "demo")
    elif outcome == "partial":
        conf = conf_of("demo", endurance_steady_state_minutes=0)
        results = walked(conf, "demo")
    elif outcome == "none":
        conf = conf_of("demo")
        model = {"true_tps_per_instance": {"ml.m5.large": 1, "ml.m5.xlarge": 1}}
        results = [measured(conf, r) for r in run_walk(conf, capacity_model_from_dict(model))]
    elif outcome == "budget":
        conf = conf_of("demo", max_test_cost_usd=0.002)
        results, notes = within_budget(conf, "demo")
    elif outcome == "failed":
        conf = conf_of("demo")
        every = walked(conf, "demo")
        kept = [r for r in every if r.round < 3]
        broken = dataclasses.replace(
            next(r for r in every if r.round == 3),
            passed=False,
            reason=SETUP_ERROR,
            metrics={},
            error=SETUP_ERROR,
            error_category=ErrorCategory.SETUP,
            failures=(),
        )
        results = [*kept, broken]
    elif outcome == "serverless cheaper":
        conf = conf_of("serverless")
        results = walked(conf, "serverless")
    elif outcome == "serverless dearer":
        conf = conf_of("serverless", average_tps=20)
        results = walked(conf, "serverless")
    else:
        raise ValueError(outcome)
    return assemble_report(conf, results, notes, round_slots=ROUND_SLOTS)


def render_outcome(outcome: str, run_dir: Path) -> Path:
    """``run_dir/report.html`` (and recommendation.json) of a run that ends as ``outcome``."""
    html, _ = render_report(outcome_content(outcome), run_id=run_dir.name, results_dir=run_dir)
    return html
