"""The LLM serving model in virtual time: Poisson arrivals into an :class:`LlmEndpoint`, the
TTFT, ITL and end-to-end latency of every request, as AIPerf would measure them (ITL of a request
= (end - first token) / (output tokens - 1)). Tests and the knee bench compare it with
``llm_knee``; a simulated minute takes milliseconds.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.local.llm_serving import LlmEndpoint, LlmRequest, Refusal

if TYPE_CHECKING:
    from collections.abc import Callable

    from sagemaker_sizing.local.llm_profiles import LlmModelProfile, LlmProfiles


class VirtualClock:
    """A scheduler with the DueTimer's ``call_at(due, callback, *args)``, run by hand."""

    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._order = itertools.count()

    def call_at(self, due: float, callback: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self._heap, (due, next(self._order), callback, args))

    def run(self, until: float = math.inf) -> None:
        heap = self._heap
        while heap and heap[0][0] <= until:
            due, _, callback, args = heapq.heappop(heap)
            self.now = due
            callback(*args)


@dataclass
class _Record:
    arrival: float
    output_tokens: int
    first: float | None = None
    last: float | None = None
    failed: str | None = None

    def on_tokens(self, request: LlmRequest, now: float) -> None:
        if self.first is None:
            self.first = now
        self.last = now

    def on_failed(self, request: LlmRequest, now: float, reason: str) -> None:
        self.failed = reason


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100.0 * len(ordered)) - 1)]


@dataclass(frozen=True)
class SimulationResult:
    rate: float
    requests: int
    errors: int
    ttft_ms: list[float] = field(repr=False)
    itl_ms: list[float] = field(repr=False)
    e2e_ms: list[float] = field(repr=False)

    def p99(self, values: list[float]) -> float:
        return percentile(values, 99.0) if values else math.inf

    @property
    def ttft_p99_ms(self) -> float:
        return self.p99(self.ttft_ms)

    @property
    def itl_p99_ms(self) -> float:
        return self.p99(self.itl_ms)

    def passes(self, ttft_p99_ms: float, itl_p99_ms: float) -> bool:
        return self.errors == 0 and self.ttft_p99_ms <= ttft_p99_ms and self.itl_p99_ms <= itl_p99_ms


def simulate(
    profiles: LlmProfiles,
    model: LlmModelProfile,
    instance_type: str,
    *,
    rate: float,
    input_tokens: int,
    output_tokens: int,
    duration_s: float,
    instances: int = 1,
    seed: int = 1,
    warm_up_s: float = 0.0,
) -> SimulationResult:
    """Offer ``rate`` requests/s (Poisson) for ``duration_s``; the requests arriving after
    ``warm_up_s`` are measured once every one has finished."""
    clock = VirtualClock()
    endpoint = LlmEndpoint(profiles, model, instance_type, instances, seed=seed, schedule=clock.call_at)
    arrivals = random.Random(seed ^ 0x5EED)
    records: list[_Record] = []
    refused = 0
    at = arrivals.expovariate(rate)
    while at < duration_s:
        clock.run(at)
        clock.now = at
        record = _Record(at, output_tokens)
        if isinstance(endpoint.submit(at, input_tokens, output_tokens, record), Refusal):
            refused += at >= warm_up_s
        else:
            records.append(record)
        at += arrivals.expovariate(rate)
    clock.run()
    measured = [r for r in records if r.arrival >= warm_up_s]
    done = [r for r in measured if r.failed is None and r.first is not None and r.last is not None]
    ttft = [(r.first - r.arrival) * 1000.0 for r in done if r.first is not None]
    itl = [
        (r.last - r.first) * 1000.0 / (r.output_tokens - 1)
        for r in done
        if r.first is not None and r.last is not None and r.output_tokens > 1
    ]
    e2e = [(r.last - r.arrival) * 1000.0 for r in done if r.last is not None]
    return SimulationResult(
        rate, len(measured) + refused, len(measured) - len(done) + refused, ttft, itl, e2e
    )
