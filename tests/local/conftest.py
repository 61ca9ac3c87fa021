"""Fixtures: a local SageMaker per test session (fast autoscaling), and helpers to deploy on it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from sagemaker_sizing.local import LocalSageMakerStatus, running_local_sagemaker
from sagemaker_sizing.local.capacity import DEFAULT_PROFILE_PATH

if TYPE_CHECKING:
    from pathlib import Path

MODEL = "local-test-model"
COMPRESSION = 60.0  # one simulated minute per second


@pytest.fixture(scope="session")
def fast_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled profile with a shorter scale-in wait, so scaling in takes seconds."""
    data = json.loads(DEFAULT_PROFILE_PATH.read_text())
    data["autoscaling"].update({"scale_in_datapoints": 4, "default_scale_in_cooldown_s": 120.0})
    path = tmp_path_factory.mktemp("profile") / "profile.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(scope="session")
def local_sagemaker(
    tmp_path_factory: pytest.TempPathFactory, fast_profile: Path
) -> Iterator[LocalSageMakerStatus]:
    state_dir = tmp_path_factory.mktemp("local-sagemaker")
    # Unsigned allowed, explicitly: the queueing tests drive it with raw unsigned HTTP (loadgen).
    with running_local_sagemaker(
        state_dir, time_compression=COMPRESSION, profile=fast_profile, models=(MODEL,), allow_unsigned=True
    ) as local:
        yield local


Deploy = Callable[..., str]


def deploy_endpoint(local: LocalSageMakerStatus, name: str, instance_type: str, count: int) -> str:
    """Create config + endpoint ``name`` and wait until the runtime serves it."""
    sagemaker = local.client("sagemaker")
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": MODEL,
                "InitialInstanceCount": count,
                "InstanceType": instance_type,
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 1})
    return name


def delete_endpoint(local: LocalSageMakerStatus, name: str) -> None:
    sagemaker = local.client("sagemaker")
    sagemaker.delete_endpoint(EndpointName=name)
    sagemaker.delete_endpoint_config(EndpointConfigName=f"{name}-config")


def wait_for(predicate: Callable[[], Any], timeout_s: float, every_s: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"condition not met within {timeout_s} s")
