"""Whole sizing runs through Airflow (``dag.test()``) on the local SageMaker, both strategies."""

from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Callable
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.core.gatling.jar_kind import PROJECT_MAIN
from sagemaker_sizing.local import analytical_capacity, load_profile
from sagemaker_sizing.paths import PROJECT_ROOT

from tests.e2e.harness import SizingRun, base_conf

pytestmark = pytest.mark.e2e

Sizing = Callable[[dict[str, Any]], SizingRun]


PRICES = json.loads((PROJECT_ROOT / "resources" / "cost" / "us-west-2.json").read_text())
# Neither a trivial walk's answer (the first type at count 1) nor each other's: ml.m5.large is
# listed first, ml.c5.large is cheaper per TPS, and one instance of either cannot carry the peak.
# No endurance retry and a coarse precision: adaptive's worst case (6 rounds) fits the tests' 8
# round slots (with one retry and the default precision 0.05 it would need 9).
CONF = {
    "peak_tps": 90,
    "type_walk": "ml.m5.large,ml.c5.large",
    "tps_walk": "10,40,80",
    "endurance_retries": 0,
    "precision": 1.0,
}


def capacity(instance_type: str, count: int, p99_ms: float) -> float:
    """The TPS the emulator's capacity table (resources/model_profiles.json) gives ``count`` instances."""
    return float(analytical_capacity(load_profile(), instance_type, count, p99_ms))


def true_answer(peak_tps: float, p99_ms: float, types: list[str]) -> tuple[str, int]:
    """The cheapest (type, count) the emulator's capacity model says carries the peak."""
    options = []
    for instance_type in types:
        count = math.ceil(peak_tps / capacity(instance_type, 1, p99_ms))
        options.append((PRICES[instance_type] * count, instance_type, count))
    _, instance_type, count = min(options)
    return instance_type, count


def perfsize_answer(conf: dict[str, Any]) -> tuple[str, int]:
    """What perfsizesagemaker's rules give on the emulator's capacity table: the first type that
    holds the first TPS at a count of count_walk, its TPS per instance quantised by tps_walk, and
    the first count from ceil(peak / that) on that holds the peak."""
    p99, peak = conf["latency_success_p99"], conf["peak_tps"]
    tps_walk = [float(t) for t in conf["tps_walk"].split(",")]
    counts = [int(c) for c in conf["count_walk"].split(",")]
    instance_type, count = next(
        (t, c) for t in conf["type_walk"].split(",") for c in counts if capacity(t, c, p99) >= tps_walk[0]
    )
    held = [tps for tps in tps_walk if tps <= capacity(instance_type, count, p99)]
    needed = math.ceil(peak / (max(held) / count))
    tried = range(needed, needed + conf["endurance_retries"] + 1)
    return instance_type, next(n for n in tried if capacity(instance_type, n, p99) >= peak)


def check_clean_and_reported(run: SizingRun) -> None:
    assert run.endpoints_left == [], run.endpoints_left
    assert run.configs_left == [], run.configs_left
    assert run.run_dir is not None and (run.run_dir / "report.html").is_file()
    assert run.states["teardown"] == ["success"]
    assert run.states["report"] == ["success"]


@pytest.mark.parametrize("strategy", ["perfsize", "adaptive"])
def test_a_sizing_run_finds_the_true_answer_and_cleans_up(sizing: Sizing, strategy: str) -> None:
    conf = base_conf(strategy=strategy, **CONF)
    run = sizing(conf)

    assert run.state == "success", run.states
    check_clean_and_reported(run)
    rec = run.recommendation["recommendation"]
    if strategy == "perfsize":  # step for step perfsizesagemaker: the first type, tps_walk's steps
        expected = perfsize_answer(conf)
        assert expected == ("ml.m5.large", 3)
    else:  # the cheapest type for the peak, at the count it needs
        expected = true_answer(conf["peak_tps"], conf["latency_success_p99"], conf["type_walk"].split(","))
        assert expected == ("ml.c5.large", 2)
    assert (rec["instance_type"], rec["max_instance_count"]) == expected
    # Every step the report lists passed or failed for a reason, and has its Gatling report.
    steps = run.steps()
    assert steps, "no steps in recommendation.json"
    for step in steps:
        assert step["reason"]
        assert (run.run_dir / step["folder"] / "simulation.log").is_file()
    html = (run.run_dir / "report.html").read_text()
    assert rec["instance_type"] in html
    # What the sizing took, from the run's own instants: the first deploy to the last delete holds
    # every round's load, and every endpoint billed something.
    took = run.recommendation["sizing"]
    assert took["wall_clock_hours"] * 60 > took["load_minutes"] > 0
    assert took["deploys"] >= 1 and float(took["bill_usd"]) > 0, took
    assert took["actions"].get("created", 0) >= 1
    # The line under the headline is the one recommendation.json holds, from these figures.
    assert took["line"].startswith("The sizing took ") and f"{took['deploys']} deploy" in took["line"]
    assert f'<p class="took" id="sizing-took">{took["line"]}</p>' in unescape(html)


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
