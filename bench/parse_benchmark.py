"""Parse benchmark: our parser against perfsize 0.1.11's GatlingResultManager.parse, whole process.

Each side runs as a fresh interpreter (start-up and imports included: what a user waits for);
wall time and peak RSS (``ru_maxrss`` of that child, from ``os.wait4``) are the median of
``--repeat`` runs, taken alternately (ours, perfsize, ours, ...). Both sides get the same
bytecode-cache setting, warmed by one untimed run. The integer parts of every percentile must
agree, or the benchmark fails.

    python3 -m venv /tmp/bench-perfsize
    /tmp/bench-perfsize/bin/pip install --no-deps perfsize==0.1.11 'numpy<2' 'pandas<2' pyyaml \\
        pytz python-dateutil six
    .venv/bin/python bench/parse_make_log.py /tmp/sim-1m.log --requests 1000000
    .venv/bin/python bench/parse_benchmark.py /tmp/sim-1m.log
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = (
    "import json, sys\n"
    "from sagemaker_sizing.core.gatling import parse_log\n"
    "print(json.dumps(parse_log(sys.argv[1])['all']))\n"
)
PERFSIZE = (
    "import json, sys\n"
    "from perfsize.result.gatling import GatlingResultManager, ALL_REQUESTS\n"
    "stats = GatlingResultManager('.').parse(sys.argv[1])[ALL_REQUESTS]\n"
    "print(json.dumps({k: int(v) if v == int(v) else float(v) for k, v in stats.items()}))\n"
)
PERCENTILES = ("min", "p25", "p50", "p75", "p90", "p95", "p98", "p99", "max")


def run(argv: list[str], env: dict[str, str]) -> tuple[float, int, str, float]:
    """(wall seconds, peak RSS in MB, stdout, CPU seconds user+sys) of one child process."""
    with tempfile.TemporaryFile() as out:
        began = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if child.returncode:
        raise SystemExit(f"{argv[0]} failed with exit code {child.returncode}")
    return wall, usage.ru_maxrss // 1024, text, usage.ru_utime + usage.ru_stime


def measure_interleaved(
    sides: dict[str, list[str]], env: dict[str, str], repeat: int
) -> dict[str, dict[str, object]]:
    """Runs alternate between the sides, so a machine that slows down or speeds up (a shared VM
    does) weighs on both alike."""
    for argv in sides.values():
        run(argv, env)  # warm: bytecode cache and page cache
    runs: dict[str, list[tuple[float, int, str, float]]] = {name: [] for name in sides}
    for _ in range(repeat):
        for name, argv in sides.items():
            runs[name].append(run(argv, env))
    return {name: summarise(name, runs[name]) for name in sides}


def summarise(name: str, runs: list[tuple[float, int, str, float]]) -> dict[str, object]:
    result = {
        "name": name,
        "wall_s": statistics.median(r[0] for r in runs),
        "wall_all_s": [round(r[0], 3) for r in runs],
        "peak_rss_mb": statistics.median(r[1] for r in runs),
        "cpu_s": statistics.median(r[3] for r in runs),
        "metrics": json.loads(runs[-1][2]),
    }
    print(
        f"{name:>9}: {result['wall_s']:.3f} s wall (runs {result['wall_all_s']}), "
        f"{result['cpu_s']:.3f} s CPU, peak RSS {result['peak_rss_mb']} MB"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description="parse benchmark against perfsize 0.1.11")
    parser.add_argument("log", type=Path)
    parser.add_argument("--perfsize-python", default="/tmp/bench-perfsize/bin/python")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "bench-parse-pycache")
    log = str(args.log.resolve())
    size_mb = args.log.stat().st_size / 1e6
    print(f"log: {log} ({size_mb:.0f} MB)")
    sides = {
        "ours": [str(ROOT / ".venv/bin/python"), "-c", OURS, log],
        "perfsize": [args.perfsize_python, "-c", PERFSIZE, log],
    }
    measured = measure_interleaved(sides, env, args.repeat)
    ours, theirs = measured["ours"], measured["perfsize"]
    mismatched = []
    for p in PERCENTILES:
        key = f"latency_success_{p}"
        a, b = int(ours["metrics"][key]), int(theirs["metrics"][key])  # type: ignore[index]
        print(f"  {key:>20}: ours {ours['metrics'][key]!s:>8} perfsize {b:>6}")  # type: ignore[index]
        if a != b:
            mismatched.append(key)
    for key in ("count_success", "count_fail", "count_total"):
        if ours["metrics"][key] != theirs["metrics"][key]:  # type: ignore[index]
            mismatched.append(key)
    speed = float(theirs["wall_s"]) / float(ours["wall_s"])  # type: ignore[arg-type]
    memory = float(theirs["peak_rss_mb"]) / float(ours["peak_rss_mb"])  # type: ignore[arg-type]
    cpu = float(theirs["cpu_s"]) / float(ours["cpu_s"])  # type: ignore[arg-type]
    print(f"speed-up {speed:.1f}x wall, {cpu:.1f}x CPU; peak memory 1/{memory:.1f} of perfsize's")
    print(f"load average after the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    verdict = "MISMATCH " + ", ".join(mismatched) if mismatched else "equal"
    print(f"integer percentiles and counts: {verdict}")
    return 1 if mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
