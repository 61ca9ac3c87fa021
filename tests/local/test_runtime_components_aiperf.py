"""A real AIPerf run against one inference component of the running local SageMaker
(``--sagemaker-inference-component-name``): the header reaches the component's copies, and the
latencies are those of a copy's share of the instance.

AIPerf is the one set-up installs (``.aiperf/venv/bin/aiperf``, its offline tokenizer
``.aiperf/tokenizer``).
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from typing import TYPE_CHECKING, Any

import pytest
from sagemaker_sizing.local import running_local_sagemaker
from sagemaker_sizing.local.component_serving import llm_copy_spec
from sagemaker_sizing.local.llm_knee import predict
from sagemaker_sizing.local.llm_profiles import load_llm_profiles
from sagemaker_sizing.local.seeding import SEED_ROLE_ARN
from sagemaker_sizing.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sagemaker_sizing.local import LocalSageMakerStatus

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
AIPERF = PROJECT_ROOT / ".aiperf" / "venv" / "bin" / "aiperf"
TOKENIZER = PROJECT_ROOT / ".aiperf" / "tokenizer"
GPU, ENDPOINT, COMPONENT, RATE, OUTPUT_TOKENS = "ml.g5.12xlarge", "components-aiperf", "ic-half", 4.0, 24


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSageMakerStatus]:
    """An ml.g5.12xlarge endpoint: ``ic-half`` (2 GPUs, 2 copies) and another component beside it."""
    with running_local_sagemaker(
        tmp_path_factory.mktemp("components-aiperf"), llm_models=("llm",)
    ) as running:
        sm = running.client("sagemaker")
        variant = {"VariantName": "AllTraffic", "InstanceType": GPU, "InitialInstanceCount": 1}
        variant["ManagedInstanceScaling"] = {
            "Status": "ENABLED",
            "MinInstanceCount": 1,
            "MaxInstanceCount": 2,
        }
        sm.create_endpoint_config(
            EndpointConfigName=ENDPOINT, ExecutionRoleArn=SEED_ROLE_ARN, ProductionVariants=[variant]
        )
        sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=ENDPOINT)
        sm.get_waiter("endpoint_in_service").wait(EndpointName=ENDPOINT, WaiterConfig={"Delay": 1})
        for name, gpus, copies in ((COMPONENT, 2, 2), ("ic-other", 1, 1)):
            sm.create_inference_component(
                InferenceComponentName=name,
                EndpointName=ENDPOINT,
                Specification={
                    "ModelName": "llm",
                    "ComputeResourceRequirements": {
                        "MinMemoryRequiredInMb": 8192,
                        "NumberOfAcceleratorDevicesRequired": gpus,
                    },
                },
                RuntimeConfig={"CopyCount": copies},
            )
        yield running


def _aiperf(local: LocalSageMakerStatus, folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    env = {
        **os.environ,
        **local.aws_env(),
        "HF_HUB_OFFLINE": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    argv = [
        str(AIPERF), "profile", "-m", "local-llm", "--endpoint-type", "chat", "--streaming",
        "--sagemaker-endpoint-name", ENDPOINT, "--sagemaker-inference-component-name", COMPONENT,
        "--aws-region", local.region, "--url", str(local.runtime_url),
        "--tokenizer", str(TOKENIZER), "--use-server-token-count",
        "--request-rate", str(RATE), "--arrival-pattern", "poisson", "--random-seed", "1",
        "--benchmark-duration", "8", "--benchmark-grace-period", "30", "--request-timeout-seconds", "60",
        "--isl", "256", "--isl-stddev", "0", "--osl", str(OUTPUT_TOKENS), "--osl-stddev", "0",
        "--extra-inputs", "ignore_eos:true", "--no-server-metrics", "--no-gpu-telemetry",
        "--ui-type", "none", "--artifact-dir", str(folder),
    ]  # fmt: skip
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads((folder / "profile_export_aiperf.json").read_text())
    records = [json.loads(line) for line in (folder / "profile_export.jsonl").read_text().splitlines()]
    return summary, records


def test_aiperf_measures_one_component_of_the_endpoint(local: LocalSageMakerStatus, tmp_path: Path) -> None:
    summary, records = _aiperf(local, tmp_path / "run")
    assert records and not [r for r in records if "error" in r]
    with urllib.request.urlopen(f"{local.runtime_url}/_local/endpoints/{ENDPOINT}") as answer:
        served = json.loads(answer.read())["components"]
    assert served[COMPONENT]["invocations"] == len(records)  # warm-up included: every request AIPerf sent
    assert served["ic-other"]["invocations"] == 0
    # A copy with half the instance's GPUs steps twice as slowly as the instance's engine.
    copy = llm_copy_spec(load_llm_profiles().model(None).instance(GPU), 0.5)
    input_tokens = round(summary["input_sequence_length"]["avg"])
    mean_step = predict(copy, input_tokens, OUTPUT_TOKENS, RATE / 2).step_ms  # two copies share the rate
    assert mean_step * 0.9 <= summary["inter_token_latency"]["avg"] <= mean_step * 1.35
    assert summary["time_to_first_token"]["p50"] >= copy.step_ms(0, input_tokens) * 0.97
