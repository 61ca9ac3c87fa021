"""Shared by the LLM report tests (core and browser; not a test module): an LLM sizing walked
against a known knee per type, each step with the metrics AIPerf's parser gives
(``core.llm.metrics.step_metrics``: ``LlmMetrics.to_dict()`` plus the keys every step has)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sagemaker_sizing.core import walk
from sagemaker_sizing.core.conf.model import SizingConf, load_conf
from sagemaker_sizing.core.model import StepConfig, StepResult
from sagemaker_sizing.core.report.assemble import ReportContent, assemble_report

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"
# One instance's highest rate within the SLOs (req/s); 1.6 for the cheapest, listed last.
KNEE = {"ml.g5.xlarge": 2.5, "ml.g6e.xlarge": 4.2, "ml.g6.xlarge": 1.6}
OUTPUT_TOKENS = 96


# The shipped example with the peak, SLOs, tokens and types of this knee model's own.
SAMPLE = {
    "peak_rps": 6,
    "ttft_p99_ms": 1500,
    "itl_p99_ms": 60,
    "llm_input_tokens_mean": 256,
    "llm_output_tokens_mean": OUTPUT_TOKENS,
    "llm_start_rps": 2,
    "type_walk": "ml.g5.xlarge,ml.g6e.xlarge,ml.g6.xlarge",
    "count_walk": None,
    "duration_minutes": 0.4,
    "endurance_ramp_minutes": 0.3,
    "endurance_steady_state_minutes": 0.5,
}


def llm_conf(**overrides: Any) -> SizingConf:
    raw = json.loads((EXAMPLES / "llm.conf.json").read_text()) | SAMPLE | overrides
    raw = {key: value for key, value in raw.items() if value is not None}
    return load_conf(raw, base_dir=EXAMPLES)


def llm_metrics(step: StepConfig, passed: bool) -> dict[str, Any]:
    """What a step at ``step``'s rate measures on the knee model: TTFT and ITL grow towards the
    knee and jump past it."""
    rate = step.steady_state_tps
    # 1.0 at the knee; an autoscaling step is measured at the peak, on its maximum.
    count = step.scaling_max_instance_count if step.autoscaling else step.instance_count
    load = rate / int(count or 1) / KNEE[step.instance_type]
    ttft = 180 + 900 * load**3 if passed else 2400 + 800 * load
    itl = 22 + 30 * load**2 if passed else 75 + 10 * load
    e2e = ttft + itl * (OUTPUT_TOKENS - 1)
    seconds = step.steady_state_minutes * 60
    requests = round(rate * seconds)
    ko = 0 if passed else round(requests * 0.02)
    ok = requests - ko
    return {
        "requests": requests,
        "ok": ok,
        "ko": ko,
        "percent_fail": 100 * ko / requests,
        "duration_s": seconds,
        "offered_rate": round(rate * 0.98, 3),
        "ttft_ms": {"p50": ttft / 2, "p90": ttft * 0.8, "p99": ttft, "mean": ttft / 1.8, "max": ttft * 1.2},
        "itl_ms": {"p50": itl * 0.8, "p90": itl * 0.95, "p99": itl, "mean": itl * 0.85, "max": itl * 1.3},
        "e2e_ms": {"p50": e2e * 0.7, "p90": e2e * 0.9, "p99": e2e, "mean": e2e * 0.75, "max": e2e * 1.1},
        "output_tokens_per_s": ok * OUTPUT_TOKENS / seconds,
        "input_tokens_mean": 256.0,
        "output_tokens_mean": float(OUTPUT_TOKENS),
        "concurrency_mean": rate * e2e * 0.75 / 1000,
        "errors": [] if passed else [["ModelStreamError", ko]],
        "workload": "llm",
        "count_total": requests,
        "count_success": ok,
        "count_fail": ko,
        "latency_success_p50": e2e * 0.7,
        "latency_success_p99": e2e,
        "achieved_tps": round(rate * 0.98, 3),
    }


def passes(step: StepConfig, peak: float) -> bool:
    capacity = KNEE[step.instance_type]
    if step.autoscaling:  # the minimum must carry half the peak until scaled-out instances serve
        return int(step.scaling_min_instance_count or 0) * capacity >= peak / 2
    return step.steady_state_tps / step.instance_count <= capacity


def walked(conf: SizingConf | None = None) -> tuple[SizingConf, list[StepResult]]:
    conf = conf or llm_conf()
    results: list[StepResult] = []
    for round_no in range(1, 40):
        batch = walk.next_batch(conf, results)
        if not batch:
            return conf, results
        for step in batch:
            ok = passes(step, conf.peak_tps)
            reason = "within every SLO" if ok else "TTFT p99 over its SLO"
            folder = f"/runs/r/{round_no}-{step.instance_type}-{step.steady_state_tps:g}RPS"
            results.append(StepResult(step, round_no, ok, reason, llm_metrics(step, ok), folder=folder))
    raise AssertionError("the walk did not finish")


def llm_report_content(notes: tuple[str, ...] = ()) -> ReportContent:
    conf, results = walked()
    return assemble_report(conf, results, notes, round_slots=24)
