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
    """The very first endpoint never comes into service: nothing was measured, so no load ran and
    there is no measured step; the run fails naming the cause, and report and teardown still run."""
    reason = "injected: the primary container did not pass the ping health check"
    faults.set([{"action": "EndpointStatus", "match": "fault", "status": "Failed", "reason": reason}])
    run = sizing(CONF)

    assert run.state == "failed", run.states
    assert run.states["round_1.deploy"] == ["failed"], run.states
    assert "success" not in run.states.get("round_1.load", []), run.states
    assert "success" not in run.states.get("round_2.deploy", []), run.states
    assert reason in "".join(capfd.readouterr())
    assert run.states["report"] == ["success"]
    # The report lists the step as an error that measured nothing (no Gatling folder), not a fail.
    (step,) = run.steps()
    assert (step["round"], step["outcome"], step["folder"]) == (1, "error", None), step
    assert reason in step["error"]
    rec = run.recommendation
    assert rec["recommendation"]["instance_type"] is None, rec
    # Not "no configuration met the requirements": the run failed, and its headline says why.
    assert rec["status"] == "failed", rec
    assert reason in rec["headline"], rec["headline"]
    assert_nothing_left(run, local_sagemaker)
