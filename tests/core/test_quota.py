"""What a walk asks of the quotas, and preflight's quota findings."""

from __future__ import annotations

import pytest
from sagemaker_sizing.core.account.preflight import Severity, quota_findings, without_types
from sagemaker_sizing.core.account.quota import (
    assess,
    instance_quota_name,
    is_endpoint_count_quota,
    most_endpoints_at_once,
    type_demands,
)
from sagemaker_sizing.core.model import StepConfig, StepResult
from sagemaker_sizing.core.simulate.capacity import CapacityModel
from sagemaker_sizing.core.walk import next_batch
from walk_helpers import make_conf

QUOTAS = {"ml.m5.large for endpoint usage": 1000.0, "ml.m5.xlarge for endpoint usage": 1000.0}


def at_once(batch: list[StepConfig]) -> dict[str, int]:
    """Instances per type a batch can hold (autoscaling endpoints at their maximum)."""
    held: dict[str, int] = {}
    for step in batch:
        held[step.instance_type] = held.get(step.instance_type, 0) + (
            step.scaling_max_instance_count or step.instance_count
        )
    return held


@pytest.mark.parametrize("strategy", ["adaptive", "perfsize"])
@pytest.mark.parametrize("width", [1, 2, 4])
@pytest.mark.parametrize("capacity", [3, 9, 14, 30, 70])
def test_the_bound_holds_every_batch_of_real_walks(strategy: str, width: int, capacity: float) -> None:
    conf = make_conf(strategy=strategy, max_parallel_endpoints=width, count_walk="1,2")
    bound = {d.instance_type: d.most_at_once for d in type_demands(conf)}
    model = CapacityModel({"ml.m5.large": capacity, "ml.m5.xlarge": capacity * 2.5})
    results: list[StepResult] = []
    for round_number in range(1, 200):
        batch = next_batch(conf, results)
        if not batch:
            break
        assert len(batch) <= most_endpoints_at_once(conf)
        for instance_type, held in at_once(batch).items():
            assert held <= bound[instance_type], (round_number, batch)
        results += [StepResult(s, round_number, model.passes(s), "") for s in batch]
    else:
        raise AssertionError("walk did not finish")


def test_first_steps() -> None:
    adaptive = make_conf(strategy="adaptive", count_walk="2,3")
    perfsize = make_conf(strategy="perfsize", count_walk="2,3")
    assert {d.first_step for d in type_demands(adaptive)} == {1}  # lanes start on one instance
    assert {d.first_step for d in type_demands(perfsize)} == {2}


def test_worst_case_of_a_huge_walk_is_computed_not_enumerated() -> None:
    # Built past load_conf (whose round check enumerates the worst case): 100000 instances deep.
    conf = make_conf(strategy="adaptive").model_copy(update={"peak_tps": 100000, "tps_walk": (1.0,)})
    (large, _) = type_demands(conf)
    assert large.most_at_once >= 100000


def test_a_quota_of_zero_blocks_and_names_the_quota() -> None:
    conf = make_conf(strategy="adaptive")
    verdicts = assess(conf, {**QUOTAS, "ml.m5.xlarge for endpoint usage": 0}, {}, 0)
    findings, dropped = quota_findings(conf, verdicts)
    (blocking,) = [f for f in findings if f.severity is Severity.BLOCKING]
    assert "'ml.m5.xlarge for endpoint usage' is 0" in blocking.message
    assert "request an increase to at least 1" in blocking.message
    assert dropped == []


def test_instances_in_use_count_against_the_quota() -> None:
    conf = make_conf(strategy="perfsize", count_walk="2")
    verdicts = assess(conf, {**QUOTAS, "ml.m5.large for endpoint usage": 3}, {"ml.m5.large": 2}, 0)
    findings, _ = quota_findings(conf, verdicts)
    (blocking,) = [f for f in findings if f.severity is Severity.BLOCKING]
    assert "with 2 in use" in blocking.message and "at least 4" in blocking.message


def test_skip_drops_the_type_with_a_note() -> None:
    conf = make_conf(strategy="adaptive", on_quota="skip")
    findings, dropped = quota_findings(
        conf, assess(conf, {**QUOTAS, "ml.m5.xlarge for endpoint usage": 0}, {}, 0)
    )
    assert dropped == ["ml.m5.xlarge"]
    assert [f.severity for f in findings if "ml.m5.xlarge" in f.message] == [Severity.NOTE]
    smaller = without_types(conf, dropped)
    assert smaller.type_walk == ("ml.m5.large",) and dict(smaller.prices).keys() == {"ml.m5.large"}


def test_skip_of_every_type_blocks() -> None:
    conf = make_conf(strategy="adaptive", on_quota="skip")
    findings, _ = quota_findings(conf, assess(conf, dict.fromkeys(QUOTAS, 0.0), {}, 0))
    assert any(f.severity is Severity.BLOCKING and "every type" in f.message for f in findings)


def test_a_worst_case_beyond_the_quota_warns_with_the_number_to_request() -> None:
    conf = make_conf(strategy="adaptive")
    most = type_demands(conf)[0].most_at_once
    findings, _ = quota_findings(
        conf, assess(conf, {**QUOTAS, "ml.m5.large for endpoint usage": most - 1}, {}, 0)
    )
    (warning,) = [f for f in findings if f.severity is Severity.WARNING and "ml.m5.large" in f.message]
    assert f"increase to {most}" in warning.message


def test_the_endpoint_count_quota() -> None:
    conf = make_conf(strategy="adaptive")
    quotas = {**QUOTAS, "Number of endpoints": 3}
    findings, _ = quota_findings(conf, assess(conf, quotas, {}, 2))  # two lanes side by side, 2 in use
    assert any(
        f.severity is Severity.BLOCKING and "'Number of endpoints' is 3" in f.message for f in findings
    )
    assert is_endpoint_count_quota("Number of endpoints per account")
    assert not is_endpoint_count_quota(instance_quota_name("ml.m5.large"))


def test_an_unlisted_quota_is_a_warning_not_a_pass() -> None:
    conf = make_conf(strategy="adaptive")
    findings, _ = quota_findings(conf, assess(conf, {}, {}, 0))
    assert sum("not listed by Service Quotas" in f.message for f in findings) == 3
    assert not [f for f in findings if f.severity is Severity.BLOCKING]
