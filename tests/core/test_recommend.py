from __future__ import annotations

from decimal import Decimal

from sagemaker_sizing.core.walk import recommend
from walk_helpers import drive, make_conf, scripted


def test_recommendation_of_an_interrupted_walk_keeps_what_was_found():
    conf = make_conf(peak_tps=70)
    results = drive(conf, scripted([True, True, True, False, False, False, True, True, True]))
    partial = [r for r in results if r.step.phase == "type"]
    rec = recommend(conf, partial)
    assert (rec.instance_type, rec.instance_count_needed, rec.max_instance_count) == ("ml.m5.large", 3, None)
    assert rec.hourly_cost_usd == Decimal("0.345")  # needed x price when no endurance result yet


def test_full_recommendation_costs_the_max_count_and_explains():
    conf = make_conf(peak_tps=70, endurance_ramp_start_tps=5)
    results = drive(conf, scripted([True, True, True, False, False, True, True, False]))
    rec = recommend(conf, results)
    assert rec.max_instance_count == 4 and rec.hourly_cost_usd == Decimal("0.460")
    assert rec.invocations_target == int(70 / 4 * 60 * 0.5)
    assert rec.aws_formula_invocations_target == 900  # int(30 TPS * 60 * 0.5)
    assert rec.min_instance_count == 2  # m = 2 passed, m = 1 failed
    assert any("Last green run was 30 TPS" in line for line in rec.explanation)


def test_no_results_no_recommendation():
    rec = recommend(make_conf(strategy="adaptive"), [])
    assert rec.instance_type is None and rec.hourly_cost_usd is None
