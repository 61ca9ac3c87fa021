"""Strategy comparison: load-test minutes and recommended hourly cost, adaptive vs perfsize.

Both strategies walk the same conf (perfsize's tps_walk quantisation included) against several
capacity models; nothing is deployed. Run: ``.venv/bin/python bench/strategies.py [MAX_PARALLEL_ENDPOINTS]``.

A second table checks adaptive's guess of the autoscaling minimum: the heavy model again, with
endpoints whose minimum must carry more or less of the peak than the guess assumes
(``ramp_factor``), so the guess misses by -8 .. +11 instances.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from sagemaker_sizing.core.conf.model import load_conf
from sagemaker_sizing.core.simulate.capacity import CapacityModel, capacity_model_from_dict
from sagemaker_sizing.core.simulate.dry_run import run_walk, simulate
from sagemaker_sizing.core.walk import recommend
from sagemaker_sizing.core.walk.adaptive import predicted_minimum

EXAMPLES = Path(__file__).resolve().parents[1] / "include" / "examples"


def _linear(m5_large: float, m5_xlarge: float, c5_large: float) -> dict[str, Any]:
    return {
        "true_tps_per_instance": {"ml.m5.large": m5_large, "ml.m5.xlarge": m5_xlarge, "ml.c5.large": c5_large}
    }


HEAVY = "heavy model (low TPS)"
RAMP_FACTORS = (0.1, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.9, 1.0)

MODELS: dict[str, dict[str, Any]] = {
    "linear, m5.large first and cheapest": _linear(38, 75, 30),
    "c5.large cheapest but listed last": _linear(25, 52, 45),
    "xlarge scales better than 2 x large": _linear(12, 70, 9),
    "non-linear (overrides)": json.loads((EXAMPLES / "nonlinear.capacity.json").read_text()),
    HEAVY: _linear(11, 23, 14),
    "light model (high TPS)": _linear(95, 190, 120),
}


def compare(raw_conf: dict[str, Any], model: CapacityModel) -> dict[str, dict[str, Any]]:
    conf = load_conf(raw_conf, base_dir=EXAMPLES)
    return {strategy: simulate(conf, model, strategy) for strategy in ("perfsize", "adaptive")}


def main() -> None:
    parallel = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    raw = json.loads((EXAMPLES / "perfsizesagemaker.conf.json").read_text())
    raw["endurance_ramp_start_tps"] = "20"
    raw["max_parallel_endpoints"] = parallel
    print(
        "conf: include/examples/perfsizesagemaker.conf.json (peak 300 TPS, tps_walk 10..100 by 10, "
        "3 min steps, 30 min endurance, 10 min ramp from 20 TPS, 3 retries), "
        f"max_parallel_endpoints {parallel}"
    )
    header = (
        f"| {'capacity model':38} | perfsize min | adaptive min | ratio | perfsize $/h | adaptive $/h "
        "| perfsize inst-min | adaptive inst-min | perfsize answer | adaptive answer |"
    )
    print(header)
    print("|" + "|".join("---" for _ in range(10)) + "|")
    worst_ratio, costlier = 0.0, 0
    for name, spec in MODELS.items():
        out = compare(raw, capacity_model_from_dict(spec))
        p, a = out["perfsize"], out["adaptive"]
        ratio = a["load_test_minutes"] / p["load_test_minutes"]
        worst_ratio = max(worst_ratio, ratio)
        pc, ac = p["recommendation"]["hourly_cost_usd"], a["recommendation"]["hourly_cost_usd"]
        costlier += int(pc is not None and (ac is None or ac > pc))
        print(
            f"| {name:38} | {p['load_test_minutes']:g} | {a['load_test_minutes']:g} | {ratio:.0%} "
            f"| {pc} | {ac} "
            f"| {p['instance_minutes']:g} | {a['instance_minutes']:g} | {_answer(p)} | {_answer(a)} |"
        )
    print(f"worst adaptive/perfsize minutes: {worst_ratio:.0%}; adaptive costlier in {costlier} model(s)")
    print()
    _guess_sensitivity(raw)


def _guess_sensitivity(raw: dict[str, Any]) -> None:
    print(f"{HEAVY}, autoscaling minimum off the guess (ramp_factor: share of the peak the minimum carries)")
    print("| ramp_factor | true min | guess miss | perfsize min | adaptive min | ratio | adaptive answer |")
    print("|---|---|---|---|---|---|---|")
    conf = load_conf({**raw, "strategy": "adaptive"}, base_dir=EXAMPLES)
    for factor in RAMP_FACTORS:
        model = capacity_model_from_dict({**MODELS[HEAVY], "autoscale": {"ramp_factor": factor}})
        out = compare(raw, model)
        p, a = out["perfsize"], out["adaptive"]
        rec = recommend(conf, run_walk(conf, model))
        assert rec.tps_per_instance is not None and rec.min_instance_count is not None
        miss = rec.min_instance_count - predicted_minimum(conf, rec.tps_per_instance)
        ratio = a["load_test_minutes"] / p["load_test_minutes"]
        print(
            f"| {factor:g} | {rec.min_instance_count} | {miss:+d} | {p['load_test_minutes']:g} "
            f"| {a['load_test_minutes']:g} | {ratio:.0%} | {_answer(a)} |"
        )


def _answer(out: dict[str, Any]) -> str:
    r = out["recommendation"]
    return f"{r['instance_type']} x{r['max_instance_count']} (min {r['min_instance_count']})"


if __name__ == "__main__":
    main()
