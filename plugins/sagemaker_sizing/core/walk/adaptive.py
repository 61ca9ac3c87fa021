"""The ``adaptive`` strategy: fewer, better steps than perfsizesagemaker's walk.

1. Lanes: every candidate type is explored side by side, one single-instance step per open type per
   round. A lane grows its TPS until a failure, then bisects. Test points sit on the count
   breakpoints ``peak / n`` (only they can change the answer ``ceil(peak / tps)``), so a lane stops
   as soon as its instance count is known, or when (fail - pass) / pass <= ``precision``. When the
   walks say one instance may carry the peak (``peak <= max(tps_walk) / min(count_walk)``), the
   first probe is at the peak, on the cheapest type alone: if one instance of it holds the peak, no
   other type can be cheaper (each needs at least one instance) and stays unexplored; the others
   are explored as soon as one could beat the best configuration left (that probe failed, its type
   was refused, or one instance then failed its endurance step).
2. The cheapest type for the peak by hourly cost, ``ceil(peak / tps_per_instance) * price``.
3. Endurance: that configuration holds the peak for the endurance minutes; on a failure it gets one
   more instance (up to ``endurance_retries`` times per type) and the types are ranked again, so the
   answer stays the cheapest one that held the peak in endurance.
4. Autoscaling minimum ("min"), at the AWS formula target. The single-instance TPS of phase 1
   predicts it: the minimum must carry the ramp's start, or the share of the peak reached before
   scaled-out instances are in service (taken as ``RAMP_SHARE`` of it), so the guess is
   ``ceil(max(ramp_start_tps, peak * RAMP_SHARE) / tps_per_instance)``.

Every endpoint a round deploys is a deployment (minutes to create, its instances billed from their
start until it is deleted), so the first endurance attempt deploys only what settles the predicted
answer: two autoscaling steps at the maximum, the guess and one below it. One that passes held the
ramp and the peak for the endurance minutes with at most the maximum's instances, which proves the
maximum as a fixed-count step would (phase 3 needs no endpoint of its own); the guess passing and
the count below it failing settle the minimum (phase 4) in the same round. A third endpoint would
only pay off when the guess is wrong, and costs its whole bill every time; a later round costs load
minutes only when the guess is wrong. When neither settling step passes, the next round tests the
fixed count ("max": a short maximum and a short minimum look alike until then) with autoscaling
steps above the missed guess; endurance retries then test the fixed count with the guess and its
neighbours beside it (speculatively, used only if the fixed step passes). The search goes on with
up to ``max_parallel_endpoints`` points per round: its first round tests the count just beyond the
missed neighbourhood and spreads the rest evenly, the later rounds are a plain k-ary search. Either
way the minimum is a count that passed the ramp and whose count below failed (or is 1); when no
count below the maximum passes, the minimum is the maximum (it held the peak fixed).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

from sagemaker_sizing.core.conf.model import LLM_DEFAULT_MAX_COUNT
from sagemaker_sizing.core.cost.instances import MINUTES_PER_HOUR
from sagemaker_sizing.core.cost.money import dollars
from sagemaker_sizing.core.model import PHASE_MAX, StepConfig
from sagemaker_sizing.core.verdicts.llm_requirements import credited_rate
from sagemaker_sizing.core.walk.min_search import (
    MinSearch,
    StepMaker,
    min_search_steps,
    worst_guided_min_search_rounds,
)
from sagemaker_sizing.core.walk.perfsize import min_template
from sagemaker_sizing.core.walk.targets import (
    CONCURRENCY_METRIC,
    aws_formula_target,
    concurrency_per_instance,
    concurrency_target,
    instances,
    instances_for,
    perfsize_target,
)
from sagemaker_sizing.core.walk.worst_totals import WorstCase, count_series, from_batches, same_rounds, total

if TYPE_CHECKING:
    from collections.abc import Sequence

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
    # Rates already tried: an LLM step counts at the rate it offered, which may leave lo/hi where
    # the next rate would be one measured already (the lane then ends on what it has).
    tried: frozenset[float] = frozenset()

    @property
    def needed(self) -> int | None:
        return instances_for(self.peak, self.lo) if self.lo > 0 else None

    def next_tps(self) -> tuple[str, float] | None:
        planned = self._next_tps()
        return None if planned is None or planned[1] in self.tried else planned

    def _next_tps(self) -> tuple[str, float] | None:
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

    def record(self, tps: float, passed: bool, credited: float | None = None) -> Lane:
        """``tps`` tried; the outcome counts at ``credited`` (default ``tps``)."""
        rate = tps if credited is None else credited
        tried = self.tried | {tps}
        if passed:
            return dataclasses.replace(self, lo=max(self.lo, rate), tried=tried)
        return dataclasses.replace(self, hi=rate if self.hi is None else min(self.hi, rate), tried=tried)


def lanes_for(conf: SizingConf) -> list[Lane]:
    if conf.is_llm:
        # Request rates: a type needing more than the largest count for the peak is not worth it
        # (the floor of the rate one instance must hold); the first step at llm_start_rps, within
        # floor..peak.
        most = max(conf.count_walk, default=LLM_DEFAULT_MAX_COUNT)
        floor = conf.peak_tps / most
        start = min(max(conf.llm_start_rps, floor), conf.peak_tps)
    else:
        start = conf.tps_walk[0] / conf.count_walk[0]
        floor = min(conf.tps_walk) / max(conf.count_walk)
    if one_instance_may_carry(conf):
        # The walks say one instance may carry the peak: a first probe there proves it at once
        # (the growth would reach it a round or more later); a failure bisects down from it.
        start = conf.peak_tps
    return [
        Lane(t, conf.peak_tps, start, min(floor, start), conf.precision)
        for t in dict.fromkeys(conf.type_walk)
    ]


def one_instance_may_carry(conf: SizingConf) -> bool:
    """The walks say one instance may carry the peak: the first probe is at the peak, on the
    cheapest type alone (the module's phase 1). An LLM walk starts at ``llm_start_rps`` instead."""
    return not conf.is_llm and conf.peak_tps <= max(conf.tps_walk) / min(conf.count_walk)


def _cheapest_lane(conf: SizingConf, lanes: Sequence[Lane]) -> int:
    order = list(conf.type_walk)
    return min(
        range(len(lanes)),
        key=lambda i: (conf.price(lanes[i].instance_type), order.index(lanes[i].instance_type)),
    )


def walk(conf: SizingConf, findings: Findings) -> WalkGen:
    lanes = lanes_for(conf)
    first = {_cheapest_lane(conf, lanes)} if one_instance_may_carry(conf) else None
    lanes, deferred = yield from _explore(conf, findings, lanes, first)
    needed = {
        lane.instance_type: lane.needed
        for lane in lanes
        if lane.needed is not None and findings.available(lane.instance_type)
    }
    per_instance = {lane.instance_type: lane.lo for lane in lanes}
    for lane in lanes:
        findings.explanation.append(_lane_words(conf, lane, findings))
    if not needed:
        findings.explanation.append(f"No type passed even the lowest {conf.rate_unit} worth testing.")
        return
    chosen = _cheapest(conf, needed)
    if tie := _tie_words(conf, needed, chosen):
        findings.explanation.append(tie)
    _record_type(conf, findings, chosen, per_instance[chosen], needed[chosen])
    for lane in deferred:
        findings.explanation.append(
            f"{lane.instance_type}: not tested yet: one {chosen} ({dollars(conf.price(chosen))}/hour) held "
            f"{conf.peak_tps:g} {conf.rate_unit}, and no type needs less than one instance."
        )
    if conf.endurance_steady_state_minutes <= 0:
        return
    held = yield from _endurance(conf, findings, needed, per_instance, deferred)
    if held is None:
        findings.explanation.append(f"No configuration held the peak {conf.rate_unit} in endurance.")
        return
    chosen, count = held.maker.template.instance_type, held.count
    _record_type(conf, findings, chosen, per_instance[chosen], needed[chosen])
    findings.max_instance_count = count
    findings.explanation.append(held.evidence)
    if not held.autoscale:
        return
    target = held.maker.template.invocations_target
    concurrency = held.maker.template.concurrency_target
    if concurrency is None:
        findings.invocations_target = target
    else:
        findings.concurrency_target = concurrency
    width = conf.max_parallel_endpoints
    search = dataclasses.replace(held.search, width=width, near=fallback_near(width))
    search = yield from min_search_steps(search, held.maker, findings)
    # The maximum held the peak (fixed, or as an autoscaling maximum), so autoscaling from it works too.
    findings.min_instance_count = search.found if search.found is not None else count
    unit = "invocations/instance/minute" if concurrency is None else "concurrent requests per instance"
    if findings.min_instance_count == count:
        findings.explanation.append(
            f"No autoscaling: no minimum below {count} kept up with the ramp at target "
            f"{target if concurrency is None else concurrency:g} {unit}, so {count} x {chosen} is a "
            f"fixed fleet (min = max = {count})."
        )
        return
    if concurrency is not None:
        findings.explanation.append(
            f"Autoscaling {findings.min_instance_count}..{count} at target {concurrency:g} concurrent "
            f"requests per instance ({CONCURRENCY_METRIC}: {conf.safety_factor:g} x the requests one "
            f"instance had in flight at {per_instance[chosen]:g} req/s, by Little's law)."
        )
        return
    findings.explanation.append(
        f"Autoscaling {findings.min_instance_count}..{count} at target {target} invocations/instance/"
        f"minute (AWS formula; perfsizesagemaker's would be {perfsize_target(conf.peak_tps, count)})."
    )


@dataclass(frozen=True)
class Held:
    """The configuration that held the peak for the endurance minutes, and what that round measured
    of the autoscaling minimum."""

    count: int
    maker: StepMaker  # the type's min-phase steps at this maximum and target
    autoscale: bool
    search: MinSearch
    evidence: str


def _endurance(
    conf: SizingConf,
    findings: Findings,
    needed: dict[str, int],
    per_instance: dict[str, float],
    deferred: list[Lane],
) -> Rounds[Held | None]:
    """Phase 3 (the module's), the cheapest type first; the first attempt deploys only what settles
    the predicted minimum, the later ones the fixed count beside autoscaling neighbours. Types not
    explored yet (``deferred``) are explored once one of them could beat the best one left; what
    they measure goes into ``needed`` and ``per_instance``."""
    counts = dict(needed)
    failures = dict.fromkeys(counts, 0)
    width = conf.max_parallel_endpoints
    minutes = conf.endurance_steady_state_minutes
    settle_first = True
    while True:
        open_counts = {
            t: n for t, n in counts.items() if failures[t] <= conf.endurance_retries and findings.available(t)
        }
        best = min((conf.price(t) * n for t, n in open_counts.items()), default=None)
        if deferred and (best is None or best > min(conf.price(lane.instance_type) for lane in deferred)):
            explored, _ = yield from _explore(conf, findings, deferred, None)
            deferred = []
            for lane in explored:
                findings.explanation.append(_lane_words(conf, lane, findings))
                per_instance[lane.instance_type] = lane.lo
                if lane.needed is not None and findings.available(lane.instance_type):
                    needed[lane.instance_type] = counts[lane.instance_type] = lane.needed
                    failures[lane.instance_type] = 0
            continue
        if not open_counts:
            return None
        chosen = _cheapest(conf, open_counts)
        count = counts[chosen]
        fixed = StepConfig(PHASE_MAX, chosen, count, conf.peak_tps, minutes, workload=conf.workload)
        target = aws_formula_target(per_instance[chosen], conf.safety_factor)
        concurrency = _concurrency_target(conf, findings, chosen, per_instance[chosen])
        maker = StepMaker(min_template(conf, chosen, count, target, concurrency))
        autoscale = conf.endurance_ramp_minutes > 0 and count > 1
        guess = predicted_minimum(conf, per_instance[chosen])
        search = MinSearch(0, count, width - 1, guess=guess, near=width - 1)
        points = search.points() if autoscale and width > 1 else []
        if autoscale and settle_first:
            settle_first = False
            settling = settling_points(guess, count, width)
            outcomes = yield [maker(m) for m in settling]
            search = search.record(_measured(maker, settling, outcomes, findings))
            if not findings.available(chosen):
                continue  # a quota refused the type: the cheapest of the others goes next
            if search.found is not None:
                evidence = (
                    f"Autoscaling {search.found}..{count} x {chosen} held the ramp and {conf.peak_tps:g} "
                    f"{conf.rate_unit} for {minutes:g} min, so {count} instances carry the peak."
                )
                return Held(count, maker, autoscale, search, evidence)
            # Neither held: the fixed count tells a short minimum from a short maximum, and the
            # counts above the missed guess ride along.
            points = dataclasses.replace(search, near=fallback_near(width)).points() if width > 1 else []
        outcomes = yield [fixed, *(maker(m) for m in points)]
        if outcomes[0]:
            search = search.record(_measured(maker, points, outcomes[1:], findings))
            evidence = f"{count} x {chosen} held {conf.peak_tps:g} {conf.rate_unit} for {minutes:g} min."
            return Held(count, maker, autoscale, search, evidence)
        if fixed in findings.refused:
            continue  # the type is unavailable now: the cheapest of the others goes next
        counts[chosen] += 1
        failures[chosen] += 1
        settle_first = False
        findings.explanation.append(f"{count} x {chosen} did not hold the peak: one more instance.")


def settling_points(guess: int, count: int, width: int) -> list[int]:
    """The autoscaling minima that settle the predicted one: the guess passing and the count below
    it failing (at most ``width`` endpoints, each below the maximum ``count``)."""
    top = min(guess, count - 1)
    return sorted(m for m in (top, top - 1)[: max(1, min(2, width))] if m >= 1)


def _measured(
    maker: StepMaker, points: Sequence[int], outcomes: Sequence[bool], findings: Findings
) -> dict[int, bool]:
    """The autoscaling minima measured (a quota's refusal is no evidence either way)."""
    return {m: ok for m, ok in zip(points, outcomes, strict=True) if maker(m) not in findings.refused}


def _concurrency_target(
    conf: SizingConf, findings: Findings, instance_type: str, rate: float
) -> float | None:
    """An LLM walk's autoscaling target (None for tps): safety_factor x the requests one instance
    had in flight at its highest passing rate, measured by that lane's step (Little's law)."""
    if not conf.is_llm:
        return None
    measured = next(
        (
            result.metrics
            for step, result in findings.observed.items()
            if step.instance_type == instance_type
            and step.instance_count == 1
            and not step.autoscaling
            and result.passed
            and credited_rate(step.steady_state_tps, True, result.metrics) == rate
        ),
        {},
    )
    in_flight = concurrency_per_instance(rate, measured, conf.latency_success_p99)
    return concurrency_target(in_flight, conf.safety_factor)


def predicted_minimum(conf: SizingConf, tps_per_instance: float) -> int:
    """The autoscaling minimum one instance's measured TPS predicts (see the module's phase 4)."""
    early = max(conf.endurance_ramp_start_tps, conf.peak_tps * RAMP_SHARE)
    return max(1, instances_for(early, tps_per_instance))


def fallback_near(width: int) -> int:
    """Points of the fallback's first round kept next to the missed guess; the rest (the majority)
    are spread evenly, as a wrong guess may be far off."""
    return (width - 1) // 2


def _explore(
    conf: SizingConf, findings: Findings, lanes: list[Lane], first: set[int] | None
) -> Rounds[tuple[list[Lane], list[Lane]]]:
    """Every lane's search, side by side; with ``first``, those lanes alone while one of them holds
    the peak on one instance. Returns the lanes explored and the lanes held back (never probed)."""
    lanes = list(lanes)
    everyone = set(range(len(lanes)))
    opened = everyone if first is None else set(first)

    def carried() -> bool:
        return any(lanes[i].needed == 1 and findings.available(lanes[i].instance_type) for i in opened)

    while True:
        planned = [
            (i, nxt)
            for i, lane in enumerate(lanes)
            if i in opened and findings.available(lane.instance_type) and (nxt := lane.next_tps()) is not None
        ]
        if not planned:
            if opened != everyone and not carried():
                opened = everyone  # the first lanes cannot carry the peak alone (e.g. refused)
                continue
            return [lanes[i] for i in sorted(opened)], [
                lane for i, lane in enumerate(lanes) if i not in opened
            ]
        batch = [
            StepConfig(phase, lanes[i].instance_type, 1, tps, conf.duration_minutes, workload=conf.workload)
            for i, (phase, tps) in planned
        ]
        outcomes = yield batch
        for (i, (_, tps)), step, passed in zip(planned, batch, outcomes, strict=True):
            lanes[i] = lanes[i].record(tps, passed, _credited(conf, findings, step, passed))
        if not carried():
            opened = everyone


def _credited(conf: SizingConf, findings: Findings, step: StepConfig, passed: bool) -> float:
    """The rate a lane's step counts at: an LLM step's offered rate where it differs (see
    ``credited_rate``); a tps step's planned rate (Gatling's arrivals are constant)."""
    result = findings.observed.get(step)
    if not conf.is_llm or result is None:
        return step.steady_state_tps
    return credited_rate(step.steady_state_tps, passed, result.metrics)


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
    if not conf.is_llm:  # an LLM's target is on concurrency (set with the autoscaling minimum)
        findings.aws_formula_invocations_target = aws_formula_target(tps, conf.safety_factor)


def _lane_words(conf: SizingConf, lane: Lane, findings: Findings) -> str:
    if not findings.available(lane.instance_type):
        return f"{lane.instance_type}: dropped, a quota refused its deployment."
    failed = f", failed at {lane.hi:g}" if lane.hi is not None else ""
    if lane.needed is None:
        floor = f" (the lowest worth testing: {lane.floor:g} {conf.rate_unit})" if conf.is_llm else ""
        return f"{lane.instance_type}: nothing passed{failed}{floor}; dropped."
    hourly = conf.price(lane.instance_type) * lane.needed
    return (
        f"{lane.instance_type}: one instance held {lane.lo:g} {conf.rate_unit}{failed}; "
        f"ceiling({conf.peak_tps:g} / {lane.lo:g}) = {instances(lane.needed)} = {dollars(hourly)}/hour."
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
    """An upper bound of rounds, minutes and cost: every lane at its longest, the first endurance
    attempt's settling round, then every type's endurance retries at its largest count, then the
    longest autoscaling search."""
    paths = [(lane.instance_type, _worst_lane_path(lane)) for lane in lanes_for(conf)]
    batches = _alone_first(conf) + [
        [
            StepConfig(p[i][0], t, 1, p[i][1], conf.duration_minutes, workload=conf.workload)
            for t, p in paths
            if len(p) > i
        ]
        for i in range(max(len(p) for _, p in paths))
    ]
    if conf.endurance_steady_state_minutes <= 0:
        return batches
    lowest = min(lane.floor for lane in lanes_for(conf))
    needed = instances_for(conf.peak_tps, lowest)
    top = needed + conf.endurance_retries
    width = conf.max_parallel_endpoints
    autoscale = conf.endurance_ramp_minutes > 0 and top > 1
    minutes, workload = conf.endurance_steady_state_minutes, conf.workload
    if autoscale:
        batches.append(_worst_settling(conf, top))
    for instance_type in dict.fromkeys(conf.type_walk):
        for count in range(needed, top + 1):
            maker = StepMaker(min_template(conf, instance_type, count, 0))
            # The neighbourhood of a guess may sit anywhere below the count: count its costliest.
            spec = list(range(count - 1, max(0, count - width), -1)) if autoscale and width > 1 else []
            fixed = StepConfig(PHASE_MAX, instance_type, count, conf.peak_tps, minutes, workload=workload)
            batches.append([fixed, *(maker(m) for m in spec)])
    if autoscale:
        costliest = max(conf.type_walk, key=conf.price)
        maker = StepMaker(min_template(conf, costliest, top, 0))
        # The search's rounds grow with the maximum, so top is the worst.
        rounds = worst_guided_min_search_rounds(top, width, fallback_near(width))
        batches += [[maker(max(1, top - 1 - j)) for j in range(min(width, top - 1))] for _ in range(rounds)]
    return batches


def _alone_first(conf: SizingConf) -> list[list[StepConfig]]:
    """The round where the cheapest type's lane probes the peak alone, when it does: the other
    lanes start a round later (or after an endurance round), so at most one round more."""
    if not one_instance_may_carry(conf):
        return []
    lanes = lanes_for(conf)
    cheapest = lanes[_cheapest_lane(conf, lanes)].instance_type
    return [[StepConfig(PHASE_PROBE, cheapest, 1, conf.peak_tps, conf.duration_minutes)]]


def _worst_settling(conf: SizingConf, top: int) -> list[StepConfig]:
    """The first endurance attempt's round at its costliest: the settling points of the costliest
    type at the largest maximum (one round, once per walk)."""
    costliest = max(conf.type_walk, key=conf.price)
    maker = StepMaker(min_template(conf, costliest, top, 0))
    return [maker(m) for m in settling_points(top - 1, top, conf.max_parallel_endpoints)]


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
    parts = [
        dataclasses.replace(explore, rounds=longest, load_test_minutes=Decimal(str(duration)) * longest),
        from_batches(_alone_first(conf), prices),
    ]
    if conf.endurance_steady_state_minutes <= 0:
        return total(parts)
    lowest = min(lane.floor for lane in lanes_for(conf))
    needed = instances_for(conf.peak_tps, lowest)
    top = needed + conf.endurance_retries
    width = conf.max_parallel_endpoints
    autoscale = conf.endurance_ramp_minutes > 0 and top > 1
    if autoscale:
        parts.append(from_batches([_worst_settling(conf, top)], prices))
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
    "one_instance_may_carry",
    "predicted_minimum",
    "walk",
    "worst_case",
    "worst_case_steps",
]
