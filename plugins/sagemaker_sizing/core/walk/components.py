"""The walk of an endpoint of inference components (``hosting: "inference_components"``, issue 25).

1. **What fits.** Per type, the copies of each model one instance holds (its compute per copy
   against the instance table); a type where a model's copy does not fit is dropped.
2. **The rate one copy holds.** Per model and type, a lane of adaptive's (``adaptive.Lane``):
   growth then bisection on request rate within that model's SLOs, on one copy. A type's lanes
   share one step per round (``lane_step``: one copy of each model still searching, each loaded at
   its own rate, each lane following its own model's verdict); every type's step runs side by side.
3. **Copies and instances.** Per type, each model needs ``ceil(peak / rate per copy)`` copies; the
   instances are the fewest that hold every model's copies, packed first fit by compute
   (largest copies first, as the components are created); the cheapest type wins.
4. **Endurance, all models at once.** That fleet with every model at its peak (one AIPerf per
   model, started together, each judged on its own SLOs) for the endurance minutes; a model that
   misses its SLOs gets one more copy (and the packing more instances if need be), up to
   ``endurance_retries`` per type, and the types are ranked again.
5. **Copy autoscaling, tested by a ramp.** Target tracking on concurrent requests per copy, its
   target ``safety_factor`` x the requests one copy had in flight at its highest passing rate
   (Little's law, measured by that lane's step); the minimum copies those that carry the ramp's
   start or ``RAMP_SHARE`` of the peak; managed instance scaling between the instances the
   minimum copies and the maximum copies need. The ramp step rides along with the endurance step
   (another endpoint) when ``max_parallel_endpoints`` allows, else follows it; a failed ramp keeps
   the copies fixed at the maximum (the minimum is then the maximum), and the report says so.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.components.answer import ComponentsAnswer, ModelAnswer, cost_shares
from sagemaker_sizing.core.components.models import (
    ComponentModel,
    component_models,
    copies_per_instance,
    instances_for_copies,
    packing_order,
)
from sagemaker_sizing.core.components.placement import instance_resources, pack
from sagemaker_sizing.core.conf.model import LLM_DEFAULT_MAX_COUNT
from sagemaker_sizing.core.cost.money import dollars
from sagemaker_sizing.core.model import PHASE_MAX, PHASE_MIN, StepConfig
from sagemaker_sizing.core.verdicts.llm_requirements import credited_rate
from sagemaker_sizing.core.walk.adaptive import PHASE_BISECT, PHASE_PROBE, RAMP_SHARE, Lane, _worst_lane_path
from sagemaker_sizing.core.walk.targets import concurrency_per_instance, concurrency_target, instances_for
from sagemaker_sizing.core.walk.worst_totals import WorstCase, from_batches

if TYPE_CHECKING:
    from decimal import Decimal

    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.walk.replay import Findings, Rounds, WalkGen

LaneKey = tuple[int, str]  # (model index, instance type)


def lanes_for(conf: SizingConf, models: tuple[ComponentModel, ...], types: list[str]) -> dict[LaneKey, Lane]:
    """One lane per model and type that holds a copy of it: the rate one copy holds. A copy not
    worth testing below ``peak / (largest count x copies per instance)`` (the most copies the
    largest fleet would run)."""
    most = max(conf.count_walk, default=LLM_DEFAULT_MAX_COUNT)
    lanes = {}
    for t in types:
        for i, model in enumerate(models):
            floor = model.peak_rps / (most * copies_per_instance(model, t))
            start = min(max(conf.llm_start_rps, floor), model.peak_rps)
            lanes[(i, t)] = Lane(t, model.peak_rps, start, min(floor, start), conf.precision)
    return lanes


def fitting_types(conf: SizingConf, models: tuple[ComponentModel, ...]) -> tuple[list[str], list[str]]:
    """The types of type_walk where a copy of every model fits, and why each other one does not."""
    usable, dropped = [], []
    for t in dict.fromkeys(conf.type_walk):
        offered = instance_resources(t)
        misfits = [m for m in models if copies_per_instance(m, t) == 0]
        if offered is None:
            dropped.append(f"{t}: not in the instance table; dropped.")
        elif misfits:
            words = "; ".join(f"a copy of {m.model_name} ({m.compute_words()})" for m in misfits)
            dropped.append(
                f"{t}: {words} does not fit one instance ({offered.accelerators:g} accelerators, "
                f"{offered.vcpus:g} vCPUs, {offered.memory_mb:g} MiB); dropped."
            )
        else:
            usable.append(t)
    return usable, dropped


def lane_step(
    conf: SizingConf, models: tuple[ComponentModel, ...], t: str, planned: dict[int, tuple[str, float]]
) -> StepConfig:
    """One round of a type's lanes: one copy of each model with a rate to test (``planned``: model
    index -> phase and rate), on as many instances of ``t`` as those copies need, each model
    loaded at its own rate and judged on its own SLOs. A copy runs on its own share of an
    instance (its accelerators), so the models' lanes share an endpoint without sharing capacity."""
    copies = tuple(1 if i in planned else 0 for i in range(len(models)))
    rates = tuple(planned[i][1] if i in planned else 0.0 for i in range(len(models)))
    phases = {phase for phase, _ in planned.values()}
    phase = PHASE_PROBE if PHASE_PROBE in phases else PHASE_BISECT
    instances = instances_for_copies(models, copies, t) or 1
    return StepConfig(
        phase, t, instances, sum(rates), conf.duration_minutes, workload="llm", copies=copies, rates=rates
    )


def model_passed(findings: Findings, step: StepConfig, i: int, passed: bool) -> bool:
    """Whether model ``i`` met its SLOs in ``step`` (its own verdict in the step's metrics; else the
    step's)."""
    per_model = _per_model(findings, step)
    entry = per_model[i] if i < len(per_model) else None
    return bool(entry["passed"]) if isinstance(entry, dict) and "passed" in entry else passed


def _credited(findings: Findings, step: StepConfig, i: int, passed: bool) -> float:
    """The rate model ``i``'s lane counts at: the rate its AIPerf offered where it differs from
    the planned one (``credited_rate``, as the adaptive walk's LLM lanes count)."""
    return credited_rate(step.rates[i], passed, _model_metrics(findings, step, i))


def _model_metrics(findings: Findings, step: StepConfig, i: int) -> dict[str, Any] | None:
    """Model ``i``'s own metrics in ``step`` (None: not measured apart)."""
    per_model = _per_model(findings, step)
    entry = per_model[i] if i < len(per_model) else None
    return entry.get("metrics") if isinstance(entry, dict) else None


def _per_model(findings: Findings, step: StepConfig) -> list[Any]:
    result = findings.observed.get(step)
    return list((result.metrics.get("models") if result is not None else None) or [])


@dataclass(frozen=True)
class _Sizing:
    """What the phases after the lanes share: the conf, its models, the findings, each lane's
    highest passing rate per copy, and each type's copies before endurance."""

    conf: SizingConf
    models: tuple[ComponentModel, ...]
    findings: Findings
    rate: dict[LaneKey, float]
    needed: dict[str, tuple[int, ...]]


def walk(conf: SizingConf, findings: Findings) -> WalkGen:
    models = component_models(conf)
    types, dropped = fitting_types(conf, models)
    findings.explanation.extend(dropped)
    if not types:
        findings.explanation.append("No type of type_walk holds a copy of every model.")
        return
    lanes = yield from _explore(conf, findings, models, types)
    counts: dict[str, tuple[int, ...]] = {}
    for t in types:
        findings.explanation.extend(_lane_words(m, lanes[(i, t)], findings) for i, m in enumerate(models))
        if all(lanes[(i, t)].needed is not None for i in range(len(models))) and findings.available(t):
            counts[t] = tuple(int(lanes[(i, t)].needed or 0) for i in range(len(models)))
            findings.explanation.append(_fleet_words(conf, models, t, counts[t]))
    if not counts:
        findings.explanation.append("No type held every model within its SLOs on one copy.")
        return
    sizing = _Sizing(conf, models, findings, {key: lane.lo for key, lane in lanes.items()}, dict(counts))
    chosen = _cheapest(conf, models, counts)
    _record(sizing, chosen, counts[chosen])
    if conf.endurance_steady_state_minutes > 0:
        yield from _endurance(sizing, counts)


def _endurance(sizing: _Sizing, counts: dict[str, tuple[int, ...]]) -> WalkGen:
    """Every model at its peak at once on the cheapest fleet, one more copy for a model that
    missed its SLOs; the copy autoscaling ramp rides along (or follows)."""
    conf, models, findings = sizing.conf, sizing.models, sizing.findings
    failures = dict.fromkeys(counts, 0)
    ride_along = conf.max_parallel_endpoints > 1
    while True:
        open_counts = {
            t: c for t, c in counts.items() if failures[t] <= conf.endurance_retries and findings.available(t)
        }
        if not open_counts:
            findings.explanation.append("No configuration held every model's peak in endurance.")
            return
        chosen = _cheapest(conf, models, open_counts)
        copies = counts[chosen]
        fixed = _combined_step(conf, models, chosen, copies)
        ramp = _ramp_step(sizing, chosen, copies)
        outcomes = yield [fixed, *([ramp] if ramp is not None and ride_along else [])]
        if outcomes[0]:
            break
        if fixed in findings.refused:
            continue
        missed = _missed(findings, fixed, models)
        counts[chosen] = tuple(c + (1 if i in missed else 0) for i, c in enumerate(copies))
        failures[chosen] += 1
        names = ", ".join(models[i].model_name for i in missed)
        findings.explanation.append(
            f"{fixed.describe()} did not hold every peak ({names} missed): one more copy each."
        )
    findings.explanation.append(
        f"{fixed.instance_count} x {chosen} with copies {_plus(copies)} held every model's peak for "
        f"{conf.endurance_steady_state_minutes:g} min."
    )
    if ramp is None:
        _record(sizing, chosen, copies, minimum=copies)
        return
    if ride_along:
        ramp_passed = outcomes[1] and ramp not in findings.refused
    else:
        (ramp_passed,) = yield [ramp]
    _autoscaling_words(sizing, ramp, passed=ramp_passed)
    _record(
        sizing, chosen, copies, minimum=ramp.min_copies if ramp_passed else copies, targets=ramp.copy_targets
    )


def _autoscaling_words(sizing: _Sizing, ramp: StepConfig, *, passed: bool) -> None:
    targets = "/".join(f"{t:g}" for t in ramp.copy_targets)
    if passed:
        sizing.findings.explanation.append(
            f"Copy autoscaling {_plus(ramp.min_copies)}..{_plus(ramp.copies)} at {targets} concurrent "
            f"requests per copy ({sizing.conf.safety_factor:g} x what one copy had in flight at its "
            "rate, by Little's law) kept up with the ramp."
        )
    else:
        sizing.findings.explanation.append(
            f"Copy autoscaling from {_plus(ramp.min_copies)} copies at {targets} concurrent requests per "
            "copy did not keep up with the ramp: the copies stay at the maximum."
        )


def _plus(copies: tuple[int, ...]) -> str:
    return "+".join(map(str, copies))


def _explore(
    conf: SizingConf, findings: Findings, models: tuple[ComponentModel, ...], types: list[str]
) -> Rounds[dict[LaneKey, Lane]]:
    lanes = lanes_for(conf, models, types)
    while True:
        planned: dict[str, dict[int, tuple[str, float]]] = {}
        for (i, t), lane in lanes.items():
            if findings.available(t) and (nxt := lane.next_tps()) is not None:
                planned.setdefault(t, {})[i] = nxt
        if not planned:
            return lanes
        batch = [lane_step(conf, models, t, lanes_of_type) for t, lanes_of_type in planned.items()]
        outcomes = yield batch
        for step, passed, (t, lanes_of_type) in zip(batch, outcomes, planned.items(), strict=True):
            for i, (_, rate) in lanes_of_type.items():
                ok = model_passed(findings, step, i, passed)
                lanes[(i, t)] = lanes[(i, t)].record(rate, ok, _credited(findings, step, i, ok))


def _combined_step(
    conf: SizingConf, models: tuple[ComponentModel, ...], t: str, copies: tuple[int, ...]
) -> StepConfig:
    """Every model at its peak at once on the packed fleet."""
    rates = tuple(m.peak_rps for m in models)
    instances = instances_for_copies(models, copies, t) or 1
    minutes = conf.endurance_steady_state_minutes
    return StepConfig(
        PHASE_MAX, t, instances, sum(rates), minutes, workload="llm", copies=copies, rates=rates
    )


def _ramp_step(sizing: _Sizing, t: str, copies: tuple[int, ...]) -> StepConfig | None:
    """The autoscaling test: copies from the predicted minimum, a ramp to every peak (None without
    a ramp, or when every model runs one copy)."""
    conf, models = sizing.conf, sizing.models
    if conf.endurance_ramp_minutes <= 0 or all(c <= 1 for c in copies):
        return None
    total = sum(m.peak_rps for m in models)

    def least(i: int, m: ComponentModel) -> int:
        early = max(conf.endurance_ramp_start_tps * m.peak_rps / total, m.peak_rps * RAMP_SHARE)
        return min(copies[i], max(1, instances_for(early, sizing.rate[(i, t)])))

    minimum = tuple(least(i, m) for i, m in enumerate(models))
    targets = tuple(_copy_target(sizing, i, t) for i in range(len(models)))
    most = instances_for_copies(models, copies, t) or 1
    return StepConfig(
        PHASE_MIN,
        t,
        most,
        total,
        conf.endurance_steady_state_minutes,
        ramp_start_tps=conf.endurance_ramp_start_tps,
        ramp_minutes=conf.endurance_ramp_minutes,
        scaling_min_instance_count=instances_for_copies(models, minimum, t) or 1,
        scaling_max_instance_count=most,
        workload="llm",
        copies=copies,
        rates=tuple(m.peak_rps for m in models),
        min_copies=minimum,
        copy_targets=targets,
    )


def _copy_target(sizing: _Sizing, i: int, t: str) -> float:
    """safety_factor x the requests one copy had in flight at its highest passing rate (the lane
    step whose model ``i`` passed, counted at that rate)."""
    rate = sizing.rate[(i, t)]
    measured: dict[str, Any] = {}
    for step, result in sizing.findings.observed.items():
        lane = step.phase in (PHASE_PROBE, PHASE_BISECT) and step.instance_type == t and step.rates
        if not lane or not step.rates[i] or not model_passed(sizing.findings, step, i, result.passed):
            continue
        if _credited(sizing.findings, step, i, True) == rate:
            measured = _model_metrics(sizing.findings, step, i) or result.metrics
            break
    in_flight = concurrency_per_instance(rate, measured, sizing.models[i].limits.e2e_p99_ms)
    return concurrency_target(in_flight, sizing.conf.safety_factor)


def _missed(findings: Findings, step: StepConfig, models: tuple[ComponentModel, ...]) -> set[int]:
    """The models a combined step found short of their SLOs (all of them when it says nothing)."""
    missed = {i for i in range(len(models)) if not model_passed(findings, step, i, True)}
    return missed or set(range(len(models)))


def _hourly(conf: SizingConf, models: tuple[ComponentModel, ...], t: str, copies: tuple[int, ...]) -> Decimal:
    return conf.price(t) * (instances_for_copies(models, copies, t) or 0)


def _cheapest(
    conf: SizingConf, models: tuple[ComponentModel, ...], counts: dict[str, tuple[int, ...]]
) -> str:
    order = list(conf.type_walk)
    return min(counts, key=lambda t: (_hourly(conf, models, t, counts[t]), order.index(t)))


def _record(
    sizing: _Sizing,
    t: str,
    copies: tuple[int, ...],
    *,
    minimum: tuple[int, ...] | None = None,
    targets: tuple[float, ...] | None = None,
) -> None:
    """The findings (the recommendation's fields and its ``components`` answer) for ``copies`` on ``t``."""
    conf, models, findings = sizing.conf, sizing.models, sizing.findings
    needed = sizing.needed[t]
    fleets = tuple((k, instances_for_copies(models, c, k) or 0) for k, c in sizing.needed.items())
    instances = instances_for_copies(models, copies, t) or 0
    low = instances_for_copies(models, minimum, t) if minimum is not None else None
    findings.instance_type = t
    findings.instance_count_needed = instances_for_copies(models, needed, t)
    findings.tps_per_instance = sum(m.peak_rps for m in models) / instances if instances else None
    findings.max_instance_count = instances if minimum is not None else None
    findings.min_instance_count = low
    hourly = conf.price(t) * instances
    reserved = [c * (m.accelerators or m.memory_mb / 1024) for m, c in zip(models, copies, strict=True)]
    shares = cost_shares(hourly, reserved)
    findings.components = ComponentsAnswer(
        instance_type=t,
        min_instance_count=low,
        max_instance_count=instances,
        hourly_cost_usd=hourly,
        packing=_packing(models, copies, t),
        fleets=fleets,
        models=tuple(
            ModelAnswer(
                model_name=m.model_name,
                accelerators=m.accelerators,
                cpu_cores=m.cpu_cores,
                memory_mb=m.memory_mb,
                copies_per_instance=copies_per_instance(m, t),
                requests_per_s_per_copy=sizing.rate[(i, t)] or None,
                peak_rps=m.peak_rps,
                copies_needed=needed[i],
                min_copies=minimum[i] if minimum is not None else None,
                max_copies=copies[i],
                target_value=targets[i] if targets is not None else None,
                hourly_cost_share_usd=shares[i],
            )
            for i, m in enumerate(models)
        ),
    )


def _packing(
    models: tuple[ComponentModel, ...], copies: tuple[int, ...], t: str
) -> tuple[tuple[str, ...], ...]:
    """The model of each copy on each instance, packed as the walk counted them."""
    offered = instance_resources(t)
    if offered is None:
        return ()
    wanted = [(models[i].model_name, models[i].needs, copies[i]) for i in packing_order(models)]
    return pack(wanted, offered, max(1, sum(copies))).instances


def _lane_words(model: ComponentModel, lane: Lane, findings: Findings) -> str:
    t = lane.instance_type
    if not findings.available(t):
        return f"{model.model_name} on {t}: dropped, a quota refused its deployment."
    failed = f", failed at {lane.hi:g}" if lane.hi is not None else ""
    if lane.needed is None:
        return (
            f"{model.model_name} on {t}: one copy passed nothing{failed} (the lowest worth testing: "
            f"{lane.floor:g} req/s); dropped."
        )
    return (
        f"{model.model_name} on {t}: one copy ({model.compute_words()}; {copies_per_instance(model, t)} per "
        f"instance) held {lane.lo:g} req/s{failed}; ceiling({model.peak_rps:g} / {lane.lo:g}) = "
        f"{lane.needed} copies."
    )


def _fleet_words(
    conf: SizingConf, models: tuple[ComponentModel, ...], t: str, copies: tuple[int, ...]
) -> str:
    instances = instances_for_copies(models, copies, t)
    hourly = _hourly(conf, models, t, copies)
    return (
        f"{t}: copies {'+'.join(map(str, copies))} pack on {instances} instance(s) = {dollars(hourly)}/hour."
    )


def worst_case_steps(conf: SizingConf) -> list[list[StepConfig]]:
    """An upper bound: every lane at its longest (a type's lanes in one step per round), then each
    type's endurance retries (the ramp riding along), at the copies the lowest rate worth testing
    would need."""
    models = component_models(conf)
    types, _ = fitting_types(conf, models)
    lanes = lanes_for(conf, models, types)
    paths = {key: _worst_lane_path(lane) for key, lane in lanes.items()}
    longest = max((len(p) for p in paths.values()), default=0)
    batches = []
    for r in range(longest):
        batch = []
        for t in types:
            planned = {i: paths[(i, t)][r] for i in range(len(models)) if len(paths[(i, t)]) > r}
            if planned:
                batch.append(lane_step(conf, models, t, planned))
        batches.append(batch)
    if conf.endurance_steady_state_minutes <= 0:
        return batches
    for t in types:
        copies = tuple(instances_for(m.peak_rps, lanes[(i, t)].floor) for i, m in enumerate(models))
        for retry in range(conf.endurance_retries + 1):
            grown = tuple(c + retry for c in copies)
            fixed = _combined_step(conf, models, t, grown)
            batch = [fixed]
            if conf.endurance_ramp_minutes > 0:
                minutes = conf.endurance_steady_state_minutes
                batch.append(
                    dataclasses.replace(
                        fixed,
                        phase=PHASE_MIN,
                        ramp_minutes=conf.endurance_ramp_minutes,
                        steady_state_minutes=minutes,
                    )
                )
            batches.append(batch)
    return batches


def worst_case(conf: SizingConf) -> WorstCase:
    return from_batches(worst_case_steps(conf), conf.price_table)
