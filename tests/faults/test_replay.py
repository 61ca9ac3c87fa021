"""A round's plan or decide cleared and re-run: the walk is pure, so it plans the same batch again
from the same results, and the recommendation replays to the same answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sagemaker_sizing.airflow import tasks
from sagemaker_sizing.core import walk
from sagemaker_sizing.core.conf import conf_to_dict, load_conf
from sagemaker_sizing.core.model import StepResult

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"


def conf() -> dict[str, Any]:
    raw = json.loads((EXAMPLES / "demo.conf.json").read_text())
    return conf_to_dict(load_conf(raw, base_dir=EXAMPLES))


def without_stamp(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The step folder carries the planning time (perfsizesagemaker's naming); all else must match.
    return [{k: v for k, v in item.items() if k != "folder"} for item in items]


def test_a_replanned_round_is_the_same_batch() -> None:
    validated = conf()
    sizing_conf = tasks.load_sizing_conf(validated)
    results: list[StepResult] = []
    for round_no in (1, 2, 3):
        first = tasks.plan_round(round_no, validated, results)
        again = tasks.plan_round(round_no, validated, results)  # the task cleared and re-run
        assert first and without_stamp(first) == without_stamp(again)
        # The round is measured: the first type passes, the others fail.
        batch = walk.next_batch(sizing_conf, results)
        results += [StepResult(s, round_no, i == 0, "replay") for i, s in enumerate(batch)]
    assert walk.recommend(sizing_conf, results) == walk.recommend(sizing_conf, list(results))


def test_decide_follows_the_plan() -> None:
    from tests.e2e.harness import fresh_dag

    decide = fresh_dag().get_task("round_2.decide")
    assert decide.python_callable([{"lane": "x"}]) == "round_2.deploy"
    assert decide.python_callable([]) == "round_2.stop"
