"""The running local SageMaker serves a serverless endpoint: cold start, warm reuse, 429 beyond
MaxConcurrency (issue 17)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest
from sagemaker_sizing.local.serverless import load_serverless_profile

from .conftest import COMPRESSION, MODEL

if TYPE_CHECKING:
    from sagemaker_sizing.local import LocalSageMakerStatus


def _post(url: str) -> tuple[int, dict[str, str], dict[str, object]]:
    request = urllib.request.Request(
        url, data=b"{}", method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_serverless_endpoint_cold_starts_reuses_warm_and_throttles(
    local_sagemaker: LocalSageMakerStatus,
) -> None:
    name = "serverless-runtime-test"
    sagemaker = local_sagemaker.client("sagemaker")
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": MODEL,
                "ServerlessConfig": {"MemorySizeInMB": 1024, "MaxConcurrency": 1},
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 1})
    url = f"{local_sagemaker.runtime_url}/endpoints/{name}/invocations"
    profile = load_serverless_profile()
    try:
        code, headers, _ = _post(url)
        assert code == 200
        cold_ms = float(headers["x-Local-Model-Latency-Ms"])
        code, headers, _ = _post(url)
        warm_ms = float(headers["x-Local-Model-Latency-Ms"])
        # The first request waited for its container: the compressed cold start, on top of the service.
        assert cold_ms - warm_ms == pytest.approx(
            profile.cold_start_s / COMPRESSION * 1000, abs=0.1 * warm_ms
        )
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: _post(url), range(4)))
        throttled = [(h, b) for code, h, b in answers if code == 429]
        assert throttled, [code for code, _, _ in answers]
        assert throttled[0][0]["x-amzn-ErrorType"].startswith("ThrottlingException")
        with urllib.request.urlopen(f"{local_sagemaker.runtime_url}/_local/endpoints/{name}", timeout=5) as r:
            state = json.loads(r.read())["serverless"]
        assert state["memory_size_mb"] == 1024 and state["max_concurrency"] == 1
        assert state["cold_starts"] >= 1 and state["throttled"] == len(throttled)
    finally:
        sagemaker.delete_endpoint(EndpointName=name)
        sagemaker.delete_endpoint_config(EndpointConfigName=f"{name}-config")
