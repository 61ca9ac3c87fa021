"""The project's Gatling jar under load against a loopback SageMaker runtime stand-in.

Each test runs the real jar (a JVM, seconds of load) and checks what the server saw against what
the project's parser reads from the simulation.log the jar wrote.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from conftest import jar_env, parse_results, read_log, run_java
from loopback_server import LoopbackSageMaker
from sagemaker_sizing.adapters.gatling_command import (
    GatlingStep,
    ScenarioRequest,
    gatling_args,
    result_folder,
)

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.gatling
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_steady_load_is_held_signed_and_weighted(gatling_jar: Path, tmp_path: Path) -> None:
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    small.write_bytes(b'{"instances": [1]}')
    large.write_bytes(b'{"instances": [1, 2, 3, 4, 5, 6, 7, 8]}')
    tps, seconds = 50, 10
    with LoopbackSageMaker(fail_every=20, secret_key=SECRET) as server:
        step = GatlingStep(
            host=server.url,
            region="eu-west-1",
            endpoint="sizing-ep-1",
            steady_state_tps=tps,
            steady_state_minutes=Decimal(seconds) / 60,
            requests=[ScenarioRequest(str(small), 30), ScenarioRequest(str(large), 70)],
            output_base_name="steady",
            results_dir=tmp_path / "results",
            jar=gatling_jar,
            warm_up_seconds=0,  # every request the server sees is then in simulation.log
        )
        env = jar_env(tmp_path, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY=SECRET)
        done = run_java(gatling_args(step), env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = server.seen
    # Open model: exactly tps x seconds arrivals, each one request.
    assert seen.requests == tps * seconds
    assert seen.by_endpoint == {"sizing-ep-1": tps * seconds}
    assert seen.signed_valid == tps * seconds and seen.signed_invalid == 0 and seen.unsigned == 0
    assert "/eu-west-1/sagemaker/aws4_request" in seen.auth_samples[0]
    assert set(seen.bodies) == {small.read_bytes(), large.read_bytes()}
    # 30/70 over 500 draws: 150 expected, sd ~10.
    assert 110 <= seen.bodies[small.read_bytes()] <= 190

    # Gatling 3.10's text layout: REQUEST <groups> <name> <start> <end> <OK|KO> <message>.
    run, records = read_log(tmp_path / "results", "steady")
    assert run[0] == "RUN" and run[1] == "GenericSageMakerScenario" and run[2] == "steady"
    assert run[-1] == "3.10.5"
    assert len(records) == tps * seconds and all(len(r) == 7 for r in records)
    assert {r[2] for r in records} == {"SageMaker-sizing-ep-1"}
    assert sum(r[5] == "KO" for r in records) == seen.answered_500
    assert {r[6] for r in records if r[5] == "KO"} == {"status.find.is(200), but actually found 500"}

    metrics = parse_results(tmp_path / "results", "steady", target_tps=tps)
    all_ = metrics["all"]
    assert all_["count_total"] == tps * seconds
    assert all_["count_fail"] == seen.answered_500 == tps * seconds // 20
    assert all_["percent_fail"] == pytest.approx(5.0)
    assert abs(all_["achieved_tps"] - tps) <= 0.02 * tps, all_
    assert list(metrics["by_request"]) == ["SageMaker-sizing-ep-1"]
    assert metrics["files"][0]["gatling_version"] == "3.10.5"
    folder = result_folder(tmp_path / "results", "steady")
    assert folder is not None and (folder / "index.html").is_file()


def test_perfsizesagemakers_exact_command_line_with_a_ramp(gatling_jar: Path, tmp_path: Path) -> None:
    """perfsizesagemaker's argv (auth.* properties, multi-line requests JSON, relative payload path)."""
    body = tmp_path / "bodies" / "model-sim" / "1" / "status-200.input.json"
    body.parent.mkdir(parents=True)
    body.write_text('{\n  "message": "hello world"\n}\n')
    requests = """
            [
                {
                  "path": "bodies/model-sim/1/status-200.input.json",
                  "weight": 100
                }
            ]
        """
    with LoopbackSageMaker() as server:
        argv = [
            "java",
            "-Dgatling.core.outputDirectoryBaseName=1628676529-ml.m5.large-1-20TPS",
            "-Dauth.awsAccessKeyId=ignored-id",
            "-Dauth.awsSecretAccessKey=ignored-secret",
            "-Dauth.awsSessionToken=ignored-token",
            f"-Dsagemaker.host={server.url}",
            "-Dsagemaker.region=us-west-2",
            "-Dsagemaker.endpoint=LEARNING-model-simulator-1",
            "-Dscenario.rampStartTps=0",
            "-Dscenario.rampMinutes=0.05",
            "-Dscenario.steadyStateTps=20",
            "-Dscenario.steadyStateMinutes=0.05",
            f"-Dscenario.requests={requests}",
            "-jar",
            str(gatling_jar),
            "-s",
            "GenericSageMakerScenario",
            "-rf",
            "./perfsize-results-dir",
        ]
        done = run_java(argv, jar_env(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = server.seen
    # Ramp 0 -> 20 users/s over 3 s (~30 users), then 20/s for 3 s (60 users).
    assert 80 <= seen.requests <= 100
    assert seen.unsigned == seen.requests  # http and no credentials in the environment: plain
    assert set(seen.bodies) == {body.read_bytes()}
    assert not any("ignored" in json.dumps(h) for h in seen.header_samples)
    metrics = parse_results(tmp_path / "perfsize-results-dir", "1628676529-ml.m5.large-1-20TPS")
    assert metrics["all"]["count_total"] == seen.requests
    assert metrics["all"]["count_fail"] == 0
    assert list(metrics["by_request"]) == ["SageMaker-LEARNING-model-simulator-1"]


def test_warm_up_load_is_sent_but_not_recorded(gatling_jar: Path, tmp_path: Path) -> None:
    payload = tmp_path / "p.json"
    payload.write_text("{}")
    with LoopbackSageMaker() as server:
        step = GatlingStep(
            host=server.url,
            region="us-west-2",
            endpoint="warm",
            steady_state_tps=40,
            steady_state_minutes=Decimal(3) / 60,
            requests=[ScenarioRequest(str(payload), 100)],
            output_base_name="warm",
            results_dir=tmp_path / "results",
            jar=gatling_jar,
            warm_up_seconds=2,
        )
        done = run_java(gatling_args(step), jar_env(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    _, records = read_log(tmp_path / "results", "warm")
    assert len(records) == 40 * 3  # only the measured load is in simulation.log
    # The warm-up ramps 1 -> 40 arrivals/s over 2 s: about 40 more requests reached the server.
    assert 25 <= server.seen.requests - len(records) <= 55
    assert parse_results(tmp_path / "results", "warm")["all"]["count_total"] == 40 * 3
