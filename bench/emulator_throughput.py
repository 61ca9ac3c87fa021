"""Benchmark of the local SageMaker runtime emulator (not a test: it prints figures).

1. Throughput: wrk (closed loop, keep-alive, 1 thread, 64 connections) against an endpoint far from
   its capacity, so the emulator itself is the limit. The emulator is one asyncio process = one core.
2. Added latency at 1,000 req/s: h2load (nghttp2's C load generator, HTTP/1.1) at a constant rate,
   open loop: 50 keep-alive connections opened 1 ms apart, each sending 20 req/s, so a request
   leaves every millisecond whatever the answers do. Every request's latency comes from h2load's
   per-request log; "added" = that latency minus the model's service time (noise is set to 0 in
   the bench profile, so every request's service time is the same, read from /_local/capacity).

Neither client is a Python process. With --pin (the default on a machine with 2+ cores) the
emulator's threads run on CPU 0 and the load client and the moto control plane on CPU 1, so the
client does not take the emulator's core. Both clients (Debian packages wrk and nghttp2-client)
are installed by scripts/setup.sh.

Run: .venv/bin/python bench/emulator_throughput.py [--seconds 5] [--rate 1000] [--no-pin]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from sagemaker_sizing.local import running_local_sagemaker
from sagemaker_sizing.local.capacity import DEFAULT_PROFILE_PATH

PAYLOAD = '{"message": "hello world"}'
SERVICE_MS = 1.0  # base service time of the bench profile (divided by the instance type's speed)
EMULATOR_CPU, CLIENT_CPU = 0, 1
RT_PRIORITY = 50
CONNECTIONS = 50  # h2load connections for the open-loop run; each sends rate / CONNECTIONS req/s


def ensure_tool(binary: str, package: str) -> str:
    """The path of ``binary``; scripts/setup.sh installs Debian ``package`` (a bench installs nothing)."""
    found = shutil.which(binary)
    if found is None:
        raise SystemExit(
            f"{binary} is not installed: run `make setup` (scripts/setup.sh installs the Debian package"
            f" {package})"
        )
    return found


def bench_profile(directory: Path) -> Path:
    data = json.loads(DEFAULT_PROFILE_PATH.read_text())
    data["payload"] = {"base_ms": SERVICE_MS, "per_kib_ms": 0.0, "default_bytes": len(PAYLOAD)}
    data["noise"] = 0.0  # every request takes the same service time, so "added" is exact per request
    path = directory / "bench_profile.json"
    path.write_text(json.dumps(data))
    return path


def pin(pid: int, cpu: int) -> None:
    """Pin every thread of ``pid`` to ``cpu``."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):  # a thread that has just ended
            os.sched_setaffinity(int(task.name), {cpu})


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            found.extend(int(child) for child in (task / "children").read_text().split())
    return found


def realtime(pid: int) -> None:
    """Give every thread of ``pid`` a real-time (SCHED_FIFO) priority: other work on the machine
    then cannot delay it (the kernel still keeps 5% of each second for everything else)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):
            os.sched_setscheduler(int(task.name), os.SCHED_FIFO, os.sched_param(RT_PRIORITY))


def on_cpu(command: list[str], cpu: int | None, rt: bool = False) -> list[str]:
    pinned = command if cpu is None else ["taskset", "-c", str(cpu), *command]
    return ["chrt", "-f", str(RT_PRIORITY), *pinned] if rt else pinned


def throughput(wrk: str, url: str, seconds: float, directory: Path, cpu: int | None) -> float:
    script = directory / "post.lua"
    script.write_text(
        f"wrk.method = 'POST'\nwrk.body = '{PAYLOAD}'\nwrk.headers['Content-Type'] = 'application/json'\n"
    )
    out = subprocess.run(
        on_cpu([wrk, "-t1", "-c64", f"-d{seconds:g}s", "-s", str(script), url], cpu),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    print(out)
    if "Non-2xx" in out:
        raise SystemExit("errors during the throughput run")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(match.group(1)) if match else 0.0


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def added_latency(
    h2load: str,
    url: str,
    rate: float,
    seconds: float,
    service_ms: float,
    directory: Path,
    cpu: int | None,
    rt: bool,
) -> dict[str, float]:
    body = directory / "body.json"
    body.write_text(PAYLOAD)
    log = directory / "h2load.tsv"
    log.unlink(missing_ok=True)
    command = [
        h2load,
        "--h1",
        f"--clients={CONNECTIONS}",
        "--rate=1",  # one new connection per period: their request timers are staggered
        f"--rate-period={max(1, round(1000.0 / rate))}ms",
        f"--rps={rate / CONNECTIONS:g}",
        f"--requests={int(rate * seconds)}",
        f"--data={body}",
        "--header=Content-Type: application/json",
        f"--log-file={log}",
        url,
    ]
    out = subprocess.run(on_cpu(command, cpu, rt), check=True, capture_output=True, text=True).stdout
    failed = re.search(r"(\d+) failed", out)  # requests h2load could not complete
    rows = [line.split("\t") for line in log.read_text().splitlines() if line]
    starts = sorted(int(row[0]) for row in rows)
    latencies = sorted(int(row[2]) / 1000.0 for row in rows)
    gaps = sorted((b - a) / 1000.0 for a, b in itertools.pairwise(starts))
    elapsed_s = (starts[-1] - starts[0]) / 1e6
    added = [latency - service_ms for latency in latencies]
    return {
        "requests": len(rows),
        "errors": sum(1 for row in rows if row[1] != "200") + (int(failed[1]) if failed else 0),
        "offered_rps": round((len(starts) - 1) / elapsed_s, 1),
        "send_gap_ms_p50": _quantile(gaps, 0.5),
        "send_gap_ms_p99": _quantile(gaps, 0.99),
        "service_ms": service_ms,
        "latency_p50_ms": _quantile(latencies, 0.5),
        "latency_p99_ms": _quantile(latencies, 0.99),
        "added_p50_ms": round(_quantile(added, 0.5), 3),
        "added_p99_ms": round(_quantile(added, 0.99), 3),
        "added_p999_ms": round(_quantile(added, 0.999), 3),
        "added_max_ms": round(added[-1], 3),
        "added_min_ms": round(added[0], 3),
    }


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split(" v")[0].rsplit(" ", 2)[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=1000.0, help="open-loop rate of the latency run")
    parser.add_argument("--save-log", type=Path, help="copy h2load's per-request log (start us, status, us)")
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="run the emulator and h2load at SCHED_FIFO priority during the latency run (root), "
        "so other work on a shared machine does not delay them",
    )
    parser.add_argument("--pin", action=argparse.BooleanOptionalAction, default=(os.cpu_count() or 1) >= 2)
    args = parser.parse_args()
    wrk = ensure_tool("wrk", "wrk")
    h2load = ensure_tool("h2load", "nghttp2-client")
    client_cpu = CLIENT_CPU if args.pin else None
    load_before = load_average()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_local_sagemaker(
            # wrk/h2load send unsigned requests: allowed explicitly (the default demands SigV4).
            Path(tmp) / "state",
            profile=bench_profile(Path(tmp)),
            models=("bench-model",),
            allow_unsigned=True,
        ) as local,
    ):
        if args.pin:
            pin(local.pids["runtime"], EMULATOR_CPU)
            # The control plane, and the runtime's child that polls it, are not on the answer path.
            for pid in [local.pids["control_plane"], *children(local.pids["runtime"])]:
                pin(pid, CLIENT_CPU)
        sagemaker = local.client("sagemaker")
        sagemaker.create_endpoint_config(
            EndpointConfigName="bench-config",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "bench-model",
                    "InitialInstanceCount": 100,
                    "InstanceType": "ml.c5.4xlarge",
                }
            ],
        )
        sagemaker.create_endpoint(EndpointName="bench", EndpointConfigName="bench-config")
        time.sleep(1.5)  # let the runtime's poll see it
        with urllib.request.urlopen(f"{local.runtime_url}/_local/capacity?endpoint=bench") as response:
            service_ms = float(json.loads(response.read())["service_ms"])
        url = f"{local.runtime_url}/endpoints/bench/invocations"
        rps = throughput(wrk, url, args.seconds, Path(tmp), client_cpu)
        if args.realtime:
            realtime(local.pids["runtime"])
        latency = added_latency(
            h2load, url, args.rate, args.seconds, service_ms, Path(tmp), client_cpu, args.realtime
        )
        if args.save_log:
            shutil.copy(Path(tmp) / "h2load.tsv", args.save_log)
    figures = {
        "throughput_rps": rps,
        f"at_{args.rate:g}_rps": latency,
        "pinned": args.pin,
        "realtime": args.realtime,
        "load_average_before_after": [load_before, load_average()],
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
