"""Inference components on the running local SageMaker (its control plane and runtime processes):
the control plane serves them, the runtime keeps reading the endpoints beside them, and the
project's teardown leaves nothing."""

from __future__ import annotations

import json
import urllib.request
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.adapters import cleanup, ownership
from sagemaker_sizing.adapters.component_specs import ComponentEndpointSpec, ComponentSpec
from sagemaker_sizing.adapters.components import ComponentManager
from sagemaker_sizing.adapters.sagemaker import EndpointManager
from sagemaker_sizing.local.component_deployments import read_components

from tests.local.conftest import MODEL

if TYPE_CHECKING:
    import pytest
    from sagemaker_sizing.local import LocalSageMakerStatus

RUN = "manual__components-local"


def test_a_component_endpoint_on_the_local_sagemaker_deploys_and_tears_down(
    local_sagemaker: LocalSageMakerStatus, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook

    monkeypatch.setenv("AIRFLOW_CONN_LOCAL_COMPONENTS", json.dumps(local_sagemaker.airflow_connection()))
    manager = EndpointManager(SageMakerHook(aws_conn_id="local_components"), waiter_delay=0.5)
    spec = ComponentEndpointSpec(
        instance_type="ml.g5.2xlarge",  # 1 GPU, 8 vCPUs
        initial_instances=1,
        min_instances=1,
        max_instances=3,
        components=(ComponentSpec(model_name=MODEL, copies=2, memory_mb=4096, accelerators=1, cpu_cores=2),),
    )
    lane = ownership.lane_for(spec.instance_type)

    result = ComponentManager(manager).deploy(RUN, lane, spec, endpoint_base="sizing-local")

    assert result["instance_count"] == 2 and [c["copies"] for c in result["components"]] == [2]
    found = read_components(local_sagemaker.client("sagemaker"))
    assert [c.copies for c in found[result["endpoint_name"]]] == [2]
    # The runtime reads the control plane by polling; a read that timed out on a loaded machine says
    # "down" until the next poll succeeds.
    assert _control_plane_seen(local_sagemaker.runtime_url, within_s=15)

    deleted = cleanup.teardown(manager, RUN)

    assert deleted["inference_components"] == [result["components"][0]["component_name"]]
    assert deleted["endpoints"] == [result["endpoint_name"]] and deleted["errors"] == []
    sagemaker: Any = local_sagemaker.client("sagemaker")
    assert sagemaker.list_inference_components()["InferenceComponents"] == []
    assert result["endpoint_name"] not in {e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]}


def _control_plane_seen(runtime_url: str, within_s: float) -> bool:
    import time

    deadline = time.monotonic() + within_s
    while True:
        with urllib.request.urlopen(f"{runtime_url}/ping") as answer:
            if json.loads(answer.read())["control_plane_up"] is True:
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
