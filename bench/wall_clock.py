"""What a sizing takes on AWS: wall-clock hours and the sizing's own bill, adaptive vs perfsize.

The six capacity models of ``bench/strategies.py`` and the small case (peak 20 TPS, which one
instance of the cheapest type carries), dry-run with the deploy-time model on
(``resources/deploy_times.json``, core.timeline): every round's deploys, the waits on the
waiter's polls, the loads side by side, plan's deletes of idle lanes and teardown's at the end;
every instance billed from its launch to its endpoint's deletion. Nothing is deployed.

Goals (issue 27): adaptive's wall-clock <= 35% of perfsize's, its bill <= 50%, its answer never
costlier. ``perfsize`` is the strategy as this project's DAG runs it (lanes kept while used, counts
changed in place); the last columns show perfsize's wall-clock and bill when each change of fleet
deletes the endpoint and creates a new one, as perfsizesagemaker itself does.

Run: ``.venv/bin/python bench/wall_clock.py [MAX_PARALLEL_ENDPOINTS]``; ``--bounds``: what no walk can
beat on the cases that miss a goal (the adaptive walk's proof round alone, then after its first
exploration rounds), against the same perfsize figures.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from sagemaker_sizing.core.conf.model import load_conf
from sagemaker_sizing.core.simulate.capacity import capacity_model_from_dict
from sagemaker_sizing.core.simulate.dry_run import run_walk, steps_by_round, with_strategy
from sagemaker_sizing.core.timeline.deploy_times import load_deploy_times
from sagemaker_sizing.core.timeline.simulated import SizingTime, simulate_timeline
from sagemaker_sizing.core.walk import recommend

sys.path.insert(0, str(Path(__file__).resolve().parent))
from strategies import EXAMPLES, MODELS  # a sibling script, not a package

SMALL = "small case (peak 20 TPS)"
SMALL_MODEL = {"true_tps_per_instance": {"ml.m5.large": 38, "ml.m5.xlarge": 75, "ml.c5.large": 30}}
GOAL_WALL_CLOCK = 0.35
GOAL_BILL = Decimal("0.50")


def cases(parallel: int) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    raw = json.loads((EXAMPLES / "perfsizesagemaker.conf.json").read_text())
    raw["endurance_ramp_start_tps"] = "20"
    raw["max_parallel_endpoints"] = parallel
    small = {**raw, "peak_tps": "20"}
    return [(name, raw, spec) for name, spec in MODELS.items()] + [(SMALL, small, SMALL_MODEL)]


def sized(
    raw: dict[str, Any], spec: dict[str, Any], strategy: str, **options: Any
) -> tuple[SizingTime, str, Any]:
    conf = with_strategy(load_conf(raw, base_dir=EXAMPLES), strategy)
    model = capacity_model_from_dict(spec)
    results = run_walk(conf, model)
    timeline = simulate_timeline(steps_by_round(results), conf.price_table, load_deploy_times(), **options)
    rec = recommend(conf, results)
    minimum = "" if rec.min_instance_count is None else f" (min {rec.min_instance_count})"
    return timeline, f"{rec.instance_type} x{rec.max_instance_count}{minimum}", rec.hourly_cost_usd


def bounds(names: tuple[str, ...] = ("light model (high TPS)", SMALL)) -> None:
    """The adaptive walk's last round (the answer's proof) alone, and after its first one or two
    exploration rounds: the least a walk that keeps the answer (and probes every type) can take."""
    print(
        "| case (perfsize h, $) | proof round alone: h, $ | wall-clock, bill "
        "| + first exploration round | + first two |"
    )
    print("|---|---|---|---|---|")
    for name, raw, spec in cases(4):
        if name not in names:
            continue
        p, _, _ = sized(raw, spec, "perfsize")
        conf = with_strategy(load_conf(raw, base_dir=EXAMPLES), "adaptive")
        rounds = steps_by_round(run_walk(conf, capacity_model_from_dict(spec)))
        cells = []
        for explored in range(min(3, len(rounds))):
            t = simulate_timeline(rounds[:explored] + rounds[-1:], conf.price_table, load_deploy_times())
            share = f"{t.wall_clock_s / p.wall_clock_s:.0%}, {t.bill_usd / p.bill_usd:.0%}"
            cells += [f"{t.wall_clock_h:.2f}, {t.bill_usd:.3f}", share] if explored == 0 else [share]
        cells += ["—"] * (4 - len(cells))  # a walk of fewer rounds
        print(f"| {name} ({p.wall_clock_h:.2f}, {p.bill_usd:.2f}) | " + " | ".join(cells) + " |")


def main() -> None:
    if sys.argv[1:] == ["--bounds"]:
        bounds()
        return
    parallel = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    times = load_deploy_times()
    print(
        f"deploy times: {times.source} (cpu: create {times.of('ml.m5.large').create_s:g} s, new config "
        f"{times.of('ml.m5.large').update_s:g} s, count +/- in place {times.of('ml.m5.large').scale_out_s:g}/"
        f"{times.of('ml.m5.large').scale_in_s:g} s, delete {times.of('ml.m5.large').delete_s:g} s; "
        f"waits end on a {times.waiter_delay_s:g} s poll), instances billed from their launch; "
        f"max_parallel_endpoints {parallel}"
    )
    print(
        "| case | perfsize h | adaptive h | wall-clock | perfsize $ | adaptive $ | bill | perfsize answer "
        "| adaptive answer | load min p/a | deploys p/a | perfsizesagemaker's deploys: h, $ |"
    )
    print("|" + "|".join("---" for _ in range(12)) + "|")
    missed: list[str] = []
    for name, raw, spec in cases(parallel):
        p, p_answer, p_cost = sized(raw, spec, "perfsize")
        a, a_answer, a_cost = sized(raw, spec, "adaptive")
        replaced, _, _ = sized(raw, spec, "perfsize", replace_on_change=True)
        wall = a.wall_clock_s / p.wall_clock_s
        bill = a.bill_usd / p.bill_usd
        print(
            f"| {name} | {p.wall_clock_h:.2f} | {a.wall_clock_h:.2f} | {wall:.0%} | {p.bill_usd:.2f} "
            f"| {a.bill_usd:.2f} | {bill:.0%} | {p_answer} | {a_answer} "
            f"| {p.load_minutes:g}/{a.load_minutes:g} | {p.deploys}/{a.deploys} "
            f"| {replaced.wall_clock_h:.2f}, {replaced.bill_usd:.2f} |"
        )
        if wall > GOAL_WALL_CLOCK:
            missed.append(f"{name}: wall-clock {wall:.0%} > {GOAL_WALL_CLOCK:.0%}")
        if bill > GOAL_BILL:
            missed.append(f"{name}: bill {bill:.0%} > {GOAL_BILL:.0%}")
        if p_cost is not None and (a_cost is None or a_cost > p_cost):
            missed.append(f"{name}: adaptive's answer costs {a_cost}/h, perfsize's {p_cost}/h")
    print("goals missed: " + ("; ".join(missed) if missed else "none"))


if __name__ == "__main__":
    main()
