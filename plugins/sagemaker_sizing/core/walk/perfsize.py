"""The ``perfsize`` strategy: step for step what perfsizesagemaker does (one step per round).

Its three phases, as in perfsizesagemaker's FirstSuccessStepManager (type and max phases) and
AutoScaleMinFinderStepManager (min phase); docs/architecture.md, "The walks", spells out the
rules, and tests/core/test_walk_perfsize.py locks each one, quirks included.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING

from sagemaker_sizing.core.model import PHASE_MAX, PHASE_MIN, PHASE_TYPE, StepConfig
from sagemaker_sizing.core.walk.min_search import (
    MinSearch,
    StepMaker,
    min_search_steps,
    worst_min_search_rounds,
)
from sagemaker_sizing.core.walk.targets import aws_formula_target, instances, perfsize_target
from sagemaker_sizing.core.walk.worst_totals import WorstCase, count_series, same_rounds, total

if TYPE_CHECKING:
    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.walk.replay import Findings, Rounds, WalkGen


def walk(conf: SizingConf, findings: Findings) -> WalkGen:
    found = yield from _type_phase(conf, findings)
    if found is None or conf.endurance_steady_state_minutes <= 0:
        return
    instance_type, needed = found
    if not findings.available(instance_type):
        return
    max_count = yield from _max_phase(conf, findings, instance_type, needed)
    if max_count is None or conf.endurance_ramp_minutes <= 0 or max_count <= 1:
        return
    target = findings.invocations_target
    assert target is not None
    search = yield from min_search_steps(
        MinSearch(0, max_count), StepMaker(min_template(conf, instance_type, max_count, target)), findings
    )
    findings.min_instance_count = search.found
    if search.found is None:
        findings.explanation.append(f"No autoscaling minimum below {max_count} passed the ramp.")
    else:
        findings.explanation.append(
            f"Autoscaling from {search.found} to {max_count} instances at target {target} "
            f"invocations/instance/minute passed the ramp from {conf.endurance_ramp_start_tps:g} TPS."
        )


def _type_phase(conf: SizingConf, findings: Findings) -> Rounds[tuple[str, int] | None]:
    pairs = [(t, c) for t in conf.type_walk for c in conf.count_walk]
    pair, tps, last_pass = 0, 0, None
    while True:
        instance_type, count = pairs[pair]
        step = StepConfig(PHASE_TYPE, instance_type, count, conf.tps_walk[tps], conf.duration_minutes)
        (passed,) = yield [step]
        if passed:
            last_pass = step
            tps += 1
            if tps >= len(conf.tps_walk):
                break
        elif last_pass is not None:
            break
        else:
            pair += 1
            # A type a quota refused is skipped (its other counts would be refused too).
            while pair < len(pairs) and not findings.available(pairs[pair][0]):
                pair += 1
            if pair >= len(pairs):
                break
    if last_pass is None:
        findings.explanation.append("No instance type and count of the walks passed the first TPS.")
        return None
    tps_per_instance = Decimal(str(last_pass.steady_state_tps)) / last_pass.instance_count
    needed = math.ceil(Decimal(str(conf.peak_tps)) / tps_per_instance)
    findings.instance_type = last_pass.instance_type
    findings.tps_per_instance = float(tps_per_instance)
    findings.instance_count_needed = needed
    findings.aws_formula_invocations_target = aws_formula_target(float(tps_per_instance), conf.safety_factor)
    findings.explanation.append(
        f"Last green run was {last_pass.steady_state_tps:g} TPS supported by "
        f"{instances(last_pass.instance_count)} of {last_pass.instance_type}: "
        f"{tps_per_instance} TPS per instance; "
        f"ceiling({conf.peak_tps:g} / {tps_per_instance}) = {instances(needed)} for the peak."
    )
    return last_pass.instance_type, needed


def _max_phase(conf: SizingConf, findings: Findings, instance_type: str, needed: int) -> Rounds[int | None]:
    for count in range(needed, needed + conf.endurance_retries + 1):
        step = StepConfig(PHASE_MAX, instance_type, count, conf.peak_tps, conf.endurance_steady_state_minutes)
        (passed,) = yield [step]
        if not findings.available(instance_type):
            return None
        if passed:
            findings.max_instance_count = count
            findings.invocations_target = perfsize_target(conf.peak_tps, count)
            findings.explanation.append(
                f"{count} x {instance_type} held {conf.peak_tps:g} TPS for "
                f"{conf.endurance_steady_state_minutes:g} min; autoscaling target "
                f"int({conf.peak_tps:g} / {count} * 60 * 0.5) = {findings.invocations_target}."
            )
            return count
    findings.explanation.append(
        f"No count of {instance_type} from {needed} to {needed + conf.endurance_retries} held the peak."
    )
    return None


def min_template(
    conf: SizingConf,
    instance_type: str,
    max_count: int,
    target: int,
    concurrency_target: float | None = None,
) -> StepConfig:
    """The autoscaling step at ``max_count``: target tracking on invocations per instance (``target``
    per minute), or on concurrent requests per instance when ``concurrency_target`` is given."""
    return StepConfig(
        phase=PHASE_MIN,
        instance_type=instance_type,
        instance_count=max_count,
        steady_state_tps=conf.peak_tps,
        steady_state_minutes=conf.endurance_steady_state_minutes,
        ramp_start_tps=conf.endurance_ramp_start_tps,
        ramp_minutes=conf.endurance_ramp_minutes,
        scaling_min_instance_count=max_count,
        scaling_max_instance_count=max_count,
        invocations_target=target if concurrency_target is None else None,
        concurrency_target=concurrency_target,
        workload=conf.workload,
    )


def worst_case_steps(conf: SizingConf) -> list[list[StepConfig]]:
    """An upper bound of rounds, minutes and cost: every phase at its longest and largest."""
    pairs = [(t, c) for t in conf.type_walk for c in conf.count_walk]
    batches = [[StepConfig(PHASE_TYPE, t, c, conf.tps_walk[0], conf.duration_minutes)] for t, c in pairs[:-1]]
    # The T passing steps on the costliest pair: a bound for cost as well as for rounds.
    last_type, last_count = max(pairs, key=lambda p: conf.price(p[0]) * p[1])
    batches += [
        [StepConfig(PHASE_TYPE, last_type, last_count, tps, conf.duration_minutes)] for tps in conf.tps_walk
    ]
    if conf.endurance_steady_state_minutes <= 0:
        return batches
    lowest = Decimal(str(min(conf.tps_walk))) / max(conf.count_walk)
    needed = math.ceil(Decimal(str(conf.peak_tps)) / lowest)
    top = needed + conf.endurance_retries
    costliest = max(conf.type_walk, key=lambda t: (conf.price(t), -conf.type_walk.index(t)))
    batches += [
        [StepConfig(PHASE_MAX, costliest, count, conf.peak_tps, conf.endurance_steady_state_minutes)]
        for count in range(needed, top + 1)
    ]
    if conf.endurance_ramp_minutes > 0 and top > 1:
        # The search's rounds grow with the maximum (worst_min_search_rounds), so top is the worst.
        rounds = worst_min_search_rounds(top, 1)
        step = min_template(conf, costliest, top, perfsize_target(conf.peak_tps, top))
        batches += [[StepMaker(step)(max(1, top - 1 - i))] for i in range(rounds)]
    return batches


def worst_case(conf: SizingConf) -> WorstCase:
    """The totals of ``worst_case_steps``, computed phase by phase in time independent of the peak
    (the endurance counts are an arithmetic series, the autoscaling search's rounds a closed form)."""
    prices = conf.price_table
    pairs = [(t, c) for t in conf.type_walk for c in conf.count_walk]
    first_tps, minutes = conf.tps_walk[0], conf.duration_minutes
    parts = [same_rounds(StepConfig(PHASE_TYPE, t, c, first_tps, minutes), 1, prices) for t, c in pairs[:-1]]
    last_type, last_count = max(pairs, key=lambda p: conf.price(p[0]) * p[1])
    last = StepConfig(PHASE_TYPE, last_type, last_count, first_tps, conf.duration_minutes)
    parts.append(same_rounds(last, len(conf.tps_walk), prices))
    if conf.endurance_steady_state_minutes > 0:
        lowest = Decimal(str(min(conf.tps_walk))) / max(conf.count_walk)
        needed = math.ceil(Decimal(str(conf.peak_tps)) / lowest)
        top = needed + conf.endurance_retries
        costliest = max(conf.type_walk, key=lambda t: (conf.price(t), -conf.type_walk.index(t)))
        held = StepConfig(PHASE_MAX, costliest, 1, conf.peak_tps, conf.endurance_steady_state_minutes)
        parts.append(count_series(held, needed, top, prices))
        if conf.endurance_ramp_minutes > 0 and top > 1:
            step = min_template(conf, costliest, top, perfsize_target(conf.peak_tps, top))
            parts.append(same_rounds(step, worst_min_search_rounds(top, 1), prices))
    return total(parts)
