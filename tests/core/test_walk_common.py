"""Shared by the walk tests: a conf builder and a driver that answers steps with a rule."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.conf.model import SizingConf, load_conf
from sagemaker_sizing.core.model import StepConfig, StepResult
from sagemaker_sizing.core.walk import next_batch

if TYPE_CHECKING:
    from collections.abc import Callable

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"


def make_conf(**overrides: Any) -> SizingConf:
    raw: dict[str, Any] = {
        "region": "us-west-2",
        "endpoint_name": "e",
        "endpoint_config_name": "ec",
        "model_name": "m",
        "scenario_requests": [{"path": "sample.input.json", "weight": 100}],
        "peak_tps": 100,
        "latency_success_p99": 500,
        "percent_fail": 1,
        "type_walk": "ml.m5.large,ml.m5.xlarge",
        "count_walk": "1",
        "tps_walk": "10,20,30,40,50",
        "duration_minutes": 3,
        "endurance_ramp_start_tps": 0,
        "endurance_ramp_minutes": 10,
        "endurance_steady_state_minutes": 30,
        "endurance_retries": 3,
        "strategy": "perfsize",
    }
    raw.update(overrides)
    return load_conf(raw, base_dir=EXAMPLES)


def drive(conf: SizingConf, rule: Callable[[StepConfig], bool], limit: int = 200) -> list[StepResult]:
    results: list[StepResult] = []
    for round_number in range(1, limit):
        batch = next_batch(conf, results)
        if not batch:
            return results
        results += [StepResult(s, round_number, rule(s), "") for s in batch]
    raise AssertionError("walk did not finish")


def scripted(outcomes: list[bool]) -> Callable[[StepConfig], bool]:
    """Answers steps in order from a list (for one-step-per-round walks)."""
    answers = iter(outcomes)
    return lambda _step: next(answers)


# Tests of the shared pieces.
from sagemaker_sizing.core.walk.common import (  # noqa: E402
    MinSearch,
    aws_formula_target,
    instances_for,
    perfsize_target,
    worst_guided_min_search_rounds,
    worst_min_search_rounds,
)


def test_min_search_width_one_is_perfsize_binary_search():
    assert MinSearch(0, 5).points() == [2]
    assert MinSearch(0, 2).points() == [1]
    assert MinSearch(4, 5).points() == []  # int((4+5)/2) = 4 already tested
    assert MinSearch(0, 5).record({2: False}) == MinSearch(2, 5, 1, None)
    assert MinSearch(0, 5).record({2: True}) == MinSearch(0, 2, 1, 2)


def test_min_search_wider_rounds_split_the_gap():
    search = MinSearch(0, 10, 3)
    assert search.points() == [2, 5, 7]
    after = search.record({2: False, 5: True, 7: True})
    assert (after.lower, after.upper, after.found) == (2, 5, 5)
    assert worst_min_search_rounds(10, 3) < worst_min_search_rounds(10, 1)


def test_targets_and_instance_counts():
    assert perfsize_target(100, 3) == 1000  # int(100 / 3 * 60 * 0.5) = int(1000.0)
    assert perfsize_target(70, 3) == 700
    assert aws_formula_target(38.5, 0.5) == 1155
    assert instances_for(60, 60 / 7) == 7  # no float noise pushing it to 8
    assert instances_for(100, 30) == 4


def test_min_search_guess_tests_its_neighbourhood_first_for_one_round():
    # Answer 11 is settled by 11 passing and 10 failing; then answer 10 needs 9.
    guided = MinSearch(0, 22, 3, guess=11, near=3)
    assert guided.points() == [9, 10, 11]
    # Half near the guess (clamped to the open gap), half evenly spaced.
    after_miss = MinSearch(11, 22, 4, guess=11, near=2)
    assert after_miss.points() == [12, 13, 14, 18]
    assert MinSearch(0, 9, 4, guess=11, near=2).points() == [3, 6, 7, 8]
    # The guess guides one round only.
    assert MinSearch(0, 22, 3, guess=11, near=3).record({9: False, 10: False, 11: False}).near == 0
    assert MinSearch(0, 5, 2, guess=9, near=2).points() == [3, 4]


def test_guided_search_bound_holds_for_every_guess_and_answer():
    def rounds(upper: int, width: int, near: int, guess: int, answer: int) -> int:
        search, n = MinSearch(0, upper, width, guess=guess, near=near), 0
        while points := search.points():
            search, n = search.record({m: m >= answer for m in points}), n + 1
        assert search.upper == answer and (search.lower == answer - 1)
        return n

    for width, near in [(1, 0), (2, 0), (2, 1), (3, 1), (4, 1), (4, 2), (6, 2), (6, 3)]:
        for upper in range(2, 25):
            bound = worst_guided_min_search_rounds(upper, width, near)
            worst = max(
                rounds(upper, width, near, g, a) for g in range(1, upper + 3) for a in range(1, upper + 1)
            )
            assert worst <= bound, (width, near, upper)
