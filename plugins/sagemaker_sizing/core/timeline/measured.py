"""What a run took, from its own instants: every deploy's call and InService, every endpoint's
deletion, priced by the same billing rules as the simulated timeline (``bill.charge``).

The deploy task records when it asked SageMaker for a change and when it saw the endpoint
InService; plan and teardown record when they asked for a deletion and, where they watched, when
the endpoint was gone. An endpoint whose going nobody saw (plan watches only briefly) is billed
until its deletion was asked for plus the deploy-time model's delete time for its family, and never
past teardown's end (nothing of the run is left then).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.cost.instances import step_test_cost
from sagemaker_sizing.core.timeline.bill import Meter, charge, priced
from sagemaker_sizing.core.timeline.lanes import Action
from sagemaker_sizing.core.timeline.simulated import SizingTime

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from sagemaker_sizing.core.model import StepConfig
    from sagemaker_sizing.core.timeline.deploy_times import DeployTimes


@dataclass(frozen=True)
class EndpointChange:
    """One deploy, as the deploy task recorded it (epoch seconds)."""

    endpoint: str
    instance_type: str
    action: str  # core.timeline.lanes.Action's value
    before: int  # instances before the change (0: created)
    after: int  # instances it asked for (an autoscaling step: its minimum)
    scaling_max: int | None  # an autoscaling step's maximum
    requested_at: float
    in_service_at: float

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> EndpointChange | None:
        """From deploy's XCom; None for one that deployed nothing (a quota refused it)."""
        if record.get("in_service_at") is None or record.get("action") not in set(Action):
            return None
        return cls(
            endpoint=str(record["endpoint_name"]),
            instance_type=str(record["instance_type"]),
            action=str(record["action"]),
            before=int(record.get("previous_count") or 0),
            after=int(record["instance_count"]),
            scaling_max=record.get("scaling_max_instance_count"),
            requested_at=float(record.get("requested_at") or record["in_service_at"]),
            in_service_at=float(record["in_service_at"]),
        )


@dataclass(frozen=True)
class EndpointDeletion:
    endpoint: str
    deleted_at: float | None = None  # DeleteEndpoint asked
    gone_at: float | None = None  # seen gone


def deletions_from(records: Iterable[Mapping[str, Any]]) -> dict[str, EndpointDeletion]:
    """Deletions from plan's and teardown's results (``cleanup.delete_resources``'s
    ``deleted_at``/``gone_at``): the earliest ask and the first sighting gone of each endpoint."""
    asked: dict[str, float] = {}
    gone: dict[str, float] = {}
    for record in records:
        for name, at in (record.get("deleted_at") or {}).items():
            asked[name] = min(float(at), asked.get(name, float(at)))
        for name, at in (record.get("gone_at") or {}).items():
            gone[name] = min(float(at), gone.get(name, float(at)))
    return {name: EndpointDeletion(name, asked.get(name), gone.get(name)) for name in {*asked, *gone}}


def measured_timeline(
    changes: Sequence[EndpointChange],
    deletions: Mapping[str, EndpointDeletion],
    steps: Sequence[StepConfig],
    *,
    load_minutes: float,
    prices: Mapping[str, Decimal],
    times: DeployTimes,
    torn_down_at: float | None = None,
) -> SizingTime | None:
    """The run's wall-clock (first deploy's call to the last endpoint gone) and its own bill; None
    when nothing was deployed. ``steps`` (every step run) adds serverless compute, billed per use;
    ``torn_down_at``: when teardown found nothing of the run left (no endpoint bills past it)."""
    if not changes:
        return None
    meters: dict[str, Meter] = {}
    actions: dict[str, int] = {}
    last = 0.0
    for change in sorted(changes, key=lambda c: c.requested_at):
        meter = meters.setdefault(change.endpoint, Meter(change.instance_type, since=change.requested_at))
        action = Action(change.action)
        charge(
            meter,
            action,
            before=change.before,
            after=change.after,
            requested=change.requested_at,
            settled=change.in_service_at,
            billing_start=times.billing_start,
        )
        if change.scaling_max:  # an upper bound, as the simulated timeline has it
            meter.bill_from(change.in_service_at + times.autoscaling.detection_s, change.scaling_max)
        actions[action] = actions.get(action, 0) + 1
        last = max(last, change.in_service_at)
    ends = []
    for name, meter in meters.items():
        deletion = deletions.get(name, EndpointDeletion(name))
        end = deletion.gone_at
        if end is None and deletion.deleted_at is not None:
            end = deletion.deleted_at + times.of(meter.instance_type).delete_s
            end = end if torn_down_at is None else min(end, torn_down_at)
        ends.append((meter, end if end is not None else torn_down_at))
    end_of_run = max([last, *(end for _, end in ends if end is not None)])
    for meter, end in ends:
        meter.bill_from(end_of_run if end is None else end, 0)  # never seen deleted: to the run's end
    hours, usd = priced(meters.values(), prices)
    serverless = sum((step_test_cost(s, prices) for s in steps if s.serverless), Decimal(0))
    return SizingTime(
        wall_clock_s=end_of_run - min(c.requested_at for c in changes),
        load_minutes=load_minutes,
        actions=actions,
        instance_hours=hours,
        bill_usd=usd + serverless,
    )
