"""A step a quota refused: no capacity evidence; its type is unavailable (on_quota skip) or the walk
ends there (on_quota stop, the default)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sagemaker_sizing.core.model import StepResult
from sagemaker_sizing.core.simulate.capacity import CapacityModel
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory
from sagemaker_sizing.core.walk import next_batch, recommend
from walk_helpers import make_conf

if TYPE_CHECKING:
    from collections.abc import Callable

    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.model import StepConfig

MESSAGE = (
    "The account-level service limit 'ml.m5.xlarge for endpoint usage' is 0 Instances, with current "
    "utilization of 0 Instances and a request delta of 1 Instances."
)
MODEL = CapacityModel({"ml.m5.large": 12, "ml.m5.xlarge": 40})


def drive(conf: SizingConf, refused: Callable[[StepConfig], bool]) -> list[StepResult]:
    results: list[StepResult] = []
    for round_number in range(1, 200):
        batch = next_batch(conf, results)
        if not batch:
            return results
        for step in batch:
            if refused(step):
                results.append(
                    StepResult(
                        step, round_number, False, "quota", error=MESSAGE, error_category=ErrorCategory.QUOTA
                    )
                )
            else:
                results.append(StepResult(step, round_number, MODEL.passes(step), ""))
    raise AssertionError("walk did not finish")


def xlarge(step: StepConfig) -> bool:
    return step.instance_type == "ml.m5.xlarge"


def test_adaptive_skip_drops_the_refused_type_and_sizes_on_the_others() -> None:
    conf = make_conf(strategy="adaptive", on_quota="skip")
    results = drive(conf, xlarge)
    refused = [r for r in results if r.error_category == ErrorCategory.QUOTA]
    assert len(refused) == 1  # one refusal, then the type is never planned again
    assert all(r.step.instance_type == "ml.m5.large" for r in results if r.round > refused[0].round)
    rec = recommend(conf, results)
    assert rec.instance_type == "ml.m5.large"
    assert any("ml.m5.xlarge is unavailable" in line and "0 Instances" in line for line in rec.explanation)


def test_adaptive_stop_ends_the_walk_after_the_refused_round() -> None:
    conf = make_conf(strategy="adaptive")  # on_quota defaults to stop
    results = drive(conf, xlarge)
    assert {r.round for r in results} == {1}
    assert recommend(conf, results).instance_type is None


def test_a_refusal_in_endurance_moves_to_the_next_cheapest_type() -> None:
    """The fixed endurance step refused: no 'one more instance' on that type, the other type goes."""
    conf = make_conf(strategy="adaptive", on_quota="skip", endurance_ramp_minutes=0)
    first_endurance: list[str] = []

    def refuse_first_endurance(step: StepConfig) -> bool:
        if step.phase == "max" and not first_endurance:
            first_endurance.append(step.instance_type)
            return True
        return False

    results = drive(conf, refuse_first_endurance)
    (refused_type,) = first_endurance
    later = [r.step for r in results if r.step.phase == "max" and r.error_category is None]
    assert later and all(s.instance_type != refused_type for s in later)
    assert recommend(conf, results).instance_type not in (None, refused_type)


def test_perfsize_skip_moves_to_the_next_type_not_the_next_count() -> None:
    conf = make_conf(
        strategy="perfsize", on_quota="skip", type_walk="ml.m5.xlarge,ml.m5.large", count_walk="1,2"
    )
    results = drive(conf, xlarge)
    steps = [(r.step.instance_type, r.step.instance_count) for r in results]
    assert steps[:2] == [("ml.m5.xlarge", 1), ("ml.m5.large", 1)]
    assert ("ml.m5.xlarge", 2) not in steps
    assert recommend(conf, results).instance_type == "ml.m5.large"


def test_perfsize_refusal_in_the_max_phase_ends_it_without_a_capacity_verdict() -> None:
    conf = make_conf(strategy="perfsize", on_quota="skip", type_walk="ml.m5.large")
    results = drive(conf, lambda s: s.phase == "max")
    rec = recommend(conf, results)
    assert rec.max_instance_count is None
    assert [r.step.instance_count for r in results if r.step.phase == "max"] == [10]  # no retries
    assert not any("held the peak" in line and "No count" in line for line in rec.explanation)
