"""The sizing's own bill: every endpoint's instances, from their start to their deletion, priced.

An endpoint's ``Meter`` records how many instances bill from which instant; what a deploy, a
resize or a delete does to that count, and from when, is the billing rule (``charge``), shared by
the simulated timeline and the one measured from a run's timestamps. What AWS documents and what
is assumed: docs/benchmarks.md, "Deploy-time model".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from sagemaker_sizing.core.timeline.lanes import Action

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from sagemaker_sizing.core.timeline.deploy_times import BillingStart

SECONDS_PER_HOUR = Decimal(3600)


@dataclass
class Meter:
    """The billed instance count of one endpoint over time (seconds on any one clock)."""

    instance_type: str
    count: int = 0
    since: float = 0.0
    instance_seconds: Decimal = field(default_factory=lambda: Decimal(0))

    def bill_from(self, at: float, count: int) -> None:
        """From ``at`` on, ``count`` instances bill (instants only move forward)."""
        at = max(at, self.since)
        self.instance_seconds += Decimal(self.count) * Decimal(str(round(at - self.since, 6)))
        self.count, self.since = count, at


def charge(
    meter: Meter,
    action: Action,
    *,
    before: int,
    after: int,
    requested: float,
    settled: float,
    billing_start: BillingStart,
) -> None:
    """What a deploy that was called at ``requested`` and settled at ``settled`` bills.

    - created: every instance from its launch (the call) or, with ``in_service``, from InService;
    - updated (a new config, blue/green all at once without baking): AWS bills one fleet during
      the update; which one is not said, so the larger, then the new fleet;
    - resized up: the added instances from their launch (or InService); down: the removed ones
      until the change is done (SIGTERM, SIGKILL 30 s later);
    - reused: nothing changes.
    """
    launch = requested if billing_start == "instance_launch" else settled
    if action is Action.CREATED:
        meter.bill_from(launch, after)
    elif action is Action.UPDATED:
        meter.bill_from(requested, max(before, after))
        meter.bill_from(settled, after)
    elif action is Action.RESIZED:
        meter.bill_from(launch if after > before else settled, after)


def priced(meters: Iterable[Meter], prices: Mapping[str, Decimal]) -> tuple[Decimal, Decimal]:
    """(instance-hours, USD) of closed meters; a type without a price (serverless) bills no hours."""
    hours = Decimal(0)
    usd = Decimal(0)
    for meter in meters:
        meter_hours = meter.instance_seconds / SECONDS_PER_HOUR
        price = prices.get(meter.instance_type)
        if price is not None:
            hours += meter_hours
            usd += meter_hours * price
    return hours, usd
