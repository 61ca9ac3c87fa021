"""What every fault run must show afterwards: nothing of the run left, every measured step reported."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sagemaker_sizing.local import LocalSageMakerStatus

    from tests.e2e.harness import SizingRun


def scaling_targets_left(local: LocalSageMakerStatus) -> list[str]:
    aas = local.client("application-autoscaling")
    targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    return [t["ResourceId"] for t in targets]


def assert_nothing_left(run: SizingRun, local: LocalSageMakerStatus) -> None:
    assert run.endpoints_left == [], run.endpoints_left
    assert run.configs_left == [], run.configs_left
    assert scaling_targets_left(local) == []
    assert run.states["teardown"] == ["success"], run.states


def assert_steps_reported(run: SizingRun, expected: int, errors: int = 0) -> list[dict[str, Any]]:
    """recommendation.json and report.html list every step measured before the fault (and
    ``errors`` error steps that measured nothing, such as a failed deploy's)."""
    assert run.run_dir is not None
    html = (run.run_dir / "report.html").read_text()
    steps = run.steps()
    assert len(steps) == expected + errors, steps
    assert sum(1 for s in steps if s["count_total"] is None and s["outcome"] == "error") == errors, steps
    for step in (s for s in steps if s["count_total"] is not None):
        assert (run.run_dir / step["folder"] / "simulation.log").is_file()
        assert step["folder"] in html, step["folder"]
    return steps


def injected(local: LocalSageMakerStatus, action: str) -> int:
    """How often the control plane has fired an injected fault of ``action`` (from its log)."""
    log = Path(local.state_dir) / "control_plane.log"
    return log.read_text().count(f"injected fault {action} ") if log.is_file() else 0
