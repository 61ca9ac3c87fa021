"""Lanes and what deploying a step on one does: create, reuse, resize in place, or a new config.

A lane is an endpoint slot of the run: the first step of a type in a batch takes the type's lane,
a second one the type's second lane, and so on, so an endpoint carries over from round to round.
What a step needs from the endpoint its lane already runs decides the deploy's action; the
adapter (``adapters.sagemaker``) and the simulated timeline (``core.timeline.simulated``) both
decide it here, so a dry run counts the same deploys a real run makes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sagemaker_sizing.core.model import StepConfig
    from sagemaker_sizing.core.timeline.deploy_times import DeployTimes


class Action(StrEnum):
    """What a deploy does to its lane's endpoint (the words deploy's XCom and logs use)."""

    CREATED = "created"  # CreateEndpoint: no endpoint on the lane
    REUSED = "reused"  # the endpoint already runs this fleet: only the load changes
    RESIZED = "resized"  # UpdateEndpointWeightsAndCapacities: the instance count, in place
    UPDATED = "updated"  # UpdateEndpoint to a new endpoint config (a new fleet)


# The actions that wait for SageMaker (a deploy, in the report's words).
DEPLOYING = frozenset({Action.CREATED, Action.RESIZED, Action.UPDATED})


@dataclass(frozen=True)
class Fleet:
    """What an endpoint runs, as far as a deploy is concerned."""

    instance_type: str
    count: int
    serverless: tuple[int | None, int | None, int | None] | None = None  # memory, max, provisioned

    @classmethod
    def of(cls, step: StepConfig) -> Fleet:
        """The fleet a step starts on (an autoscaling step: its minimum)."""
        if step.serverless:
            config = (step.memory_size_mb, step.max_concurrency, step.provisioned_concurrency)
            return cls(step.instance_type, 1, config)
        return cls(step.instance_type, step.instance_count)


def deploy_action(live: Fleet | None, step: StepConfig, times: DeployTimes | None = None) -> Action:
    """What deploying ``step`` does to an endpoint that runs ``live`` (None: no endpoint).

    Only the instance count differs: changed in place, which keeps the endpoint config, unless
    ``times`` says a new config would be faster on this family. Anything else (another type, a
    serverless config) takes a new endpoint config.
    """
    wanted = Fleet.of(step)
    if live is None:
        return Action.CREATED
    if live == wanted:
        return Action.REUSED
    instance_backed = live.serverless is None and wanted.serverless is None
    if not instance_backed or live.instance_type != wanted.instance_type:
        return Action.UPDATED
    if times is not None:
        family = times.of(step.instance_type)
        if family.resize_s(live.count, wanted.count) > family.update_s:
            return Action.UPDATED
    return Action.RESIZED


def lane_slots(batch: Sequence[StepConfig]) -> list[tuple[str, int]]:
    """Each step's lane as (instance type, ordinal): the n-th step of a type in the batch takes
    the type's n-th lane (1-based)."""
    seen: Counter[str] = Counter()
    slots = []
    for step in batch:
        seen[step.instance_type] += 1
        slots.append((step.instance_type, seen[step.instance_type]))
    return slots
