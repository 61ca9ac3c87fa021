"""A whole run with a test budget: the round that would pass it is not started, the report says so.

The same run also has its teardown fail once (the control plane refuses the first DeleteEndpoint):
the teardown task's retry finishes the job and the run still succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sagemaker_sizing.local import LocalSageMakerStatus

from tests.e2e.harness import SizingRun, base_conf
from tests.faults.checks import assert_nothing_left, assert_steps_reported, injected
from tests.faults.conftest import Faults

pytestmark = pytest.mark.e2e

Sizing = Callable[[dict[str, Any]], SizingRun]

# One ml.m5.large ($0.115/h) for 0.06 min costs $0.000115 a step: two steps fit, a third does not.
BUDGET = 0.00025


def test_the_cost_guard_stops_the_walk_and_a_failing_teardown_is_retried(
    sizing: Sizing, faults: Faults, local_sagemaker: LocalSageMakerStatus
) -> None:
    faults.set(
        [
            {
                "action": "DeleteEndpoint",
                "match": "budget",
                # Not throttling (the adapter would outlast that): a plain refusal fails the task.
                "error": "ValidationException",
                "message": "injected: Cannot delete in-progress endpoint",
                "times": 1,
            }
        ]
    )
    conf = base_conf(
        endpoint_name="budget", type_walk="ml.m5.large", tps_walk="10,20,30", max_test_cost_usd=BUDGET
    )
    refused_before = injected(local_sagemaker, "DeleteEndpoint")
    run = sizing(conf)

    assert run.state == "success", run.states
    assert run.states["round_3.plan"] == ["success"]
    assert run.states["round_3.deploy"] == ["skipped"]  # plan returned [] and so branched to stop
    steps = assert_steps_reported(run, 2)
    assert [s["steady_state_tps"] for s in steps] == [10, 20]
    notes = run.recommendation["notes"]
    assert any("round 3 was not started" in n and "max_test_cost_usd" in n for n in notes), notes
    assert "round 3 was not started" in (run.run_dir / "report.html").read_text()
    # Both steps passed: the outcome is the budget's, with what was found so far, not "none".
    assert run.recommendation["status"] == "budget" and run.recommendation["failure"] is None
    assert run.recommendation["headline"].startswith("Stopped by the budget (max_test_cost_usd)")
    assert "No configuration met the requirements" not in (run.run_dir / "report.html").read_text()
    assert injected(local_sagemaker, "DeleteEndpoint") == refused_before + 1  # teardown did fail once
    assert_nothing_left(run, local_sagemaker)
