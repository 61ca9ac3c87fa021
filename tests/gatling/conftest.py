"""Helpers for the Gatling jar tests: run the jar as perfsizesagemaker does, parse what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.adapters.gatling_command import result_folder
from sagemaker_sizing.paths import GATLING_JAR

CLI = Path(sys.executable).parent / "sagemaker-sizing"


@pytest.fixture(scope="session")
def gatling_jar() -> Path:
    if not GATLING_JAR.is_file():
        pytest.fail(f"{GATLING_JAR} is missing: build it with `bash scripts/setup.sh`")
    return GATLING_JAR


def jar_env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no ambient AWS credentials, no metadata-service look-up, HOME in tmp."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}
    if "JAVA_HOME" in os.environ:
        env["JAVA_HOME"] = os.environ["JAVA_HOME"]
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
    )
    env.update(extra)
    return env


def run_java(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        check=False,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )


def parse_results(results_dir: Path, base_name: str, target_tps: float | None = None) -> dict[str, Any]:
    """The project's parser CLI on the step's simulation.log."""
    folder = result_folder(results_dir, base_name)
    assert folder is not None, f"no results folder {base_name}-* in {list(results_dir.iterdir())}"
    cmd = [str(CLI), "parse", "--indent", "0", str(folder / "simulation.log")]
    if target_tps is not None:
        cmd += ["--target-tps", str(target_tps)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60)
    parsed: dict[str, Any] = json.loads(out.stdout)
    return parsed


def read_log(results_dir: Path, base_name: str) -> tuple[list[str], list[list[str]]]:
    """The RUN record and the REQUEST records of a step's simulation.log, split on tabs."""
    folder = result_folder(results_dir, base_name)
    assert folder is not None
    lines = (folder / "simulation.log").read_text().splitlines()
    run = lines[0].split("\t")
    requests = [line.split("\t") for line in lines if line.startswith("REQUEST\t")]
    return run, requests
