"""The ``adaptive`` strategy: fewer, better steps than perfsizesagemaker's walk.

1. Lanes: every candidate type is explored side by side, one single-instance step per open type per
   round. A lane grows its TPS until a failure, then bisects. Test points sit on the count
   breakpoints ``peak / n`` (only they can change the answer ``ceil(peak / tps)``), so a lane stops
   as soon as its instance count is known, or when (fail - pass) / pass <= ``precision``.
2. The cheapest type for the peak by hourly cost, ``ceil(peak / tps_per_instance) * price``.
3. Endurance ("max"): that configuration holds the peak for the endurance minutes; on a failure it
   gets one more instance (up to ``endurance_retries`` times per type) and the types are ranked
   again, so the answer stays the cheapest one that passed endurance at peak TPS.
4. Autoscaling minimum ("min"), at the AWS formula target. The single-instance TPS of phase 1
   predicts it: the minimum must carry the ramp's start, or the share of the peak reached before
   scaled-out instances are in service (taken as ``RAMP_SHARE`` of it), so the guess is
   ``ceil(max(ramp_start_tps, peak * RAMP_SHARE) / tps_per_instance)``. The guess and its
   neighbours ride along with each endurance step (speculatively, used only if that step passes):
   the guess, one below it and two below it settle the answers guess and guess - 1 (the measured
   TPS per instance is a lower bound, so that error makes the guess high), more endpoints widen
   the neighbourhood. When they settle the answer (a count passes and the count below it fails)
   the walk ends there. Otherwise a search with up to ``max_parallel_endpoints`` points per round
   goes on: its first round tests the count just beyond the missed neighbourhood (more of them
   with more endpoints) and spreads the rest evenly, the later rounds are a plain k-ary search.
   Either way the minimum is a count that passed the ramp and whose count below failed (or is 1);
   when no count below the maximum passes, the minimum is the maximum (it held the peak fixed).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

from sagemaker_sizing.core.cost.instances import MINUTES_PER_HOUR
from sagemaker_sizing.core.cost.money import dollars
from sagemaker_sizing.core.model import PHASE_MAX, StepConfig
from sagemaker_sizing.core.walk.min_search import (
    MinSearch,
    StepMaker,
    min_search_steps,
    worst_guided_min_search_rounds,
)
from sagemaker_sizing.core.walk.perfsize import min_template
from sagemaker_sizing.core.walk.targets import aws_formula_target, instances, instances_for, perfsize_target
from sagemaker_sizing.core.walk.worst_totals import WorstCase, count_series, same_rounds, total

if TYPE_CHECKING:
    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.walk.replay import Findings, Rounds, WalkGen

PHASE_PROBE = "probe"  # growth (or, after a first failure, shrinking) of a lane's TPS
PHASE_BISECT = "bisect"
# The share of the peak TPS the autoscaling minimum is expected to carry before scaled-out
# instances are in service: only the first guess of the minimum's search depends on it.
RAMP_SHARE = 0.5


@dataclass(frozen=True)
class Lane:
    """One type's search of the TPS a single instance sustains."""

    instance_type: str
    peak: float
    start: float  # first TPS tried
    floor: float  # below this the type is not worth it (perfsize's lowest TPS per instance)
    precision: float
    lo: float = 0.0  # highest TPS that passed
    hi: float | None = None  # lowest TPS that failed

    @property
    def needed(self) -> int | None:
        return instances_for(self.peak, self.lo) if self.lo > 0 else None

    def next_tps(self) -> tuple[str, float] | None:
        if self.hi is None:
            if self.lo == 0:
                return PHASE_PROBE, min(self.start, self.peak)
            needed = instances_for(self.peak, self.lo)
            # Growth on count breakpoints: halve the instance count the lane would need.
            return (PHASE_PROBE, self.peak / max(1, needed // 2)) if needed > 1 else None
        if self.lo == 0:
            if self.hi <= self.floor * (1 + 1e-9):
                return None  # even the lowest TPS worth testing failed: type dropped
            return PHASE_PROBE, max(self.hi / 2, self.floor)
        high = instances_for(self.peak, self.lo)
        low = math.floor(round(self.peak / self.hi, 9)) + 1  # fewest instances that could do
        if low >= high or (self.hi - self.lo) / self.lo <= self.precision:
            return None
        return PHASE_BISECT, self.peak / ((low + high) // 2)

    def record(self, tps: float, passed: bool) -> Lane:
        if passed:
            return dataclasses.replace(self, lo=max(self.lo, tps))
        return dataclasses.replace(self, hi=tps if self.hi is None else min(self.hi, tps))


def lanes_for(conf: SizingConf) -> list[Lane]:
    start = conf.tps_walk[0] / conf.count_walk[0]
    floor = min(conf.tps_walk) / max(conf.count_walk)
    return [
        Lane(t, conf.peak_tps, start, min(floor, start), conf.precision)
        for t in dict.fromkeys(conf.type_walk)
    ]


def walk(conf: SizingConf, findings: Findings) -> WalkGen:
    lanes = yield from _explore(conf, findings)
    needed = {
        lane.instance_type: lane.needed
        for lane in lanes
        if lane.needed is not None and findings.available(lane.instance_type)
    }
    per_instance = {lane.instance_type: lane.lo for lane in lanes}
    for lane in lanes:
        findings.explanation.append(_lane_words(conf, lane, findings))
    if not needed:
        findings.explanation.append("No type passed even the lowest TPS worth testing.")
        return
    counts = dict(needed)
    chosen = _cheapest(conf, counts)
    if tie := _tie_words(conf, counts, chosen):
        findings.explanation.append(tie)
    _record_type(conf, findings, chosen, per_instance[chosen], needed[chosen])
    if conf.endurance_steady_state_minutes <= 0:
        return
    failures = dict.fromkeys(counts, 0)
    width = conf.max_parallel_endpoints
    while True:
        open_counts = {
            t: n for t, n in counts.items() if failures[t] <= conf.endurance_retries and findings.available(t)
        }
        if not open_counts:
            findings.explanation.append("No configuration held the peak TPS in endurance.")
            return
        chosen = _cheapest(conf, open_counts)
        count = counts[chosen]
        fixed = StepConfig(PHASE_MAX, chosen, count, conf.peak_tps, conf.endurance_steady_state_minutes)
        target = aws_formula_target(per_instance[chosen], conf.safety_factor)
        maker = StepMaker(min_template(conf, chosen, count, target))
        autoscale = conf.endurance_ramp_minutes > 0 and count > 1
        guess = predicted_minimum(conf, per_instance[chosen])
        search = MinSearch(0, count, width - 1, guess=guess, near=width - 1)
        points = search.points() if autoscale and width > 1 else []
        outcomes = yield [fixed, *(maker(m) for m in points)]
        if outcomes[0]:
            break
        if fixed in findings.refused:
            continue  # the type is unavailable now: the cheapest of the others goes next
        counts[chosen] += 1
        failures[chosen] += 1
        findings.explanation.append(f"{count} x {chosen} did not hold the peak: one more instance.")
    _record_type(conf, findings, chosen, per_instance[chosen], needed[chosen])
    findings.max_instance_count = count
    findings.explanation.append(
        f"{count} x {chosen} held {conf.peak_tps:g} TPS for {conf.endurance_steady_state_minutes:g} min."
    )
    if not autoscale:
        return
    findings.invocations_target = target
    search = search.record(
        {m: ok for m, ok in zip(points, outcomes[1:], strict=True) if maker(m) not in findings.refused}
    )
    search = dataclasses.replace(search, width=width, near=fallback_near(width) if points else 0)
    search = yield from min_search_steps(search, maker, findings)
    # The fixed maximum passed endurance, so autoscaling from the maximum is known to work too.
    findings.min_instance_count = search.found if search.found is not None else count
    if findings.min_instance_count == count:
        findings.explanation.append(
            f"No autoscaling: no minimum below {count} kept up with the ramp at target {target} "
            f"invocations/instance/minute, so {count} x {chosen} is a fixed fleet (min = max = {count})."
        )
        return
    findings.explanation.append(
        f"Autoscaling {findings.min_instance_count}..{count} at target {target} invocations/instance/"
        f"minute (AWS formula; perfsizesagemaker's would be {perfsize_target(conf.peak_tps, count)})."
    )


def predicted_minimum(conf: SizingConf, tps_per_instance: float) -> int:
    """The autoscaling minimum one instance's measured TPS predicts (see the module's phase 4)."""
    early = max(conf.endurance_ramp_start_tps, conf.peak_tps * RAMP_SHARE)
    return max(1, instances_for(early, tps_per_instance))


def fallback_near(width: int) -> int:
    """Points of the fallback's first round kept next to the missed guess; the rest (the majority)
    are spread evenly, as a wrong guess may be far off."""
    return (width - 1) // 2


def _explore(conf: SizingConf, findings: Findings) -> Rounds[list[Lane]]:
    lanes = lanes_for(conf)
    while True:
        planned = [
            (i, nxt)
            for i, lane in enumerate(lanes)
            if findings.available(lane.instance_type) and (nxt := lane.next_tps()) is not None
        ]
        if not planned:
            return lanes
        batch = [
            StepConfig(phase, lanes[i].instance_type, 1, tps, conf.duration_minutes)
            for i, (phase, tps) in planned
        ]
        outcomes = yield batch
        for (i, (_, tps)), passed in zip(planned, outcomes, strict=True):
            lanes[i] = lanes[i].record(tps, passed)


def _cheapest(conf: SizingConf, counts: dict[str, int]) -> str:
    order = list(conf.type_walk)
    return min(counts, key=lambda t: (conf.price(t) * counts[t], order.index(t)))


def _tie_words(conf: SizingConf, counts: dict[str, int], chosen: str) -> str | None:
    """The tie-break named, when other types cost the same per hour for the peak as the chosen one."""
    hourly = conf.price(chosen) * counts[chosen]
    tied = [t for t in counts if t != chosen and conf.price(t) * counts[t] == hourly]
    if not tied:
        return None
    fleets = " and ".join(f"{t} x{counts[t]}" for t in [chosen, *tied])
    return (
        f"{fleets} cost the same for the peak ({dollars(hourly)}/hour): the tie goes to {chosen}, "
        "listed first in type_walk."
    )


def _record_type(conf: SizingConf, findings: Findings, instance_type: str, tps: float, needed: int) -> None:
    findings.instance_type = instance_type
    findings.tps_per_instance = tps
    findings.instance_count_needed = needed
    findings.aws_formula_invocations_target = aws_formula_target(tps, conf.safety_factor)


def _lane_words(conf: SizingConf, lane: Lane, findings: Findings) -> str:
    if not findings.available(lane.instance_type):
        return f"{lane.instance_type}: dropped, a quota refused its deployment."
    failed = f", failed at {lane.hi:g}" if lane.hi is not None else ""
    if lane.needed is None:
        return f"{lane.instance_type}: nothing passed{failed}; dropped."
    hourly = conf.price(lane.instance_type) * lane.needed
    return (
        f"{lane.instance_type}: one instance held {lane.lo:g} TPS{failed}; ceiling({conf.peak_tps:g} / "
        f"{lane.lo:g}) = {instances(lane.needed)} = {dollars(hourly)}/hour."
    )


@cache
def _worst_lane_path(lane: Lane) -> tuple[tuple[str, float], ...]:
    """The longest sequence of probes a lane can make, over every pass/fail pattern."""
    nxt = lane.next_tps()
    if nxt is None:
        return ()
    _, tps = nxt
    tails = (_worst_lane_path(lane.record(tps, ok)) for ok in (True, False))
    return (nxt, *max(tails, key=len))


def worst_case_steps(conf: SizingConf) -> list[list[StepConfig]]:
    """An upper bound of rounds, minutes and cost: every lane at its longest, then every type's
    endurance retries at its largest count, then the longest autoscaling search."""
    paths = [(lane.instance_type, _worst_lane_path(lane)) for lane in lanes_for(conf)]
    batches = [
        [StepConfig(p[i][0], t, 1, p[i][1], conf.duration_minutes) for t, p in paths if len(p) > i]
        for i in range(max(len(p) for _, p in paths))
    ]
    if conf.endurance_steady_state_minutes <= 0:
        return batches
    lowest = min(lane.floor for lane in lanes_for(conf))
    needed = instances_for(conf.peak_tps, lowest)
    top = needed + conf.endurance_retries
    width = conf.max_parallel_endpoints
    autoscale = conf.endurance_ramp_minutes > 0 and top > 1
    minutes = conf.endurance_steady_state_minutes
    for instance_type in dict.fromkeys(conf.type_walk):
        for count in range(needed, top + 1):
            maker = StepMaker(min_template(conf, instance_type, count, 0))
            # The neighbourhood of a guess may sit anywhere below the count: count its costliest.
            spec = list(range(count - 1, max(0, count - width), -1)) if autoscale and width > 1 else []
            fixed = StepConfig(PHASE_MAX, instance_type, count, conf.peak_tps, minutes)
            batches.append([fixed, *(maker(m) for m in spec)])
    if autoscale:
        costliest = max(conf.type_walk, key=conf.price)
        maker = StepMaker(min_template(conf, costliest, top, 0))
        # The search's rounds grow with the maximum, so top is the worst.
        rounds = worst_guided_min_search_rounds(top, width, fallback_near(width))
        batches += [[maker(max(1, top - 1 - j)) for j in range(min(width, top - 1))] for _ in range(rounds)]
    return batches


@cache
def _worst_lane_rounds(lane: Lane) -> int:
    """The length of ``_worst_lane_path``; its states are few (growth and shrinking halve, the
    bisection stops at the precision), so the memo stays small whatever the peak."""
    nxt = lane.next_tps()
    if nxt is None:
        return 0
    _, tps = nxt
    return 1 + max(_worst_lane_rounds(lane.record(tps, ok)) for ok in (True, False))


def worst_case(conf: SizingConf) -> WorstCase:
    """The totals of ``worst_case_steps``, computed phase by phase in time independent of the peak."""
    prices = conf.price_table
    duration = conf.duration_minutes
    lanes = [(lane.instance_type, _worst_lane_rounds(lane)) for lane in lanes_for(conf)]
    explore = total(same_rounds(StepConfig(PHASE_PROBE, t, 1, 1, duration), n, prices) for t, n in lanes)
    longest = max(n for _, n in lanes)
    # Lanes run side by side: the phase lasts as many rounds as the longest lane.
    parts = [dataclasses.replace(explore, rounds=longest, load_test_minutes=Decimal(str(duration)) * longest)]
    if conf.endurance_steady_state_minutes <= 0:
        return total(parts)
    lowest = min(lane.floor for lane in lanes_for(conf))
    needed = instances_for(conf.peak_tps, lowest)
    top = needed + conf.endurance_retries
    width = conf.max_parallel_endpoints
    autoscale = conf.endurance_ramp_minutes > 0 and top > 1
    for instance_type in dict.fromkeys(conf.type_walk):
        fixed = StepConfig(PHASE_MAX, instance_type, 1, conf.peak_tps, conf.endurance_steady_state_minutes)
        parts.append(count_series(fixed, needed, top, prices))
        if autoscale and width > 1:
            parts.append(_speculative(conf, instance_type, needed, top, width - 1))
    if autoscale:
        costliest = max(conf.type_walk, key=conf.price)
        step = StepMaker(min_template(conf, costliest, top, 0))(max(1, top - 1))
        rounds = worst_guided_min_search_rounds(top, width, fallback_near(width))
        parts.append(same_rounds(step, rounds, prices, per_round=min(width, top - 1)))
    return total(parts)


def _speculative(conf: SizingConf, instance_type: str, first: int, last: int, most: int) -> WorstCase:
    """The autoscaling steps riding along with the endurance steps of counts ``first..last``:
    ``min(count - 1, most)`` steps at count (their maximum) each; they make their round last the
    ramp longer. Counts up to ``most`` are summed one by one, the rest as an arithmetic series."""
    ramp = Decimal(str(conf.endurance_ramp_minutes))
    minutes = Decimal(str(conf.endurance_ramp_minutes + conf.endurance_steady_state_minutes))
    steps, counts, rounds = 0, Decimal(0), 0
    for count in range(max(first, 2), min(last, most) + 1):
        steps += count - 1
        counts += (count - 1) * count
        rounds += 1
    low = max(first, most + 1, 2)
    if last >= low:
        n = last - low + 1
        steps += most * n
        counts += Decimal(most * (low + last) * n) / 2
        rounds += n
    instance_minutes = counts * minutes
    cost = instance_minutes * conf.price(instance_type) / MINUTES_PER_HOUR
    return WorstCase(0, steps, ramp * rounds, instance_minutes, cost)


__all__ = [
    "PHASE_BISECT",
    "PHASE_PROBE",
    "RAMP_SHARE",
    "Lane",
    "fallback_near",
    "predicted_minimum",
    "walk",
    "worst_case",
    "worst_case_steps",
]
