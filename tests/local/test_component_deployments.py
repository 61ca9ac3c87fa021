# ruff: noqa: F811  (pytest fixtures imported from the control plane's tests)
"""The runtime's view of inference components: read from the control plane, routed by header,
copies per instance."""

from __future__ import annotations

from typing import Any

from sagemaker_sizing.local.component_deployments import (
    ComponentDeployment,
    RoutingError,
    copies_on_instances,
    read_components,
    route,
)
from sagemaker_sizing.local.placement import Resources

from tests.local.test_inference_components import component, endpoint, server_url, sm  # noqa: F401


def deployed(name: str, copies: int = 1, status: str = "InService", gpus: float = 1) -> ComponentDeployment:
    return ComponentDeployment(
        name=name,
        endpoint_name="ep",
        variant_name="AllTraffic",
        status=status,
        model_name="m",
        needs=Resources(accelerators=gpus),
        copies=copies,
        desired_copies=copies,
        created="t",
    )


def test_an_invocation_without_the_header_is_refused_with_sagemakers_words() -> None:
    refused = route("ep", [deployed("a")], None)
    assert isinstance(refused, RoutingError) and refused.status == 400
    assert refused.message.startswith("Inference Component Name header is required for endpoints")


def test_the_header_picks_a_component_with_copies_in_service() -> None:
    a, b = deployed("a"), deployed("b", copies=0)
    assert route("ep", [a, b], "a") is a
    assert isinstance(route("ep", [a, b], "b"), RoutingError)  # no copy serves
    assert isinstance(route("ep", [a, b], "zzz"), RoutingError)
    assert isinstance(route("ep", [deployed("c", status="Creating")], "c"), RoutingError)


def test_copies_on_instances_follow_the_control_planes_packing() -> None:
    packing = copies_on_instances(
        "ml.g5.12xlarge", [deployed("a", copies=3), deployed("b", copies=2, gpus=2)], 2
    )
    assert packing.instances == (("a", "a", "a"), ("b", "b"))


def test_read_components_by_endpoint_oldest_first(sm: Any) -> None:
    endpoint(sm, instance_type="ml.g5.12xlarge", scaling=(1, 2))
    component(sm, "ic-b", 3)
    component(sm, "ic-a", 2, gpus=2)
    found = read_components(sm)
    assert list(found) == ["ep"]
    b, a = found["ep"]
    assert (b.name, b.copies, b.status, b.model_name) == ("ic-b", 3, "InService", "llm-a")
    assert a.needs == Resources(vcpus=2, memory_mb=4096, accelerators=2)
    instances = int(sm.describe_endpoint(EndpointName="ep")["ProductionVariants"][0]["CurrentInstanceCount"])
    packing = copies_on_instances("ml.g5.12xlarge", found["ep"], instances)
    assert packing.placed == {"ic-b": 3, "ic-a": 2} and packing.instance_count == instances == 2
