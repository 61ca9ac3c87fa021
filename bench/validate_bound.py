"""Validation stays bounded: ``sagemaker-sizing validate`` on a wide walk at peaks 1000 / 10000 /
100000 TPS (both strategies), in process (fields, payload, worst case, round slots, warnings) and as
the command a user runs (a fresh interpreter, imports included).

Run: ``.venv/bin/python bench/validate_bound.py``. Before the worst case was computed, 1000 TPS took
0.35 s, 10000 TPS 15 s and 100000 TPS did not answer within 10 minutes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sagemaker_sizing.core.conf.validation import validate_conf

EXAMPLES = Path(__file__).resolve().parents[1] / "include" / "examples"
WIDE = {
    "type_walk": "ml.m5.large,ml.m5.xlarge,ml.c5.large,ml.m5.2xlarge",
    "count_walk": "1,2,3,4",
    "tps_walk": "1,5,10,20,50,100,200",
    "endurance_ramp_minutes": 10,
    "endurance_steady_state_minutes": 30,
    "endurance_retries": 3,
}
PEAKS = (1000, 10000, 100000)


def main() -> None:
    params = json.loads((EXAMPLES / "demo.conf.json").read_text()) | WIDE
    params["scenario_requests"] = [{"path": str(EXAMPLES / "sample.input.json"), "weight": 100}]
    cli = Path(sys.executable).with_name("sagemaker-sizing")
    print("| strategy | peak TPS | worst-case rounds | worst-case test cost | validate_conf s | CLI s |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for strategy in ("perfsize", "adaptive"):
            for peak in PEAKS:
                run_params = params | {"strategy": strategy, "peak_tps": peak}
                started = time.perf_counter()
                valid = validate_conf(run_params, base_dir=EXAMPLES)
                in_process = time.perf_counter() - started
                path = Path(tmp) / f"{strategy}-{peak}.json"
                path.write_text(json.dumps(run_params))
                started = time.perf_counter()
                subprocess.run(
                    [str(cli), "validate", str(path), "--max-rounds", "1000"], check=True, capture_output=True
                )
                command = time.perf_counter() - started
                print(
                    f"| {strategy} | {peak} | {valid.worst.rounds} | ${valid.worst.test_cost_usd:,.0f} "
                    f"| {in_process:.3f} | {command:.2f} |"
                )


if __name__ == "__main__":
    main()
