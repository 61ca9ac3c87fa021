"""A real AIPerf run against an LLM endpoint of the running local SageMaker: SageMaker transport,
SigV4, the event stream, OpenAI chunks, usage as the token counts, and a stream cut mid-answer.

AIPerf is the one set-up installs (``.aiperf/venv/bin/aiperf`` and its offline tokenizer
``.aiperf/tokenizer``: scripts/setup.sh's AIPerf stage).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from sagemaker_sizing.local import running_local_sagemaker
from sagemaker_sizing.local.faults import ENV_VAR
from sagemaker_sizing.local.llm_knee import predict
from sagemaker_sizing.local.llm_profiles import load_llm_profiles
from sagemaker_sizing.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sagemaker_sizing.local import LocalSageMakerStatus

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
AIPERF = PROJECT_ROOT / ".aiperf" / "venv" / "bin" / "aiperf"  # paths.AIPERF_BIN of set-up
TOKENIZER = PROJECT_ROOT / ".aiperf" / "tokenizer"  # paths.AIPERF_TOKENIZER
ENDPOINT, CUT_EVERY, RATE, OUTPUT_TOKENS = "llm-aiperf", 4, 4.0, 24


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSageMakerStatus]:
    folder = tmp_path_factory.mktemp("llm-aiperf")
    faults = folder / "faults.json"
    rule = {"action": "StreamCut", "match": ENDPOINT, "every": CUT_EVERY, "after_tokens": 5}
    faults.write_text(json.dumps({"id": uuid.uuid4().hex, "rules": [rule]}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_VAR, str(faults))
        with running_local_sagemaker(folder / "state", llm_models=("llm",)) as running:
            sagemaker = running.client("sagemaker")
            variant = {
                "VariantName": "AllTraffic",
                "ModelName": "llm",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.g5.xlarge",
            }
            sagemaker.create_endpoint_config(EndpointConfigName=ENDPOINT, ProductionVariants=[variant])
            sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=ENDPOINT)
            sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=ENDPOINT, WaiterConfig={"Delay": 1})
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
        "--sagemaker-endpoint-name", ENDPOINT, "--aws-region", local.region, "--url", str(local.runtime_url),
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
    return summary, [r for r in records if r["metadata"]["benchmark_phase"] == "profiling"]


def test_aiperf_measures_the_llm_endpoint(local: LocalSageMakerStatus, tmp_path: Path) -> None:
    summary, records = _aiperf(local, tmp_path / "run")
    failed = [r for r in records if "error" in r]
    succeeded = [r for r in records if "error" not in r]
    # Every CUT_EVERY-th request is cut after 5 tokens: AIPerf records ModelStreamError, no success.
    assert {r["error"]["type"] for r in failed} == {"ModelStreamError"}
    assert len(records) // CUT_EVERY - 1 <= len(failed) <= len(records) // CUT_EVERY + 1
    assert int(summary["error_request_count"]["avg"]) == len(failed) and len(succeeded) >= 15
    # Token counts come from the usage chunk (--use-server-token-count): exactly what was asked out,
    # and the prompt's bytes / 4 in (AIPerf's 256-token prompts are ~1,060 bytes).
    assert (
        summary["output_sequence_length"]["min"] == summary["output_sequence_length"]["max"] == OUTPUT_TOKENS
    )
    assert 230 <= summary["input_sequence_length"]["avg"] <= 290
    # Latencies as the model gives them: the prefill step first, then ~the model's mean step.
    spec = load_llm_profiles().model(None).instance("ml.g5.xlarge")
    input_tokens = round(summary["input_sequence_length"]["avg"])
    assert summary["time_to_first_token"]["p50"] >= spec.step_ms(0, input_tokens) * 0.97
    mean_step = predict(spec, input_tokens, OUTPUT_TOKENS, RATE).step_ms
    assert mean_step * 0.9 <= summary["inter_token_latency"]["avg"] <= mean_step * 1.35
