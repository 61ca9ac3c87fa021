"""The endpoint queue, driven by a fake clock."""

from __future__ import annotations

from sagemaker_sizing.local.capacity import load_profile
from sagemaker_sizing.local.queueing import OVERLOADED, TIMED_OUT, EndpointQueue

PROFILE = load_profile()


def _drive(queue: EndpointQueue, rate: float, seconds: float) -> list[float]:
    """Latencies (s) of evenly spaced arrivals."""
    return [
        (adm.due - t)
        for t in (i / rate for i in range(int(rate * seconds)))
        for adm in [queue.admit(t, 27)]
        if adm.error is None
    ]


def test_below_the_service_rate_nobody_waits_long() -> None:
    queue = EndpointQueue(PROFILE, "ml.m5.large", 1, seed=1)
    latencies = _drive(queue, rate=0.95 * 2 * 1000 / PROFILE.service_ms("ml.m5.large"), seconds=60)
    assert max(latencies) < PROFILE.service_p99_ms("ml.m5.large") / 1000 * 1.2


def test_above_the_service_rate_the_wait_grows_with_time() -> None:
    queue = EndpointQueue(PROFILE, "ml.m5.large", 1, seed=1)
    rate = 1.1 * 2 * 1000 / PROFILE.service_ms("ml.m5.large")
    latencies = _drive(queue, rate, seconds=10)
    assert latencies[-1] > 0.5 > latencies[10]


def test_the_queue_bound_turns_arrivals_into_overload_errors() -> None:
    queue = EndpointQueue(PROFILE, "ml.m5.large", 1, seed=1)
    bound = PROFILE.queue_per_worker * 2
    results = [queue.admit(0.0, 27) for _ in range(2 + bound + 5)]
    assert [r.error for r in results[: 2 + bound]] == [None] * (2 + bound)
    assert all(r.error == OVERLOADED for r in results[2 + bound :])


def test_an_answer_later_than_the_limit_times_out() -> None:
    queue = EndpointQueue(PROFILE, "ml.m5.large", 1, seed=1)
    huge = 20 * 1024 * 1024  # ~80 s of service
    result = queue.admit(0.0, huge)
    assert result.error == TIMED_OUT and result.due == PROFILE.timeout_s


def test_more_instances_mean_more_slots_and_fewer_drop_the_busiest() -> None:
    queue = EndpointQueue(PROFILE, "ml.m5.xlarge", 1, seed=1)
    for _ in range(4):
        queue.admit(0.0, 27)
    assert queue.admit(0.0, 27).queued_s > 0  # all four slots busy
    queue.set_instance_count(2, 0.0)
    assert queue.admit(0.0, 27).queued_s == 0
    queue.set_instance_count(0, 0.0)
    assert queue.admit(0.0, 27).error == OVERLOADED


def test_seeded_noise_repeats() -> None:
    first = EndpointQueue(PROFILE, "ml.m5.large", 1, seed=7)
    second = EndpointQueue(PROFILE, "ml.m5.large", 1, seed=7)
    a = [first.admit(i, 27).due for i in range(20)]
    b = [second.admit(i, 27).due for i in range(20)]
    assert a == b and len(set(x - i for i, x in enumerate(a))) > 1


def test_requests_in_flight_follow_littles_law() -> None:
    """The concurrency metric's integral: rate x latency requests in flight on average."""
    queue = EndpointQueue(PROFILE, "ml.m5.large", 1, seed=1)
    rate = 0.5 * 2 * 1000 / PROFILE.service_ms("ml.m5.large")
    latencies = _drive(queue, rate, seconds=60)
    average_in_flight = queue.in_flight_area(60.0) / 60.0
    expected = rate * sum(latencies) / len(latencies)
    assert abs(average_in_flight - expected) < 0.01 * expected
    assert queue.meter.in_flight == 0  # every answer is due by then
