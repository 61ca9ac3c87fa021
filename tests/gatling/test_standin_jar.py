"""The stand-in for intuit's sagemaker-gatling jar keeps that jar's contract, against the local
SageMaker's TLS listener: https + bare host, SigV4 with credentials from its ``auth.*`` config keys
only (a -Dconfig.file, as the load task writes one), never from its environment."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from conftest import jar_env, parse_results, run_java
from sagemaker_sizing.adapters.gatling_command import GatlingStep, ScenarioRequest, auth_config, gatling_args
from sagemaker_sizing.core.gatling.jar_kind import SAGEMAKER_GATLING, inspect_jar, jar_kind
from sagemaker_sizing.local import LocalSageMakerStatus, running_local_sagemaker
from sagemaker_sizing.paths import STANDIN_JAR

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.gatling
MODEL = "standin-test-model"
ENDPOINT = "standin-ep"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSageMakerStatus]:
    assert STANDIN_JAR.is_file(), f"{STANDIN_JAR} is missing: build it with `bash scripts/setup.sh`"
    with running_local_sagemaker(tmp_path_factory.mktemp("local-sagemaker"), models=(MODEL,)) as running:
        sagemaker = running.client("sagemaker")
        sagemaker.create_endpoint_config(
            EndpointConfigName=f"{ENDPOINT}-config",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": MODEL,
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                }
            ],
        )
        sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=f"{ENDPOINT}-config")
        sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=ENDPOINT, WaiterConfig={"Delay": 1})
        yield running


def session_credentials(local: LocalSageMakerStatus) -> dict[str, str]:
    """Temporary credentials from the local STS, as the load task gets them for this kind of jar."""
    answer = local.client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    return {k: answer[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}


def run_standin(
    local: LocalSageMakerStatus,
    tmp_path: Path,
    name: str,
    env: dict[str, str],
    tps: int = 20,
    seconds: int = 5,
) -> dict[str, object]:
    payload = tmp_path / "payload.json"
    payload.write_text('{"message": "hello world"}')
    assert local.runtime_tls_url is not None and local.runtime_tls_url.startswith("https://")
    step = GatlingStep(
        host=local.runtime_tls_url.removeprefix("https://"),  # the bare host, as the DAG passes it
        region=local.region,
        endpoint=ENDPOINT,
        steady_state_tps=tps,
        steady_state_minutes=Decimal(seconds) / 60,
        requests=[ScenarioRequest(str(payload), 100)],
        output_base_name=name,
        results_dir=tmp_path / "results",
        jar=STANDIN_JAR,
        warm_up_seconds=0,
    )
    done = run_java(gatling_args(step), jar_env(tmp_path, **env), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    return parse_results(tmp_path / "results", name)


def test_the_stand_in_is_detected_as_a_sagemaker_gatling_jar() -> None:
    info = inspect_jar(STANDIN_JAR)
    assert info.main_class == "io.gatling.app.Gatling"
    assert info.has_scenario
    assert info.gatling_version is not None and info.gatling_version.startswith("3.")
    assert jar_kind(STANDIN_JAR) == SAGEMAKER_GATLING


def test_signed_with_its_auth_config_every_request_over_tls_succeeds(
    local: LocalSageMakerStatus, tmp_path: Path
) -> None:
    creds = session_credentials(local)
    conf = tmp_path / "auth.conf"
    conf.write_text(auth_config(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]))
    result = run_standin(local, tmp_path, "signed", {"JAVA_TOOL_OPTIONS": f"-Dconfig.file={conf}"})
    metrics = result["all"]
    assert metrics["count_total"] == 100  # type: ignore[index]
    assert metrics["count_fail"] == 0, result  # type: ignore[index]


def test_credentials_in_its_environment_are_ignored(local: LocalSageMakerStatus, tmp_path: Path) -> None:
    # The local keys in AWS_* would sign correctly; the jar must not read them, so it signs with
    # its placeholder auth.* values and the runtime refuses every request.
    result = run_standin(local, tmp_path, "env-only", local.aws_env(), tps=5, seconds=2)
    metrics = result["all"]
    assert metrics["count_total"] == 10  # type: ignore[index]
    assert metrics["count_success"] == 0, json.dumps(result)[:2000]  # type: ignore[index]
