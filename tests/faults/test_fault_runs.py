"""Whole sizing runs (``dag.test()``) with a fault injected into the local control plane.

The walk (perfsize, one type, one TPS): 10 TPS on one instance passes, so the max phase asks
for ceil(60 / 10) = 6 instances. Moving the endpoint to that ``-x6`` config is where the fault
hits, after a step was measured: the run must fail, say why, keep the step in the report and
leave nothing behind. (A quota refusing that deployment is a "quota" step, not a deploy failure:
tests/faults/test_quota_runs.py.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sagemaker_sizing.local import LocalSageMakerStatus

from tests.e2e.harness import SizingRun, base_conf
from tests.faults.checks import assert_nothing_left, assert_steps_reported
from tests.faults.conftest import Faults

pytestmark = pytest.mark.e2e

Sizing = Callable[[dict[str, Any]], SizingRun]

CONF = base_conf(
    endpoint_name="fault",
    type_walk="ml.m5.large",
    tps_walk="10",
    peak_tps=60,
    endurance_retries=0,
)

FAULTS = {
    "endpoint-failed": (
        {
            "action": "EndpointStatus",
            "match": "-x6",
            "status": "Failed",
            "reason": "injected: the primary container did not pass the ping health check",
        },
        "did not pass the ping health check",
        "setup",
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_deploy_fault_after_measured_steps_fails_the_run_cleanly(
    sizing: Sizing,
    faults: Faults,
    local_sagemaker: LocalSageMakerStatus,
    capfd: pytest.CaptureFixture[str],
    fault: str,
) -> None:
    rule, message, category = FAULTS[fault]
    faults.set([rule])
    run = sizing(CONF)

    assert run.state == "failed", run.states
    # A quota fails the deploy at once; a Failed endpoint is retried (replaced first), the same way.
    assert run.states["round_2.deploy"] == ["failed"], run.states
    assert message in "".join(capfd.readouterr())
    assert run.states["report"] == ["success"]
    # The measured step is kept; the failed deploy is the report's error step and its first line.
    steps = assert_steps_reported(run, 1, errors=1)
    assert (steps[0]["steady_state_tps"], steps[0]["outcome"]) == (10, "pass")
    assert steps[1]["outcome"] == "error" and steps[1]["error_category"] == category
    assert run.recommendation["status"] == "failed"
    assert run.recommendation["failure"]["category"] == category
    assert message in run.recommendation["headline"] and "round 2" in run.recommendation["headline"]
    assert_nothing_left(run, local_sagemaker)


def test_a_deploy_fault_in_round_1_fails_the_run_before_any_load(
    sizing: Sizing,
    faults: Faults,
    local_sagemaker: LocalSageMakerStatus,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The very first CreateEndpoint is refused: nothing was measured, so there is no step to report
    and no load ran; the run fails naming the cause, and report and teardown still run."""
    message = "The account-level service limit 'ml.m5.large for endpoint usage' is 0 Instances"
    faults.set(
        [{"action": "CreateEndpoint", "match": "fault", "error": "ResourceLimitExceeded", "message": message}]
    )
    run = sizing(CONF)

    assert run.state == "failed", run.states
    assert run.states["round_1.deploy"] == ["failed"], run.states
    assert "success" not in run.states.get("round_1.load", []), run.states
    assert "round_2.deploy" not in run.states or "success" not in run.states["round_2.deploy"], run.states
    assert message in "".join(capfd.readouterr())
    assert run.states["report"] == ["success"]
    assert_steps_reported(run, 0)
    # No answer. (Which status the run's recommendation.json carries for a cause that is not
    # capacity evidence is the outcomes work's: recommendation.json's status and headline.)
    assert run.recommendation["recommendation"]["instance_type"] is None, run.recommendation
    assert_nothing_left(run, local_sagemaker)
