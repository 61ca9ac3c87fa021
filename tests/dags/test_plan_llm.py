"""An LLM round's plan: one AIPerf process per step (never split like Gatling injectors), step
folders named by the request rate (``<rate>RPS``), and the steps marked as LLM steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sagemaker_sizing.airflow import settings
from sagemaker_sizing.airflow.tasks.plan import plan_round
from sagemaker_sizing.core.conf.model import conf_to_dict, load_conf
from sagemaker_sizing.core.serde import plan_item_from_dict

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"


def test_an_llm_round_plans_one_load_process_per_step_named_by_its_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "injector_max_tps", lambda: 1.0)  # a Gatling step above 1 TPS splits
    raw = json.loads((EXAMPLES / "llm.conf.json").read_text())
    conf = conf_to_dict(load_conf(raw, base_dir=EXAMPLES))
    items = [plan_item_from_dict(item) for item in plan_round(1, conf, [], "sagemaker_sizing/manual__llm")]
    assert len(items) == len(raw["type_walk"].split(","))
    for item in items:
        assert item.step.is_llm and item.step.steady_state_tps > 1
        assert item.injectors == 1
        assert item.folder.endswith(f"-{item.step.instance_type}-1-{item.step.steady_state_tps:g}RPS")
