"""Dry runs: the walk against a capacity model, or its worst case for budgeting a real run.

Both say what the sizing would take on AWS (``on_aws``): hours from the first deploy to the last
delete and the sizing's own bill, by the deploy-time model (``core.timeline``), for the conf's
strategy and, side by side, for ``perfsize``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.cost.instances import step_instance_minutes
from sagemaker_sizing.core.cost.money import usd
from sagemaker_sizing.core.model import StepConfig, StepResult
from sagemaker_sizing.core.simulate.capacity import CapacityModelError
from sagemaker_sizing.core.timeline.deploy_times import load_deploy_times
from sagemaker_sizing.core.timeline.simulated import simulate_timeline, worst_timeline
from sagemaker_sizing.core.verdicts.run_outcome import run_outcome
from sagemaker_sizing.core.walk import next_batch, replayed, worst_case, worst_case_steps

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.simulate.capacity import CapacityModel
    from sagemaker_sizing.core.timeline.deploy_times import DeployTimes
    from sagemaker_sizing.core.walk import Replayed

# A walk that needs more is broken; stop rather than loop.
MAX_SIMULATED_ROUNDS = 1000
# The worst case lists its steps only up to this many (its totals are computed either way).
MAX_LISTED_STEPS = 500
# The worst case's timeline on AWS needs its steps listed: not beyond this many.
MAX_TIMELINE_STEPS = 20000
# The strategy every dry run is compared with.
BASELINE = "perfsize"


def with_strategy(conf: SizingConf, strategy: str | None) -> SizingConf:
    return conf if strategy is None else conf.model_copy(update={"strategy": strategy})


def run_walk(conf: SizingConf, model: CapacityModel) -> list[StepResult]:
    """Every result the walk would produce if the endpoints behaved like ``model``."""
    results: list[StepResult] = []
    for round_number in range(1, MAX_SIMULATED_ROUNDS + 1):
        batch = next_batch(conf, results)
        if not batch:
            return results
        for step in batch:
            metrics: dict[str, Any] = {}
            if step.serverless:
                if model.serverless is None:
                    raise CapacityModelError(
                        "the conf sizes serverless; the capacity file has no 'serverless' profile"
                    )
                passed, metrics = model.serverless.measure(step, conf.latency_success_p99, conf.percent_fail)
            else:
                passed = model.passes(step)
            results.append(StepResult(step, round_number, passed, "capacity model: " + str(passed), metrics))
    raise RuntimeError(f"walk {conf.strategy} did not finish within {MAX_SIMULATED_ROUNDS} rounds")


def simulate(
    conf: SizingConf, model: CapacityModel, strategy: str | None = None, times: DeployTimes | None = None
) -> dict[str, Any]:
    """The dry run's JSON: every step, the recommendation, load-test and instance minutes, and the
    wall-clock and bill on AWS (``times``: default ``resources/deploy_times.json``)."""
    conf = with_strategy(conf, strategy)
    times = times or load_deploy_times()
    results = run_walk(conf, model)
    walked = replayed(conf, results, tolerate_incomplete=True)  # once: the answer and the serverless part
    rec = walked.recommendation
    serverless = _serverless_part(conf, walked)
    # The run's headline, by the rule every surface prints (core.verdicts.run_outcome).
    outcome = run_outcome(results, rec, (), serverless.get("serverless"))
    return {
        "strategy": conf.strategy,
        "headline": outcome.headline,
        "steps": [{"round": r.round, **step_dict(r.step), "passed": r.passed} for r in results],
        "recommendation": {
            "instance_type": rec.instance_type,
            "instance_count_needed": rec.instance_count_needed,
            "max_instance_count": rec.max_instance_count,
            "min_instance_count": rec.min_instance_count,
            "invocations_target": rec.invocations_target,
            "hourly_cost_usd": None if rec.hourly_cost_usd is None else float(rec.hourly_cost_usd),
        },
        "load_test_minutes": load_test_minutes(steps_by_round(results)),
        "instance_minutes": instance_minutes(r.step for r in results),
        "on_aws": _on_aws(
            times,
            {
                name: simulate_timeline(
                    steps_by_round(results if name == conf.strategy else run_walk(other, model)),
                    other.price_table,
                    times,
                ).to_dict()
                for name, other in _compared(conf)
            },
        ),
        **serverless,
    }


def _compared(conf: SizingConf) -> list[tuple[str, SizingConf]]:
    """The conf's strategy, then the baseline it is compared with (none for an LLM conf: perfsize
    walks TPS steps, not request rates)."""
    names = (conf.strategy,) if conf.is_llm else (conf.strategy, BASELINE)
    return [(name, with_strategy(conf, name)) for name in dict.fromkeys(names)]


def _on_aws(times: DeployTimes, strategies: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "deploy_times": times.source,
        "billing_start": times.billing_start,
        **more,
        "strategies": strategies,
    }


def _serverless_part(conf: SizingConf, walked: Replayed) -> dict[str, Any]:
    from sagemaker_sizing.core.cost.serverless_compare import compare

    if not conf.sizes_serverless:
        return {}
    rec = walked.recommendation if conf.sizes_realtime else None
    return {"serverless": compare(conf, rec, walked.serverless)}


def budget(conf: SizingConf, strategy: str | None = None, times: DeployTimes | None = None) -> dict[str, Any]:
    """Worst case of a real run, before spending money: steps, rounds, minutes and test cost, and an
    upper bound of its wall-clock and bill on AWS (``worst_on_aws``).

    The totals are computed (``walk.worst_case``), whatever the peak; the steps are listed when
    there are at most ``MAX_LISTED_STEPS`` of them (``step_count`` says how many there are)."""
    conf = with_strategy(conf, strategy)
    worst = worst_case(conf)
    listed: list[dict[str, Any]] | None = None
    if worst.steps <= MAX_LISTED_STEPS:
        listed = [
            {"round": i, **step_dict(step), "passed": None}
            for i, batch in enumerate(worst_case_steps(conf), start=1)
            for step in batch
        ]
    return {
        "strategy": conf.strategy,
        "worst_case": True,
        "rounds": worst.rounds,
        "step_count": worst.steps,
        "steps": listed,
        "load_test_minutes": round(float(worst.load_test_minutes), 6),
        "instance_minutes": float(worst.instance_minutes),
        "test_cost_usd": float(usd(worst.test_cost_usd)),
        "on_aws": worst_on_aws(conf, times or load_deploy_times()),
    }


def worst_on_aws(conf: SizingConf, times: DeployTimes) -> dict[str, Any]:
    """Upper bounds of the wall-clock and bill on AWS of the conf's strategy and the baseline's worst
    cases (None for one whose worst case has more than ``MAX_TIMELINE_STEPS`` steps)."""
    strategies: dict[str, Any] = {}
    for name, other in _compared(conf):
        if worst_case(other).steps > MAX_TIMELINE_STEPS:
            strategies[name] = None
            continue
        strategies[name] = worst_timeline(worst_case_steps(other), other.price_table, times).to_dict()
    return _on_aws(times, strategies, upper_bound=True)


def step_dict(step: StepConfig) -> dict[str, Any]:
    return {
        "phase": step.phase,
        "instance_type": step.instance_type,
        "instance_count": step.instance_count,
        "scaling_min_instance_count": step.scaling_min_instance_count,
        "scaling_max_instance_count": step.scaling_max_instance_count,
        "ramp_start_tps": step.ramp_start_tps,
        "ramp_minutes": step.ramp_minutes,
        "steady_state_tps": step.steady_state_tps,
        "steady_state_minutes": step.steady_state_minutes,
        **(
            {
                "memory_size_mb": step.memory_size_mb,
                "max_concurrency": step.max_concurrency,
                "provisioned_concurrency": step.provisioned_concurrency,
                "idle_minutes": step.idle_minutes,
            }
            if step.serverless
            else {}
        ),
    }


def load_test_minutes(batches: Sequence[Sequence[StepConfig]]) -> float:
    """Wall-clock load minutes: a round lasts as long as its longest step (steps run side by side)."""
    return round(sum(max(s.load_minutes for s in batch) for batch in batches if batch), 6)


def instance_minutes(steps: Any) -> float:
    """Instances x minutes over all steps (autoscaling steps at their maximum): what the tests cost."""
    return float(sum((step_instance_minutes(s) for s in steps), start=0))


def steps_by_round(results: Sequence[StepResult]) -> list[list[StepConfig]]:
    by_round: dict[int, list[StepConfig]] = {}
    for r in results:
        by_round.setdefault(r.round, []).append(r.step)
    return [by_round[k] for k in sorted(by_round)]
