"""Benchmark: the highest TPS one Gatling injector (the project's jar) holds within 2% of target,
and the JVM start-up time each load step pays.

Against a fast loopback server by default (tests/gatling/loopback_server.py, answering in
microseconds), so the injector, not the server, is what saturates; or against a running runtime
emulator with --url/--endpoint (its endpoint must have the capacity for the TPS tried).

    .venv/bin/python bench/gatling_max_tps.py                       # 250 .. 4000 TPS, 10 s each
    .venv/bin/python bench/gatling_max_tps.py --tps 1000 2000 --seconds 20 --signed

Prints one line per step and a summary; stops at the first TPS that misses the 2% band.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "gatling"))
sys.path.insert(0, str(ROOT / "plugins"))

from loopback_server import LoopbackSageMaker  # noqa: E402
from sagemaker_sizing.adapters.gatling_command import (  # noqa: E402
    GatlingStep,
    ScenarioRequest,
    gatling_args,
    result_folder,
)
from sagemaker_sizing.paths import GATLING_JAR  # noqa: E402

LOG = logging.getLogger("bench.gatling")
CLI = Path(sys.executable).parent / "sagemaker-sizing"
TOLERANCE = 0.02


def run_step(
    url: str,
    endpoint: str,
    tps: float,
    seconds: float,
    work: Path,
    env: dict[str, str],
    jvm_opts: list[str] | None = None,
    warm_up_seconds: float = 3,
    server: LoopbackSageMaker | None = None,
    cds: bool = True,
) -> dict[str, Any]:
    payload = work / "payload.json"
    payload.write_text('{"instances": [[1.0, 2.0, 3.0, 4.0]]}')
    base = f"bench-{int(tps)}tps"
    step = GatlingStep(
        host=url,
        region="us-west-2",
        endpoint=endpoint,
        steady_state_tps=tps,
        steady_state_minutes=seconds / 60,
        requests=[ScenarioRequest(str(payload), 100)],
        output_base_name=base,
        results_dir=work / "results",
        jvm_opts=tuple(jvm_opts or ()),
        warm_up_seconds=warm_up_seconds,
        class_data_archive="auto" if cds else None,
    )
    if server is not None:
        server.seen.first_at = None
    launched = time.time()
    done = subprocess.run(
        gatling_args(step),
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    exited = time.time()
    if done.returncode != 0:
        raise RuntimeError(f"jar exited {done.returncode}: {done.stderr.strip()[-500:]}")
    folder = result_folder(work / "results", base)
    assert folder is not None
    log = folder / "simulation.log"
    parsed = json.loads(
        subprocess.run(
            [str(CLI), "parse", "--indent", "0", str(log)], capture_output=True, text=True, check=True
        ).stdout
    )
    all_ = parsed["all"]
    first_start = all_["simulation_start"] / 1000.0
    last_end = all_["simulation_end"] / 1000.0
    return {
        "target_tps": tps,
        "achieved_tps": all_["achieved_tps"],
        "ratio": all_["achieved_tps"] / tps,
        "count_total": all_["count_total"],
        "count_fail": all_["count_fail"],
        "p99_ms": all_["latency_success_p99"],
        "wall_s": exited - launched,
        # JVM start and Gatling's set-up: process launch -> first request the server saw.
        "jvm_start_s": (server.seen.first_at - launched) if server and server.seen.first_at else None,
        # Everything before the first recorded request (JVM start, warm-up load, idle second).
        "startup_s": first_start - launched,
        # Last response -> process exit: stats flush and the HTML report.
        "shutdown_s": exited - last_end,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tps", type=float, nargs="+", default=[250, 500, 1000, 1500, 2000, 3000, 4000])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--url", help="a running runtime (e.g. the emulator's runtime_url); default: own server"
    )
    parser.add_argument("--endpoint", default="bench-ep")
    parser.add_argument("--jvm-opt", action="append", default=[], help="extra JVM option (repeatable)")
    parser.add_argument("--warm-up", type=float, default=3.0, help="silent warm-up seconds (0: none)")
    parser.add_argument("--no-cds", action="store_true", help="without the class-data sharing archive")
    parser.add_argument("--signed", action="store_true", help="sign every request (SigV4, dummy credentials)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not GATLING_JAR.is_file():
        LOG.error("missing %s: run scripts/setup.sh", GATLING_JAR)
        return 1

    env = {
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "HOME": tempfile.gettempdir(),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if args.signed:
        env.update(AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="bench-secret")
    server = nullcontext(None) if args.url else LoopbackSageMaker()
    rows: list[dict[str, Any]] = []
    with server as own, tempfile.TemporaryDirectory(prefix="gatling-bench-") as tmp:
        url = args.url or own.url
        for tps in args.tps:
            row = run_step(
                url,
                args.endpoint,
                tps,
                args.seconds,
                Path(tmp),
                env,
                args.jvm_opt,
                args.warm_up,
                own,
                not args.no_cds,
            )
            rows.append(row)
            held = abs(row["ratio"] - 1) <= TOLERANCE and row["count_fail"] == 0
            LOG.info(
                "target %6.0f TPS  achieved %8.1f (%+.2f%%)  n=%d fail=%d  p99=%s ms  "
                "wall %.1f s  jvm start %s s  before first recorded %.2f s  shutdown %.2f s  %s",
                tps,
                row["achieved_tps"],
                (row["ratio"] - 1) * 100,
                row["count_total"],
                row["count_fail"],
                row["p99_ms"],
                row["wall_s"],
                f"{row['jvm_start_s']:.2f}" if row["jvm_start_s"] is not None else "-",
                row["startup_s"],
                row["shutdown_s"],
                "held" if held else "MISSED",
            )
            if not held:
                break
    held_rows = [r for r in rows if abs(r["ratio"] - 1) <= TOLERANCE and r["count_fail"] == 0]
    best = max((r["target_tps"] for r in held_rows), default=None)
    startup = sorted(r["jvm_start_s"] or r["startup_s"] for r in rows)
    shutdown = sorted(r["shutdown_s"] for r in rows)
    LOG.info(
        "highest TPS held within 2%%: %s | JVM start-up per step: median %.2f s (min %.2f, max %.2f) | "
        "shutdown+report: median %.2f s",
        best,
        startup[len(startup) // 2],
        startup[0],
        startup[-1],
        shutdown[len(shutdown) // 2],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
