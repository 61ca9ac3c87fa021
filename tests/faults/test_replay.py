"""A round's plan cleared and re-run: the walk is pure, so it plans the same batch again from the
same results, branches the same way, and the recommendation replays to the same answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sagemaker_sizing.airflow.tasks.plan import plan_round
from sagemaker_sizing.core import walk
from sagemaker_sizing.core.conf.model import conf_from_dict, conf_to_dict, load_conf
from sagemaker_sizing.core.model import StepResult
from sagemaker_sizing.core.serde import step_result_from_dict, step_result_to_dict

RUN_KEY = "sagemaker_sizing/manual__replay"
EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"


def conf() -> dict[str, Any]:
    raw = json.loads((EXAMPLES / "demo.conf.json").read_text())
    return conf_to_dict(load_conf(raw, base_dir=EXAMPLES))


def without_stamp(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The step folder carries the planning time (perfsizesagemaker's naming); all else must match.
    return [{k: v for k, v in item.items() if k != "folder"} for item in items]


def test_a_replanned_round_is_the_same_batch() -> None:
    validated = conf()
    sizing_conf = conf_from_dict(validated)
    results: list[StepResult] = []
    for round_no in (1, 2, 3):
        first = plan_round(round_no, validated, results, RUN_KEY)
        again = plan_round(round_no, validated, results, RUN_KEY)  # the task cleared and re-run
        assert first and without_stamp(first) == without_stamp(again)
        # The round is measured: the first type passes, the others fail.
        batch = walk.next_batch(sizing_conf, results)
        results += [StepResult(s, round_no, i == 0, "replay") for i, s in enumerate(batch)]
    # What the report task replays from: the results as they come back from XCom (JSON). The
    # answer is the same, and it is the lane that passed every round.
    from_xcom = [step_result_from_dict(json.loads(json.dumps(step_result_to_dict(r)))) for r in results]
    assert from_xcom == results
    answer = walk.recommend(sizing_conf, from_xcom)
    assert answer == walk.recommend(sizing_conf, results)
    assert answer is not None and answer.instance_type == sizing_conf.type_walk[0]


def test_plan_branches_on_its_batch_and_returns_it(monkeypatch: Any) -> None:
    from airflow.providers.standard.operators.python import BranchPythonOperator

    from tests.e2e.harness import fresh_dag

    plan = fresh_dag().get_task("round_2.plan")
    assert isinstance(plan, BranchPythonOperator)
    followed: list[Any] = []
    monkeypatch.setattr(plan, "do_branch", lambda context, branches: followed.append(branches))
    assert plan.op_args[0] == 2  # the round it plans, from the records of the rounds before it
    monkeypatch.setattr(plan, "op_args", [2, {}])
    monkeypatch.setattr(plan, "python_callable", lambda round_no, conf: [{"lane": "x"}])
    assert plan.execute({}) == [{"lane": "x"}]  # the batch is the XCom deploy and parse map over
    monkeypatch.setattr(plan, "python_callable", lambda round_no, conf: [])
    assert plan.execute({}) == []
    # Into the round: all of it (nothing skipped, so the batch is pushed); else stop: none of it.
    assert followed == [["round_2.deploy", "round_2.injectors", "round_2.parse"], None]
