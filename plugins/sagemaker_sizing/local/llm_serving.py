"""The LLM serving model: continuous batching per instance, computed step by step, not simulated.

Each instance is an :class:`InstanceEngine` (vLLM's scheduler at a coarse level). A step starts
when the previous one ends (or at once when a request reaches an idle engine):

1. admit waiting sequences in FIFO order while the next one's reservation (input + max output
   tokens: admission reserves the whole footprint, as TGI does, so no sequence is ever preempted)
   fits the free KV-cache budget, fewer than ``max_num_seqs`` run, and the step's prefill tokens
   stay within ``max_prefill_tokens`` (the first admission of a step always fits). A request
   whose footprint can never fit is refused at once;
2. the step lasts ``decode_base_ms + decode_per_seq_ms x decoding + prefill_ms_per_1k x new input
   tokens / 1000`` (seeded noise of +-noise): the admitted sequences' prefill adds to the step that
   admits them (vLLM without chunked prefill; chunking spreads the same work over steps);
3. at its end every decoding sequence emits one token, every admitted one its first token; those
   that reached their output length leave and free their reservation.

So a request's TTFT is the rest of the step under way, any wait for KV space, and its prefill
step; its ITL is the step time, which grows with the batch. Nothing runs between steps: an
:class:`LlmEndpoint` asks a scheduler (the runtime's :class:`~sagemaker_sizing.local.due_timer.DueTimer`,
or a virtual clock in tests) to call it at each step's end, and hands the tokens to each request's
:class:`TokenSink`. Instances share an endpoint's load by SageMaker's routing: RANDOM (its default)
or LEAST_OUTSTANDING_REQUESTS (fewest requests waiting or running).
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sagemaker_sizing.local.concurrency import ConcurrencyMeter
from sagemaker_sizing.local.llm_profiles import LEAST_OUTSTANDING_REQUESTS

if TYPE_CHECKING:
    from collections.abc import Callable

    from sagemaker_sizing.local.llm_profiles import LlmInstanceSpec, LlmModelProfile, LlmProfiles

OVERLOADED = "overloaded"  # too many requests waiting on the instance: HTTP 503
TIMED_OUT = "timed_out"  # no first token within the timeout: HTTP 424 ModelError
TOO_LONG = "too_long"  # input + output tokens can never fit: the container's HTTP 400
ABORTED = "aborted"  # the caller went away (or a fault cut the stream)


class TokenSink(Protocol):
    """Where a request's tokens go: the runtime's connection writer, or a test's recorder."""

    def on_tokens(self, sequence: LlmRequest, now: float) -> None:
        """``sequence.generated`` tokens so far (one more than last time); ``sequence.done`` at the end."""

    def on_failed(self, sequence: LlmRequest, now: float, reason: str) -> None:
        """The request ends without its tokens (TIMED_OUT)."""


class LlmRequest:
    """One request in an engine. Times are the scheduler's seconds."""

    __slots__ = ("admitted_at", "arrival", "engine", "generated", "input_tokens", "output_tokens", "sink")

    def __init__(self, arrival: float, input_tokens: int, output_tokens: int, sink: TokenSink) -> None:
        self.arrival = arrival
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.sink = sink
        self.generated = 0
        self.admitted_at: float | None = None
        self.engine: InstanceEngine | None = None

    @property
    def footprint(self) -> int:
        """KV-cache tokens reserved while it runs."""
        return self.input_tokens + self.output_tokens

    @property
    def done(self) -> bool:
        return self.generated >= self.output_tokens


class InstanceEngine:
    """One instance's scheduler and batch."""

    def __init__(self, spec: LlmInstanceSpec, rng: random.Random, noise: float, timeout_s: float) -> None:
        self.spec = spec
        self._rng = rng
        self._noise = noise
        self._timeout_s = timeout_s
        self.waiting: deque[LlmRequest] = deque()
        self.prefilling: list[LlmRequest] = []  # admitted in the step under way
        self.decoding: list[LlmRequest] = []
        self.reserved = 0  # KV-cache tokens held by admitted sequences
        self.step_due: float | None = None  # the end of the step under way; None when idle
        self.draining = False  # scaled in: takes no new request, finishes its own
        self.steps = 0

    @property
    def outstanding(self) -> int:
        return len(self.waiting) + len(self.prefilling) + len(self.decoding)

    @property
    def running(self) -> int:
        return len(self.prefilling) + len(self.decoding)

    def begin_step(self, at: float) -> tuple[float | None, list[LlmRequest]]:
        """Start a step at ``at``: its end (None: nothing to do, the engine goes idle) and the
        waiting requests that timed out."""
        expired: list[LlmRequest] = []
        waiting = self.waiting
        while waiting and at - waiting[0].arrival > self._timeout_s:
            expired.append(waiting.popleft())
        spec = self.spec
        prefill_tokens = 0
        while waiting and len(self.decoding) + len(self.prefilling) < spec.max_num_seqs:
            head = waiting[0]
            if self.reserved + head.footprint > spec.kv_cache_tokens:
                break
            if self.prefilling and prefill_tokens + head.input_tokens > spec.max_prefill_tokens:
                break
            waiting.popleft()
            head.admitted_at = at
            self.reserved += head.footprint
            prefill_tokens += head.input_tokens
            self.prefilling.append(head)
        if not self.prefilling and not self.decoding:
            self.step_due = None
            return None, expired
        mean_ms = spec.step_ms(len(self.decoding), prefill_tokens)
        jitter = 1.0 + self._noise * (2.0 * self._rng.random() - 1.0)
        self.step_due = at + mean_ms * jitter / 1000.0
        self.steps += 1
        return self.step_due, expired

    def end_step(self) -> list[LlmRequest]:
        """The step under way ends: one token for each running sequence (returned); the finished
        ones leave."""
        emitted = self.decoding + self.prefilling
        still: list[LlmRequest] = []
        for sequence in emitted:
            sequence.generated += 1
            if sequence.done:
                self.reserved -= sequence.footprint
            else:
                still.append(sequence)
        self.decoding = still
        self.prefilling = []
        return emitted

    def remove(self, sequence: LlmRequest) -> None:
        """Take a sequence out wherever it is (its step, if under way, keeps its duration)."""
        if sequence in self.waiting:
            self.waiting.remove(sequence)
            return
        for batch in (self.prefilling, self.decoding):
            if sequence in batch:
                batch.remove(sequence)
                self.reserved -= sequence.footprint
                return


@dataclass(frozen=True)
class Refusal:
    """A request the endpoint did not take (OVERLOADED, TOO_LONG)."""

    reason: str


class LlmEndpoint:
    """An endpoint's instances, their routing and their in-flight meter."""

    def __init__(
        self,
        profiles: LlmProfiles,
        model: LlmModelProfile,
        instance_type: str,
        instance_count: int,
        *,
        seed: int,
        schedule: Callable[..., Any],
        routing: str | None = None,
    ) -> None:
        self.profiles = profiles
        self.model = model
        self.instance_type = instance_type
        self.spec = model.instance(instance_type)
        self.routing = routing or profiles.routing
        self._schedule = schedule
        self._rng = random.Random(seed)
        self.engines: list[InstanceEngine] = []  # in service
        self._draining: list[InstanceEngine] = []
        self.meter = ConcurrencyMeter()
        self.invocations = 0
        self.errors = 0
        self.tokens = 0
        self.set_instance_count(instance_count, 0.0)

    # What the registry and the autoscaler read of any endpoint's queue.
    @property
    def instance_count(self) -> int:
        return len(self.engines)

    @property
    def workers_per_instance(self) -> int:
        return self.spec.max_num_seqs

    def in_flight_area(self, now: float) -> float:
        return self.meter.area(now)

    def set_instance_count(self, count: int, now: float) -> None:
        """Add idle instances, or drain the busiest (their requests still finish there)."""
        count = max(0, count)
        while len(self.engines) < count:
            rng = random.Random(self._rng.getrandbits(32))
            self.engines.append(
                InstanceEngine(self.spec, rng, self.profiles.noise, self.profiles.first_token_timeout_s)
            )
        if len(self.engines) > count:
            self.engines.sort(key=lambda engine: engine.outstanding)
            for engine in self.engines[count:]:
                engine.draining = True
                if engine.step_due is not None:
                    self._draining.append(engine)
            del self.engines[count:]

    def _route(self) -> InstanceEngine:
        engines = self.engines
        if self.routing == LEAST_OUTSTANDING_REQUESTS:
            fewest = min(engine.outstanding for engine in engines)
            engines = [engine for engine in engines if engine.outstanding == fewest]
        return engines[0] if len(engines) == 1 else self._rng.choice(engines)

    def submit(
        self, now: float, input_tokens: int, output_tokens: int, sink: TokenSink
    ) -> LlmRequest | Refusal:
        """Take a request arriving ``now``; its tokens reach ``sink`` at the ends of its steps."""
        self.invocations += 1
        footprint = input_tokens + output_tokens
        if footprint > self.model.max_model_len or footprint > self.spec.kv_cache_tokens:
            self.errors += 1
            return Refusal(TOO_LONG)
        if not self.engines:
            self.errors += 1
            return Refusal(OVERLOADED)
        engine = self._route()
        if len(engine.waiting) >= self.profiles.max_waiting_per_instance:
            self.errors += 1
            return Refusal(OVERLOADED)
        sequence = LlmRequest(now, input_tokens, output_tokens, sink)
        sequence.engine = engine
        engine.waiting.append(sequence)
        self.meter.start(now)
        if engine.step_due is None:
            self._begin(engine, now)
        return sequence

    def abort(self, sequence: LlmRequest, now: float) -> None:
        """The caller left (or a fault cut its stream): free its place at once, as vLLM does."""
        engine = sequence.engine
        if engine is None or sequence.done:
            return
        sequence.engine = None
        engine.remove(sequence)
        self.meter.end(now)

    def _begin(self, engine: InstanceEngine, at: float) -> None:
        due, expired = engine.begin_step(at)
        for sequence in expired:
            sequence.engine = None
            self.errors += 1
            self.meter.end(at)
            sequence.sink.on_failed(sequence, at, TIMED_OUT)
        if due is not None:
            self._schedule(due, self._step_done, engine, due)

    def _step_done(self, engine: InstanceEngine, due: float) -> None:
        emitted = engine.end_step()
        self.tokens += len(emitted)
        for sequence in emitted:
            if sequence.done:
                sequence.engine = None
                self.meter.end(due)
            sequence.sink.on_tokens(sequence, due)
        self._begin(engine, due)
        if engine.draining and engine.step_due is None and engine in self._draining:
            self._draining.remove(engine)

    def describe(self) -> dict[str, Any]:
        engines = self.engines
        return {
            "model": self.model.name,
            "routing": self.routing,
            "tokens": self.tokens,
            "waiting": [len(engine.waiting) for engine in engines],
            "running": [engine.running for engine in engines],
            "kv_reserved": [engine.reserved for engine in engines],
            "kv_cache_tokens": self.spec.kv_cache_tokens,
            "draining": len(self._draining),
        }
