"""The engine a step runs (the conf's workload) and an LLM step's AIPerf command from the conf."""

from __future__ import annotations

from pathlib import Path

import pytest
from sagemaker_sizing.adapters.aiperf_command import FileInput, SyntheticPrompts, aiperf_argv
from sagemaker_sizing.adapters.gatling_command import GatlingStep
from sagemaker_sizing.adapters.load_command import (
    aiperf_step,
    is_llm,
    request_timeout_s,
    runtime_url,
    shell_command,
)
from sagemaker_sizing.core.conf.model import conf_to_dict
from sagemaker_sizing.core.model import LoadItem, PlanItem, StepConfig

from tests.fixtures.aiperf.confs import llm_conf, llm_conf_dict

STEP = StepConfig("probe", "ml.g5.xlarge", 1, 4.0, 0.5)
RAMP = StepConfig(
    "min",
    "ml.g5.xlarge",
    2,
    8.0,
    1.0,
    ramp_start_tps=2.0,
    ramp_minutes=0.5,
    scaling_min_instance_count=1,
    scaling_max_instance_count=2,
)


def item(step: StepConfig = STEP, injectors: int = 1) -> LoadItem:
    plan = PlanItem(
        1, "ml-g5-xlarge", step, "sizing-llm-x-ml-g5-xlarge", "1800000000-ml.g5.xlarge-1-4RPS", injectors
    )
    return LoadItem(plan)


def test_the_workload_chooses_the_engine() -> None:
    conf = llm_conf()
    assert is_llm(conf) and is_llm(llm_conf_dict())
    plain = llm_conf(workload="tps")
    assert not is_llm(plain) and not is_llm(conf_to_dict(plain)) and not is_llm({})


def test_an_llm_item_becomes_its_aiperf_step(tmp_path: Path) -> None:
    conf = llm_conf(ttft_p99_ms=800, itl_p99_ms=60, latency_success_p99=20000)
    step = aiperf_step(conf, item(), tmp_path, "http://127.0.0.1:9000")
    assert (step.endpoint, step.region, step.model) == (
        "sizing-llm-x-ml-g5-xlarge",
        conf.region,
        conf.model_name,
    )
    assert (step.rate, step.duration_s, step.ramp_s, step.arrival) == (4.0, 30.0, 0, "poisson")
    assert step.url == "http://127.0.0.1:9000" and step.artifact_dir == tmp_path and step.warm_up_s == 3
    # One distinct prompt per request of the step (4/s for 30 s and the 3 s warm-up).
    assert step.prompts == SyntheticPrompts(512, 256, 0, 0, distinct=132)
    assert step.goodput == (
        ("time_to_first_token", 800.0),
        ("inter_token_latency", 60.0),
        ("request_latency", 20000.0),
    )
    assert step.request_timeout_s == 60  # 3 x the 20 s end-to-end SLO
    assert "sizing-llm-x-ml-g5-xlarge" in shell_command(step)


def test_conf_choices_reach_the_command(tmp_path: Path) -> None:
    conf = llm_conf(
        llm_api="completions",
        llm_model_id="served-name",
        llm_input_tokens_mean=128,
        llm_input_tokens_stddev=16,
        llm_output_tokens_mean=64,
        llm_output_tokens_stddev=8,
        host="runtime.sagemaker.us-west-2.amazonaws.com",
    )
    step = aiperf_step(conf, item(), tmp_path, "http://127.0.0.1:9000")
    assert step.api == "completions" and step.model == "served-name"
    assert step.prompts == SyntheticPrompts(128, 64, 16, 8, distinct=132)
    assert step.url == "https://runtime.sagemaker.us-west-2.amazonaws.com"  # the conf's host first
    with_file = aiperf_step(llm_conf(llm_prompts_file="prompts.jsonl"), item(), tmp_path, None)
    assert with_file.prompts == FileInput(tmp_path / "prompts.jsonl") and with_file.url is None


def test_a_ramp_step_ramps_with_even_arrivals_and_no_warm_up(tmp_path: Path) -> None:
    step = aiperf_step(llm_conf(), item(RAMP), tmp_path, None)
    assert (step.rate, step.ramp_start_rate, step.ramp_s, step.duration_s) == (8.0, 2.0, 30.0, 90.0)
    assert step.arrival == "constant" and step.warm_up_s == 0
    assert "--request-rate-series" in aiperf_argv(step)


def test_distinct_prompts_follow_the_steps_requests_within_bounds(tmp_path: Path) -> None:
    def distinct(rate: float, minutes: float) -> int | None:
        prompts = aiperf_step(
            llm_conf(), item(StepConfig("probe", "ml.g5.xlarge", 1, rate, minutes)), tmp_path, None
        )
        assert isinstance(prompts.prompts, SyntheticPrompts)
        return prompts.prompts.distinct

    assert distinct(0.5, 1) == 100  # AIPerf's default at least
    assert distinct(5, 3) == 5 * 183
    assert distinct(20, 30) == 1000  # beyond, prompts repeat
    assert "--num-dataset-entries" in aiperf_argv(aiperf_step(llm_conf(), item(), tmp_path, None))


def test_an_llm_step_is_one_aiperf_process(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one AIPerf process"):
        aiperf_step(llm_conf(), LoadItem(item(injectors=2).plan, 0), tmp_path, None)


def test_request_timeout_and_url_rules() -> None:
    assert (
        request_timeout_s(500) == 30 and request_timeout_s(40_000) == 120 and request_timeout_s(10**7) == 600
    )
    assert runtime_url(None) is None and runtime_url("http://127.0.0.1:1/") == "http://127.0.0.1:1"


def test_a_gatling_step_keeps_its_command(tmp_path: Path) -> None:
    gatling = GatlingStep("http://h", "us-east-1", "ep", 10, 1, (), "base", tmp_path)
    with pytest.raises(ValueError, match="at least one payload"):  # gatling_shell_command's own check
        shell_command(gatling)
