"""The endpoint config's production variant: a step's (instance-backed, or serverless: issue 17), or
one that hosts inference components (issue 25)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sagemaker_sizing.adapters.component_specs import ComponentEndpointSpec
    from sagemaker_sizing.core.model import StepConfig


def production_variant(step: StepConfig, model_name: str, variant_name: str) -> dict[str, Any]:
    """``ProductionVariants[0]`` of CreateEndpointConfig for ``step``."""
    variant: dict[str, Any] = {"VariantName": variant_name, "ModelName": model_name}
    if not step.serverless:
        return {
            **variant,
            "InstanceType": step.instance_type,
            "InitialInstanceCount": step.instance_count,
            "InitialVariantWeight": 1.0,
        }
    serverless: dict[str, Any] = {
        "MemorySizeInMB": step.memory_size_mb,
        "MaxConcurrency": step.max_concurrency,
    }
    if step.provisioned_concurrency:
        serverless["ProvisionedConcurrency"] = step.provisioned_concurrency
    return {**variant, "ServerlessConfig": serverless}


def component_variant(spec: ComponentEndpointSpec, variant_name: str) -> dict[str, Any]:
    """``ProductionVariants[0]`` of an endpoint for inference components: instances without a model
    (each component brings its own), managed instance scaling between the spec's bounds so
    instances come and go with the copies, and the routing strategy."""
    return {
        "VariantName": variant_name,
        "InstanceType": spec.instance_type,
        "InitialInstanceCount": spec.initial_instances,
        "ManagedInstanceScaling": {
            "Status": "ENABLED",
            "MinInstanceCount": spec.min_instances,
            "MaxInstanceCount": spec.max_instances,
        },
        "RoutingConfig": {"RoutingStrategy": spec.routing},
    }
