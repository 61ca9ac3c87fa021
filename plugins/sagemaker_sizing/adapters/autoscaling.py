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

from sagemaker_sizing.core.walk.targets import CONCURRENCY_METRIC, INVOCATIONS_METRIC

log = logging.getLogger(__name__)

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
METRIC = INVOCATIONS_METRIC
# An LLM endpoint's (issue 24) is CONCURRENCY_METRIC: the requests in flight per instance, queued
# ones included, reported every 10 s. A high-resolution predefined metric is named by its
# PredefinedMetricType alone (the policy's alarms then use 10 s periods), so the policy scales out
# in tens of seconds where invocations per minute would take minutes.


def resource_id(endpoint_name: str, variant_name: str) -> str:
    return f"endpoint/{endpoint_name}/variant/{variant_name}"


def endpoint_of(resource: str) -> str | None:
    """``endpoint/<name>/variant/<variant>`` -> ``<name>``; None for anything else."""
    parts = resource.split("/")
    return parts[1] if len(parts) == 4 and parts[0] == "endpoint" and parts[2] == "variant" else None


def policy_metric(invocations_target: int | None, concurrency_target: float | None) -> tuple[str, float]:
    """The predefined metric a step's policy tracks and its target value: concurrent requests per
    instance when the step has a concurrency target (an LLM walk's), else invocations per
    instance per minute."""
    if concurrency_target is not None:
        return CONCURRENCY_METRIC, float(concurrency_target)
    return METRIC, float(invocations_target or 0)


class VariantAutoscaling:
    """Target-tracking autoscaling of endpoint variants on SageMakerVariantInvocationsPerInstance
    (or, for an LLM, SageMakerVariantConcurrentRequestsPerModelHighResolution)."""

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
        target_value: float,
        policy_name: str,
        tags: list[dict[str, str]],
        metric: str = METRIC,
    ) -> list[str]:
        """Register the variant and put the policy; both calls are upserts, so retries are harmless."""
        rid = resource_id(endpoint_name, variant_name)
        log.info(
            "Registering %s for autoscaling %s..%s, target %g on %s",
            rid,
            min_capacity,
            max_capacity,
            target_value,
            metric,
        )
        return _track(
            self,
            rid,
            DIMENSION,
            capacity=(min_capacity, max_capacity),
            tracking=(metric, target_value),
            policy_name=policy_name,
            tags=tags,
        )

    def targets_of(self, endpoint_names: set[str]) -> list[str]:
        """Resource ids of every registered variant of these endpoints."""
        return _targets(self.client, DIMENSION, endpoint_of, endpoint_names)

    def is_registered(self, endpoint_name: str, variant_name: str) -> bool:
        rid = resource_id(endpoint_name, variant_name)
        page = self.client.describe_scalable_targets(
            ServiceNamespace=NAMESPACE, ResourceIds=[rid], ScalableDimension=DIMENSION
        )
        return any(t["ResourceId"] == rid for t in page.get("ScalableTargets", []))

    def remove(self, rid: str) -> list[str]:
        """Delete the target's policies, then deregister it; what is already gone is skipped."""
        return _remove_target(self.client, rid, DIMENSION)


def _track(
    scaling: Any,
    rid: str,
    dimension: str,
    *,
    capacity: tuple[int, int],
    tracking: tuple[str, float],
    policy_name: str,
    tags: list[dict[str, str]],
) -> list[str]:
    """Register ``rid``'s ``dimension`` between ``capacity`` and put its target-tracking policy on
    ``tracking`` (metric, target), both upserts, with ``scaling``'s cooldowns: a variant's instance
    count and a component's copy count alike."""
    client = scaling.client
    client.register_scalable_target(
        ServiceNamespace=NAMESPACE,
        ResourceId=rid,
        ScalableDimension=dimension,
        MinCapacity=capacity[0],
        MaxCapacity=capacity[1],
        # Application Auto Scaling takes tags as a map, SageMaker as a list.
        Tags={tag["Key"]: tag["Value"] for tag in tags},
    )
    client.put_scaling_policy(
        PolicyName=policy_name,
        ServiceNamespace=NAMESPACE,
        ResourceId=rid,
        ScalableDimension=dimension,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": float(tracking[1]),
            "PredefinedMetricSpecification": {"PredefinedMetricType": tracking[0]},
            "ScaleInCooldown": scaling.scale_in_cooldown,
            "ScaleOutCooldown": scaling.scale_out_cooldown,
        },
    )
    return [rid, policy_name]


def _targets(client: Any, dimension: str, owner_of: Any, owners: set[str]) -> list[str]:
    """Resource ids of the registered targets of ``dimension`` whose owner (``owner_of(rid)``: an
    endpoint or a component) is one of ``owners``."""
    if not owners:
        return []
    found: list[str] = []
    pages = client.get_paginator("describe_scalable_targets").paginate(
        ServiceNamespace=NAMESPACE, ScalableDimension=dimension
    )
    for page in pages:
        for target in page.get("ScalableTargets", []):
            rid = target["ResourceId"]
            if owner_of(rid) in owners and rid not in found:
                found.append(rid)
    return found


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
        copies = (min_copies, max_copies)
        return _track(
            self,
            rid,
            COPY_DIMENSION,
            capacity=copies,
            tracking=(COPY_METRIC, concurrency_target),
            policy_name=policy_name,
            tags=tags,
        )

    def targets_of(self, component_names: set[str]) -> list[str]:
        """Resource ids of the registered copy counts of these components."""
        return _targets(self.client, COPY_DIMENSION, component_of, component_names)

    def remove(self, rid: str) -> list[str]:
        """Delete the target's policies, then deregister it; what is already gone is skipped."""
        return _remove_target(self.client, rid, COPY_DIMENSION)
