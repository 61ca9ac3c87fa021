"""A serverless step's load: a cold-start step idles first, and no silent warm-up hides cold starts."""

from __future__ import annotations

import json
from pathlib import Path

from sagemaker_sizing.airflow.tasks.load import bash_command, gatling_step
from sagemaker_sizing.core.conf.model import load_conf
from sagemaker_sizing.core.model import LoadItem, PlanItem, StepConfig

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"


def command_of(step: StepConfig, tmp_path: Path) -> str:
    conf = load_conf(json.loads((EXAMPLES / "serverless.conf.json").read_text()), base_dir=EXAMPLES)
    item = LoadItem(PlanItem(1, "lane", step, endpoint_name="e", folder="f", injectors=1))
    return bash_command(item, gatling_step(conf, item, tmp_path, "http://127.0.0.1:1", ""))


def test_serverless_steps_have_no_warm_up_and_a_cold_start_step_sleeps_first(tmp_path):
    realtime = StepConfig("type", "ml.m5.large", 1, 20.0, 0.15)
    serverless = StepConfig(
        "serverless-cold-start", "serverless-2048", 1, 2.0, 0.15, memory_size_mb=2048, max_concurrency=9
    )
    assert "warmUpSeconds" in command_of(realtime, tmp_path)  # the project's default for real-time
    plain = command_of(serverless, tmp_path)
    assert "warmUpSeconds" not in plain and not plain.startswith("sleep")
    idle = command_of(StepConfig(**{**serverless.__dict__, "idle_minutes": 0.3}), tmp_path)
    assert idle.startswith("sleep 18 && ") and "warmUpSeconds" not in idle
