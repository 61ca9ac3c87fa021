"""What an LLM step's failures say (AIPerf's exports), by failures.py's rules where they fit.

- A failed request that never reached the model is *setup*: HTTP 400/401/403/404, refused or reset
  connections, name resolution, TLS, an answer AIPerf cannot read as OpenAI chunks (the wrong
  ``llm_api`` or container). Setup failures above 1% of a step's requests and at least half of its
  failures make it an error step (``ErrorCategory.SETUP``), or ``INFRASTRUCTURE`` when the
  connections were refused or reset only after the endpoint had answered (it went away mid-load).
- Everything else is *capacity* evidence: 5xx, 424, 429, timeouts, requests unanswered when
  AIPerf's grace period ended, and a stream cut mid-answer (``ModelStreamError``,
  ``InternalStreamFailure``, an incomplete event-stream frame): a failed request, never a success.
- *Load generator*: AIPerf could not offer the step's rate (fewer requests, or a lower start rate,
  than the step's rate allows for by chance), its requests started late (credit issued to request
  start p99 above ``START_LATENCY_P99_MS``: the client, not the endpoint, was saturated), or it had
  to be stopped at its time budget.
- No export at all: AIPerf is missing or failed to start (setup, naming AIPerf and the set-up
  stage that installs it), or it overran its time budget (load generator).

The SLO check of a measured step is the requirement check's (TTFT, ITL, end-to-end, errors).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from sagemaker_sizing.core.verdicts.failures import (
    SETUP_TOLERANCE,
    StepVerdict,
    classify_message,
    describe_failures,
    setup_verdict,
)
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory, FailureCount, FailureKind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sagemaker_sizing.core.llm.exports import AIPerfExport

# Client saturation: on this project's 2-core machines AIPerf's start latency p99 stays under
# ~15 ms up to ~150 streaming requests/s and reaches seconds past that (docs/benchmarks.md).
START_LATENCY_P99_MS = 100.0
# An offered rate (or a request count) this far under the step's is AIPerf's shortfall, not chance:
# at least 5%, and three standard deviations of a Poisson count (1/sqrt(n) relative).
RATE_SHORTFALL = 0.05
POISSON_SIGMAS = 3.0
# `timeout` exits 124 when it stopped AIPerf; a shell exits 126/127 when it cannot run a program.
TIMED_OUT = 124
NOT_RUNNABLE = (126, 127)
SET_UP_HINT = "run `make setup` (scripts/setup.sh, stage 3c: AIPerf's own venv from requirements-aiperf.lock)"
ERROR_LINES = 5  # of AIPerf's log, quoted in a failed start's message

_SETUP_KINDS = frozenset(
    {
        "ConnectionRefused",
        "ConnectionReset",
        "ClientConnectorError",
        "ClientConnectorDNSError",
        "ClientConnectorCertificateError",
        "ClientConnectorSSLError",
        "ClientSSLError",
        "SSLError",
        "InvalidURL",
        "InvalidUrlClientError",
        "NonHttpUrlClientError",
        "InvalidInferenceResultError",
    }
)
_CONNECTION_LOST = frozenset({"ConnectionRefused", "ConnectionReset"})
_HTTP = re.compile(r"^HTTP (\d{3})$")
# 408 request timeout, 424 SageMaker's ModelError (the container answered badly), 429 throttling.
_CAPACITY_4XX = frozenset({408, 424, 429})
_ERROR_LINE = re.compile(r" - (ERROR|CRITICAL) - |Traceback|Error: |failed to run command")


def classify_kind(kind: str, message: str = "") -> FailureKind:
    """What one kind of failed LLM request says: setup (never reached the model) or capacity."""
    status = _HTTP.match(kind)
    if status is not None:
        code = int(status.group(1))
        return FailureKind.SETUP if 400 <= code < 500 and code not in _CAPACITY_4XX else FailureKind.CAPACITY
    if kind in _SETUP_KINDS:
        return FailureKind.SETUP
    # Words failures.py knows (credentials, TLS, name resolution) in an unexpected exception.
    return classify_message(message)


def failure_counts(export: AIPerfExport) -> tuple[FailureCount, ...]:
    """The step's failed requests by kind and message, most frequent first (``StepResult.failures``)."""
    return tuple(
        FailureCount(classify_kind(f.kind, f.message), f"{f.kind}: {f.message}", f.count)
        for f in export.failures
    )


def expected_requests(rate: float, duration_s: float, ramp_s: float = 0, ramp_start_rate: float = 0) -> float:
    """Requests a step offers on average: the ramp's (linear from ramp_start_rate) and the hold's."""
    ramp = min(ramp_s, duration_s)
    return (ramp_start_rate + rate) / 2 * ramp + rate * (duration_s - ramp)


def judge_llm_failures(
    export: AIPerfExport,
    *,
    rate: float,
    duration_s: float,
    ramp_s: float = 0,
    ramp_start_rate: float = 0,
    arrival: str = "poisson",
) -> StepVerdict:
    """The step's failures, and whether it is an error step (setup, infrastructure, load generator)."""
    failures = failure_counts(export)
    metrics = export.metrics
    if metrics.requests == 0:
        return StepVerdict(
            failures, ErrorCategory.SETUP, "AIPerf sent no request (see its log in the step folder)"
        )
    setup = _setup_verdict(export, failures)
    if setup is not None:
        return setup
    problems = load_generator_problems(
        export,
        rate=rate,
        duration_s=duration_s,
        ramp_s=ramp_s,
        ramp_start_rate=ramp_start_rate,
        arrival=arrival,
    )
    if problems:
        return StepVerdict(failures, ErrorCategory.LOAD_GENERATOR, f"load generator: {'; '.join(problems)}")
    return StepVerdict(failures)


def _setup_verdict(export: AIPerfExport, failures: tuple[FailureCount, ...]) -> StepVerdict | None:
    total = export.metrics.requests
    setup = [f for f in failures if f.kind is FailureKind.SETUP]
    setup_ko = sum(f.count for f in setup)
    ko = sum(f.count for f in failures)
    if setup_ko <= SETUP_TOLERANCE * total or 2 * setup_ko < ko:
        return None
    share = f"{setup_ko} of {total} requests ({100 * setup_ko / total:.1f}%)"
    top = describe_failures(setup)
    lost = [f for f in export.failures if f.kind in _CONNECTION_LOST]
    lost_ko = sum(f.count for f in lost)
    first_lost = min((f.first_start_ns for f in lost if f.first_start_ns is not None), default=None)
    first_ok = export.first_ok_start_ns
    return setup_verdict(
        failures, share, top, setup_ko=setup_ko, lost_ko=lost_ko, first_ok=first_ok, first_lost=first_lost
    )


def load_generator_problems(
    export: AIPerfExport,
    *,
    rate: float,
    duration_s: float,
    ramp_s: float = 0,
    ramp_start_rate: float = 0,
    arrival: str = "poisson",
) -> list[str]:
    """Why AIPerf did not offer the step's load (empty: it did)."""
    problems = []
    if export.was_cancelled:
        problems.append("AIPerf was stopped before the end of the step (its time budget ran out)")
    expected = expected_requests(rate, duration_s, ramp_s, ramp_start_rate)
    tolerance = RATE_SHORTFALL
    if arrival != "constant" and expected > 0:
        tolerance = max(tolerance, POISSON_SIGMAS / math.sqrt(expected))
    metrics = export.metrics
    if metrics.requests < expected * (1 - tolerance):
        problems.append(
            f"AIPerf sent {metrics.requests} requests where the step's rate gives {expected:.0f} "
            f"over {duration_s:g} s"
        )
    expected_rate = expected / duration_s
    # The start-time rate is meaningful only when every request has a record.
    if (
        export.lost == 0
        and metrics.ok + metrics.ko > 1
        and metrics.offered_rate < expected_rate * (1 - tolerance)
    ):
        problems.append(
            f"requests started at {metrics.offered_rate:.2f}/s where the step offers {expected_rate:.2f}/s"
        )
    latency = export.start_latency_p99_ms
    if latency is not None and latency > START_LATENCY_P99_MS:
        problems.append(
            f"AIPerf started its requests late (p99 {latency:.0f} ms after they were due, limit "
            f"{START_LATENCY_P99_MS:.0f} ms): the client, not the endpoint, was saturated"
        )
    return problems


def no_export_verdict(exit_code: int | None, aiperf: str, log_lines: Sequence[str] = ()) -> StepVerdict:
    """A step whose folder holds no per-request export: why, by AIPerf's exit code and its log."""
    errors = [line.strip() for line in log_lines if _ERROR_LINE.search(line)][-ERROR_LINES:]
    said = f": {' | '.join(errors)}" if errors else " (see the load task's log)"
    if exit_code in NOT_RUNNABLE:
        return StepVerdict(
            (),
            ErrorCategory.SETUP,
            f"AIPerf is missing: {aiperf} could not be run (exit {exit_code}); {SET_UP_HINT}{said}",
        )
    if exit_code == TIMED_OUT:
        return StepVerdict(
            (),
            ErrorCategory.LOAD_GENERATOR,
            "load generator: AIPerf did not finish within its time budget and wrote no per-request "
            "export (see the load task's log)",
        )
    how = "did not run" if exit_code is None else f"failed to start (exit {exit_code})"
    return StepVerdict(
        (),
        ErrorCategory.SETUP,
        f"AIPerf {how} and wrote no per-request export{said}",
    )
