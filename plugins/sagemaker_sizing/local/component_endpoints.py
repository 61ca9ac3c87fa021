"""The endpoint side of inference components on the local SageMaker: the variant that hosts them,
whether a copy fits one of its instances, where the copies go, and how many instances managed
instance scaling keeps for them (within the instance quota).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moto.sagemaker.exceptions import ValidationError

from sagemaker_sizing.core.account.quota import instance_quota_name
from sagemaker_sizing.local import quotas
from sagemaker_sizing.local.component_store import HOLDING, hosted_on
from sagemaker_sizing.local.placement import Packing, Resources, instance_resources, pack, shortfall

if TYPE_CHECKING:
    from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend


@dataclass(frozen=True)
class ComponentVariant:
    """An endpoint's variant that hosts components, as its endpoint config describes it."""

    name: str
    instance_type: str
    initial_count: int
    managed: bool  # ManagedInstanceScaling ENABLED: instances come and go with the copies
    min_count: int
    max_count: int

    @property
    def instance(self) -> Resources:
        offered = instance_resources(self.instance_type)
        if offered is None:
            raise ValidationError(
                message=f"Instance type {self.instance_type} has no resource figures on the local "
                "SageMaker (resources/instance_resources.json), so no component can be placed on it."
            )
        return offered


def component_variant(
    backend: SageMakerModelBackend, endpoint: FakeEndpoint, variant_name: str | None = None
) -> ComponentVariant:
    """The variant named (default: the first); refused when it serves a model of its own."""
    variants = backend.describe_endpoint_config(endpoint.endpoint_config_name)["ProductionVariants"]
    chosen = (
        next((v for v in variants if v["VariantName"] == variant_name), None) if variant_name else variants[0]
    )
    if chosen is None:
        raise ValidationError(
            message=f"Endpoint '{endpoint.arn}' has no production variant '{variant_name}'."
        )
    if chosen.get("ModelName"):
        # AWS's words (an endpoint created with a model cannot take components).
        raise ValidationError(
            message="Invalid request provided: Inference Components are not supported in this Endpoint. "
            "Please make sure this endpoint can deploy inference components."
        )
    return variant_of(chosen)


def variant_of(raw: dict[str, Any]) -> ComponentVariant:
    initial = int(raw.get("InitialInstanceCount") or 1)
    scaling = raw.get("ManagedInstanceScaling") or {}
    managed = scaling.get("Status") == "ENABLED"
    return ComponentVariant(
        name=raw["VariantName"],
        instance_type=raw.get("InstanceType", ""),
        initial_count=initial,
        managed=managed,
        min_count=int(scaling.get("MinInstanceCount", initial)) if managed else initial,
        max_count=int(scaling.get("MaxInstanceCount", initial)) if managed else initial,
    )


def check_copy_fits(name: str, need: Resources, variant: ComponentVariant) -> None:
    """One copy larger than a whole instance can never be placed: refused at the call."""
    missing = shortfall(need, variant.instance)
    if missing:
        said = "; ".join(
            f"{what} is {needed:g} but one {variant.instance_type} has {offered:g}"
            for what, needed, offered in missing
        )
        raise ValidationError(
            message=f"Inference component '{name}' does not fit an instance of its endpoint: {said}."
        )


def live_count(endpoint: FakeEndpoint, variant: ComponentVariant) -> int:
    """The variant's instances now (DescribeEndpoint's CurrentInstanceCount)."""
    live = next((v for v in endpoint.production_variants if v["VariantName"] == variant.name), {})
    return int(live.get("CurrentInstanceCount") or variant.initial_count)


def instance_limit(endpoint: FakeEndpoint, variant: ComponentVariant) -> int:
    """Instances the copies may use: MaxInstanceCount with managed instance scaling, else those there are."""
    return variant.max_count if variant.managed else live_count(endpoint, variant)


def packing(
    backend: SageMakerModelBackend, endpoint: FakeEndpoint, variant: ComponentVariant, limit: int
) -> Packing:
    """Copies already placed keep their room (oldest component first); then the copies wanted beyond."""
    held = hosted_on(backend, endpoint.endpoint_name, HOLDING)
    kept = [(c.name, c.needs, min(c.current_copies, c.desired_copies)) for c in held]
    extra = [(c.name, c.needs, c.desired_copies - min(c.current_copies, c.desired_copies)) for c in held]
    return pack([*kept, *extra], variant.instance, limit)


def check_growth(backend: SageMakerModelBackend, endpoint: FakeEndpoint, variant: ComponentVariant) -> None:
    """ResourceLimitExceeded when the instances the wanted copies need would pass the type's quota."""
    if not variant.managed:
        return
    needed = packing(backend, endpoint, variant, variant.max_count).instance_count
    current = live_count(endpoint, variant)
    if needed <= current:
        return
    in_use = quotas.instances_in_use(backend, variant.instance_type, except_endpoint=endpoint.endpoint_name)
    applied = quotas.QUOTAS.instances(variant.instance_type)
    if in_use + needed > applied:
        raise quotas.ResourceLimitExceeded(
            quotas.limit_message(
                instance_quota_name(variant.instance_type), applied, in_use, needed - current, "Instances"
            )
        )


def refresh(backend: SageMakerModelBackend, endpoint_name: str) -> None:
    """Copies placed per settled component, and the instances managed instance scaling keeps."""
    endpoint = backend.endpoints.get(endpoint_name)
    if endpoint is None:
        return
    try:
        variant = component_variant(backend, endpoint)
    except ValidationError:  # its config deleted under it, or not a component endpoint: nothing to place
        return
    placed = packing(backend, endpoint, variant, instance_limit(endpoint, variant))
    for component in hosted_on(backend, endpoint_name, ("Updating", "InService")):
        component.current_copies = placed.placed.get(component.name, 0)
    if variant.managed:
        count = max(variant.min_count, placed.instance_count)
        for live in endpoint.production_variants:
            if live["VariantName"] == variant.name:
                live["CurrentInstanceCount"] = live["DesiredInstanceCount"] = count
