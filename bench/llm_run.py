"""A whole LLM sizing run's wall time (issue 24): ``sagemaker-sizing demo --conf`` on the LLM example.

Runs the demo as a user does (validate, a local SageMaker of its own, the DAG with ``airflow dags
test``: rounds of deploy, AIPerf load, parse; report; teardown) and times it from the command's
start: when the DAG run starts (set-up before it: validation, the local SageMaker coming up), each
measured step as the demo prints it, and the end. Then reads the run's recommendation.json:
rounds, steps, load-test minutes, the answer; and the endpoints the demo says are left. The load
average (1 min) before and after is printed beside the figures: on a shared machine they move.

    .venv/bin/python bench/llm_run.py [--conf include/examples/llm.conf.json] [--results-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / ".venv" / "bin" / "sagemaker-sizing"
_REPORT = re.compile(r"^report: (\S+)")
_LEFT = re.compile(r"endpoints left on this demo's local SageMaker: (\d+)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conf", type=Path, default=ROOT / "include" / "examples" / "llm.conf.json")
    parser.add_argument("--results-dir", type=Path, default=None, help="default: a temporary folder")
    args = parser.parse_args(argv)
    results = args.results_dir or Path(tempfile.mkdtemp(prefix="llm-run-"))
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    command = [str(DEMO), "demo", "--conf", str(args.conf), "--results-dir", str(results)]
    print("$ " + " ".join(command), flush=True)
    dag_started = None
    report = None
    left = None
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            elapsed = time.monotonic() - started
            print(f"[{elapsed:6.1f} s] {line}", end="", flush=True)
            if dag_started is None and line.startswith("running the "):
                dag_started = elapsed
            if found := _REPORT.match(line):
                report = Path(found.group(1))
            if found := _LEFT.search(line):
                left = int(found.group(1))
    wall = time.monotonic() - started
    load_after = os.getloadavg()[0]
    data = {}
    if report is not None and (report.parent / "recommendation.json").is_file():
        data = json.loads((report.parent / "recommendation.json").read_text())
    costs, summary = data.get("costs") or {}, data.get("summary") or {}
    setup = dag_started or 0.0
    print()
    print(f"exit code {proc.returncode}; status {data.get('status')}: {data.get('headline')}")
    print(
        f"whole LLM run: wall {wall:.1f} s (set-up before the DAG run {setup:.1f} s, DAG run and end "
        f"{wall - setup:.1f} s); rounds {summary.get('rounds')}, steps {summary.get('steps')}, "
        f"load-test minutes {costs.get('load_test_minutes')}; "
        f"endpoints left {left}; load average {load_before:.1f} -> {load_after:.1f}"
    )
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
