"""Benchmark: how many streamed tokens (event-stream chunks) per second the runtime emulator writes
while it keeps its LLM engines' steps on time (not a test: it prints figures).

One LLM endpoint on ml.p4d.24xlarge (7 ms steps + 0.03 ms per sequence, room for 512 sequences),
driven by h2load (nghttp2's C client, HTTP/1.1, closed loop): ``C`` connections, each streaming
one answer of ``--tokens`` tokens after another, so about ``C`` sequences are always in the batch
and the runtime writes ``C`` chunks per step, one per connection. For each ``C`` it prints the
chunks written per second, the runtime's CPU, and how late the steps ended (the runtime's own
count: a step whose callback ran late delays every token of it). It keeps up while the steps stay
on time; the chunk rate it holds is the highest C x tokens/s with steps at most a few ms late.

With ``--realtime`` the runtime's threads run at SCHED_FIFO priority (bench/emulator_throughput.py's
``realtime``): the other jobs on a shared machine then cannot delay it, which isolates what the
runtime itself can hold from the machine's load.

Run: .venv/bin/python bench/llm_stream_rate.py [--sequences 100 200 300 400] [--seconds 10] [--realtime]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil
from sagemaker_sizing.local import running_local_sagemaker

INSTANCE_TYPE = "ml.p4d.24xlarge"
_OVER_5MS = ("<=10ms", "<=20ms", "<=50ms", "<=100ms", ">100ms")


def realtime(pid: int) -> None:
    """Every thread of ``pid`` at SCHED_FIFO priority (as bench/emulator_throughput.py does)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):
            os.sched_setscheduler(int(task.name), os.SCHED_FIFO, os.sched_param(50))


def state(runtime_url: str, endpoint: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{runtime_url}/_local/endpoints/{endpoint}", timeout=10) as answer:
        return dict(json.loads(answer.read()))


def deploy(local: Any, name: str) -> None:
    sagemaker = local.client("sagemaker")
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "llm",
                "InitialInstanceCount": 1,
                "InstanceType": INSTANCE_TYPE,
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 1})


def run(local: Any, name: str, sequences: int, tokens: int, seconds: float, body: Path) -> dict[str, Any]:
    h2load = shutil.which("h2load")
    if h2load is None:
        raise SystemExit("h2load is not installed: run `make setup` (Debian package nghttp2-client)")
    step_s = (7.0 + 0.03 * sequences) / 1000.0
    per_connection = max(1, round(seconds / (tokens * step_s)))
    runtime = psutil.Process(local.pids["runtime"])
    before, cpu_before = state(local.runtime_url, name), runtime.cpu_times()
    started = time.monotonic()
    subprocess.run(
        [
            h2load,
            "--h1",
            "-c",
            str(sequences),
            "-n",
            str(sequences * per_connection),
            "-d",
            str(body),
            "-H",
            "Content-Type: application/json",
            f"{local.runtime_url}/endpoints/{name}/invocations-response-stream",
        ],
        check=True,
        capture_output=True,
    )
    wall = time.monotonic() - started
    after, cpu_after = state(local.runtime_url, name), runtime.cpu_times()
    cpu = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
    chunks = after["llm"]["tokens"] - before["llm"]["tokens"]
    late_before, late_after = before["llm_steps_lateness"]["late"], after["llm_steps_lateness"]["late"]
    late = {bucket: late_after[bucket] - late_before[bucket] for bucket in late_after}
    steps = sum(late.values())
    on_time = sum(count for bucket, count in late.items() if bucket in ("<=0.5ms", "<=1ms", "<=2ms"))
    return {
        "sequences": sequences,
        "requests": sequences * per_connection,
        "wall_s": round(wall, 1),
        "chunks_per_s": round(chunks / wall),
        "runtime_cpu_percent": round(100 * cpu / wall),
        "cpu_us_per_chunk": round(1e6 * cpu / max(chunks, 1), 1),
        "steps": steps,
        "steps_within_2ms": f"{100 * on_time / max(steps, 1):.1f}%",
        "steps_over_5ms": sum(count for bucket, count in late.items() if bucket in _OVER_5MS),
        "steps_over_50ms": late["<=100ms"] + late[">100ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sequences", type=int, nargs="+", default=[100, 200, 300, 400])
    parser.add_argument("--tokens", type=int, default=200, help="output tokens per answer")
    parser.add_argument("--seconds", type=float, default=10.0, help="about how long each level runs")
    parser.add_argument("--realtime", action="store_true", help="run the runtime at SCHED_FIFO priority")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        body = Path(folder) / "body.json"
        request = {"model": "m", "prompt": "hi", "max_tokens": args.tokens, "stream": True}
        body.write_text(json.dumps(request))
        with running_local_sagemaker(
            Path(folder) / "state", llm_models=("llm",), allow_unsigned=True
        ) as local:
            if args.realtime:
                realtime(local.pids["runtime"])
            for sequences in args.sequences:
                name = f"stream-rate-{sequences}"
                deploy(local, name)  # a fresh endpoint per level: the lateness counts are runtime-wide
                print(json.dumps(run(local, name, sequences, args.tokens, args.seconds, body)), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
