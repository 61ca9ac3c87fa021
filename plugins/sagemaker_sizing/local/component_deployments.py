"""The runtime's view of inference components: what is deployed (read from the control plane with
boto3, as ``deployments`` reads endpoints), which component an invocation addresses, and which
copies share an instance.

This is the seam where the runtime's serving of components plugs in: ``read_components`` beside
``ControlPlaneReader.read``, ``route`` on each invocation of an endpoint that hosts components
(the ``X-Amzn-SageMaker-Inference-Component`` header), and ``copies_on_instances`` to run the
copies of one instance against its shared accelerator capacity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.local.placement import Packing, Resources, instance_resources, pack, requirements

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sagemaker_sizing.local.autoscaler import ScalingPolicy

COMPONENT_HEADER = "x-amzn-sagemaker-inference-component"  # lower case, as the runtime reads headers


@dataclass(frozen=True)
class ComponentDeployment:
    name: str
    endpoint_name: str
    variant_name: str
    status: str
    model_name: str | None
    needs: Resources  # what one copy reserves
    copies: int  # CurrentCopyCount: the copies that serve
    desired_copies: int
    created: str  # CreationTime: tells a re-created component from the old one
    image: str = ""  # its model's container image (an LLM container's, issue 24, or not)
    hf_model_id: str | None = None  # its model's HF_MODEL_ID, which picks the LLM profile
    scaling: ScalingPolicy | None = None  # target tracking of its copy count, if registered

    @property
    def identity(self) -> tuple[str, Resources]:
        """Changes when the component is re-created or its compute per copy changes."""
        return (self.created, self.needs)


@dataclass(frozen=True)
class RoutingError:
    """An invocation the runtime answers with an error: HTTP status, AWS error code, message."""

    status: int
    code: str
    message: str


def read_components(
    sagemaker: Any, models: dict[str, tuple[str, str | None]] | None = None
) -> dict[str, tuple[ComponentDeployment, ...]]:
    """Every component, by endpoint name, oldest first (the order the control plane places them),
    with its model's image and HF_MODEL_ID (``models`` caches them by model name)."""
    models = {} if models is None else models
    by_endpoint: dict[str, list[ComponentDeployment]] = {}
    for page in sagemaker.get_paginator("list_inference_components").paginate(
        SortBy="CreationTime", SortOrder="Ascending"
    ):
        for summary in page.get("InferenceComponents", []):
            try:
                described = sagemaker.describe_inference_component(
                    InferenceComponentName=summary["InferenceComponentName"]
                )
            except Exception:  # deleted between list and describe
                continue
            component = _deployment(described, _model(sagemaker, described, models))
            by_endpoint.setdefault(component.endpoint_name, []).append(component)
    return {name: tuple(found) for name, found in by_endpoint.items()}


def _model(
    sagemaker: Any, described: dict[str, Any], models: dict[str, tuple[str, str | None]]
) -> tuple[str, str | None]:
    """The component's container image and HF_MODEL_ID: its model's (read once), or its own container's."""
    spec = described.get("Specification") or {}
    name = spec.get("ModelName")
    if not name:
        container = spec.get("Container") or {}
        return str(container.get("DeployedImage", {}).get("SpecifiedImage", "")), None
    if name not in models:
        try:
            model = sagemaker.describe_model(ModelName=name)
        except Exception:  # deleted, or not readable now: not cached, read again next time
            return "", None
        container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
        models[name] = (
            str(container.get("Image", "")),
            (container.get("Environment") or {}).get("HF_MODEL_ID"),
        )
    return models[name]


def _deployment(described: dict[str, Any], model: tuple[str, str | None] = ("", None)) -> ComponentDeployment:
    spec = described.get("Specification") or {}
    runtime = described.get("RuntimeConfig") or {}
    return ComponentDeployment(
        name=described["InferenceComponentName"],
        endpoint_name=described["EndpointName"],
        variant_name=described.get("VariantName", ""),
        status=described["InferenceComponentStatus"],
        model_name=spec.get("ModelName"),
        needs=requirements(spec.get("ComputeResourceRequirements") or {}),
        copies=int(runtime.get("CurrentCopyCount") or 0),
        desired_copies=int(runtime.get("DesiredCopyCount") or 0),
        created=str(described.get("CreationTime")),
        image=model[0],
        hf_model_id=model[1],
    )


def route(
    endpoint_name: str, components: Sequence[ComponentDeployment], header: str | None
) -> ComponentDeployment | RoutingError:
    """The component an invocation of an endpoint hosting ``components`` addresses.

    As SageMaker: such an endpoint needs the header (the message is AWS's); a component it does
    not host, or one without a copy in service, is an error (the local words).
    """
    if not header:
        return RoutingError(
            400,
            "ValidationError",
            "Inference Component Name header is required for endpoints to which you plan to deploy "
            "inference components. Please include Inference Component Name header or consider using "
            "SageMaker models.",
        )
    found = next((c for c in components if c.name == header), None)
    if found is None:
        return RoutingError(
            400,
            "ValidationError",
            f"Inference component {header} is not deployed on endpoint {endpoint_name}.",
        )
    if found.status not in ("InService", "Updating") or found.copies < 1:
        return RoutingError(
            400,
            "ValidationError",
            f"Inference component {header} is {found.status} with {found.copies} copies in service.",
        )
    return found


def copies_on_instances(
    instance_type: str, components: Sequence[ComponentDeployment], instances: int
) -> Packing:
    """Which components' serving copies each of the endpoint's instances holds (the control
    plane's packing rule, oldest component first), so their requests share its accelerators."""
    offered = instance_resources(instance_type) or Resources()
    return pack([(c.name, c.needs, c.copies) for c in components], offered, instances)
