"""Benchmark of the local SageMaker runtime emulator (not a test: it prints figures).

1. Throughput: wrk (closed loop, keep-alive, 1 thread, 64 connections) against an endpoint far from
   its capacity, so the emulator itself is the limit. The emulator is one asyncio process = one core.
2. Added latency at 1,000 req/s: an open-loop aiohttp client in its own process, evenly spaced
   arrivals; latency minus the model's service time (1 ms) = what the emulator (and the client) add.

Run: .venv/bin/python bench/emulator_throughput.py [--seconds 5]   (installs wrk with apt if missing)
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sagemaker_sizing.local import running_local_sagemaker
from sagemaker_sizing.local.capacity import DEFAULT_PROFILE_PATH

PAYLOAD = '{"message": "hello world"}'
SERVICE_MS = 1.0


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
        found = shutil.which("wrk")
    assert found, "wrk is not installed"
    return found


def bench_profile(directory: Path) -> Path:
    data = json.loads(DEFAULT_PROFILE_PATH.read_text())
    data["payload"] = {"base_ms": SERVICE_MS, "per_kib_ms": 0.0, "default_bytes": len(PAYLOAD)}
    path = directory / "bench_profile.json"
    path.write_text(json.dumps(data))
    return path


def throughput(wrk: str, url: str, seconds: float, directory: Path) -> float:
    script = directory / "post.lua"
    script.write_text(
        f"wrk.method = 'POST'\nwrk.body = '{PAYLOAD}'\nwrk.headers['Content-Type'] = 'application/json'\n"
    )
    out = subprocess.run(
        [wrk, "-t1", "-c64", f"-d{seconds:g}s", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    print(out)
    if "Non-2xx" in out:
        raise SystemExit("errors during the throughput run")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(match.group(1)) if match else 0.0


OPEN_LOOP_CLIENT = r"""
import asyncio, json, sys, time
import aiohttp
url, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
body = b'{"message": "hello world"}'
lat, bad = [], 0
async def one(s):
    global bad
    t = time.perf_counter()
    async with s.post(url, data=body) as r:
        await r.read()
        if r.status != 200: bad += 1
    lat.append((time.perf_counter() - t) * 1000)
async def main():
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
        for _ in range(5): await asyncio.gather(*(one(s) for _ in range(64)))  # open 64 connections up front
        lat.clear()
        loop = asyncio.get_running_loop(); start = loop.time(); tasks = []
        for i in range(int(rate * seconds)):
            d = start + i / rate - loop.time()
            if d > 0: await asyncio.sleep(d)
            tasks.append(asyncio.ensure_future(one(s)))
        await asyncio.gather(*tasks)
        elapsed = loop.time() - start
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
    print(json.dumps({"sent": len(lat), "errors": bad, "achieved_rps": len(lat) / elapsed,
                      "p50_ms": q(0.5), "p99_ms": q(0.99), "max_ms": lat[-1]}))
import uvloop
uvloop.run(main())
"""


def added_latency(url: str, rate: float, seconds: float) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", OPEN_LOOP_CLIENT, url, str(rate), str(seconds)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures: dict[str, float] = json.loads(out)
    figures["added_p50_ms"] = figures["p50_ms"] - SERVICE_MS
    figures["added_p99_ms"] = figures["p99_ms"] - SERVICE_MS * 1.05
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    wrk = ensure_wrk()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_local_sagemaker(
            Path(tmp) / "state", profile=bench_profile(Path(tmp)), models=("bench-model",)
        ) as local,
    ):
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
        url = f"{local.runtime_url}/endpoints/bench/invocations"
        rps = throughput(wrk, url, args.seconds, Path(tmp))
        latency = added_latency(url, 1000.0, args.seconds)
    print(json.dumps({"throughput_rps": rps, "at_1000_rps": latency}, indent=2))


if __name__ == "__main__":
    main()
