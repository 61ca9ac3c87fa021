from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sagemaker_sizing.core.cost.instances import (
    CostTableError,
    available_regions,
    cost_breakdown,
    load_cost_table,
    load_test_cost,
    step_instance_minutes,
)
from sagemaker_sizing.core.model import StepConfig


def test_three_regions_with_decimal_prices():
    assert {"us-east-1", "us-west-2", "eu-west-1"} <= set(available_regions())
    west = load_cost_table("us-west-2")
    assert west["ml.m5.large"] == Decimal("0.115") and isinstance(west["ml.c5.large"], Decimal)
    assert load_cost_table("eu-west-1")["ml.m5.large"] > west["ml.m5.large"]


def test_cost_file_overrides_and_errors_name_the_file(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"ml.x": 1.1, "_source": "test"}))
    assert load_cost_table("us-west-2", path) == {"ml.x": Decimal("1.1")}
    path.write_text(json.dumps({"ml.x": "cheap"}))
    with pytest.raises(CostTableError, match=r"c\.json"):
        load_cost_table("us-west-2", path)
    with pytest.raises(CostTableError, match="does not exist"):
        load_cost_table("us-west-2", tmp_path / "nope.json")


def test_breakdown_hourly_daily_monthly_annual_and_per_million():
    cost = cost_breakdown("ml.m5.large", 3, Decimal("0.115"), peak_tps=100)
    assert cost.hourly == Decimal("0.345")
    assert cost.daily == Decimal("8.280")
    assert cost.monthly == Decimal("251.850")
    assert cost.annual == Decimal("3022.200")
    # 0.345 $/h over 360,000 inferences/h -> $0.958333 per million
    assert cost.per_million_inferences == Decimal("0.958333")
    assert "3 instances of ml.m5.large" in cost.explain()
    assert cost_breakdown("ml.m5.large", 1, Decimal("0.115")).per_million_inferences is None


def test_test_cost_is_instances_times_minutes_times_price():
    fixed = StepConfig("type", "ml.m5.large", 2, 10, 3)
    scaling = StepConfig("min", "ml.m5.large", 1, 10, 30, 0, 10, 1, 4, 300)
    assert step_instance_minutes(fixed) == 6
    assert step_instance_minutes(scaling) == 160  # its maximum over ramp + steady minutes
    assert load_test_cost([fixed, scaling], {"ml.m5.large": Decimal("0.6")}) == Decimal("1.66")
