"""A whole LLM sizing through Airflow (``dag.test()``) on the local SageMaker serving an LLM: the
shipped example (include/examples/llm.conf.json) with shorter steps, AIPerf as the load, the
walk's answer against the serving model's own knees, recommendation.json's ``llm`` block, and
nothing left behind."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from sagemaker_sizing.core.report.llm import LLM_BLOCK_KEYS
from sagemaker_sizing.core.walk.targets import CONCURRENCY_METRIC
from sagemaker_sizing.local import LocalSageMakerStatus, running_local_sagemaker
from sagemaker_sizing.local.llm_knee import knee_rps
from sagemaker_sizing.local.llm_profiles import load_llm_profiles
from sagemaker_sizing.paths import INCLUDE_DIR, PROJECT_ROOT

from tests.e2e.harness import apply_env, run_sizing, sizing_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LLM_MODEL = "e2e-llm-model"
EXAMPLE = json.loads((INCLUDE_DIR / "examples" / "llm.conf.json").read_text())
# The example with shorter steps, no endurance retry (its worst case fits the tests' 8 round slots).
SHORT = {
    "model_name": LLM_MODEL,
    "duration_minutes": 0.15,
    "endurance_ramp_minutes": 0.1,
    "endurance_steady_state_minutes": 0.15,
    "endurance_retries": 0,
}


@pytest.fixture(scope="module")
def llm_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSageMakerStatus]:
    state_dir = tmp_path_factory.mktemp("local-sagemaker-llm")
    with running_local_sagemaker(
        state_dir, llm_models=(LLM_MODEL,), region=EXAMPLE["region"], creating_delay=1.0
    ) as local:
        yield local


def cheapest_by_the_model(conf: dict[str, Any]) -> tuple[str, int]:
    """The cheapest (type, count) for the peak by the serving model's analytical knees, among the
    types needing at most the conf's largest count (the walk drops the others)."""
    profiles = load_llm_profiles()
    model = profiles.model(None)
    prices = json.loads((PROJECT_ROOT / "resources" / "cost" / f"{conf['region']}.json").read_text())
    most = max(int(c) for c in str(conf["count_walk"]).split(","))
    options = []
    for instance_type in conf["type_walk"].split(","):
        knee = knee_rps(
            model.instance(instance_type),
            conf["llm_input_tokens_mean"],
            conf["llm_output_tokens_mean"],
            ttft_p99_ms=conf["ttft_p99_ms"],
            itl_p99_ms=conf["itl_p99_ms"],
            noise=profiles.noise,
        )
        count = math.ceil(conf["peak_rps"] / knee) if knee > 0 else math.inf
        if count <= most:
            options.append((prices[instance_type] * count, instance_type, int(count)))
    _, instance_type, count = min(options)
    return instance_type, count


def test_the_llm_example_sizes_end_to_end_with_aiperf(
    llm_local: LocalSageMakerStatus, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    apply_env(monkeypatch, sizing_env(llm_local))
    conf = EXAMPLE | SHORT | {"perfsize_results_dir": str(tmp_path / "results")}
    run = run_sizing(llm_local, conf)

    data = run.recommendation
    assert run.state == "success", (run.states, data.get("headline"))
    assert data["status"] == "recommended", data["headline"]
    # The answer is the serving model's: not the first type listed, and the count its knee needs.
    expected = cheapest_by_the_model(conf)
    assert expected[0] != conf["type_walk"].split(",")[0]
    block = data["llm"]
    assert tuple(block) == LLM_BLOCK_KEYS
    assert (block["instance_type"], block["instance_count"]) == expected, data["headline"]
    assert block["target_metric"] == CONCURRENCY_METRIC and block["target_value"] > 0
    assert block["ttft_p99_ms"] < conf["ttft_p99_ms"] and block["itl_p99_ms"] < conf["itl_p99_ms"]
    assert float(block["cost_per_1m_output_tokens_usd"]) > 0
    assert data["headline"].startswith(f"Recommended: {expected[0]} x{expected[1]} for 6 req/s")
    # Every measured step is an AIPerf step: its exports and its record beside them.
    steps = data["steps"]
    assert steps and all(s["outcome"] in ("pass", "fail") for s in steps), steps
    assert run.run_dir is not None
    for step in steps:
        folder = run.run_dir / step["folder"]
        assert (folder / "profile_export.jsonl").is_file() and (folder / "step.json").is_file(), folder
        assert step["ttft_p99"] is not None and step["offered_rate"] > 0
    assert (run.run_dir / "report.html").read_text().count('-knee-chart"') == 2
    # Teardown deleted everything the run made.
    assert run.endpoints_left == [] and run.configs_left == []
