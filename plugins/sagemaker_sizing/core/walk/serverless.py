"""The serverless phase (issue 17): size a Serverless Inference endpoint for the same SLOs.

Pure and replayable like the other walks; both strategies run it after their real-time walk when
``endpoint_kinds`` holds ``serverless`` (alone when it holds only that).

1. Memory: the smallest ``MemorySizeInMB`` of ``serverless_memory_walk`` whose step at peak TPS for
   ``duration_minutes`` meets the p99 and error SLOs, cold starts included (a newly deployed
   configuration starts cold), with MaxConcurrency at its bound so only memory is tested. A larger
   memory buys more CPU, so the outcome is monotone: ``perfsize`` tests sizes in ascending order,
   one per round (its first-pass rule); ``adaptive`` tests up to ``max_parallel_endpoints`` sizes
   side by side, a k-ary search for the smallest that passes.
2. Concurrency: Little's law, in-flight = arrival rate x time in flight, with the chosen size's
   measured p99 (cold starts included, so a cold burst is carried too):
   ``ceil(peak_tps * p99 / 1000)``, at least the provisioned concurrency, at most the bound. An
   endurance step at peak TPS (``endurance_steady_state_minutes``) verifies it; throttled requests
   (429 ThrottlingException) are failures, and a failure raises it by half (up to
   ``endurance_retries`` times, never past the bound).
3. Cold start: after ``serverless_idle_minutes`` of idle, the chosen configuration takes the
   month's average traffic (at least 1 TPS) for ``duration_minutes``; the step's p99 is the
   cold-start p99 the report shows. It measures; it does not change the configuration.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import TYPE_CHECKING

from sagemaker_sizing.core.model import StepConfig
from sagemaker_sizing.core.walk.replay import Findings, Rounds, ServerlessFindings

if TYPE_CHECKING:
    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.model import StepResult

PHASE_MEMORY = "serverless-memory"
PHASE_CONCURRENCY = "serverless-concurrency"
PHASE_COLD_START = "serverless-cold-start"
SERVERLESS_PHASES = (PHASE_MEMORY, PHASE_CONCURRENCY, PHASE_COLD_START)
GROWTH = 1.5  # concurrency after a failed endurance step: x1.5, rounded up


def lane_type(memory_size_mb: int) -> str:
    """What a serverless step has for an instance type: one lane (endpoint) per memory size."""
    return f"serverless-{memory_size_mb}"


def step(
    conf: SizingConf,
    phase: str,
    memory: int,
    concurrency: int,
    *,
    tps: float | None = None,
    minutes: float | None = None,
    idle_minutes: float = 0.0,
) -> StepConfig:
    """A serverless step at ``tps`` (default the peak) for ``minutes`` (default duration_minutes)."""
    provisioned = conf.serverless_provisioned_concurrency
    return StepConfig(
        phase=phase,
        instance_type=lane_type(memory),
        instance_count=1,
        steady_state_tps=conf.peak_tps if tps is None else tps,
        steady_state_minutes=conf.duration_minutes if minutes is None else minutes,
        memory_size_mb=memory,
        max_concurrency=concurrency,
        provisioned_concurrency=None if provisioned is None else min(provisioned, concurrency),
        idle_minutes=idle_minutes,
    )


def memory_points(sizes: tuple[int, ...], lower: int, upper: int, width: int) -> list[int]:
    """Indexes of ``sizes`` to test next, strictly between the largest failure ``lower`` and the
    smallest pass ``upper`` (-1 and len(sizes) when unknown): the ascending next one with width 1,
    else up to ``width`` evenly spread."""
    gap = upper - lower - 1
    if gap <= 0:
        return []
    if width <= 1:
        return [lower + 1]
    count = min(width, gap)
    span = upper - lower
    return sorted({lower + max(1, span * j // (count + 1)) for j in range(1, count + 1)} - {upper})


def little_concurrency(peak_tps: float, latency_ms: float) -> int:
    return max(1, math.ceil(round(peak_tps * latency_ms / 1000.0, 9)))


def walk(conf: SizingConf, findings: Findings) -> Rounds[None]:
    notes: list[str] = []
    memory = yield from _memory_phase(conf, findings, notes)
    if memory is None:
        findings.serverless = ServerlessFindings(explanation=tuple(notes))
        return
    chosen = _measured(findings, step(conf, PHASE_MEMORY, memory, conf.serverless_max_concurrency))
    p99 = _metric(chosen, "latency_success_p99")
    mean = _metric(chosen, "latency_success_p50")
    verified, p99 = yield from _concurrency_phase(conf, findings, notes, memory, p99)
    if verified is None:
        findings.serverless = ServerlessFindings(memory_size_mb=memory, explanation=tuple(notes))
        return
    provisioned = conf.serverless_provisioned_concurrency
    found = ServerlessFindings(
        memory_size_mb=memory,
        max_concurrency=verified,
        provisioned_concurrency=None if provisioned is None else min(provisioned, verified),
        p99_ms=p99,
        mean_latency_ms=mean,
        explanation=tuple(notes),
    )
    findings.serverless = found
    if conf.serverless_idle_minutes <= 0:
        return
    tps = max(1.0, min(conf.peak_tps, conf.monthly_average_tps))
    cold = step(conf, PHASE_COLD_START, memory, verified, tps=tps, idle_minutes=conf.serverless_idle_minutes)
    (cold_passed,) = yield [cold]
    cold_p99 = _metric(_measured(findings, cold), "latency_success_p99")
    words = (
        f"After {conf.serverless_idle_minutes:g} min idle, {tps:g} TPS saw p99 {_ms(cold_p99)} "
        f"(cold starts): {'met' if cold_passed else 'missed'} the SLOs."
    )
    findings.serverless = dataclasses.replace(
        found,
        cold_start_p99_ms=cold_p99,
        cold_start_passed=cold_passed,
        cold_start_tps=tps,
        idle_minutes=conf.serverless_idle_minutes,
        explanation=(*notes, words),
    )


def _memory_phase(conf: SizingConf, findings: Findings, notes: list[str]) -> Rounds[int | None]:
    sizes = conf.serverless_memory_walk
    bound = conf.serverless_max_concurrency
    width = 1 if conf.strategy == "perfsize" else conf.max_parallel_endpoints
    lower, upper = -1, len(sizes)
    while points := memory_points(sizes, lower, upper, width):
        outcomes = yield [step(conf, PHASE_MEMORY, sizes[i], bound) for i in points]
        judged = list(zip(points, outcomes, strict=True))
        upper = min((i for i, ok in judged if ok), default=upper)
        lower = max((i for i, ok in judged if not ok and i < upper), default=lower)
    if upper >= len(sizes):
        notes.append(
            f"Serverless: no memory size of {', '.join(map(str, sizes))} MB met the SLOs at peak TPS."
        )
        return None
    smaller = f"; {sizes[upper - 1]} MB did not" if upper > 0 else ""
    result = _measured(findings, step(conf, PHASE_MEMORY, sizes[upper], bound))
    p99 = _ms(_metric(result, "latency_success_p99"))
    notes.append(f"Serverless: {sizes[upper]} MB met the SLOs at {conf.peak_tps:g} TPS (p99 {p99}){smaller}.")
    return sizes[upper]


def _concurrency_phase(
    conf: SizingConf, findings: Findings, notes: list[str], memory: int, p99: float | None
) -> Rounds[tuple[int | None, float | None]]:
    bound = conf.serverless_max_concurrency
    little = little_concurrency(conf.peak_tps, p99 or 0.0)
    concurrency = min(bound, max(conf.serverless_provisioned_concurrency or 1, little))
    notes.append(
        f"Little's law: ceil({conf.peak_tps:g} TPS x {_ms(p99)}) = {little} in flight; "
        f"max concurrency {concurrency} (bound {bound})."
    )
    minutes = conf.endurance_steady_state_minutes
    if minutes <= 0:
        return concurrency, p99
    for _ in range(conf.endurance_retries + 1):
        endurance = step(conf, PHASE_CONCURRENCY, memory, concurrency, minutes=minutes)
        (passed,) = yield [endurance]
        if passed:
            p99 = _metric(_measured(findings, endurance), "latency_success_p99") or p99
            held = f"held {conf.peak_tps:g} TPS for {minutes:g} min (p99 {_ms(p99)})"
            notes.append(f"Max concurrency {concurrency} {held}.")
            return concurrency, p99
        notes.append(f"Max concurrency {concurrency} did not hold the peak (throttled or slow).")
        if concurrency >= bound:
            break
        concurrency = min(bound, math.ceil(concurrency * GROWTH))
    notes.append(f"Serverless: no max concurrency up to {bound} held the peak in endurance.")
    return None, p99


def _measured(findings: Findings, planned: StepConfig) -> StepResult | None:
    return findings.observed.get(planned)


def _metric(result: StepResult | None, key: str) -> float | None:
    if result is None:
        return None
    value = result.metrics.get(key)
    return None if value is None else float(value)


def _ms(value: float | None) -> str:
    return "unmeasured" if value is None else f"{value:.0f} ms"


def worst_case_steps(conf: SizingConf) -> list[list[StepConfig]]:
    """An upper bound: every memory size, every endurance retry at the bound, the cold-start step."""
    sizes = conf.serverless_memory_walk
    bound = conf.serverless_max_concurrency
    width = 1 if conf.strategy == "perfsize" else conf.max_parallel_endpoints
    rounds = len(sizes) if width <= 1 else _worst_memory_rounds(len(sizes), width)
    biggest = max(sizes)
    batches = [[step(conf, PHASE_MEMORY, size, bound) for size in sizes[-width:]] for _ in range(rounds)]
    if conf.endurance_steady_state_minutes > 0:
        minutes = conf.endurance_steady_state_minutes
        batches += [
            [step(conf, PHASE_CONCURRENCY, biggest, bound, minutes=minutes)]
            for _ in range(conf.endurance_retries + 1)
        ]
    if conf.serverless_idle_minutes > 0:
        batches.append(
            [
                step(
                    conf,
                    PHASE_COLD_START,
                    biggest,
                    bound,
                    idle_minutes=conf.serverless_idle_minutes,
                )
            ]
        )
    return batches


def _worst_memory_rounds(n: int, width: int, lower: int = -1, upper: int | None = None) -> int:
    upper = n if upper is None else upper
    points = memory_points(tuple(range(n)), lower, upper, width)
    if not points:
        return 0
    bounds = [lower, *points, upper]
    return 1 + max(_worst_memory_rounds(n, width, lo, hi) for lo, hi in itertools.pairwise(bounds))
