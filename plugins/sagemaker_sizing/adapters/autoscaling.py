"""Application Auto Scaling for a SageMaker endpoint variant (its instance count) or an inference
component (its copy count): register, target tracking, remove.

Works on a boto3 ``application-autoscaling`` client (made by ``EndpointManager`` from the provider's
``AwsBaseHook``, so the same Airflow connection and endpoint_url apply). Throttling is left to the
client's botocore retry configuration, paging to botocore's paginators.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import ClientError

log = logging.getLogger(__name__)

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
METRIC = "SageMakerVariantInvocationsPerInstance"


def resource_id(endpoint_name: str, variant_name: str) -> str:
    return f"endpoint/{endpoint_name}/variant/{variant_name}"


def endpoint_of(resource: str) -> str | None:
    """``endpoint/<name>/variant/<variant>`` -> ``<name>``; None for anything else."""
    parts = resource.split("/")
    return parts[1] if len(parts) == 4 and parts[0] == "endpoint" and parts[2] == "variant" else None


class VariantAutoscaling:
    """Target-tracking autoscaling of endpoint variants on SageMakerVariantInvocationsPerInstance."""

    def __init__(self, client: Any, *, scale_in_cooldown: int = 300, scale_out_cooldown: int = 60) -> None:
        self.client = client
        self.scale_in_cooldown = scale_in_cooldown
        self.scale_out_cooldown = scale_out_cooldown

    def apply(
        self,
        endpoint_name: str,
        variant_name: str,
        *,
        min_capacity: int,
        max_capacity: int,
        invocations_target: int,
        policy_name: str,
        tags: list[dict[str, str]],
    ) -> list[str]:
        """Register the variant and put the policy; both calls are upserts, so retries are harmless."""
        rid = resource_id(endpoint_name, variant_name)
        log.info(
            "Registering %s for autoscaling %s..%s, target %s invocations/instance/min",
            rid,
            min_capacity,
            max_capacity,
            invocations_target,
        )
        self.client.register_scalable_target(
            ServiceNamespace=NAMESPACE,
            ResourceId=rid,
            ScalableDimension=DIMENSION,
            MinCapacity=min_capacity,
            MaxCapacity=max_capacity,
            # Application Auto Scaling takes tags as a map, SageMaker as a list.
            Tags={tag["Key"]: tag["Value"] for tag in tags},
        )
        self.client.put_scaling_policy(
            PolicyName=policy_name,
            ServiceNamespace=NAMESPACE,
            ResourceId=rid,
            ScalableDimension=DIMENSION,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": float(invocations_target),
                "PredefinedMetricSpecification": {"PredefinedMetricType": METRIC},
                "ScaleInCooldown": self.scale_in_cooldown,
                "ScaleOutCooldown": self.scale_out_cooldown,
            },
        )
        return [rid, policy_name]

    def targets_of(self, endpoint_names: set[str]) -> list[str]:
        """Resource ids of every registered variant of these endpoints."""
        if not endpoint_names:
            return []
        found: list[str] = []
        pages = self.client.get_paginator("describe_scalable_targets").paginate(
            ServiceNamespace=NAMESPACE, ScalableDimension=DIMENSION
        )
        for page in pages:
            for target in page.get("ScalableTargets", []):
                rid = target["ResourceId"]
                if endpoint_of(rid) in endpoint_names and rid not in found:
                    found.append(rid)
        return found

    def is_registered(self, endpoint_name: str, variant_name: str) -> bool:
        rid = resource_id(endpoint_name, variant_name)
        page = self.client.describe_scalable_targets(
            ServiceNamespace=NAMESPACE, ResourceIds=[rid], ScalableDimension=DIMENSION
        )
        return any(t["ResourceId"] == rid for t in page.get("ScalableTargets", []))

    def remove(self, rid: str) -> list[str]:
        """Delete the target's policies, then deregister it; what is already gone is skipped."""
        return _remove_target(self.client, rid, DIMENSION)


def _remove_target(client: Any, rid: str, dimension: str) -> list[str]:
    removed: list[str] = []
    page = client.describe_scaling_policies(
        ServiceNamespace=NAMESPACE, ResourceId=rid, ScalableDimension=dimension
    )
    for policy in page.get("ScalingPolicies", []):
        if _ignore_missing(
            client.delete_scaling_policy,
            PolicyName=policy["PolicyName"],
            ServiceNamespace=NAMESPACE,
            ResourceId=rid,
            ScalableDimension=dimension,
        ):
            log.info("Deleted scaling policy %s of %s", policy["PolicyName"], rid)
            removed.append(policy["PolicyName"])
    if _ignore_missing(
        client.deregister_scalable_target,
        ServiceNamespace=NAMESPACE,
        ResourceId=rid,
        ScalableDimension=dimension,
    ):
        log.info("Deregistered scalable target %s", rid)
        removed.append(rid)
    return removed


def _ignore_missing(call: Any, **kwargs: Any) -> bool:
    """Run an Application Auto Scaling delete; False when the thing did not exist (already gone)."""
    try:
        call(**kwargs)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("ObjectNotFoundException", "ValidationException") and (
            "No scal" in str(error) or error.response["Error"]["Code"] == "ObjectNotFoundException"
        ):
            return False
        raise
    return True


# ---- inference components (issue 25): the copy count ---------------------------------------------

COPY_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
# Concurrent requests per copy, queued ones included, every 10 s: what fills an LLM copy's batch and
# KV cache (as the variant's concurrency metric does per instance), and quick to react.
COPY_METRIC = "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"


def component_resource_id(component_name: str) -> str:
    return f"inference-component/{component_name}"


def component_of(resource: str) -> str | None:
    """``inference-component/<name>`` -> ``<name>``; None for anything else."""
    kind, _, name = resource.partition("/")
    return name if kind == "inference-component" and name else None


class ComponentAutoscaling:
    """Target tracking of inference components' copy counts on concurrent requests per copy.

    Managed instance scaling (the endpoint's variant) then adds or removes instances to hold the
    copies, so the copies are what a policy scales.
    """

    def __init__(self, client: Any, *, scale_in_cooldown: int = 300, scale_out_cooldown: int = 60) -> None:
        self.client = client
        self.scale_in_cooldown = scale_in_cooldown
        self.scale_out_cooldown = scale_out_cooldown

    def apply(
        self,
        component_name: str,
        *,
        min_copies: int,
        max_copies: int,
        concurrency_target: float,
        policy_name: str,
        tags: list[dict[str, str]],
    ) -> list[str]:
        """Register the component's copy count and put the policy (both upserts)."""
        rid = component_resource_id(component_name)
        log.info(
            "Registering %s for autoscaling %s..%s copies, target %g concurrent requests per copy",
            rid,
            min_copies,
            max_copies,
            concurrency_target,
        )
        self.client.register_scalable_target(
            ServiceNamespace=NAMESPACE,
            ResourceId=rid,
            ScalableDimension=COPY_DIMENSION,
            MinCapacity=min_copies,
            MaxCapacity=max_copies,
            Tags={tag["Key"]: tag["Value"] for tag in tags},
        )
        self.client.put_scaling_policy(
            PolicyName=policy_name,
            ServiceNamespace=NAMESPACE,
            ResourceId=rid,
            ScalableDimension=COPY_DIMENSION,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": float(concurrency_target),
                "PredefinedMetricSpecification": {"PredefinedMetricType": COPY_METRIC},
                "ScaleInCooldown": self.scale_in_cooldown,
                "ScaleOutCooldown": self.scale_out_cooldown,
            },
        )
        return [rid, policy_name]

    def targets_of(self, component_names: set[str]) -> list[str]:
        """Resource ids of the registered copy counts of these components."""
        if not component_names:
            return []
        found: list[str] = []
        pages = self.client.get_paginator("describe_scalable_targets").paginate(
            ServiceNamespace=NAMESPACE, ScalableDimension=COPY_DIMENSION
        )
        for page in pages:
            for target in page.get("ScalableTargets", []):
                rid = target["ResourceId"]
                if component_of(rid) in component_names and rid not in found:
                    found.append(rid)
        return found

    def remove(self, rid: str) -> list[str]:
        """Delete the target's policies, then deregister it; what is already gone is skipped."""
        return _remove_target(self.client, rid, COPY_DIMENSION)
