"""The LLM serving model in virtual time: continuous batching, the KV budget, the queue, routing."""

from __future__ import annotations

import dataclasses
import statistics
from typing import Any

import pytest
from sagemaker_sizing.local.concurrency import ConcurrencyMeter
from sagemaker_sizing.local.llm_profiles import (
    LEAST_OUTSTANDING_REQUESTS,
    LlmInstanceSpec,
    LlmModelProfile,
    LlmProfiles,
    load_llm_profiles,
)
from sagemaker_sizing.local.llm_serving import (
    OVERLOADED,
    TIMED_OUT,
    TOO_LONG,
    LlmEndpoint,
    LlmRequest,
    Refusal,
)
from sagemaker_sizing.local.llm_simulation import VirtualClock, simulate

PROFILES = load_llm_profiles()
MODEL = PROFILES.model(None)
# A small exact engine: no noise, 10 ms per step + 1 ms per decoding sequence, 100 ms per 1k
# prompt tokens, room for 4 sequences of 100 + 20 tokens.
SPEC = LlmInstanceSpec(
    decode_base_ms=10.0,
    decode_per_seq_ms=1.0,
    prefill_ms_per_1k_tokens=100.0,
    kv_cache_tokens=480,
    max_num_seqs=64,
    max_prefill_tokens=8192,
)


def _exact(**changes: Any) -> tuple[LlmProfiles, LlmModelProfile]:
    model = LlmModelProfile("tiny", {"default": SPEC}, max_model_len=4096)
    profiles = LlmProfiles({"tiny": model}, "tiny", noise=0.0, **changes)
    return profiles, model


class Recorder:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.failed: str | None = None

    def on_tokens(self, request: LlmRequest, now: float) -> None:
        self.times.append(now)

    def on_failed(self, request: LlmRequest, now: float, reason: str) -> None:
        self.failed = reason


def _endpoint(count: int = 1, **changes: Any) -> tuple[VirtualClock, LlmEndpoint]:
    clock = VirtualClock()
    profiles, model = _exact(**changes)
    return clock, LlmEndpoint(profiles, model, "ml.any", count, seed=1, schedule=clock.call_at)


def test_a_lone_request_takes_its_prefill_step_then_one_step_per_token() -> None:
    clock, endpoint = _endpoint()
    record = Recorder()
    endpoint.submit(0.0, 100, 5, record)
    clock.run()
    # Prefill step: 10 + 100 * 0.1 = 20 ms (its first token); then 4 steps of 10 + 1 ms.
    assert record.times == pytest.approx([0.020, 0.031, 0.042, 0.053, 0.064])
    assert endpoint.tokens == 5 and endpoint.engines[0].reserved == 0


def test_a_request_joins_the_batch_at_the_next_step_and_slows_the_others() -> None:
    clock, endpoint = _endpoint()
    first, second = Recorder(), Recorder()
    endpoint.submit(0.0, 100, 4, first)
    clock.run(0.025)
    endpoint.submit(0.025, 100, 4, second)  # during the step 20-31 ms
    clock.run()
    # At 31 ms the second is prefilled beside the first's decode: 10 + 1 + 10 = 21 ms.
    assert first.times == pytest.approx([0.020, 0.031, 0.052, 0.064])
    assert second.times[0] == pytest.approx(0.052)  # TTFT 27 ms: the step under way, then its own
    assert second.times[1] - second.times[0] == pytest.approx(0.012)  # then 10 + 2 x 1 ms: batch of 2


def test_the_kv_budget_caps_the_batch_and_the_rest_waits_in_order() -> None:
    clock, endpoint = _endpoint()
    records = [Recorder() for _ in range(6)]
    for record in records:
        endpoint.submit(0.0, 100, 20, record)  # 120 tokens each: 4 fit in 480
    engine = endpoint.engines[0]
    assert engine.running == 1 and len(engine.waiting) == 5  # the others join at the next step
    clock.run(0.021)
    assert engine.running == 4 and len(engine.waiting) == 2 and engine.reserved == 480
    clock.run()
    finished_first = max(r.times[-1] for r in records[:4])
    assert all(r.times[0] >= finished_first for r in records[4:])  # admitted once KV was freed
    assert records[4].times[0] <= records[5].times[0]


def test_a_request_that_can_never_fit_is_refused() -> None:
    _, endpoint = _endpoint()
    refusal = endpoint.submit(0.0, 470, 20, Recorder())
    assert refusal == Refusal(TOO_LONG) and endpoint.errors == 1


def test_beyond_the_waiting_bound_requests_are_refused_as_overloaded() -> None:
    _, endpoint = _endpoint(max_waiting_per_instance=3)
    outcomes = [endpoint.submit(0.0, 100, 20, Recorder()) for _ in range(6)]
    # The first starts a step at once, the next 3 wait for the next one, the others are refused.
    assert [isinstance(o, Refusal) for o in outcomes] == [False] * 4 + [True] * 2
    assert outcomes[-1] == Refusal(OVERLOADED)


def test_a_request_waiting_past_the_timeout_fails() -> None:
    clock, endpoint = _endpoint(first_token_timeout_s=0.1)
    blockers = [Recorder() for _ in range(4)]
    for record in blockers:
        endpoint.submit(0.0, 100, 20, record)  # ~0.3 s each, holding the whole KV cache
    late = Recorder()
    endpoint.submit(0.0, 100, 20, late)
    clock.run()
    assert late.failed == TIMED_OUT and late.times == []
    assert endpoint.meter.in_flight == 0


def test_abort_frees_the_reservation_at_once() -> None:
    clock, endpoint = _endpoint()
    requests = [endpoint.submit(0.0, 100, 20, Recorder()) for _ in range(5)]
    engine = endpoint.engines[0]
    clock.run(0.05)
    assert len(engine.waiting) == 1 and engine.reserved == 480
    first = requests[0]
    assert isinstance(first, LlmRequest)
    endpoint.abort(first, 0.05)
    assert engine.reserved == 360 and endpoint.meter.in_flight == 4
    clock.run(0.2)
    assert engine.running == 4  # the waiting one got the freed space at the next step


def test_least_outstanding_requests_routing_fills_the_emptiest_instance() -> None:
    _, endpoint = _endpoint(count=3, routing=LEAST_OUTSTANDING_REQUESTS)
    for _ in range(9):
        endpoint.submit(0.0, 10, 10, Recorder())
    assert [engine.outstanding for engine in endpoint.engines] == [3, 3, 3]


def test_random_routing_spreads_requests_over_every_instance() -> None:
    _, endpoint = _endpoint(count=4)
    for _ in range(400):
        endpoint.submit(0.0, 1, 1, Recorder())
    counts = [engine.outstanding for engine in endpoint.engines]
    assert sum(counts) == 400 and min(counts) > 60


def test_scaling_in_drains_an_instance_without_losing_its_requests() -> None:
    clock, endpoint = _endpoint(count=2, routing=LEAST_OUTSTANDING_REQUESTS)
    records = [Recorder() for _ in range(2)]
    for record in records:
        endpoint.submit(0.0, 100, 10, record)
    endpoint.set_instance_count(1, 0.001)
    assert endpoint.instance_count == 1
    clock.run()
    assert all(len(record.times) == 10 for record in records)


def test_the_meter_integrates_requests_in_flight() -> None:
    meter = ConcurrencyMeter()
    meter.start(0.0, ends_at=2.0)  # a classic request: its end known at admission
    meter.start(1.0)
    assert meter.area(1.5) == pytest.approx(1.5 + 0.5)
    meter.end(3.0)
    assert meter.area(10.0) == pytest.approx(2.0 + 2.0) and meter.in_flight == 0


def test_itl_grows_with_the_batch() -> None:
    means = [
        statistics.fmean(
            simulate(
                PROFILES, MODEL, "ml.g5.xlarge", rate=rate, input_tokens=256, output_tokens=64, duration_s=120
            ).itl_ms
        )
        for rate in (1.0, 3.0, 5.0, 7.0)
    ]
    assert means == sorted(means) and means[-1] > 1.8 * means[0]


def test_ttft_climbs_past_the_kv_knee_while_itl_stays_at_the_full_batch() -> None:
    # ml.inf2.xlarge runs at most 8 sequences: at 256 + 64 tokens, saturation is ~3.3 req/s.
    def run(rate: float) -> Any:
        return simulate(
            PROFILES, MODEL, "ml.inf2.xlarge", rate=rate, input_tokens=256, output_tokens=64, duration_s=120
        )

    below, above = run(1.0), run(4.0)
    assert below.ttft_p99_ms < 300 and above.ttft_p99_ms > 20 * below.ttft_p99_ms
    full_batch_step = MODEL.instance("ml.inf2.xlarge").step_ms(8, 256)
    assert below.itl_p99_ms < above.itl_p99_ms < 1.1 * full_batch_step


def test_profiles_cover_the_instance_types_a_user_would_list() -> None:
    listed = {
        "ml.g5.xlarge",
        "ml.g5.2xlarge",
        "ml.g5.12xlarge",
        "ml.g6.xlarge",
        "ml.g6.2xlarge",
        "ml.g6e.xlarge",
        "ml.g6e.2xlarge",
        "ml.p4d.24xlarge",
        "ml.inf2.xlarge",
        "ml.inf2.8xlarge",
    }
    assert listed <= set(MODEL.instance_types)
    assert PROFILES.model("no/such-model") is MODEL
    # The usual order for one 8B model: the L4 is slower than the A10G, the L40S faster.
    step = {name: MODEL.instance(name).step_ms(32, 0) for name in listed}
    assert step["ml.g6.xlarge"] > step["ml.g5.xlarge"] > step["ml.g6e.xlarge"] > step["ml.p4d.24xlarge"]


def test_a_bad_profile_is_refused() -> None:
    bad = dataclasses.replace(SPEC, kv_cache_tokens=0)
    from sagemaker_sizing.local.llm_profiles import profiles_from_dict

    raw = {"default_model": "m", "models": {"m": {"instance_types": {"default": dataclasses.asdict(bad)}}}}
    with pytest.raises(ValueError, match="budgets"):
        profiles_from_dict(raw)
