"""The autoscaling-minimum search (core.walk.min_search): perfsize's binary search, wider rounds, a guess."""

from __future__ import annotations

from sagemaker_sizing.core.walk.min_search import (
    MinSearch,
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
