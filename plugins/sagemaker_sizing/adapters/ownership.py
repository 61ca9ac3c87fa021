"""What a sizing run owns: the names it gives its resources and the tags that prove ownership.

Pure functions (no AWS calls), so the naming rules are tested in isolation. Every endpoint, endpoint
config, inference component and scalable target a run creates carries ``run_tags``; cleanup finds
resources by these tags, never by name, and the deploy refuses to touch a name that lacks them.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from sagemaker_sizing.adapters.component_specs import ComponentEndpointSpec
    from sagemaker_sizing.core.model import StepConfig

MANAGED_BY_KEY = "managed-by"
MANAGED_BY_VALUE = "sagemaker-sizing"
RUN_ID_KEY = "sagemaker-sizing:run-id"
LANE_KEY = "sagemaker-sizing:lane"

# SageMaker endpoint and endpoint config names: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}
MAX_NAME_LENGTH = 63
_NOT_NAME_CHAR = re.compile(r"[^a-zA-Z0-9-]+")
RUN_HASH_LENGTH = 8


def run_hash(run_key: str) -> str:
    """Short, stable digest of the run key (`<dag_id>/<run_id>`): short names, no two runs collide."""
    return hashlib.sha256(run_key.encode()).hexdigest()[:RUN_HASH_LENGTH]


def lane_for(instance_type: str) -> str:
    """The lane of an instance type as it appears in names and tags: ``ml.m5.large`` -> ``ml-m5-large``."""
    return _clean(instance_type)


def endpoint_name(base: str, run_key: str, lane: str) -> str:
    """``<base>-<run hash>-<lane>``, shortened on the base side to fit SageMaker's 63 characters."""
    return _compose(base, f"{run_hash(run_key)}-{_clean(lane)}")


def endpoint_config_name(base: str, run_key: str, lane: str, step: StepConfig) -> str:
    """One name per (run, lane, deployment): steps that differ only in TPS share it."""
    tail = f"{run_hash(run_key)}-{_clean(lane)}-x{step.instance_count}"
    if step.autoscaling:
        tail += (
            f"-as{step.scaling_min_instance_count or step.instance_count}"
            f"-{step.scaling_max_instance_count}-t{step.invocations_target}"
        )
    if step.serverless:  # issue 17: one config per ServerlessConfig
        tail += f"-c{step.max_concurrency}-p{step.provisioned_concurrency or 0}"
    return _compose(base, tail)


def component_config_name(base: str, run_key: str, lane: str, spec: ComponentEndpointSpec) -> str:
    """An endpoint config for inference components: one per (run, lane, instances, routing)."""
    tail = f"{run_hash(run_key)}-{_clean(lane)}-x{spec.initial_instances}"
    tail += f"-mis{spec.min_instances}-{spec.max_instances}-{spec.routing[0].lower()}"
    return _compose(base, tail)


def component_name(base: str, model_name: str, run_key: str, lane: str) -> str:
    """``<base>-<model>-<run hash>-<lane>-<model digest>``: one component per model and lane. The
    base (the conf's endpoint_name) keeps it under the IAM policy's prefix; the digest of the
    model's name keeps two models apart when the 63 characters cut their names short."""
    digest = hashlib.sha256(model_name.encode()).hexdigest()[:6]
    return _compose(f"{base}-{model_name}", f"{run_hash(run_key)}-{_clean(lane)}-{digest}")


def component_policy_name(run_key: str) -> str:
    return f"sagemaker-sizing-{run_hash(run_key)}-copies"


def scaling_policy_name(run_key: str) -> str:
    return f"sagemaker-sizing-{run_hash(run_key)}-invocations"


def run_tags(run_key: str, lane: str) -> list[dict[str, str]]:
    """The tags every resource of the run carries, in the SageMaker ``[{Key, Value}]`` shape."""
    return [
        {"Key": MANAGED_BY_KEY, "Value": MANAGED_BY_VALUE},
        {"Key": RUN_ID_KEY, "Value": run_key},
        {"Key": LANE_KEY, "Value": lane},
    ]


def tag_map(tags: Iterable[Mapping[str, str]]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags}


def is_managed(tags: Mapping[str, str]) -> bool:
    return tags.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE


def belongs_to(tags: Mapping[str, str], run_key: str) -> bool:
    return is_managed(tags) and tags.get(RUN_ID_KEY) == run_key


def _clean(text: str) -> str:
    return _NOT_NAME_CHAR.sub("-", text).strip("-")


def _compose(base: str, tail: str) -> str:
    """Join base and tail within the limit; the tail (what makes the name unique) is never cut."""
    tail = _clean(tail)
    if len(tail) > MAX_NAME_LENGTH:
        # Absurdly long lanes only: keep uniqueness through a digest of the whole tail.
        digest = hashlib.sha256(tail.encode()).hexdigest()[:12]
        tail = f"{tail[: MAX_NAME_LENGTH - len(digest) - 1].rstrip('-')}-{digest}"
    room = MAX_NAME_LENGTH - len(tail) - 1
    head = _clean(base)[: max(room, 0)].rstrip("-")
    return f"{head}-{tail}" if head else tail
