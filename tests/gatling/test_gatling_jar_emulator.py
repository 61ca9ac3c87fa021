"""The jar against the project's local SageMaker (moto control plane + runtime emulator), signed
with the emulator's credentials from the environment, as the DAG's load task runs it."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from conftest import jar_env, parse_results, run_java
from sagemaker_sizing.adapters.gatling_command import GatlingStep, ScenarioRequest, gatling_args
from sagemaker_sizing.local import LocalSageMakerStatus, running_local_sagemaker

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.gatling
MODEL = "gatling-test-model"


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSageMakerStatus]:
    with running_local_sagemaker(tmp_path_factory.mktemp("local-sagemaker"), models=(MODEL,)) as running:
        sagemaker = running.client("sagemaker")
        sagemaker.create_endpoint_config(
            EndpointConfigName="gatling-ep-config",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": MODEL,
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",  # ~50 TPS in the bundled capacity model
                }
            ],
        )
        sagemaker.create_endpoint(EndpointName="gatling-ep", EndpointConfigName="gatling-ep-config")
        sagemaker.get_waiter("endpoint_in_service").wait(EndpointName="gatling-ep", WaiterConfig={"Delay": 1})
        yield running


def load(local: LocalSageMakerStatus, tmp_path: Path, tps: int, seconds: int, name: str) -> dict[str, object]:
    payload = tmp_path / "payload.json"
    payload.write_text('{"message": "hello world"}')
    assert local.runtime_url is not None
    step = GatlingStep(
        host=local.runtime_url,
        region=local.region,
        endpoint="gatling-ep",
        steady_state_tps=tps,
        steady_state_minutes=Decimal(seconds) / 60,
        requests=[ScenarioRequest(str(payload), 100)],
        output_base_name=name,
        results_dir=tmp_path / "results",
        warm_up_seconds=1,
    )
    done = run_java(gatling_args(step), jar_env(tmp_path, **local.aws_env()), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    return parse_results(tmp_path / "results", name, target_tps=tps)["all"]  # type: ignore[no-any-return]


def test_within_capacity_the_target_tps_is_held_and_every_signed_request_succeeds(
    local: LocalSageMakerStatus, tmp_path: Path
) -> None:
    metrics = load(local, tmp_path, tps=30, seconds=10, name="within")
    assert metrics["count_total"] == 300
    assert metrics["count_fail"] == 0  # the emulator rejects bad signatures: all were valid
    assert abs(float(metrics["achieved_tps"]) - 30) <= 0.02 * 30  # type: ignore[arg-type]


def test_over_capacity_the_run_finishes_with_failed_requests(
    local: LocalSageMakerStatus, tmp_path: Path
) -> None:
    metrics = load(local, tmp_path, tps=150, seconds=5, name="over")
    assert metrics["count_total"] == 750
    # ~3x the endpoint's capacity: its queue overflows and it answers 503 (about half the requests
    # here), while the open model keeps arrivals on schedule and the jar still exits 0.
    assert float(metrics["percent_fail"]) > 20  # type: ignore[arg-type]
    assert abs(float(metrics["achieved_tps"]) - 150) <= 0.02 * 150  # type: ignore[arg-type]
