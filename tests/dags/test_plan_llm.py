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


def test_a_components_round_names_each_lanes_component_as_deploy_names_it() -> None:
    from sagemaker_sizing.adapters.ownership import component_name, endpoint_name

    raw = json.loads((EXAMPLES / "components.conf.json").read_text())
    conf = conf_to_dict(load_conf(raw, base_dir=EXAMPLES))
    key = "sagemaker_sizing/manual__ic"
    items = [plan_item_from_dict(item) for item in plan_round(1, conf, [], key)]
    assert len(items) == 2  # a step per type: one copy of each model, each loaded at its rate
    for item in items:
        assert item.step.models_loaded == (0, 1) and item.injectors == 1
        assert item.endpoint_name == endpoint_name(raw["endpoint_name"], key, item.lane)
        assert item.component_names == tuple(
            component_name(raw["endpoint_name"], m["model_name"], key, item.lane) for m in raw["models"]
        )
        assert item.folder.endswith("RPS-c1-1")  # copies in the folder's name: lanes do not collide
    # The plan item round-trips through XCom with its component names.
    from sagemaker_sizing.core.serde import plan_item_to_dict

    assert [plan_item_from_dict(json.loads(json.dumps(plan_item_to_dict(i)))) for i in items] == items
