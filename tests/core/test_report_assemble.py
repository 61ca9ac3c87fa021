"""The report's content (core.report.assemble): computed once, the walk replayed once, and rendered
as computed."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.core import walk
from sagemaker_sizing.core.conf.model import SizingConf, conf_to_dict, load_conf
from sagemaker_sizing.core.cost.run_costs import run_costs
from sagemaker_sizing.core.cost.serverless_compare import compare
from sagemaker_sizing.core.model import StepResult
from sagemaker_sizing.core.report.assemble import CUT_SHORT, assemble_report
from sagemaker_sizing.core.report.render import build_report_context, render_report
from sagemaker_sizing.core.simulate.capacity import capacity_model_from_dict
from sagemaker_sizing.core.simulate.dry_run import run_walk
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory, RunStatus
from sagemaker_sizing.core.verdicts.run_outcome import RunOutcome, run_outcome
from sagemaker_sizing.core.walk import replay as replay_module

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"


def simulated(name: str, **extra: Any) -> tuple[SizingConf, list[StepResult]]:
    raw = {**json.loads((EXAMPLES / f"{name}.conf.json").read_text()), **extra}
    conf = load_conf(raw, base_dir=EXAMPLES)
    model = capacity_model_from_dict(json.loads((EXAMPLES / f"{name}.capacity.json").read_text()))
    return conf, run_walk(conf, model)


def test_the_walk_is_replayed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    conf, results = simulated("serverless")  # real-time and serverless: every part of the replay
    calls = []
    real = replay_module.replay

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(replay_module, "replay", counted)
    assemble_report(conf, results, round_slots=24)
    assert len(calls) == 1


@pytest.mark.parametrize("name", ["demo", "serverless"])
def test_the_content_is_what_each_part_computes(name: str) -> None:
    conf, results = simulated(name)
    content = assemble_report(conf, results, ["a note"], round_slots=24)
    rec = walk.recommend(conf, results)
    serverless = compare(conf, rec if conf.sizes_realtime else None, walk.recommend_serverless(conf, results))
    assert content.recommendation == rec
    assert content.serverless == serverless
    assert content.costs == run_costs(conf, rec, results)
    assert content.outcome == run_outcome(results, rec, ["a note"], serverless)
    assert content.outcome.status is RunStatus.RECOMMENDED
    assert content.notes == ("a note",)
    assert content.results == tuple(results)
    assert content.inputs == conf_to_dict(conf)


def test_a_walk_that_used_every_round_slot_and_had_more_to_test_was_cut_short() -> None:
    conf, results = simulated("demo")
    first_two = [r for r in results if r.round <= 2]
    cut = assemble_report(conf, first_two, ["prices: from the table"], round_slots=2)
    assert cut.notes == ("prices: from the table", CUT_SHORT.format(slots=2))
    assert "cut short" in cut.notes[-1]
    # Slots left: the walk simply stopped there (another reason, said elsewhere), not cut short.
    assert assemble_report(conf, first_two, round_slots=3).notes == ()
    # A finished walk is never cut short, even when it used every slot.
    last = max(r.round for r in results)
    assert assemble_report(conf, results, round_slots=last).notes == ()
    # A failed step ended the run: the failure is the cause, not the slots.
    failed = dataclasses.replace(
        first_two[-1], error="gatling exited 1", error_category=ErrorCategory.LOAD_GENERATOR
    )
    assert assemble_report(conf, [*first_two[:-1], failed], round_slots=2).notes == ()


def test_a_run_preflight_refused_is_its_outcome() -> None:
    conf, _ = simulated("demo")
    refused = [{"check": "quota", "message": "0 of ml.m5.large allowed"}]
    content = assemble_report(conf, [], refused=refused, round_slots=24)
    assert content.outcome.status is RunStatus.FAILED
    assert content.outcome.category is ErrorCategory.QUOTA
    assert "preflight: quota: 0 of ml.m5.large allowed" in content.outcome.headline


def test_a_quota_refusal_fails_the_run_unless_the_conf_skips_refused_types() -> None:
    conf, results = simulated("demo")
    first_two = [r for r in results if r.round <= 2]
    third = next(r for r in results if r.round == 3)
    quota = dataclasses.replace(third, passed=False, error="quota", error_category=ErrorCategory.QUOTA)
    stopped = assemble_report(conf, [*first_two, quota], round_slots=24)
    assert stopped.outcome.category is ErrorCategory.QUOTA
    skipping = conf.model_copy(update={"on_quota": "skip"})
    assert not assemble_report(skipping, [*first_two, quota], round_slots=24).outcome.failed


def test_the_report_prints_the_outcome_it_is_given(tmp_path: Path) -> None:
    conf, results = simulated("demo")
    content = assemble_report(conf, results, round_slots=24)
    # A headline no function would compute from these results: the render must not recompute it.
    given = RunOutcome(RunStatus.PARTIAL, "a headline computed once, elsewhere")
    context = build_report_context(
        dataclasses.replace(content, outcome=given), run_id="r", results_dir=tmp_path
    )
    assert (context["status"], context["headline"]) == ("partial", "a headline computed once, elsewhere")
    html, data = render_report(content, run_id="r", results_dir=tmp_path)
    rendered = json.loads(data.read_text())
    assert rendered["headline"] == content.outcome.headline
    assert rendered["notes"] == list(content.notes)
    assert content.outcome.headline in html.read_text()
