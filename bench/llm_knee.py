"""Benchmark: the local SageMaker's measured LLM knee against its analytical model (not a test: it
prints figures).

One LLM endpoint (``--type``, one instance) on a local SageMaker of its own, driven by NVIDIA
AIPerf (the project's LLM load engine: SageMaker transport, SigV4, streaming, Poisson arrivals,
``--use-server-token-count``) at rising request rates, each a multiple of the analytical knee
(``local/llm_knee.py``: the highest rate whose TTFT p99 and ITL p99 meet the limits). Each rate is
judged as a sizing step is (no error, TTFT p99 and ITL p99 within the limits, AIPerf's own p99s);
the measured knee is interpolated between the highest passing rate and the first failing one, on
the ratio to its limit of the metric that failed. Beside each measurement: the analytical model's
p99 (a long run's), and the serving model simulated in virtual time for runs as long as AIPerf's
(the median of 11): a short run's p99 reads below a long run's (it catches fewer of the slow load
swings), so short steps put the knee above the analytical one. All at the rate AIPerf offered and
the input tokens the runtime counted.

AIPerf comes from set-up (``.aiperf/venv/bin/aiperf`` and its offline tokenizer ``.aiperf/tokenizer``)
or ``--aiperf`` / ``--tokenizer``; without it the bench stops and says so (it measures nothing).

Run: .venv/bin/python bench/llm_knee.py [--type ml.g5.xlarge] [--input-tokens 256] [--output-tokens 64]
     [--ttft-p99-ms 1000] [--itl-p99-ms 100] [--rates 0.6 0.8 0.9 1.0 1.1 1.25] [--seconds 60]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagemaker_sizing.local import running_local_sagemaker
from sagemaker_sizing.local.llm_knee import capacity, knee_rps, predict
from sagemaker_sizing.local.llm_profiles import load_llm_profiles
from sagemaker_sizing.local.llm_simulation import simulate
from sagemaker_sizing.paths import PROJECT_ROOT

ENDPOINT = "llm-knee"
_HEADER = (
    f"{'rate':>6} {'offered':>7} {'reqs':>5} {'err':>4} {'ISL':>6} {'TTFT p99':>9} {'sim':>7} {'model':>7} "
    f"{'ITL p99':>8} {'sim':>6} {'model':>6} {'client p99':>10}  verdict"
)


@dataclass(frozen=True)
class Step:
    rate: float
    requests: int
    errors: int
    offered_rate: float
    input_tokens: float
    ttft_p99_ms: float
    itl_p99_ms: float
    predicted_ttft_p99_ms: float  # the analytical model (a long run's p99)
    predicted_itl_p99_ms: float
    simulated_ttft_p99_ms: float  # the model in virtual time, runs as long as this one (median of 11)
    simulated_itl_p99_ms: float
    client_start_p99_ms: float  # AIPerf's credit_to_start_latency: its own lag behind the schedule

    def ratios(self, limits: tuple[float, float]) -> tuple[float, float]:
        return self.ttft_p99_ms / limits[0], self.itl_p99_ms / limits[1]

    def passes(self, limits: tuple[float, float]) -> bool:
        return self.errors == 0 and max(self.ratios(limits)) <= 1.0


def find_aiperf(args: argparse.Namespace) -> tuple[str, str]:
    aiperf = args.aiperf or os.environ.get("AIPERF") or str(PROJECT_ROOT / ".aiperf/venv/bin/aiperf")
    tokenizer = args.tokenizer or str(PROJECT_ROOT / ".aiperf/tokenizer")
    if not Path(aiperf).is_file() or not Path(tokenizer, "tokenizer.json").is_file():
        raise SystemExit(
            f"AIPerf not found ({aiperf}, tokenizer {tokenizer}): `make setup` installs both "
            "(.aiperf/), or pass --aiperf and --tokenizer. Nothing was measured."
        )
    return aiperf, tokenizer


def offered_rate(jsonl: Path) -> float:
    """Requests AIPerf started per second in the measured phase."""
    starts = sorted(
        record["metadata"]["request_start_ns"]
        for record in map(json.loads, jsonl.read_text().splitlines())
        if record["metadata"].get("benchmark_phase") == "profiling"
    )
    return (len(starts) - 1) / ((starts[-1] - starts[0]) / 1e9) if len(starts) > 1 else 0.0


def run_aiperf(
    local: Any, aiperf: str, tokenizer: str, rate: float, args: argparse.Namespace, folder: Path
) -> dict[str, Any]:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        **local.aws_env(),
    }
    argv = [
        aiperf, "profile", "-m", "local-llm", "--endpoint-type", "chat", "--streaming",
        "--sagemaker-endpoint-name", ENDPOINT, "--aws-region", local.region, "--url", local.runtime_url,
        "--tokenizer", tokenizer, "--use-server-token-count",
        "--request-rate", f"{rate:.4f}", "--arrival-pattern", "poisson", "--random-seed", "1",
        "--benchmark-duration", str(args.seconds), "--benchmark-grace-period", "120",
        "--request-timeout-seconds", "120", "--warmup-request-count", str(max(5, round(rate * 3))),
        "--isl", str(args.input_tokens), "--isl-stddev", "0",
        "--osl", str(args.output_tokens), "--osl-stddev", "0", "--extra-inputs", "ignore_eos:true",
        "--no-server-metrics", "--no-gpu-telemetry", "--ui-type", "none", "--artifact-dir", str(folder),
    ]  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    summary = folder / "profile_export_aiperf.json"
    if not summary.is_file():
        raise SystemExit(
            f"AIPerf wrote no summary (rc {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    data = dict(json.loads(summary.read_text()))
    data["offered_rate"] = offered_rate(folder / "profile_export.jsonl")
    return data


def step(data: dict[str, Any], rate: float, args: argparse.Namespace) -> Step:
    spec = load_llm_profiles().model(None).instance(args.type)
    input_tokens = float(data["input_sequence_length"]["avg"])
    offered = float(data["offered_rate"])
    profiles = load_llm_profiles()
    predicted = predict(spec, round(input_tokens), args.output_tokens, offered, profiles.noise)
    runs = [
        simulate(
            profiles,
            profiles.model(None),
            args.type,
            rate=offered,
            input_tokens=round(input_tokens),
            output_tokens=args.output_tokens,
            duration_s=args.seconds + 3.0,
            seed=seed,
            warm_up_s=3.0,
        )
        for seed in range(1, 12)
    ]
    return Step(
        rate=rate,
        requests=int(data["request_count"]["avg"]),
        errors=int((data.get("error_request_count") or {"avg": 0})["avg"]),
        offered_rate=offered,
        input_tokens=input_tokens,
        ttft_p99_ms=float(data["time_to_first_token"]["p99"]),
        itl_p99_ms=float(data["inter_token_latency"]["p99"]),
        predicted_ttft_p99_ms=predicted.ttft_p99_ms,
        predicted_itl_p99_ms=predicted.itl_p99_ms,
        simulated_ttft_p99_ms=statistics.median(run.ttft_p99_ms for run in runs),
        simulated_itl_p99_ms=statistics.median(run.itl_p99_ms for run in runs),
        client_start_p99_ms=float(data["credit_to_start_latency"]["p99"]),
    )


def _row(step: Step, limits: tuple[float, float]) -> str:
    return (
        f"{step.rate:6.2f} {step.offered_rate:7.2f} {step.requests:5d} {step.errors:4d} "
        f"{step.input_tokens:6.1f} {step.ttft_p99_ms:9.1f} {step.simulated_ttft_p99_ms:7.1f} "
        f"{step.predicted_ttft_p99_ms:7.1f} {step.itl_p99_ms:8.1f} {step.simulated_itl_p99_ms:6.1f} "
        f"{step.predicted_itl_p99_ms:6.1f} {step.client_start_p99_ms:10.1f}  "
        + ("pass" if step.passes(limits) else "FAIL")
    )


def measured_knee(steps: list[Step], limits: tuple[float, float]) -> tuple[str, float | None]:
    """Interpolated between the highest rate that passes (every lower one passing) and the next, on
    the rates AIPerf offered (a Poisson schedule's own count differs from the asked rate by a few %)."""
    passing: Step | None = None
    for current in steps:
        if current.passes(limits):
            passing = current
            continue
        if passing is None:
            return "below the lowest rate tried", None
        worst = max(range(2), key=lambda i: current.ratios(limits)[i])
        low, high = passing.ratios(limits)[worst], current.ratios(limits)[worst]
        share = (1.0 - low) / (high - low) if high > low and current.errors == 0 else 0.0
        return "interpolated", passing.offered_rate + share * (current.offered_rate - passing.offered_rate)
    return "above the highest rate tried", None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--type", default="ml.g5.xlarge")
    parser.add_argument("--input-tokens", type=int, default=256)
    parser.add_argument("--output-tokens", type=int, default=64)
    parser.add_argument("--ttft-p99-ms", type=float, default=1000.0)
    parser.add_argument("--itl-p99-ms", type=float, default=100.0)
    parser.add_argument("--rates", type=float, nargs="+", default=[0.6, 0.8, 0.9, 1.0, 1.1, 1.25])
    parser.add_argument("--seconds", type=int, default=60, help="AIPerf's benchmark duration per rate")
    parser.add_argument("--aiperf", default=None)
    parser.add_argument("--tokenizer", default=None)
    args = parser.parse_args()
    aiperf, tokenizer = find_aiperf(args)
    profiles = load_llm_profiles()
    spec = profiles.model(None).instance(args.type)
    limits = (args.ttft_p99_ms, args.itl_p99_ms)

    def analytical(input_tokens: int) -> float:
        return knee_rps(
            spec,
            input_tokens,
            args.output_tokens,
            ttft_p99_ms=limits[0],
            itl_p99_ms=limits[1],
            noise=profiles.noise,
        )

    knee = analytical(args.input_tokens)
    saturation = capacity(spec, args.input_tokens, args.output_tokens).saturation_rps
    print(f"{args.type}, {args.input_tokens} + {args.output_tokens} tokens, ", end="")
    print(f"TTFT p99 <= {limits[0]:g} ms, ITL p99 <= {limits[1]:g} ms")
    print(f"analytical knee {knee:.2f} req/s (saturation {saturation:.2f})")
    print(f"load average before: {os.getloadavg()[0]:.2f}; AIPerf {args.seconds} s per rate")
    steps: list[Step] = []
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory() as folder,
        running_local_sagemaker(Path(folder) / "state", llm_models=("llm",)) as local,
    ):
        sagemaker = local.client("sagemaker")
        variant = {
            "VariantName": "AllTraffic",
            "ModelName": "llm",
            "InitialInstanceCount": 1,
            "InstanceType": args.type,
        }
        sagemaker.create_endpoint_config(EndpointConfigName=ENDPOINT, ProductionVariants=[variant])
        sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=ENDPOINT)
        sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=ENDPOINT, WaiterConfig={"Delay": 1})
        print(_HEADER)
        for multiple in args.rates:
            rate = knee * multiple
            data = run_aiperf(local, aiperf, tokenizer, rate, args, Path(folder) / f"rate-{multiple}")
            current = step(data, rate, args)
            steps.append(current)
            print(_row(current, limits), flush=True)
    how, measured = measured_knee(steps, limits)
    at_counted = analytical(round(sum(s.input_tokens for s in steps) / len(steps)))
    simulated_steps = [
        dataclasses.replace(
            s, errors=0, ttft_p99_ms=s.simulated_ttft_p99_ms, itl_p99_ms=s.simulated_itl_p99_ms
        )
        for s in steps
    ]
    _, simulated = measured_knee(simulated_steps, limits)
    if simulated is not None:
        print(f"the model simulated for {args.seconds} s runs at the same rates: knee {simulated:.2f} req/s")
    print(f"load average after: {os.getloadavg()[0]:.2f}; {time.monotonic() - started:.0f} s")
    if measured is None:
        print(f"measured knee: {how}; analytical {at_counted:.2f} req/s")
        return
    difference = 100 * (measured - at_counted) / at_counted
    print(f"measured knee {measured:.2f} req/s ({how}); analytical {at_counted:.2f} req/s ", end="")
    print(f"at the counted input tokens: {difference:+.1f}%")


if __name__ == "__main__":
    main()
