"""A whole sizing run with a sagemaker-gatling-style jar (the stand-in for intuit's) as ``jar_file``.

That jar calls ``https://<host>`` and signs with its ``auth.*`` config keys only: the run must give
it the local runtime's TLS listener as a bare host and temporary credentials in a config file,
and the runtime (which demands SigV4) must accept every request.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any

import pytest
from sagemaker_sizing.core.gatling.parser import parse_log
from sagemaker_sizing.paths import STANDIN_JAR

from tests.e2e.harness import SizingRun, base_conf

pytestmark = pytest.mark.e2e

Sizing = Callable[[dict[str, Any]], SizingRun]


def auth_files() -> set[str]:
    return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("sagemaker-sizing-auth-")}


def test_a_run_with_the_sagemaker_gatling_stand_in_ends_with_a_recommendation(sizing: Sizing) -> None:
    assert STANDIN_JAR.is_file(), f"{STANDIN_JAR} is missing: build it with `bash scripts/setup.sh`"
    before = auth_files()
    # The stand-in has no warm-up of its own (nor has intuit's jar): its fresh JVM's first seconds
    # weigh on a short step's p99, so the latency goal here is loose; this run checks the path.
    conf = base_conf(
        jar_file=str(STANDIN_JAR),
        type_walk="ml.m5.large",
        tps_walk="10,20",
        peak_tps=20,
        latency_success_p99=5000,
    )
    run = sizing(conf)

    assert run.state == "success", run.states
    assert run.endpoints_left == []
    rec = run.recommendation["recommendation"]
    assert rec["instance_type"] == "ml.m5.large"
    steps = run.steps()
    assert steps
    assert run.run_dir is not None
    for step in steps:
        log = run.run_dir / step["folder"] / "simulation.log"
        # The stand-in wrote it (its simulation class), and every request was signed and verified:
        # the local runtime demands SigV4, so an unsigned or wrongly signed one would be a KO.
        assert "GenericSageMakerScenario" in log.read_text().splitlines()[0]
        counts = parse_log(log)["all"]
        assert counts["count_success"] > 0, counts
        assert counts["count_fail"] == 0, counts
    # The per-step credentials file is gone.
    assert auth_files() - before == set()
