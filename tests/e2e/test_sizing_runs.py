"""Whole sizing runs through Airflow (``dag.test()``) on the local SageMaker, both strategies."""

from __future__ import annotations

import math
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.core.gatling.jar_kind import PROJECT_MAIN
from sagemaker_sizing.local import analytical_capacity, load_profile

from tests.e2e.harness import SizingRun, base_conf

pytestmark = pytest.mark.e2e

Sizing = Callable[[dict[str, Any]], SizingRun]


def true_answer(
    peak_tps: float, p99_ms: float, types: list[str], prices: dict[str, float]
) -> tuple[str, int]:
    """The cheapest (type, count) the emulator's capacity model says carries the peak."""
    profile = load_profile()
    options = []
    for instance_type in types:
        count = math.ceil(peak_tps / analytical_capacity(profile, instance_type, 1, p99_ms))
        options.append((prices[instance_type] * count, instance_type, count))
    _, instance_type, count = min(options)
    return instance_type, count


def check_clean_and_reported(run: SizingRun) -> None:
    assert run.endpoints_left == [], run.endpoints_left
    assert run.configs_left == [], run.configs_left
    assert run.run_dir is not None and (run.run_dir / "report.html").is_file()
    assert run.states["teardown"] == ["success"]
    assert run.states["report"] == ["success"]


@pytest.mark.parametrize("strategy", ["perfsize", "adaptive"])
def test_a_sizing_run_finds_the_true_answer_and_cleans_up(sizing: Sizing, strategy: str) -> None:
    run = sizing(base_conf(strategy=strategy))

    assert run.state == "success", run.states
    check_clean_and_reported(run)
    rec = run.recommendation["recommendation"]
    expected = true_answer(
        40, 500, ["ml.m5.large", "ml.m5.xlarge"], {"ml.m5.large": 0.115, "ml.m5.xlarge": 0.23}
    )
    assert (rec["instance_type"], rec["max_instance_count"]) == expected
    # Every step the report lists passed or failed for a reason, and has its Gatling report.
    steps = run.steps()
    assert steps, "no steps in recommendation.json"
    for step in steps:
        assert step["reason"]
        assert (run.run_dir / step["folder"] / "simulation.log").is_file()
    html = (run.run_dir / "report.html").read_text()
    assert rec["instance_type"] in html


def test_a_failed_step_fails_the_run_but_report_and_teardown_still_run(
    sizing: Sizing, tmp_path: Path
) -> None:
    # A jar that passes validation (it names the project's launcher) but whose classes are missing:
    # java exits non-zero, so the first load fails after the endpoints were deployed.
    broken = tmp_path / "sagemaker-gatling.jar"
    with zipfile.ZipFile(broken, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", f"Manifest-Version: 1.0\nMain-Class: {PROJECT_MAIN}\n")
    run = sizing(base_conf(jar_file=str(broken)))

    assert run.state == "failed"
    assert "failed" in run.states["round_1.load"]
    check_clean_and_reported(run)
    # The jar measured nothing: a setup error, never a capacity verdict.
    assert run.recommendation["status"] == "failed", run.recommendation["headline"]
    assert run.recommendation["failure"]["category"] == "setup"
