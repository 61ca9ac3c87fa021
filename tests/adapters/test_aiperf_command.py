"""The typed AIPerf command: every conf shape gives the flags the load needs, and no secret."""

from __future__ import annotations

import dataclasses
import json
import shlex
import subprocess
from pathlib import Path

import pytest
from sagemaker_sizing.adapters.aiperf_command import (
    CONSOLE_FILE,
    EXIT_CODE_FILE,
    RATE_SERIES_FILE,
    AIPerfStep,
    FileInput,
    SyntheticPrompts,
    aiperf_argv,
    aiperf_environment,
    aiperf_shell_command,
    exit_code_of,
    step_files,
    time_budget_s,
)
from sagemaker_sizing.paths import AIPERF_BIN, AIPERF_TOKENIZER

SECRET = "AIPERF-TEST-SECRET-do-not-leak-7d1e"
TOKEN = "AIPERF-TEST-SESSION-TOKEN-3b9f"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN}
# Flags every LLM load step must carry (see adapters/aiperf_command.py for why).
ALWAYS = (
    "--streaming",
    "--use-server-token-count",
    "--no-server-metrics",
    "--no-gpu-telemetry",
    "--request-timeout-seconds",
    "--benchmark-grace-period",
)


def base(tmp_path: Path, **changes: object) -> AIPerfStep:
    step = AIPerfStep(
        endpoint="sizing-llm-abc-ml-g5-xlarge",
        region="us-east-1",
        model="meta-llama/Llama-3.1-8B-Instruct",
        rate=2.5,
        duration_s=60,
        artifact_dir=tmp_path / "1800000000-ml.g5.xlarge-1-2.5RPS-20261207101010123",
        prompts=SyntheticPrompts(512, 256),
    )
    return dataclasses.replace(step, **changes)  # type: ignore[arg-type]


def flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def shapes(tmp_path: Path) -> dict[str, AIPerfStep]:
    return {
        "synthetic chat, AWS": base(tmp_path),
        "completions, local runtime": base(tmp_path, api="completions", url="http://127.0.0.1:8080"),
        "prompts file": base(tmp_path, prompts=FileInput(tmp_path / "prompts.jsonl")),
        "spread tokens, no warm-up": base(
            tmp_path, prompts=SyntheticPrompts(512, 256, 64, 32, distinct=300), warm_up_s=0
        ),
        "ramp from 0": base(tmp_path, ramp_s=30, duration_s=90, warm_up_s=0, arrival="constant"),
        "ramp from 1/s": base(tmp_path, ramp_s=30, ramp_start_rate=1, duration_s=90, arrival="constant"),
        "goodput": base(tmp_path, goodput=(("time_to_first_token", 500.0), ("inter_token_latency", 40.0))),
    }


def test_every_shape_carries_the_needed_flags_and_no_secret(tmp_path: Path) -> None:
    env = aiperf_environment({"PATH": "/bin"}, CREDENTIALS)
    assert env["AWS_SECRET_ACCESS_KEY"] == SECRET  # the credentials go to the process, in its environment
    for name, step in shapes(tmp_path).items():
        argv = aiperf_argv(step)
        line = aiperf_shell_command(step)
        assert argv[:2] == [str(AIPERF_BIN), "profile"], name
        for required in ALWAYS:
            assert required in argv, (name, required)
        assert flag(argv, "--ui-type") == "none" and flag(argv, "--log-level") == "info"
        assert flag(argv, "--tokenizer") == str(AIPERF_TOKENIZER)
        assert flag(argv, "--sagemaker-endpoint-name") == step.endpoint
        assert flag(argv, "--aws-region") == "us-east-1"
        assert flag(argv, "--artifact-dir") == str(step.artifact_dir)
        assert flag(argv, "--endpoint-type") == step.api
        assert ("--url" in argv) == (step.url is not None)
        for secret in (SECRET, TOKEN, "AKIDTEST"):
            assert secret not in line and secret not in " ".join(argv), name
        assert shlex.split(line)[:8] == ["set", "-o", "pipefail;", "timeout", "-s", "INT", "-k", "30"]


def test_load_shapes(tmp_path: Path) -> None:
    steps = shapes(tmp_path)
    plain = aiperf_argv(steps["synthetic chat, AWS"])
    assert flag(plain, "--request-rate") == "2.5" and flag(plain, "--arrival-pattern") == "poisson"
    assert flag(plain, "--benchmark-duration") == "60"
    assert flag(plain, "--warmup-duration") == "3"
    assert (
        flag(plain, "--isl") == "512" and flag(plain, "--osl") == "256" and flag(plain, "--isl-stddev") == "0"
    )
    assert flag(plain, "--extra-inputs") == "ignore_eos:true"
    # The grace period outlasts the request timeout: every request ends as a record.
    assert float(flag(plain, "--benchmark-grace-period")) > float(flag(plain, "--request-timeout-seconds"))
    assert "--request-rate-ramp-duration" not in plain and step_files(steps["synthetic chat, AWS"]) == {}
    ramp = aiperf_argv(steps["ramp from 0"])
    assert (
        flag(ramp, "--request-rate-ramp-duration") == "30" and flag(ramp, "--arrival-pattern") == "constant"
    )
    assert "--warmup-duration" not in ramp
    series_step = steps["ramp from 1/s"]
    series = aiperf_argv(series_step)
    assert "--request-rate" not in series  # the series sets the rate
    assert flag(series, "--request-rate-series") == str(series_step.artifact_dir / RATE_SERIES_FILE)
    [(path, text)] = step_files(series_step).items()
    assert path == series_step.artifact_dir / RATE_SERIES_FILE
    assert json.loads(text) == {
        "points": [{"time_s": 0.0, "qps": 1}, {"time_s": 30.0, "qps": 2.5}, {"time_s": 90.0, "qps": 2.5}]
    }
    prompts = aiperf_argv(steps["prompts file"])
    assert flag(prompts, "--input-file") == str(tmp_path / "prompts.jsonl")
    assert flag(prompts, "--custom-dataset-type") == "single_turn" and "--isl" not in prompts
    goodput = aiperf_argv(steps["goodput"])
    assert flag(goodput, "--goodput") == "time_to_first_token:500 inter_token_latency:40"


def test_time_budget_covers_warm_up_benchmark_grace_and_start(tmp_path: Path) -> None:
    step = base(tmp_path)  # warm-up 3 s, 60 s, timeout 120 s, grace 130 s
    assert time_budget_s(step) == 3 + 130 + 60 + 130 + 180
    assert shlex.split(aiperf_shell_command(step))[8] == str(time_budget_s(step))


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"log_level": "debug"}, "never runs at debug"),
        ({"log_level": "TRACE"}, "never runs at debug"),
        ({"extra_args": ("-v",)}, "never runs at debug"),
        ({"extra_args": ("--aws-secret-access-key=x",)}, "credentials never go on the command line"),
        ({"extra_args": ("--api-key", "x")}, "credentials never go on the command line"),
        ({"artifact_dir": Path("relative/dir")}, "must be absolute"),
        ({"ramp_s": 60}, "must be shorter than duration_s"),
        ({"rate": 0}, "rate must be"),
        ({"rate": float("nan")}, "rate must be"),
        ({"api": "embeddings"}, "api must be one of"),
        ({"arrival": "bursty"}, "arrival must be one of"),
    ],
)
def test_refused(tmp_path: Path, changes: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        aiperf_argv(base(tmp_path, **changes))


def test_environment() -> None:
    worker = {"PATH": "/bin", "AWS_PROFILE": "prod", "AWS_SESSION_TOKEN": "stale"}
    given = aiperf_environment(worker, {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"})
    assert given["AWS_EC2_METADATA_DISABLED"] == "true" and given["HF_HUB_OFFLINE"] == "1"
    assert "AWS_PROFILE" not in given and "AWS_SESSION_TOKEN" not in given
    # Without explicit credentials the worker's chain stays as it is (an instance role, a profile).
    chain = aiperf_environment(worker, None)
    assert chain["AWS_PROFILE"] == "prod" and "AWS_EC2_METADATA_DISABLED" not in chain
    assert worker == {"PATH": "/bin", "AWS_PROFILE": "prod", "AWS_SESSION_TOKEN": "stale"}


def test_a_missing_aiperf_leaves_its_exit_code_and_console_in_the_step_folder(tmp_path: Path) -> None:
    step = base(tmp_path, aiperf=tmp_path / "no-venv" / "bin" / "aiperf")
    step.artifact_dir.mkdir(parents=True)
    done = subprocess.run(
        ["bash", "-c", aiperf_shell_command(step)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 127
    assert exit_code_of((step.artifact_dir / EXIT_CODE_FILE).read_text()) == 127
    assert "No such file or directory" in (step.artifact_dir / CONSOLE_FILE).read_text()
    assert exit_code_of(None) is None and exit_code_of("garbled") is None


@pytest.mark.slow
def test_every_flag_the_command_uses_is_one_the_installed_aiperf_knows(tmp_path: Path) -> None:
    assert AIPERF_BIN.is_file(), f"AIPerf is not installed at {AIPERF_BIN}: run make setup"
    help_text = subprocess.run(
        [str(AIPERF_BIN), "profile", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "250", "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"},
    ).stdout
    used = {a for step in shapes(tmp_path).values() for a in aiperf_argv(step)[2:] if a.startswith("--")}
    assert len(used) > 25
    unknown = sorted(f for f in used if f" {f} " not in help_text and f" {f}\n" not in help_text)
    assert unknown == []
