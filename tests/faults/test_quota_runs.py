"""Whole sizing runs (``dag.test()``) against the local SageMaker's service quotas.

- A quota the walk meets mid-run (the max phase asks for 6 instances, the quota holds 4): the step
  is a "quota" step, not a crash and not a capacity failure; with on_quota stop the run fails
  naming the quota, the report keeps the measured step and says which quota, teardown runs.
- A quota that cannot hold even the first step: preflight fails, nothing is deployed.
- on_quota skip: preflight drops the refused type, the walk sizes the others, the report says why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.local import LocalSageMakerStatus
from sagemaker_sizing.local.state_files import QUOTA_FILE, set_quotas

from tests.e2e.harness import SizingRun, base_conf
from tests.faults.checks import assert_nothing_left

pytestmark = pytest.mark.e2e

Sizing = Callable[[dict[str, Any]], SizingRun]
QUOTA = "ml.m5.large for endpoint usage"


@pytest.fixture
def quotas(local_sagemaker: LocalSageMakerStatus) -> Iterator[Callable[[dict[str, int]], None]]:
    def apply(values: dict[str, int]) -> None:
        set_quotas(values, local_sagemaker.state_dir)

    yield apply
    (Path(local_sagemaker.state_dir) / QUOTA_FILE).write_text("{}")  # generous defaults again


def test_a_quota_met_mid_run_is_a_quota_step_and_the_report_names_it(
    sizing: Sizing, quotas: Callable[[dict[str, int]], None], local_sagemaker: LocalSageMakerStatus
) -> None:
    quotas({"ml.m5.large": 4})  # holds the first step (1), not the max phase's 6
    run = sizing(
        base_conf(
            endpoint_name="quota", type_walk="ml.m5.large", tps_walk="10", peak_tps=60, endurance_retries=0
        )
    )

    assert run.state == "failed", run.states
    assert run.states["preflight"] == ["success"]  # a warning: the worst case may meet the quota
    assert run.states["round_2.deploy"] == ["success"] and run.states["round_2.parse"] == ["success"]
    assert run.states["round_3.plan"] == ["failed"]  # on_quota stop names the quota and ends the walk
    assert run.states["report"] == ["success"]
    measured, refused = run.steps()
    assert (measured["steady_state_tps"], measured["passed"]) == (10, True)
    assert refused["instance_count"] == 6 and refused["passed"] is False
    assert refused["reason"].startswith("quota: ") and f"'{QUOTA}' is 4 Instances" in refused["error"]
    assert refused["folder"] is None  # no load ran on the refused deployment
    assert run.run_dir is not None
    assert QUOTA in (run.run_dir / "report.html").read_text()
    assert_nothing_left(run, local_sagemaker)


def test_a_quota_below_the_first_step_fails_preflight_with_nothing_deployed(
    sizing: Sizing,
    quotas: Callable[[dict[str, int]], None],
    local_sagemaker: LocalSageMakerStatus,
    capfd: pytest.CaptureFixture[str],
) -> None:
    quotas({"ml.m5.xlarge": 0})
    run = sizing(base_conf(endpoint_name="quota-zero"))

    assert run.state == "failed"
    assert run.states["preflight"] == ["failed"]  # no retry
    assert run.states["round_1.plan"] == ["upstream_failed"]
    assert "ml.m5.xlarge for endpoint usage' is 0" in "".join(capfd.readouterr())
    assert_nothing_left(run, local_sagemaker)
    log = (Path(local_sagemaker.state_dir) / "control_plane.log").read_text()
    assert "quota-zero" not in log  # not even an endpoint config was created


def test_on_quota_skip_sizes_the_other_types_and_says_why(
    sizing: Sizing, quotas: Callable[[dict[str, int]], None], local_sagemaker: LocalSageMakerStatus
) -> None:
    quotas({"ml.m5.xlarge": 0})
    run = sizing(base_conf(endpoint_name="quota-skip", type_walk="ml.m5.xlarge,ml.m5.large", on_quota="skip"))

    assert run.state == "success", run.states
    assert {s["instance_type"] for s in run.steps()} == {"ml.m5.large"}
    assert run.recommendation["recommendation"]["instance_type"] == "ml.m5.large"
    assert run.run_dir is not None
    html = (run.run_dir / "report.html").read_text()
    assert "ml.m5.xlarge dropped from the walk (on_quota skip)" in html
    assert_nothing_left(run, local_sagemaker)
