"""A run that cannot happen exits non-zero with one line saying why, before any load is sent."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest
from conftest import jar_env, run_java

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.gatling


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def props(tmp_path: Path, **overrides: str | None) -> list[str]:
    payload = tmp_path / "p.json"
    payload.write_text("{}")
    values: dict[str, str | None] = {
        "sagemaker.host": f"http://127.0.0.1:{closed_port()}",
        "sagemaker.region": "us-west-2",
        "sagemaker.endpoint": "ep",
        "scenario.rampStartTps": "0",
        "scenario.rampMinutes": "0",
        "scenario.steadyStateTps": "5",
        "scenario.steadyStateMinutes": "0.05",
        "scenario.requests": f'[{{"path": "{payload}", "weight": 100}}]',
    }
    values.update(overrides)
    return [f"-D{k}={v}" for k, v in values.items() if v is not None]


def run(gatling_jar: Path, tmp_path: Path, args: list[str], **env: str) -> tuple[int, str]:
    argv = ["java", *args, "-jar", str(gatling_jar), "-s", "GenericSageMakerScenario", "-rf", "out"]
    done = run_java(argv, jar_env(tmp_path, **env), cwd=tmp_path, timeout=60)
    return done.returncode, done.stderr


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"sagemaker.endpoint": None}, "missing required property -Dsagemaker.endpoint"),
        ({"scenario.steadyStateTps": "ten"}, "scenario.steadyStateTps is not a number"),
        ({"scenario.steadyStateMinutes": "0"}, "cannot both be zero"),
        ({"scenario.requests": '[{"path": "x.json", "weight": 60}]'}, "weights must total 100, got 60"),
        ({"scenario.requests": "not json"}, "scenario.requests is not valid JSON"),
        (
            {"scenario.requests": '[{"path": "missing.json", "weight": 100}]'},
            "payload file not found: missing.json",
        ),
        ({"sagemaker.endpoint": "../etc"}, "not a valid SageMaker endpoint name"),
        ({"sagemaker.host": "ftp://127.0.0.1"}, "must use http or https"),
        ({}, "is unreachable"),  # nothing listens on the closed port
        # https always signs: with no credentials anywhere, nothing is sent.
        ({"sagemaker.host": "https://127.0.0.1:1"}, "no AWS credentials for signing"),
    ],
)
def test_cannot_run_exits_2_with_one_line(
    gatling_jar: Path, tmp_path: Path, overrides: dict[str, str | None], reason: str
) -> None:
    code, stderr = run(gatling_jar, tmp_path, props(tmp_path, **overrides))
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("sagemaker-sizing-gatling: cannot run: ")
    assert reason in lines[0]
    assert not (tmp_path / "out").exists()


def test_https_takes_credentials_from_the_environment(gatling_jar: Path, tmp_path: Path) -> None:
    """With env credentials the default chain resolves them and the run goes on to the host check."""
    code, stderr = run(
        gatling_jar,
        tmp_path,
        props(tmp_path, **{"sagemaker.host": f"https://127.0.0.1:{closed_port()}"}),
        AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY="secret",
    )
    assert code == 2
    assert "is unreachable" in stderr and "credentials" not in stderr
