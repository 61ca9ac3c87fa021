"""The AIPerf command line of one LLM load step (workload "llm"), as ``gatling_command`` is the jar's.

``AIPerfStep`` is the typed command; pure functions render it (``argv`` for subprocess, a quoted
shell line for a BashOperator) and never run it. What it always passes, and why (measured, see
docs/operations.md, "LLM load: AIPerf"):

- the SageMaker transport (``--sagemaker-endpoint-name``, ``--aws-region``; ``--url`` for the local
  runtime or a conf's host), streaming, open loop at the step's rate (Poisson by default);
- ``--tokenizer PATH`` (the offline tokenizer set-up made; a model id or ``builtin`` would reach
  the network) and ``--use-server-token-count`` (that tokenizer is not the model's: token counts,
  and so ITL, come from the endpoint's ``usage``);
- ``--no-server-metrics --no-gpu-telemetry`` (else an unsigned GET of the runtime's ``/metrics``,
  probes of localhost:9400 and a ~30 s stall at shutdown), ``--ui-type none``;
- an explicit ``--request-timeout-seconds`` (AIPerf's default is 6 hours) and a grace period
  longer than it, so a request still in flight when sending stops ends as a record (a timeout, a
  failed request) instead of vanishing from the exports;
- ``--log-level info``, never debug: botocore's DEBUG dump of the canonical request holds the
  session token.

It runs under ``timeout -s INT``: SIGINT is AIPerf's graceful stop (its exports are written, marked
``was_cancelled``); SIGTERM (an Airflow task timeout) would leave no summary.

Credentials never appear in it: AIPerf signs with botocore's credential chain, and the load task
puts the step's credentials in its environment (``AWS_ACCESS_KEY_ID`` ...), as for the Gatling jar.
"""

from __future__ import annotations

import json
import math
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sagemaker_sizing.adapters.gatling_command import format_number
from sagemaker_sizing.paths import AIPERF_BIN, AIPERF_TOKENIZER

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "CONSOLE_FILE",
    "EXIT_CODE_FILE",
    "PROMPTS_FILE",
    "RATE_SERIES_FILE",
    "AIPerfStep",
    "FileInput",
    "SyntheticPrompts",
    "aiperf_argv",
    "aiperf_environment",
    "aiperf_shell_command",
    "aiperf_together",
    "exit_code_of",
    "rate_series_json",
    "step_files",
    "time_budget_s",
]

API_ENDPOINT_TYPES = {"chat": "chat", "completions": "completions"}
ARRIVALS = ("poisson", "constant", "gamma")
# The step's own files beside AIPerf's exports in its folder (the step folder is AIPerf's
# --artifact-dir): the prompts it sent (a prompts-file step) and a ramp's rate schedule.
PROMPTS_FILE = "prompts.jsonl"
RATE_SERIES_FILE = "request_rate_series.json"
CONSOLE_FILE = "aiperf_console.log"  # AIPerf's console output (also in the load task's log)
EXIT_CODE_FILE = "aiperf_exit_code"  # the command's exit code, written when it ends
# Seconds `timeout` allows beyond the step's own time (warm-up, duration, grace periods) for AIPerf
# to start (about 4 s quiet, up to ~30 s on a loaded 2-core machine) and write its exports.
START_AND_EXPORT_MARGIN_S = 180
# After SIGINT, seconds before `timeout` sends SIGKILL to an AIPerf that does not stop.
KILL_AFTER_S = 30
# Flags that would put a secret on the command line, whatever the caller passes in extra_args.
_SECRET_FLAGS = re.compile(r"^--?(aws-(access|secret)|.*(secret|token|password|api-key))", re.IGNORECASE)
# What the worker's environment may hold that would compete with explicit credentials.
_CREDENTIAL_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
# Log levels at which botocore dumps the canonical request, session token included.
_LEAKING_LEVELS = frozenset({"debug", "trace"})


@dataclass(frozen=True)
class SyntheticPrompts:
    """Prompts AIPerf generates: input and output token counts drawn from normal distributions.

    ``ignore_eos`` asks the server to produce the whole output length (vLLM and LMI honour it), so
    the step's output tokens are what the conf says rather than what the model happens to write.
    """

    input_tokens_mean: int
    output_tokens_mean: int
    input_tokens_stddev: float = 0
    output_tokens_stddev: float = 0
    ignore_eos: bool = True
    # Distinct prompts AIPerf generates (it sends them in turn, from the first again once all were
    # sent); None: AIPerf's default (100).
    distinct: int | None = None


@dataclass(frozen=True)
class FileInput:
    """Prompts from a JSONL file in AIPerf's single-turn format (``core.llm.prompts`` writes it)."""

    path: Path


@dataclass(frozen=True)
class AIPerfStep:
    """Everything one LLM load step passes to AIPerf.

    ``rate`` is the hold's request rate (requests/s); a ramp (``ramp_s`` > 0) goes linearly from
    ``ramp_start_rate`` to ``rate`` first, and the measured window is ramp plus hold
    (``duration_s`` = ``ramp_s`` + the hold), as a Gatling step's. ``url`` overrides the runtime's
    address (the local SageMaker's ``http://127.0.0.1:PORT``); None: AIPerf derives
    ``https://runtime.sagemaker.<region>.<dns suffix>``.
    """

    endpoint: str
    region: str
    model: str
    rate: float
    duration_s: float
    artifact_dir: Path
    prompts: SyntheticPrompts | FileInput
    url: str | None = None
    # An endpoint of inference components: the component the requests address
    # (X-Amzn-SageMaker-Inference-Component).
    inference_component: str | None = None
    api: Literal["chat", "completions"] = "chat"
    arrival: str = "poisson"
    ramp_s: float = 0
    ramp_start_rate: float = 0
    warm_up_s: float = 3
    request_timeout_s: float = 120
    grace_period_s: float | None = None  # None: request_timeout_s + 10 (every request ends as a record)
    # SLOs for AIPerf's goodput, by its metric tags, in ms: time_to_first_token, inter_token_latency,
    # request_latency.
    goodput: tuple[tuple[str, float], ...] = ()
    random_seed: int | None = 1
    tokenizer: Path = AIPERF_TOKENIZER
    aiperf: Path = AIPERF_BIN
    log_level: str = "info"
    extra_args: tuple[str, ...] = ()

    @property
    def grace_s(self) -> float:
        return self.request_timeout_s + 10 if self.grace_period_s is None else self.grace_period_s

    @property
    def ramp_needs_series(self) -> bool:
        """A ramp from a non-zero rate: AIPerf's own ramp starts near zero, a rate series anywhere."""
        return self.ramp_s > 0 and self.ramp_start_rate > 0


def _check(step: AIPerfStep) -> None:
    if step.api not in API_ENDPOINT_TYPES:
        raise ValueError(f"api must be one of {sorted(API_ENDPOINT_TYPES)}, got {step.api!r}")
    if step.arrival not in ARRIVALS:
        raise ValueError(f"arrival must be one of {ARRIVALS}, got {step.arrival!r}")
    for name in ("rate", "duration_s", "request_timeout_s"):
        value = getattr(step, name)
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a finite number > 0, got {value}")
    for name in ("ramp_s", "ramp_start_rate", "warm_up_s", "grace_s"):
        value = getattr(step, name)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    if step.ramp_s >= step.duration_s:
        raise ValueError(f"ramp_s ({step.ramp_s}) must be shorter than duration_s ({step.duration_s})")
    if step.log_level.lower() in _LEAKING_LEVELS or any(a in ("-v", "-vv") for a in step.extra_args):
        raise ValueError("AIPerf never runs at debug or trace level: botocore then logs the session token")
    for arg in step.extra_args:
        if _SECRET_FLAGS.match(arg):
            raise ValueError(f"credentials never go on the command line: {arg.split('=', 1)[0]}")
    if not Path(step.artifact_dir).is_absolute():
        # AIPerf resolves a relative one against its working directory.
        raise ValueError(f"artifact_dir must be absolute, got {step.artifact_dir}")


def aiperf_argv(step: AIPerfStep) -> list[str]:
    """The AIPerf command as an argument list (see the module's docstring for the fixed flags)."""
    _check(step)
    return [
        str(step.aiperf),
        "profile",
        "--model",
        step.model,
        "--endpoint-type",
        API_ENDPOINT_TYPES[step.api],
        "--streaming",
        "--sagemaker-endpoint-name",
        step.endpoint,
        "--aws-region",
        step.region,
        *(["--url", step.url] if step.url else []),
        *(
            ["--sagemaker-inference-component-name", step.inference_component]
            if step.inference_component
            else []
        ),
        "--tokenizer",
        str(step.tokenizer),
        "--use-server-token-count",
        *_load_args(step),
        "--benchmark-duration",
        format_number(step.duration_s),
        "--benchmark-grace-period",
        format_number(step.grace_s),
        "--request-timeout-seconds",
        format_number(step.request_timeout_s),
        *_warm_up_args(step),
        *_prompt_args(step),
        *(
            ["--goodput", " ".join(f"{k}:{format_number(v)}" for k, v in step.goodput)]
            if step.goodput
            else []
        ),
        *(["--random-seed", str(step.random_seed)] if step.random_seed is not None else []),
        "--no-server-metrics",
        "--no-gpu-telemetry",
        "--ui-type",
        "none",
        "--log-level",
        step.log_level,
        "--artifact-dir",
        str(step.artifact_dir),
        *step.extra_args,
    ]


def _load_args(step: AIPerfStep) -> list[str]:
    """Open loop at ``rate``; a ramp first by AIPerf's own ramp (from ~0) or a rate series."""
    arrival = ["--arrival-pattern", step.arrival]
    if step.ramp_needs_series:
        # The series sets the rate (passing --request-rate too is refused as ambiguous).
        return ["--request-rate-series", str(step.artifact_dir / RATE_SERIES_FILE), *arrival]
    ramp = ["--request-rate-ramp-duration", format_number(step.ramp_s)] if step.ramp_s > 0 else []
    return ["--request-rate", format_number(step.rate), *arrival, *ramp]


def _warm_up_args(step: AIPerfStep) -> list[str]:
    """Unmeasured load first (records marked ``warmup``, left out by the parser): the first
    requests of a fresh process and connection pool otherwise show as the endpoint's TTFT."""
    if step.warm_up_s <= 0:
        return []
    return [
        "--warmup-duration",
        format_number(step.warm_up_s),
        "--warmup-grace-period",
        format_number(step.grace_s),
    ]


def _prompt_args(step: AIPerfStep) -> list[str]:
    prompts = step.prompts
    if isinstance(prompts, FileInput):
        return ["--input-file", str(prompts.path), "--custom-dataset-type", "single_turn"]
    return [
        "--isl",
        str(prompts.input_tokens_mean),
        "--isl-stddev",
        format_number(prompts.input_tokens_stddev),
        "--osl",
        str(prompts.output_tokens_mean),
        "--osl-stddev",
        format_number(prompts.output_tokens_stddev),
        *(["--extra-inputs", "ignore_eos:true"] if prompts.ignore_eos else []),
        *(["--num-dataset-entries", str(prompts.distinct)] if prompts.distinct else []),
    ]


def time_budget_s(step: AIPerfStep) -> int:
    """Seconds AIPerf may run before ``timeout`` stops it (SIGINT): its warm-up and benchmark with
    their grace periods, plus start-up and export."""
    warm_up = step.warm_up_s + step.grace_s if step.warm_up_s > 0 else 0
    return math.ceil(warm_up + step.duration_s + step.grace_s + START_AND_EXPORT_MARGIN_S)


def aiperf_shell_command(step: AIPerfStep) -> str:
    """The command as one shell line for a BashOperator, every argument quoted.

    AIPerf runs under ``timeout -s INT`` (exit 124 when it had to be stopped); its console goes to
    the task log and to ``aiperf_console.log`` in the step folder, and its exit code to
    ``aiperf_exit_code`` there: parse tells "AIPerf missing" (126/127), "failed to start" and "ran
    out of time" apart from them when there is no per-request export. The line exits with
    AIPerf's code, so the load task fails when AIPerf did.
    """
    run = shlex.join(
        ["timeout", "-s", "INT", "-k", str(KILL_AFTER_S), str(time_budget_s(step)), *aiperf_argv(step)]
    )
    folder = Path(step.artifact_dir)
    console = shlex.quote(str(folder / CONSOLE_FILE))
    exit_file = shlex.quote(str(folder / EXIT_CODE_FILE))
    return f'set -o pipefail; {run} 2>&1 | tee -a {console}; rc=$?; echo "$rc" > {exit_file}; exit "$rc"'


def aiperf_together(steps: Sequence[AIPerfStep]) -> str:
    """Several AIPerf commands started together (one per model of an endpoint of inference
    components), each as ``aiperf_shell_command`` writes it (its console and exit code in its own
    folder), in the background of one shell; the line waits for all and exits with the last
    non-zero code (0 when every one succeeded)."""
    if len(steps) == 1:
        return aiperf_shell_command(steps[0])
    starts = " ".join(f"( {aiperf_shell_command(step)} ) & pids+=($!);" for step in steps)
    return f'pids=(); {starts} rc=0; for p in "${{pids[@]}}"; do wait "$p" || rc=$?; done; exit "$rc"'


def exit_code_of(text: str | None) -> int | None:
    """The exit code ``aiperf_shell_command`` recorded (None: none recorded, or unreadable)."""
    try:
        return int((text or "").strip())
    except ValueError:
        return None


def rate_series_json(step: AIPerfStep) -> str:
    """A ramp's request-rate schedule (``--request-rate-series``): linear from ``ramp_start_rate``
    to ``rate`` over ``ramp_s``, then ``rate`` to the end of the step."""
    points = [
        {"time_s": 0.0, "qps": step.ramp_start_rate},
        {"time_s": float(step.ramp_s), "qps": step.rate},
        {"time_s": float(step.duration_s), "qps": step.rate},
    ]
    return json.dumps({"points": points})


def step_files(step: AIPerfStep) -> dict[Path, str]:
    """Files the command names that the caller writes before running it (a ramp's schedule)."""
    return {step.artifact_dir / RATE_SERIES_FILE: rate_series_json(step)} if step.ramp_needs_series else {}


def aiperf_environment(env: Mapping[str, str], credentials: Mapping[str, str] | None) -> dict[str, str]:
    """The environment of AIPerf's process: the worker's ``env``, no Hugging Face Hub call, and
    when credentials are given explicitly (``AWS_ACCESS_KEY_ID``, ...) those, with no EC2
    instance-metadata look-up (a sandbox or CI box would wait on 169.254.169.254) and no named
    profile or stale session token beside them. Without explicit credentials botocore's chain
    runs as on the worker (an instance role, a profile)."""
    out = dict(env)
    out.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    if credentials:
        for name in _CREDENTIAL_ENV:
            out.pop(name, None)
        out.update(credentials)
        out["AWS_EC2_METADATA_DISABLED"] = "true"
    return out
