"""The LLM serving model's ground truth, in closed form: saturation, ITL and TTFT against the
request rate, and the knee (the highest rate per instance meeting TTFT and ITL p99 limits).

For one instance (``llm_serving``), input tokens ``I``, output tokens ``O``, rate ``λ`` (Poisson):

- *Mean step.* Per step, ``λT`` requests arrive and are prefilled in the next one; ``B = λT(O-1)``
  sequences decode. So ``T = d0 + d1·B + p·I·λT``, i.e. ``T = d0 / (1 - λa)`` with
  ``a = d1·(O-1) + p·I`` (ms of GPU time per request). ITL grows with the rate; it diverges at
  ``1/a``, the compute limit.
- *Concurrency.* A request holds its KV reservation for ``O`` steps: ``C = λ·O·T``. At most
  ``N = min(max_num_seqs, kv_cache_tokens // (I + O))`` fit, so requests queue once ``C`` reaches
  ``N``: the saturation rate is ``λsat = N / (O·d0 + N·a)`` (``C = N`` solved for ``λ``). Above it
  the queue, and TTFT, grow for as long as the load lasts.
- *ITL p99.* A request's ITL is the mean of its ``O-1`` decode steps; it varies with the prefills
  that land in them (Poisson, each ``p·I`` ms, and more of them during longer steps) and with the
  batch, which changes over a request's life: ``p99 = T + 2.33 sd``.
- *TTFT p99.* A request waits for the rest of the step under way (steps are picked in proportion
  to their length; the prefills per step form a chain, each step's arrivals prefilled in the next),
  then for its own prefill step, which also prefills the requests that arrived with it. Near
  saturation it also waits for KV space: Erlang C (M/M/N with ``S = O·T``) in its Halfin-Whitt
  form, the concurrency's spread widened by ``1/(1 - λa)`` (a burst lengthens the steps, so its
  requests hold their slots longer), the wait exponential.

These are approximations, checked against the model in virtual time (``llm_simulation``;
tests/local/test_llm_knee.py): the knee within 10% over instance types, token mixes and limits
(docs/local-sagemaker.md has the table).

The knee is found by bisection on these; tests check it against the model in virtual time
(``llm_simulation``), and the bench against the running emulator.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from sagemaker_sizing.local.llm_profiles import LlmInstanceSpec

_Z99 = 2.326  # the normal distribution's 99th percentile
_TAIL = 1e-7  # Poisson terms below this probability are left out
_GRID = 400  # points of the tabulated TTFT tail without a KV wait


@dataclass(frozen=True)
class LlmCapacity:
    """One instance at a token mix: what bounds it, and its latencies at the saturation rate."""

    max_sequences: int  # N: concurrent sequences the KV cache (or max_num_seqs) allows
    compute_limit_rps: float  # 1/a: where the step time diverges
    saturation_rps: float  # λsat: concurrency reaches N; beyond, requests queue without bound
    itl_idle_ms: float  # one request alone
    ttft_idle_ms: float
    itl_at_saturation_ms: float  # mean step time with the batch full
    output_tokens_per_s_at_saturation: float


@dataclass(frozen=True)
class LlmPrediction:
    rate: float
    step_ms: float  # mean step = mean ITL
    concurrency: float  # mean requests holding KV space
    itl_p99_ms: float
    ttft_p99_ms: float
    stable: bool  # below the saturation rate


def _per_request_ms(spec: LlmInstanceSpec, input_tokens: int, output_tokens: int) -> float:
    return (
        spec.decode_per_seq_ms * (output_tokens - 1) + spec.prefill_ms_per_1k_tokens * input_tokens / 1000.0
    )


def max_sequences(spec: LlmInstanceSpec, input_tokens: int, output_tokens: int) -> int:
    return min(spec.max_num_seqs, spec.kv_cache_tokens // (input_tokens + output_tokens))


def capacity(spec: LlmInstanceSpec, input_tokens: int, output_tokens: int) -> LlmCapacity:
    """The saturation rate and the step times at both ends (``λ`` per instance)."""
    a = _per_request_ms(spec, input_tokens, output_tokens)
    n = max_sequences(spec, input_tokens, output_tokens)
    d0 = spec.decode_base_ms
    saturation = 1000.0 * n / (output_tokens * d0 + n * a) if n > 0 else 0.0
    step_full = d0 / (1.0 - saturation * a / 1000.0) if n > 0 else math.inf
    prefill_alone = spec.step_ms(0, input_tokens)
    return LlmCapacity(
        max_sequences=n,
        compute_limit_rps=1000.0 / a if a > 0 else math.inf,
        saturation_rps=saturation,
        itl_idle_ms=d0 + spec.decode_per_seq_ms,
        ttft_idle_ms=prefill_alone,
        itl_at_saturation_ms=step_full,
        output_tokens_per_s_at_saturation=saturation * output_tokens,
    )


def _poisson(mean: float) -> list[tuple[int, float]]:
    """(k, P(k)) for the values that matter."""
    terms: list[tuple[int, float]] = []
    probability = math.exp(-mean)
    k = 0
    while True:
        if probability > _TAIL:
            terms.append((k, probability))
        k += 1
        probability *= mean / k
        if k > mean and probability < _TAIL:
            return terms


def _erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in M/M/N (Erlang C), ``load`` = λ·S < N."""
    erlang_b = 1.0
    for n in range(1, servers + 1):
        erlang_b = load * erlang_b / (n + load * erlang_b)
    return servers * erlang_b / (servers - load * (1.0 - erlang_b))


def _quantile(tail: Callable[[float], float], q: float, high: float) -> float:
    """The smallest x with tail(x) <= 1 - q (tail decreasing), by bisection on [0, high]."""
    low = 0.0
    while tail(high) > 1.0 - q:
        low, high = high, high * 2.0
    for _ in range(40):
        middle = (low + high) / 2.0
        if tail(middle) > 1.0 - q:
            low = middle
        else:
            high = middle
    return high


def predict(
    spec: LlmInstanceSpec, input_tokens: int, output_tokens: int, rate: float, noise: float = 0.0
) -> LlmPrediction:
    """TTFT and ITL p99 (ms) of one instance offered ``rate`` requests/s (Poisson)."""
    lam = rate / 1000.0  # per millisecond
    shape = _Shape.of(spec, input_tokens, output_tokens)
    saturation = capacity(spec, input_tokens, output_tokens).saturation_rps
    if shape.sequences <= 0 or rate >= saturation:
        return LlmPrediction(rate, math.inf, math.inf, math.inf, math.inf, False)
    step = shape.d0 / (1.0 - lam * shape.a)
    return LlmPrediction(
        rate,
        step,
        lam * step * output_tokens,
        _itl_p99(shape, lam, step, noise),
        _ttft_p99(shape, lam, step),
        True,
    )


@dataclass(frozen=True)
class _Shape:
    """The figures of one instance at one token mix, in milliseconds."""

    d0: float
    d1: float
    prefill: float  # one request's prefill
    a: float  # GPU time per request beside the per-step base
    sequences: int
    output_tokens: int

    @classmethod
    def of(cls, spec: LlmInstanceSpec, input_tokens: int, output_tokens: int) -> _Shape:
        return cls(
            spec.decode_base_ms,
            spec.decode_per_seq_ms,
            spec.prefill_ms_per_1k_tokens * input_tokens / 1000.0,
            _per_request_ms(spec, input_tokens, output_tokens),
            max_sequences(spec, input_tokens, output_tokens),
            output_tokens,
        )


def _itl_p99(shape: _Shape, lam: float, step: float, noise: float) -> float:
    """Mean step, plus the spread of a request's mean over its decode steps: the prefills that
    land in them (Poisson, clustered: a long prefill step catches more arrivals), amplified by the
    load's feedback on the step (1/(1 - λa)), and the batch's turnover during its life; at most
    what a full batch gives."""
    if shape.output_tokens < 2:
        return 0.0
    steps = shape.output_tokens - 1
    gain = 1.0 / (1.0 - lam * shape.a)
    clustering = 1.0 / (1.0 - lam * shape.prefill)  # long prefill steps catch more arrivals
    from_prefills = shape.prefill**2 * lam * step / steps * gain**2 * clustering
    from_batch = shape.d1**2 * lam * step * steps / 2.0
    from_noise = (noise * step) ** 2 / 3.0 / steps
    spread = step + _Z99 * math.sqrt(from_prefills + from_batch + from_noise)
    # The batch cannot pass the KV cache's N sequences: with it full, a request is admitted only
    # as one finishes (N/O prefills a step), so no step is longer than the saturation's.
    sequences = shape.sequences
    full = shape.d0 + shape.d1 * sequences * steps / shape.output_tokens
    full += shape.prefill * sequences / shape.output_tokens
    return min(spread, full + _Z99 * math.sqrt(from_noise))


def _ttft_p99(shape: _Shape, lam: float, step: float) -> float:
    """The rest of the step under way, the own prefill step, and a wait for KV space."""
    ready = _ready_tail(shape, lam, step)
    holding = shape.output_tokens * step  # a KV slot's holding time S
    load = lam * holding
    waits, decay = _kv_wait(shape.sequences, load, holding, 1.0 / (1.0 - lam * shape.a))

    def tail(x: float) -> float:
        if waits <= 0.0:
            return ready(x)
        return (1.0 - waits) * ready(x) + waits * _wait_tail(ready, decay, x)

    return _quantile(tail, 0.99, 4.0 * (shape.d0 + shape.prefill))


def _ready_tail(shape: _Shape, lam: float, step: float) -> Callable[[float], float]:
    """P(rest of the step under way + own prefill step > x) without a KV wait.

    The prefills per step follow the chain A' ~ Poisson(λ·(base + prefill·A)): mean
    λ·base/(1-m), variance mean/(1-m²) with m = λ·prefill (a negative binomial with those moments);
    an arrival lands in a step in proportion to its length and is prefilled in the next one with
    the others that arrived in the same step (Poisson(λ·length))."""
    base = shape.d0 + shape.d1 * lam * step * (shape.output_tokens - 1)
    m = lam * shape.prefill
    mean = lam * base / (1.0 - m)
    steps = [(base + shape.prefill * k, p) for k, p in _negative_binomial(mean, mean / (1.0 - m * m))]
    weight = sum(length * p for length, p in steps)
    landed = [(length, p * length / weight, _poisson(lam * length)) for length, p in steps]
    busy = 1.0 - math.exp(-lam * step * shape.output_tokens)  # some request holds the engine
    alone = shape.d0 + shape.prefill  # an idle engine starts the request's step at once

    def exact(x: float) -> float:
        total = 0.0
        for length, p_length, arrived_with in landed:
            for k, p_k in arrived_with:
                rest = x - (base + shape.prefill * (1 + k))  # what the step under way must exceed
                if rest <= 0.0:
                    total += p_length * p_k
                elif rest < length:
                    total += p_length * p_k * (length - rest) / length
        return busy * total + (1.0 - busy) * (1.0 if alone > x else 0.0)

    # Tabulated once (it is piecewise linear): the KV wait's convolution reads it many times.
    longest = max(length for length, _, _ in landed)
    most = max(k for _, _, arrived_with in landed for k, _ in arrived_with)
    end = max(alone, longest + base + shape.prefill * (1 + most))
    width = end / _GRID
    table = [exact(i * width) for i in range(_GRID + 1)]

    def tail(x: float) -> float:
        if x <= 0.0:
            return 1.0
        position = x / width
        index = int(position)
        if index >= _GRID:
            return 0.0
        return table[index] + (table[index + 1] - table[index]) * (position - index)

    return tail


def _kv_wait(servers: int, load: float, holding: float, gain: float) -> tuple[float, float]:
    """P(an arrival waits for KV space) and the rate (per ms) of the wait's exponential tail.

    M/M/N (Erlang C) in the Halfin-Whitt form, with the concurrency's spread widened by the load's
    feedback on the step time (``gain``): a burst lengthens the steps, so its requests hold their
    slots longer."""
    if load >= servers:
        return 1.0, 1e-9
    beta = (servers - load) / (gain * math.sqrt(load)) if load > 0 else math.inf
    halfin_whitt = 0.0 if beta > 8.0 else 1.0 / (1.0 + beta * _normal_cdf(beta) / _normal_pdf(beta))
    waits = max(halfin_whitt, _erlang_c(servers, load)) if load > 0 else 0.0
    return (waits if waits > 1e-7 else 0.0), (servers / holding - load / holding) / gain


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _normal_pdf(x: float) -> float:
    return math.exp(-x * x / 2.0) / math.sqrt(2.0 * math.pi)


def _negative_binomial(mean: float, variance: float) -> list[tuple[int, float]]:
    """(k, P(k)) of the negative binomial with these moments (Poisson when not overdispersed)."""
    if variance <= mean * 1.0001:
        return _poisson(mean)
    p = mean / variance
    r = mean * p / (1.0 - p)
    terms: list[tuple[int, float]] = []
    probability = p**r
    k = 0
    while True:
        if probability > _TAIL:
            terms.append((k, probability))
        k += 1
        probability *= (k - 1 + r) / k * (1.0 - p)
        if k > mean and probability < _TAIL:
            return terms


def _wait_tail(ready_tail: Callable[[float], float], decay: float, x: float) -> float:
    """P(ready + W > x) for W ~ Exp(decay)."""
    steps = 50
    width = x / steps
    total = math.exp(-decay * x)
    for i in range(steps):
        w = (i + 0.5) * width
        total += decay * math.exp(-decay * w) * width * ready_tail(x - w)
    return min(1.0, total)


@functools.lru_cache(maxsize=256)  # pure, and up to a second of CPU: the runtime's route asks again
def knee_rps(
    spec: LlmInstanceSpec,
    input_tokens: int,
    output_tokens: int,
    *,
    ttft_p99_ms: float,
    itl_p99_ms: float,
    noise: float = 0.0,
    precision: float = 0.001,
) -> float:
    """The highest rate per instance whose predicted TTFT p99 and ITL p99 are within the limits
    (0 when even a lone request misses them)."""

    def meets(rate: float) -> bool:
        prediction = predict(spec, input_tokens, output_tokens, rate, noise)
        return (
            prediction.stable
            and prediction.ttft_p99_ms <= ttft_p99_ms
            and prediction.itl_p99_ms <= itl_p99_ms
        )

    high = capacity(spec, input_tokens, output_tokens).saturation_rps
    low = 0.0
    if high <= 0.0 or not meets(high * 1e-6):
        return 0.0
    while high - low > precision * high:
        middle = (low + high) / 2.0
        if meets(middle):
            low = middle
        else:
            high = middle
    return low
