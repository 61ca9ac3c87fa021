"""Components served by the runtime: a copy runs its share of an instance."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sagemaker_sizing.local import llm_knee
from sagemaker_sizing.local.autoscaler import COPY_CONCURRENCY_METRIC, ScalingPolicy
from sagemaker_sizing.local.capacity import load_profile
from sagemaker_sizing.local.component_deployments import ComponentDeployment
from sagemaker_sizing.local.component_serving import ComponentHost, copy_share, llm_copy_spec
from sagemaker_sizing.local.llm_profiles import load_llm_profiles
from sagemaker_sizing.local.llm_serving import LlmEndpoint
from sagemaker_sizing.local.placement import Resources, instance_resources
from sagemaker_sizing.local.queueing import EndpointQueue
from sagemaker_sizing.local.seeding import LLM_IMAGE

G5_12XL = "ml.g5.12xlarge"
LLM = load_llm_profiles()
WHOLE = LLM.model(None).instance(G5_12XL)


def component(
    name: str, copies: int, gpus: float = 1, *, image: str = LLM_IMAGE, created: str = "t0", cpus: float = 0
) -> ComponentDeployment:
    return ComponentDeployment(
        name=name,
        endpoint_name="ep",
        variant_name="AllTraffic",
        status="InService",
        model_name="m",
        needs=Resources(vcpus=cpus, memory_mb=1024, accelerators=gpus),
        copies=copies,
        desired_copies=copies,
        created=created,
        image=image,
    )


def host() -> ComponentHost:
    scheduled: list[Any] = []
    return ComponentHost(
        load_profile(),
        LLM,
        G5_12XL,
        1,
        seed=1,
        schedule=lambda *args: scheduled.append(args),
        routing="LEAST_OUTSTANDING_REQUESTS",
    )


def test_a_copy_holds_its_accelerators_share_of_the_instance() -> None:
    instance = instance_resources(G5_12XL)
    assert instance is not None
    assert copy_share(Resources(accelerators=1, vcpus=8), instance) == 0.25
    assert copy_share(Resources(accelerators=4), instance) == 1.0
    assert copy_share(Resources(vcpus=12, memory_mb=1024), instance) == 0.25  # no accelerator: vCPUs
    assert copy_share(Resources(memory_mb=98304), instance) == 0.5


def test_a_copy_runs_its_share_of_the_instances_engine() -> None:
    assert llm_copy_spec(WHOLE, 1.0) == WHOLE
    quarter = llm_copy_spec(WHOLE, 0.25)
    assert quarter.kv_cache_tokens == WHOLE.kv_cache_tokens // 4
    assert quarter.step_ms(10, 1000) == pytest.approx(4 * WHOLE.step_ms(10, 1000))
    assert quarter.max_num_seqs == WHOLE.max_num_seqs
    # Four quarter copies carry no more than the whole instance: capacity is shared, not multiplied.
    whole = llm_knee.capacity(WHOLE, 512, 128).saturation_rps
    assert 4 * llm_knee.capacity(quarter, 512, 128).saturation_rps <= whole * 1.01


def test_the_host_follows_the_components_copies_and_compute() -> None:
    served = host()
    served.update([component("a", 2), component("b", 1, gpus=2, image="my-classic:latest")], 0.0)
    a, b = served.servers["a"], served.servers["b"]
    assert isinstance(a, LlmEndpoint) and a.instance_count == 2
    assert a.spec == llm_copy_spec(WHOLE, 0.25)
    assert isinstance(b, EndpointQueue) and b.instance_count == 1
    assert b.workers_per_instance == round(load_profile().instance(G5_12XL).workers * 0.5)

    served.update([component("a", 3), component("b", 1, gpus=2, image="my-classic:latest")], 1.0)
    assert served.servers["a"] is a and a.instance_count == 3  # copies changed in place
    served.update([component("a", 3, gpus=2)], 2.0)
    assert served.servers["a"] is not a and served.servers["a"].spec == llm_copy_spec(WHOLE, 0.5)
    assert "b" not in served.servers  # deleted
    served.update([component("a", 3, gpus=2, created="t1")], 3.0)  # re-created: a new server
    assert set(served.describe()) == {"a"} and served.describe()["a"]["share_of_instance"] == 0.5


def test_requests_reach_only_the_named_components_copies() -> None:
    served = host()
    served.update([component("a", 1), component("b", 1)], 0.0)

    class Sink:
        def on_tokens(self, sequence: Any, now: float) -> None: ...
        def on_failed(self, sequence: Any, now: float, reason: str) -> None: ...

    server = served.servers["a"]
    assert isinstance(server, LlmEndpoint)
    server.submit(0.0, 100, 10, Sink())
    assert served.servers["a"].invocations == 1 and served.servers["b"].invocations == 0
    assert served.invocations == 1


def test_a_copy_count_policy_scales_the_copies_on_concurrency_per_copy() -> None:
    """Virtual time at 1000x: 10 s datapoints every 10 ms, a new copy in service 240 ms after."""
    served = ComponentHost(
        load_profile(),
        LLM,
        G5_12XL,
        1,
        seed=1,
        schedule=lambda *args: None,
        routing=None,
        time_compression=1000,
    )
    policy = ScalingPolicy(min_count=1, max_count=3, target=1.0, metric=COPY_CONCURRENCY_METRIC)
    scaled = dataclasses.replace(component("a", 1), scaling=policy)
    served.update([scaled], 0.0)
    server = served.servers["a"]
    assert isinstance(server, LlmEndpoint)

    class Sink:
        def on_tokens(self, sequence: Any, now: float) -> None: ...
        def on_failed(self, sequence: Any, now: float, reason: str) -> None: ...

    for _ in range(4):  # 4 requests in flight on 1 copy: 4 per copy, 4 x the target
        server.submit(0.0, 100, 1000, Sink())
    decided = [served.autoscale(t / 1000) for t in (11, 22, 33)]
    assert decided == [[], [], []] and served.autoscalers["a"].pending_count == 3  # at most max_count
    assert served.autoscale(0.3) == [("a", 3)]
    served.set_copies("a", 3, 0.3)
    assert server.instance_count == 3
    # The control plane still Updating shows the old count: the copies asked for keep serving.
    served.update([dataclasses.replace(scaled, status="Updating")], 0.31)
    assert server.instance_count == 3
    # It could place only 2: that is what serves.
    served.update([dataclasses.replace(scaled, copies=2)], 0.4)
    assert server.instance_count == 2
    served.update([component("a", 2)], 0.5)  # the policy deregistered
    assert served.autoscalers == {}
