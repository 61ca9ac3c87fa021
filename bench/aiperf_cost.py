"""Benchmark: what AIPerf (the LLM steps' load engine) costs on this machine, and the highest request
rate it holds against a fast loopback runtime.

Each rate is one AIPerf run by the project's own command line (adapters/aiperf_command.py: the
SageMaker transport, streaming, Poisson arrivals, as a load step runs it) against
tests/fixtures/aiperf/fake_runtime.py on 127.0.0.1. Measured per run: the CPU seconds of AIPerf's
whole process tree (getrusage of the waited-for children), its start-up (launch to the first request the
runtime saw), its wall time, the start-time rate from its export against the rate asked, the
start-latency p99 (credit issued to request start: the client's back-pressure), and the project's
own load-generator verdict (core/verdicts/llm_failures.py) on the run.

    .venv/bin/python bench/aiperf_cost.py                                  # 10 .. 300 rps, 10 s each
    .venv/bin/python bench/aiperf_cost.py --rates 10 50 --seconds 5        # what make bench runs
    .venv/bin/python bench/aiperf_cost.py --tokens 20 --ttft-ms 50 --itl-ms 10   # streaming answers

The default runtime answers 16 tokens at once (no TTFT or ITL): AIPerf, not the runtime, is what
saturates. Note the machine's load (printed) beside the figures: other processes share the CPUs.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "plugins"))

from sagemaker_sizing.adapters.aiperf_command import (  # noqa: E402
    AIPerfStep,
    SyntheticPrompts,
    aiperf_environment,
    aiperf_shell_command,
)
from sagemaker_sizing.core.llm.exports import read_export  # noqa: E402
from sagemaker_sizing.core.verdicts.llm_failures import load_generator_problems  # noqa: E402
from sagemaker_sizing.paths import AIPERF_BIN  # noqa: E402

from tests.fixtures.aiperf.fake_runtime import Behaviour, FakeRuntime  # noqa: E402


def children_cpu_s() -> float:
    """CPU seconds of every waited-for descendant so far (bash -> timeout -> AIPerf and its
    processes, each waited for by its parent)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_rate(rate: float, seconds: float, behaviour: Behaviour, work: Path) -> dict[str, Any]:
    step_dir = work / f"r{rate:g}"
    step_dir.mkdir(parents=True)
    with FakeRuntime(behaviour) as runtime:
        step = AIPerfStep(
            endpoint="ok",
            region="us-east-1",
            model="bench-llm",
            rate=rate,
            duration_s=seconds,
            artifact_dir=step_dir,
            prompts=SyntheticPrompts(input_tokens_mean=64, output_tokens_mean=behaviour.tokens),
            url=runtime.url,
            warm_up_s=0,
            request_timeout_s=30,
        )
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env = aiperf_environment(base, {"AWS_ACCESS_KEY_ID": "AKIDBENCH", "AWS_SECRET_ACCESS_KEY": "bench"})
        cpu_before = children_cpu_s()
        launched = time.time()
        done = subprocess.run(
            ["bash", "-c", aiperf_shell_command(step)],
            env=env,
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        exited = time.time()
        total_cpu = children_cpu_s() - cpu_before
        stats = runtime.stats()
    export = read_export(step_dir)
    m = export.metrics
    problems = load_generator_problems(export, rate=rate, duration_s=seconds)
    return {
        "rate": rate,
        "exit": done.returncode,
        "requests": m.requests,
        "offered": m.offered_rate,
        "ratio": m.offered_rate / rate,
        "start_p99_ms": export.start_latency_p99_ms,
        "ttft_p99_ms": m.ttft_ms.p99,
        "errors": m.ko,
        "startup_s": (stats["first_at"] - launched) if stats["first_at"] else None,
        "wall_s": exited - launched,
        "cpu_s": total_cpu,
        "verdict": "held" if not problems else "NOT held: " + "; ".join(problems),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rates", type=float, nargs="+", default=[10, 50, 100, 150, 200, 300])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--ttft-ms", type=float, default=0)
    parser.add_argument("--itl-ms", type=float, default=0)
    args = parser.parse_args()
    if not AIPERF_BIN.is_file():
        print(f"AIPerf is not installed at {AIPERF_BIN}: run make setup", file=sys.stderr)
        return 1
    behaviour = Behaviour(tokens=args.tokens, ttft_ms=args.ttft_ms, itl_ms=args.itl_ms)
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    print(f"runtime: {args.tokens} tokens, TTFT {args.ttft_ms:g} ms, ITL {args.itl_ms:g} ms")
    print(f"{args.seconds:g} s per rate")
    print(
        "| rate asked | sent | offered /s | ratio | start p99 ms | TTFT p99 ms | errors | start-up s "
        "| wall s | CPU s | CPU ms/request | verdict |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-aiperf-") as tmp:
        for rate in args.rates:
            row = run_rate(rate, args.seconds, behaviour, Path(tmp))
            rows.append(row)
            per_request = 1000 * row["cpu_s"] / row["requests"] if row["requests"] else float("nan")
            print(
                f"| {rate:g} | {row['requests']} | {row['offered']:.1f} | {row['ratio']:.2f} | "
                f"{row['start_p99_ms']:.1f} | {row['ttft_p99_ms'] or float('nan'):.1f} | {row['errors']} | "
                f"{row['startup_s'] or float('nan'):.1f} | {row['wall_s']:.1f} | {row['cpu_s']:.1f} | "
                f"{per_request:.1f} | {row['verdict']} |",
                flush=True,
            )
    if len(rows) >= 2:
        # Marginal cost: the CPU a request adds, from the two lowest rates (fixed cost cancels out).
        low, high = sorted(rows, key=lambda r: r["requests"])[:2]
        if high["requests"] > low["requests"]:
            marginal = (high["cpu_s"] - low["cpu_s"]) / (high["requests"] - low["requests"])
            fixed = low["cpu_s"] - marginal * low["requests"]
            print(
                f"fixed cost per run ~{fixed:.1f} CPU s; marginal ~{1000 * marginal:.1f} CPU ms per request"
            )
    held = [r["rate"] for r in rows if r["verdict"] == "held"]
    print(f"highest rate held: {max(held):g} requests/s" if held else "no rate held")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
