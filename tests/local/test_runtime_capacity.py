"""Load against the running emulator: the knee is where the profile says, endpoints are independent,
and autoscaling scales out under load and back in, visibly through DescribeEndpoint."""

from __future__ import annotations

import json
import threading
import urllib.request
from typing import TYPE_CHECKING

import pytest
from sagemaker_sizing.local.capacity import analytical_capacity, load_profile

from .conftest import delete_endpoint, deploy_endpoint, wait_for
from .loadgen import run_load, run_loads

if TYPE_CHECKING:
    from collections.abc import Callable

    from sagemaker_sizing.local import LocalSageMakerStatus

    from .loadgen import LoadResult

P99_LIMIT_MS = 80.0
KNEE_TOLERANCE = 0.03  # the measured knee is within 3% of the analytical capacity
KNEE_P99_LIMIT_MS = 150.0  # ~115 ms above the service time's p99: room for a stalled client
KNEE_SECONDS = 6.0  # per step: 3% over capacity queues 180 ms of waiting by its end
STEP_TRIES = 3


def _capacity(local: LocalSageMakerStatus, endpoint: str, p99_ms: float) -> float:
    url = f"{local.runtime_url}/_local/capacity?endpoint={endpoint}&p99_ms={p99_ms:g}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return float(json.loads(response.read())["capacity_tps"])


def _figures(result: LoadResult) -> tuple[float, float, float, int]:
    rate, model_p99, client_p99 = result.offered_rate, result.model_p99_ms, result.p99_ms
    return (round(rate, 1), round(model_p99, 1), round(client_p99, 1), result.errors)


def _service_ms(local: LocalSageMakerStatus, endpoint: str) -> float:
    with urllib.request.urlopen(f"{local.runtime_url}/_local/capacity?endpoint={endpoint}", timeout=5) as r:
        return float(json.loads(r.read())["service_ms"])


def test_measured_knee_matches_the_analytical_capacity(local_sagemaker: LocalSageMakerStatus) -> None:
    """The knee, bracketed by two steps KNEE_TOLERANCE either side of the analytical capacity: the
    step below passes (p99 <= limit, no errors), the step above fails, both judged on the latency
    the client measured, as Gatling's and the walk's verdicts are. Judged on the emulator's own
    latency header instead, the test would pass with an emulator that reports a queue but answers
    at once (or late): the header is only the model's bookkeeping, the client's clock is what a
    sizing run sees.

    Above the service rate the queue grows by KNEE_TOLERANCE * KNEE_SECONDS seconds of waiting
    over the step (180 ms), so its p99 is ~210 ms against the 150 ms limit. Below it the wait stays
    near zero: p99 ~ the service time's (34 ms). A CPU-starved client (or emulator) sends (or reads)
    requests in a burst after a stall, and at 97% of capacity that backlog takes seconds to drain:
    the step's p99 is then about the service time plus the stall. That can fail the step below,
    never pass the step above. So the limit leaves ~115 ms for stalls and the step below gets up to
    STEP_TRIES tries, counting only a pass where the client kept its rate; the step above is tried
    again only if it passed with a client that fell behind its rate. A stall can also fail the
    step above on the client's clock alone, so the emulator's header must show that its queue grew
    (the wait, not the client, failed it). The noise of the service times is seeded per endpoint.
    """
    deploy_endpoint(local_sagemaker, "knee", "ml.c5.large", 2)
    try:
        capacity = _capacity(local_sagemaker, "knee", KNEE_P99_LIMIT_MS)
        profile = load_profile(local_sagemaker.options["profile"])
        expected = analytical_capacity(profile, "ml.c5.large", 2, KNEE_P99_LIMIT_MS)
        assert capacity == pytest.approx(expected)
        url = local_sagemaker.runtime_url or ""

        def tries(rate: float, settled: Callable[[LoadResult], bool]) -> list[LoadResult]:
            runs: list[LoadResult] = []
            while len(runs) < STEP_TRIES and not (runs and settled(runs[-1])):
                runs.append(run_load(url, "knee", rate, KNEE_SECONDS))
            return runs

        below = tries(
            (1 - KNEE_TOLERANCE) * capacity,
            lambda run: run.passes(KNEE_P99_LIMIT_MS) and run.offered_rate >= 0.99 * run.rate,
        )
        # A pass above counts only when the client kept up; a fail counts whatever it offered.
        above_runs = tries(
            (1 + KNEE_TOLERANCE) * capacity,
            lambda run: not run.passes(KNEE_P99_LIMIT_MS) or run.offered_rate >= 0.995 * run.rate,
        )
        above = above_runs[-1]
        summary = {"below": [_figures(run) for run in below], "above": [_figures(run) for run in above_runs]}
        print(summary)  # offered req/s, model p99, client p99, errors: shown with -s
        assert below[-1].passes(KNEE_P99_LIMIT_MS), summary
        assert below[-1].offered_rate >= 0.99 * below[-1].rate, summary
        assert not above.passes(KNEE_P99_LIMIT_MS), summary
        # Above the knee the queue grew through the step: the wait, not the service time or a
        # client's stall, failed it.
        service_ms = _service_ms(local_sagemaker, "knee")
        assert above.model_p99_ms > service_ms + 0.5 * KNEE_TOLERANCE * KNEE_SECONDS * 1000.0, summary
        # The client waited at least as long as the model says each answer took (it is not made up).
        assert above.p99_ms >= above.model_p99_ms, summary
    finally:
        delete_endpoint(local_sagemaker, "knee")


def test_concurrent_endpoints_have_their_own_capacity(local_sagemaker: LocalSageMakerStatus) -> None:
    sizes = {"small": ("ml.m5.large", 1), "large": ("ml.m5.xlarge", 1)}
    for name, (instance_type, count) in sizes.items():
        deploy_endpoint(local_sagemaker, name, instance_type, count)
    try:
        capacities = {name: _capacity(local_sagemaker, name, P99_LIMIT_MS) for name in sizes}
        assert capacities["large"] == pytest.approx(2 * capacities["small"])
        rates = {name: 0.9 * capacities[name] for name in sizes}
        results = run_loads(local_sagemaker.runtime_url or "", rates, 3.0)
        # Each at 90% of its own capacity: a shared or mixed-up queue would overload one of them
        # (judged on the model's latencies: the queues' independence, not the client's, is tested).
        assert all(result.model_passes(P99_LIMIT_MS) for result in results.values()), {
            n: (r.model_p99_ms, r.p99_ms, r.errors) for n, r in results.items()
        }
    finally:
        for name in sizes:
            delete_endpoint(local_sagemaker, name)


def test_autoscaling_scales_out_under_load_and_back_in(local_sagemaker: LocalSageMakerStatus) -> None:
    name = "scaling"
    deploy_endpoint(local_sagemaker, name, "ml.m5.large", 1)
    resource = f"endpoint/{name}/variant/AllTraffic"
    scaling = local_sagemaker.client("application-autoscaling")
    sagemaker = local_sagemaker.client("sagemaker")
    scaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=resource,
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=1,
        MaxCapacity=3,
    )
    scaling.put_scaling_policy(
        PolicyName="invocations",
        ServiceNamespace="sagemaker",
        ResourceId=resource,
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 600.0,  # 10 TPS per instance
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
        },
    )

    def count() -> int:
        variant = sagemaker.describe_endpoint(EndpointName=name)["ProductionVariants"][0]
        return int(variant["CurrentInstanceCount"])

    try:
        wait_for(lambda: _capacity(local_sagemaker, name, P99_LIMIT_MS) > 0, 3.0)
        # 30 TPS on one instance = 1800/min, 3x the target: 3 breaching (compressed) minutes,
        # then 4 minutes of start-up; with compression 60 that is about 7 s. On 3 instances it is
        # 600/min each, at the target: above the scale-in threshold (0.9 x target), so the count
        # stays 3 while the load lasts (at 25 TPS, 500/min each, it scaled in again mid-load).
        load = threading.Thread(target=run_load, args=(local_sagemaker.runtime_url, name, 30.0, 10.0))
        load.start()
        try:
            wait_for(lambda: count() == 3, 12.0)
        finally:
            load.join()
        assert count() == 3
        # Idle: 4 low datapoints (the test profile) and a 2 s cooldown, then back to the minimum.
        wait_for(lambda: count() == 1, 15.0)
    finally:
        scaling.deregister_scalable_target(
            ServiceNamespace="sagemaker",
            ResourceId=resource,
            ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        )
        delete_endpoint(local_sagemaker, name)
