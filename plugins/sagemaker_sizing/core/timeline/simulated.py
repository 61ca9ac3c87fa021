"""A walk's batches as a timeline on AWS: wall-clock from the first deploy to the last delete, and
the sizing's own bill.

The DAG's round, as it runs: ``plan`` deletes the endpoints of lanes the batch does not use
(without waiting for them to go), the batch's deploys run side by side and the load starts when the
slowest is InService (each wait ends on a poll of the waiter), the loads run side by side for the
longest step, and after the last round ``teardown`` deletes what is left. Every instance bills
from its start to its endpoint's deletion (``bill.charge``); an autoscaling step bills its minimum
until target tracking can first act (the family's detection time after the load starts), then its
maximum (an upper bound: it scales out step by step as the ramp goes), and its endpoint is taken
to end the step at that maximum. Task overhead (seconds per task) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.cost.instances import step_test_cost
from sagemaker_sizing.core.cost.money import usd
from sagemaker_sizing.core.timeline.bill import Meter, charge, priced
from sagemaker_sizing.core.timeline.lanes import DEPLOYING, Action, Fleet, deploy_action, lane_slots

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sagemaker_sizing.core.model import StepConfig
    from sagemaker_sizing.core.timeline.deploy_times import DeployTimes


@dataclass(frozen=True)
class SizingTime:
    """What a sizing takes: its hours until the answer and what its own endpoints bill."""

    wall_clock_s: float  # first deploy's call -> last endpoint gone
    load_minutes: float  # the rounds' load, side by side (the longest step of each round)
    actions: Mapping[str, int]  # deploys by action (created, resized, updated, reused)
    instance_hours: Decimal
    bill_usd: Decimal  # instances x hours x price, deploy and idle time included (+ serverless load)

    @property
    def wall_clock_h(self) -> float:
        return self.wall_clock_s / 3600

    @property
    def deploys(self) -> int:
        """Deploys that waited for SageMaker (created, resized, updated)."""
        return sum(n for action, n in self.actions.items() if action in DEPLOYING)

    def to_dict(self) -> dict[str, Any]:
        return {
            "wall_clock_hours": round(self.wall_clock_h, 4),
            "load_minutes": round(self.load_minutes, 6),
            "deploys": self.deploys,
            "actions": dict(self.actions),
            "instance_hours": float(round(self.instance_hours, 4)),
            "bill_usd": usd(self.bill_usd),
        }


@dataclass
class _Lane:
    meter: Meter
    fleet: Fleet | None = None


@dataclass
class _Run:
    prices: Mapping[str, Decimal]
    times: DeployTimes
    replace_on_change: bool = False
    lanes: dict[tuple[str, int], _Lane] = field(default_factory=dict)
    closed: list[Meter] = field(default_factory=list)
    gone: list[float] = field(default_factory=list)  # instants endpoints are gone
    actions: dict[str, int] = field(default_factory=dict)
    serverless_usd: Decimal = field(default_factory=lambda: Decimal(0))

    def delete(self, slot: tuple[str, int], at: float) -> None:
        lane = self.lanes.pop(slot)
        end = at + self.times.of(lane.meter.instance_type).delete_s
        lane.meter.bill_from(end, 0)  # billed until the endpoint is gone
        self.closed.append(lane.meter)
        self.gone.append(end)

    def deploy(self, step: StepConfig, slot: tuple[str, int], at: float) -> float:
        """Deploy ``step`` on its lane at ``at``; returns how long the deploy task waits."""
        lane = self.lanes.setdefault(slot, _Lane(Meter(step.instance_type, since=at)))
        action = deploy_action(lane.fleet, step, self.times)
        family = self.times.of(step.instance_type)
        before = 0 if lane.fleet is None else lane.fleet.count
        wanted = Fleet.of(step)
        called = at
        if self.replace_on_change and action in (Action.RESIZED, Action.UPDATED):
            # perfsizesagemaker's way: delete the endpoint, wait until it is gone, create anew.
            lane.meter.bill_from(at + family.delete_s, 0)
            at += family.delete_s
            action = Action.CREATED
        took = {
            Action.CREATED: family.create_s,
            Action.UPDATED: family.update_s,
            Action.RESIZED: family.resize_s(before, wanted.count),
            Action.REUSED: 0.0,
        }[action]
        charge(
            lane.meter,
            action,
            before=before,
            after=wanted.count,
            requested=at,
            settled=at + took,
            billing_start=self.times.billing_start,
        )
        lane.fleet = wanted
        self.actions[action] = self.actions.get(action, 0) + 1
        return self.times.waited(at + took - called)

    def load(self, step: StepConfig, slot: tuple[str, int], at: float) -> None:
        if step.serverless:
            self.serverless_usd += step_test_cost(step, self.prices)
        elif step.autoscaling:
            lane = self.lanes[slot]
            top = step.scaling_max_instance_count or step.instance_count
            lane.meter.bill_from(at + self.times.autoscaling.detection_s, top)
            lane.fleet = Fleet(step.instance_type, top)


def simulate_timeline(
    batches: Sequence[Sequence[StepConfig]],
    prices: Mapping[str, Decimal],
    times: DeployTimes,
    *,
    replace_on_change: bool = False,
) -> SizingTime:
    """The timeline of ``batches`` (one per round) on AWS as ``times`` models it (see the module).

    ``replace_on_change``: a lane whose fleet changes is deleted and created anew, waiting for each,
    as perfsizesagemaker's environment manager does, instead of changed in place or updated.
    """
    run = _Run(prices, times, replace_on_change)
    now = 0.0
    load_s = 0.0
    for batch in (b for b in batches if b):
        slots = lane_slots(batch)
        for idle in set(run.lanes) - set(slots):
            run.delete(idle, now)  # plan retires it, without waiting
        start = now + max(run.deploy(step, slot, now) for step, slot in zip(batch, slots, strict=True))
        for step, slot in zip(batch, slots, strict=True):
            run.load(step, slot, start)
        longest = max(step.load_minutes for step in batch) * 60
        load_s += longest
        now = start + longest
    for slot in list(run.lanes):
        run.delete(slot, now)  # teardown
    hours, usd = priced(run.closed, prices)
    return SizingTime(
        wall_clock_s=max([now, *run.gone]),
        load_minutes=load_s / 60,
        actions=run.actions,
        instance_hours=hours,
        bill_usd=usd + run.serverless_usd,
    )


def worst_timeline(
    batches: Sequence[Sequence[StepConfig]], prices: Mapping[str, Decimal], times: DeployTimes
) -> SizingTime:
    """An upper bound of ``simulate_timeline`` for the listed worst case: every step a new endpoint
    that waits the slowest deploy of its family, bills its largest fleet from that deploy's start
    to its deletion after the round, and plan's deletes never overlap a later round."""
    now = 0.0
    seconds = Decimal(0)
    usd = Decimal(0)
    load_s = 0.0
    deploys = 0
    last_delete = 0.0
    for batch in (b for b in batches if b):
        slowest = [_slowest(times, step.instance_type) for step in batch]
        wait = max(times.waited(s) for s in slowest)
        longest = max(step.load_minutes for step in batch) * 60
        for step in batch:
            delete = times.of(step.instance_type).delete_s
            billed = Decimal(str(round(wait + longest + delete, 6))) * _largest(step)
            seconds += billed if step.instance_type in prices else Decimal(0)
            usd += billed * prices.get(step.instance_type, Decimal(0)) / 3600
            if step.serverless:
                usd += step_test_cost(step, prices)
        deploys += len(batch)
        last_delete = max(times.of(step.instance_type).delete_s for step in batch)
        load_s += longest
        now += wait + longest
    return SizingTime(
        wall_clock_s=now + last_delete,
        load_minutes=load_s / 60,
        actions={Action.CREATED: deploys},
        instance_hours=seconds / 3600,
        bill_usd=usd,
    )


def _slowest(times: DeployTimes, instance_type: str) -> float:
    family = times.of(instance_type)
    return max(family.create_s, family.update_s, family.scale_out_s)


def _largest(step: StepConfig) -> int:
    if step.serverless:
        return 0
    return step.scaling_max_instance_count or step.instance_count
