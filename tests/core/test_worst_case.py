"""The worst case is computed (closed forms, arithmetic series), not enumerated: the same totals as
the listed worst-case walk, and the same search bounds as the recursion it replaced."""

from __future__ import annotations

import itertools
from decimal import Decimal
from functools import cache

import pytest
from sagemaker_sizing.core.cost.instances import load_test_cost
from sagemaker_sizing.core.simulate.dry_run import budget, instance_minutes, load_test_minutes
from sagemaker_sizing.core.walk import adaptive, worst_case, worst_case_steps
from sagemaker_sizing.core.walk.min_search import (
    MinSearch,
    worst_guided_min_search_rounds,
    worst_min_search_rounds,
)
from walk_helpers import make_conf


@cache
def enumerated_min_search_rounds(upper: int, width: int, lower: int = 0) -> int:
    """The recursion the closed form replaced: every monotone pass/fail pattern, gap by gap."""
    points = MinSearch(lower, upper, width).points()
    if not points:
        return 0
    bounds = [lower, *points, upper]
    return 1 + max(enumerated_min_search_rounds(hi, width, lo) for lo, hi in itertools.pairwise(bounds))


def enumerated_guided_rounds(upper: int, width: int, near: int) -> int:
    if upper <= 1:
        return 0
    gap = -(-upper // (width - near + 1))
    return 1 + max((enumerated_min_search_rounds(s, width) for s in range(1, gap + 1)), default=0)


@pytest.mark.parametrize("width", [1, 2, 3, 4, 5, 8])
def test_min_search_rounds_closed_form_equals_the_enumeration(width: int) -> None:
    for lower in (0, 3):
        for upper in range(lower, lower + 300):
            assert worst_min_search_rounds(upper, width, lower) == enumerated_min_search_rounds(
                upper, width, lower
            )
    # The walks take the bound at the largest maximum: it is the largest over every smaller one.
    assert_prefix_max(
        lambda m: worst_min_search_rounds(m, width), lambda m: enumerated_min_search_rounds(m, width)
    )
    for near in range(width):
        assert_prefix_max(
            lambda m, near=near: worst_guided_min_search_rounds(m, width, near),
            lambda m, near=near: enumerated_guided_rounds(m, width, near),
        )


def assert_prefix_max(computed, enumerated, tops: int = 300) -> None:
    most = 0
    for top in range(2, tops):
        most = max(most, enumerated(top))
        assert computed(top) == most, top


def listed_totals(conf) -> tuple:
    batches = worst_case_steps(conf)
    steps = [s for batch in batches for s in batch]
    cost = load_test_cost(steps, conf.price_table)
    return len(batches), len(steps), load_test_minutes(batches), instance_minutes(steps), cost


SMALL_CONFS = [
    {"strategy": strategy, "peak_tps": peak, "max_parallel_endpoints": width, "endurance_retries": retries,
     "endurance_ramp_minutes": ramp, "endurance_steady_state_minutes": steady, "count_walk": counts,
     "tps_walk": tps, "type_walk": types, "precision": precision}
    for strategy in ("perfsize", "adaptive")
    for peak in (7, 60, 100, 333)
    for width in (1, 2, 4, 7)
    for retries in (0, 3)
    for ramp, steady in ((0, 30), (10, 30), (2.5, 0.25), (5, 0))
    for counts, tps, types in (
        ("1", "10,20,30,40,50", "ml.m5.large,ml.m5.xlarge"),
        ("1,2,4", "3,25", "ml.m5.xlarge,ml.c5.large,ml.m5.large"),
    )
    for precision in (0.05, 0.2)
]  # fmt: skip


def test_computed_totals_equal_the_listed_walk_on_many_small_confs() -> None:
    assert len(SMALL_CONFS) >= 500
    for overrides in SMALL_CONFS:
        conf = make_conf(**overrides)
        worst = worst_case(conf)
        rounds, steps, minutes, inst_minutes, cost = listed_totals(conf)
        assert (worst.rounds, worst.steps) == (rounds, steps), overrides
        assert round(float(worst.load_test_minutes), 6) == minutes, overrides
        assert float(worst.instance_minutes) == inst_minutes, overrides
        assert abs(worst.test_cost_usd - cost) < Decimal("1e-18"), overrides


def test_lane_rounds_are_the_enumerated_lane_paths() -> None:
    for overrides in SMALL_CONFS[::7]:
        conf = make_conf(**overrides)
        for lane in adaptive.lanes_for(conf):
            assert adaptive._worst_lane_rounds(lane) == len(adaptive._worst_lane_path(lane))


def test_a_huge_peak_is_bounded_and_not_listed() -> None:
    conf = make_conf(
        strategy="adaptive", peak_tps=100000, count_walk="1,2,3,4", tps_walk="1,5,10,20,50,100,200",
        type_walk="ml.m5.large,ml.m5.xlarge,ml.c5.large,ml.m5.2xlarge", endurance_retries=100000,
    )  # fmt: skip
    out = budget(conf)
    assert out["steps"] is None and out["step_count"] > 100000
    assert out["rounds"] == worst_case(conf).rounds > 100000
    small = budget(make_conf())
    assert small["step_count"] == len(small["steps"])


def test_serverless_confs_add_their_phase_to_the_computed_totals() -> None:
    serverless = {"endpoint_kinds": "realtime,serverless", "serverless_memory_walk": "1024,2048,3072",
                  "serverless_max_concurrency": 10, "serverless_idle_minutes": 0.3}  # fmt: skip
    for strategy in ("perfsize", "adaptive"):
        for kinds in ("realtime,serverless", "serverless"):
            conf = make_conf(strategy=strategy, **(serverless | {"endpoint_kinds": kinds}))
            worst = worst_case(conf)
            rounds, steps, minutes, inst_minutes, cost = listed_totals(conf)
            assert (worst.rounds, worst.steps, round(float(worst.load_test_minutes), 6)) == (
                rounds,
                steps,
                minutes,
            )
            assert float(worst.instance_minutes) == inst_minutes
            assert abs(worst.test_cost_usd - cost) < Decimal("1e-18") and cost > 0
    realtime_only = worst_case(make_conf())
    both = worst_case(make_conf(**serverless))
    assert both.rounds > realtime_only.rounds and both.test_cost_usd > realtime_only.test_cost_usd
