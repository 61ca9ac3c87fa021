"""Shared by the walk tests (not a test module): a conf builder and a driver answering steps by a rule."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.conf.model import SizingConf, load_conf
from sagemaker_sizing.core.model import StepConfig, StepResult
from sagemaker_sizing.core.walk import next_batch

if TYPE_CHECKING:
    from collections.abc import Callable

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"


def make_conf(**overrides: Any) -> SizingConf:
    raw: dict[str, Any] = {
        "region": "us-west-2",
        "endpoint_name": "e",
        "endpoint_config_name": "ec",
        "model_name": "m",
        "scenario_requests": [{"path": "sample.input.json", "weight": 100}],
        "peak_tps": 100,
        "latency_success_p99": 500,
        "percent_fail": 1,
        "type_walk": "ml.m5.large,ml.m5.xlarge",
        "count_walk": "1",
        "tps_walk": "10,20,30,40,50",
        "duration_minutes": 3,
        "endurance_ramp_start_tps": 0,
        "endurance_ramp_minutes": 10,
        "endurance_steady_state_minutes": 30,
        "endurance_retries": 3,
        "strategy": "perfsize",
    }
    raw.update(overrides)
    return load_conf(raw, base_dir=EXAMPLES)


def make_llm_conf(**overrides: Any) -> SizingConf:
    """An LLM conf (workload llm): peak 6 req/s, three GPU types, short steps."""
    raw: dict[str, Any] = {
        "workload": "llm",
        "region": "us-east-1",
        "endpoint_name": "e",
        "endpoint_config_name": "ec",
        "model_name": "m",
        "peak_rps": 6,
        "ttft_p99_ms": 1500,
        "itl_p99_ms": 60,
        "latency_success_p99": 10000,
        "percent_fail": 1,
        "type_walk": "ml.g5.xlarge,ml.g6e.xlarge,ml.g6.xlarge",
        "llm_start_rps": 2,
        "duration_minutes": 0.5,
        "endurance_ramp_start_tps": 1,
        "endurance_ramp_minutes": 0.5,
        "endurance_steady_state_minutes": 1,
        "endurance_retries": 1,
    }
    raw.update(overrides)
    return load_conf({k: v for k, v in raw.items() if v is not None}, base_dir=EXAMPLES)


def drive(conf: SizingConf, rule: Callable[[StepConfig], bool], limit: int = 200) -> list[StepResult]:
    results: list[StepResult] = []
    for round_number in range(1, limit):
        batch = next_batch(conf, results)
        if not batch:
            return results
        results += [StepResult(s, round_number, rule(s), "") for s in batch]
    raise AssertionError("walk did not finish")


def scripted(outcomes: list[bool]) -> Callable[[StepConfig], bool]:
    """Answers steps in order from a list (for one-step-per-round walks)."""
    answers = iter(outcomes)
    return lambda _step: next(answers)
