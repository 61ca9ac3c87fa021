"""A walk of the two-model components example (include/examples/components.conf.json) against a
knee per copy, as step results with an LLM step's metrics: what the walk and report tests replay."""

from __future__ import annotations

import json
from typing import Any

from sagemaker_sizing.core import walk
from sagemaker_sizing.core.components.models import component_models
from sagemaker_sizing.core.conf.model import SizingConf, load_conf
from sagemaker_sizing.core.model import StepConfig, StepResult
from sagemaker_sizing.core.report.assemble import ReportContent, assemble_report
from sagemaker_sizing.paths import PROJECT_ROOT

EXAMPLE = PROJECT_ROOT / "include" / "examples" / "components.conf.json"
# The rate one copy of each model holds on each type (req/s), and its mean seconds in the system.
KNEE = {
    ("ic-demo-chat", "ml.g5.xlarge"): 5.8,
    ("ic-demo-summarize", "ml.g5.xlarge"): 1.15,
    ("ic-demo-chat", "ml.g6e.xlarge"): 19.0,
    ("ic-demo-summarize", "ml.g6e.xlarge"): 4.45,
}
E2E_S = 2.0


def components_conf(**overrides: Any) -> SizingConf:
    raw = json.loads(EXAMPLE.read_text())
    return load_conf({**raw, **overrides}, base_dir=EXAMPLE.parent)


def model_metrics(rate: float, seconds: float, passed: bool) -> dict[str, Any]:
    """One model's AIPerf measures at ``rate`` (the keys core.llm.metrics writes)."""
    requests = max(1, round(rate * seconds))
    ttft, itl = (400.0, 40.0) if passed else (2600.0, 95.0)
    e2e = E2E_S * 1000
    return {
        "requests": requests,
        "ok": requests,
        "ko": 0,
        "percent_fail": 0.0,
        "duration_s": seconds,
        "offered_rate": rate,
        "ttft_ms": {"p50": ttft / 2, "p90": ttft * 0.8, "p99": ttft, "mean": ttft / 1.8, "max": ttft},
        "itl_ms": {"p50": itl * 0.8, "p90": itl, "p99": itl, "mean": itl * 0.85, "max": itl},
        "e2e_ms": {"p50": e2e * 0.9, "p90": e2e, "p99": e2e * 1.2, "mean": e2e, "max": e2e * 1.3},
        "output_tokens_per_s": rate * 48,
        "input_tokens_mean": 512.0,
        "output_tokens_mean": 48.0,
        "concurrency_mean": rate * E2E_S,
        "errors": [],
        "workload": "llm",
        "count_total": requests,
        "count_success": requests,
        "count_fail": 0,
        "latency_success_p50": e2e * 0.9,
        "latency_success_p99": e2e * 1.2,
        "achieved_tps": rate,
    }


def answer(conf: SizingConf, step: StepConfig, ramp_ok: bool = True) -> tuple[bool, dict[str, Any]]:
    """Each loaded model passes when its rate per copy is within its knee; a ramp as told."""
    models = component_models(conf)
    seconds = step.load_minutes * 60
    per_model: list[dict[str, Any] | None] = []
    for i, m in enumerate(models):
        if step.rates[i] <= 0:
            per_model.append(None)
            continue
        ok = (
            ramp_ok
            if step.min_copies
            else step.rates[i] / step.copies[i] <= KNEE[(m.model_name, step.instance_type)]
        )
        metrics = model_metrics(step.rates[i], seconds, ok)
        per_model.append({"model_name": m.model_name, "passed": ok, "reason": "", "metrics": metrics})
    loaded = [p for p in per_model if p]
    passed = all(p["passed"] for p in loaded)
    return passed, {**loaded[0]["metrics"], "models": per_model}


def components_walked(
    conf: SizingConf | None = None, ramp_ok: bool = True
) -> tuple[SizingConf, list[StepResult]]:
    conf = conf or components_conf()
    results: list[StepResult] = []
    for round_no in range(1, 40):
        batch = walk.next_batch(conf, results)
        if not batch:
            return conf, results
        for step in batch:
            passed, metrics = answer(conf, step, ramp_ok)
            folder = f"/runs/r/{round_no}-{step.instance_type}-{step.steady_state_tps:g}RPS"
            results.append(StepResult(step, round_no, passed, "", metrics, folder=folder))
    raise AssertionError("the walk did not finish")


def components_report_content() -> ReportContent:
    conf, results = components_walked()
    return assemble_report(conf, results, round_slots=24)
