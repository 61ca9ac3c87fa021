"""A whole sizing of an endpoint of inference components (issue 25) through Airflow (``dag.test()``)
on the local SageMaker: the shipped two-model example (include/examples/components.conf.json) with
shorter steps; one AIPerf per model against its component; the answer against the serving model's
own knees per copy; recommendation.json's ``inference_components`` block; nothing left behind."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from sagemaker_sizing.core.components.answer import COPY_CONCURRENCY_METRIC
from sagemaker_sizing.core.components.placement import Resources, instance_resources
from sagemaker_sizing.local import LocalSageMakerStatus, running_local_sagemaker
from sagemaker_sizing.local.component_serving import copy_share, llm_copy_spec
from sagemaker_sizing.local.llm_knee import knee_rps
from sagemaker_sizing.local.llm_profiles import load_llm_profiles
from sagemaker_sizing.paths import INCLUDE_DIR, PROJECT_ROOT

from tests.e2e.harness import apply_env, run_sizing, sizing_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXAMPLE = json.loads((INCLUDE_DIR / "examples" / "components.conf.json").read_text())
MODELS = tuple(m["model_name"] for m in EXAMPLE["models"])
# The example with shorter steps and no endurance retry (its worst case fits the tests' round slots).
SHORT = {
    "duration_minutes": 0.15,
    "endurance_ramp_minutes": 0.1,
    "endurance_steady_state_minutes": 0.15,
    "endurance_retries": 0,
}


@pytest.fixture(scope="module")
def components_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSageMakerStatus]:
    state_dir = tmp_path_factory.mktemp("local-sagemaker-components")
    with running_local_sagemaker(
        state_dir, llm_models=MODELS, region=EXAMPLE["region"], creating_delay=1.0
    ) as local:
        yield local


def copies_by_the_model(conf: dict[str, Any], instance_type: str) -> list[int]:
    """Each model's copies for its peak on the type by the serving model's knee per copy (a copy
    runs its share of the instance's engine: local/component_serving.py)."""
    profiles = load_llm_profiles()
    engine = profiles.model(None).instance(instance_type)
    offered = instance_resources(instance_type)
    assert offered is not None
    copies = []
    for entry in conf["models"]:
        model = {**conf, **entry}
        need = Resources(
            float(model.get("copy_cpu_cores") or 0),
            float(model["copy_memory_mb"]),
            float(model["copy_accelerators"]),
        )
        knee = knee_rps(
            llm_copy_spec(engine, copy_share(need, offered)),
            model["llm_input_tokens_mean"],
            model["llm_output_tokens_mean"],
            ttft_p99_ms=model["ttft_p99_ms"],
            itl_p99_ms=model["itl_p99_ms"],
            noise=profiles.noise,
        )
        copies.append(math.ceil(model["peak_rps"] / knee))
    return copies


def test_the_components_example_sizes_two_models_on_one_endpoint(
    components_local: LocalSageMakerStatus, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    apply_env(monkeypatch, sizing_env(components_local))
    conf = EXAMPLE | SHORT | {"perfsize_results_dir": str(tmp_path / "results")}
    run = run_sizing(components_local, conf)

    data = run.recommendation
    assert run.state == "success", (run.states, data.get("headline"))
    assert data["status"] == "recommended", data["headline"]
    block = data["inference_components"]
    # Every one-GPU type holds one copy per instance: the cheapest is the one whose copies by the
    # serving model's knees cost least (g6e.xlarge, not the first listed).
    prices = json.loads((PROJECT_ROOT / "resources" / "cost" / f"{conf['region']}.json").read_text())
    cost = {t: prices[t] * sum(copies_by_the_model(conf, t)) for t in conf["type_walk"].split(",")}
    assert block["instance_type"] == min(cost, key=cost.__getitem__) != conf["type_walk"].split(",")[0]
    expected = copies_by_the_model(conf, block["instance_type"])
    got = [m["max_copies"] for m in block["models"]]
    # The walk tests rates on the count breakpoints (peak / n) and keeps the highest that passed,
    # so it needs the knee's copies, or one more when a breakpoint sits just above the knee.
    assert all(e <= g <= e + 1 for e, g in zip(expected, got, strict=True)), (expected, got, data["headline"])
    assert block["managed_instance_scaling"]["max_instance_count"] == sum(got)
    assert [m["model_name"] for m in block["models"]] == list(MODELS)
    for model in block["models"]:
        assert model["target_metric"] == COPY_CONCURRENCY_METRIC
        assert model["min_copies"] <= model["max_copies"]
    shares = sum(float(m["hourly_cost_share_usd"]) for m in block["models"])
    assert shares == pytest.approx(float(block["hourly_cost_usd"]))
    # The combined step loaded both models at once, one AIPerf each, judged on its own SLOs.
    combined = [s for s in data["steps"] if s["phase"] == "max"]
    assert combined and all(s["outcome"] in ("pass", "fail") for s in combined)
    assert run.run_dir is not None
    folders = sorted(p.name for p in run.run_dir.iterdir() if p.is_dir() and "-inj" in p.name)
    assert any("-inj1of2-" in f for f in folders) and any("-inj2of2-" in f for f in folders), folders
    assert 'id="components-models-table"' in (run.run_dir / "report.html").read_text()
    # Teardown deleted everything the run made: components, endpoints, configs.
    left = components_local.client("sagemaker").list_inference_components()["InferenceComponents"]
    assert left == [] and run.endpoints_left == [] and run.configs_left == []
