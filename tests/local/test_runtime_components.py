"""Inference components served by the running local SageMaker, through boto3's sagemaker-runtime:
invocations routed by the component header to that component's copies, each copy on its share of
an instance, and the ground truth per copy."""

from __future__ import annotations

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from sagemaker_sizing.local import llm_knee, running_local_sagemaker
from sagemaker_sizing.local.autoscaler import COPY_CONCURRENCY_METRIC
from sagemaker_sizing.local.capacity import DEFAULT_PROFILE_PATH
from sagemaker_sizing.local.component_serving import llm_copy_spec
from sagemaker_sizing.local.llm_profiles import load_llm_profiles
from sagemaker_sizing.local.seeding import SEED_ROLE_ARN

from .conftest import wait_for

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sagemaker_sizing.local import LocalSageMakerStatus

pytestmark = pytest.mark.e2e
LLM, CLASSIC = "llm-model", "classic-model"
GPU = "ml.g5.12xlarge"  # 4 GPUs


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSageMakerStatus]:
    folder = tmp_path_factory.mktemp("components-runtime")
    profile = json.loads(DEFAULT_PROFILE_PATH.read_text())  # at 30x: new copies in service in 1 s
    profile["autoscaling"].update({"instance_startup_s": 30.0, "default_scale_out_cooldown_s": 30.0})
    (folder / "profile.json").write_text(json.dumps(profile))
    with running_local_sagemaker(
        folder / "state",
        time_compression=30,
        profile=folder / "profile.json",
        models=(CLASSIC,),
        llm_models=(LLM,),
    ) as started:
        yield started


@pytest.fixture(scope="module")
def endpoint(local: LocalSageMakerStatus) -> str:
    """ml.g5.12xlarge with a 1-GPU LLM component (2 copies), a 2-GPU one (1 copy), a classic one."""
    sm = local.client("sagemaker")
    sm.create_endpoint_config(
        EndpointConfigName="components-config",
        ExecutionRoleArn=SEED_ROLE_ARN,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "InstanceType": GPU,
                "InitialInstanceCount": 1,
                "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 2},
                "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
            }
        ],
    )
    sm.create_endpoint(EndpointName="components", EndpointConfigName="components-config")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="components", WaiterConfig={"Delay": 1})
    for name, model, gpus, copies in (
        ("ic-small", LLM, 1, 2),
        ("ic-big", LLM, 2, 1),
        ("ic-classic", CLASSIC, None, 1),
    ):
        compute: dict[str, Any] = {"MinMemoryRequiredInMb": 4096, "NumberOfCpuCoresRequired": 4}
        if gpus:
            compute["NumberOfAcceleratorDevicesRequired"] = gpus
        sm.create_inference_component(
            InferenceComponentName=name,
            EndpointName="components",
            VariantName="AllTraffic",
            Specification={"ModelName": model, "ComputeResourceRequirements": compute},
            RuntimeConfig={"CopyCount": copies},
        )
    return "components"


def _runtime(local: LocalSageMakerStatus) -> Any:
    return boto3.client(
        "sagemaker-runtime",
        endpoint_url=local.runtime_url,
        region_name=local.region,
        aws_access_key_id=local.aws_access_key_id,
        aws_secret_access_key=local.aws_secret_access_key,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def _chat(tokens: int, stream: bool = False) -> str:
    body: dict[str, Any] = {
        "model": "m",
        "messages": [{"role": "user", "content": "word " * 40}],
        "max_completion_tokens": tokens,
        "stream": stream,
    }
    if stream:
        body["stream_options"] = {"include_usage": True}
    return json.dumps(body)


def _state(local: LocalSageMakerStatus, path: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{local.runtime_url}{path}") as answer:
        found: dict[str, Any] = json.loads(answer.read())
    return found


def test_an_endpoint_of_components_needs_the_component_header(
    local: LocalSageMakerStatus, endpoint: str
) -> None:
    with pytest.raises(ClientError) as refused:
        _runtime(local).invoke_endpoint(EndpointName=endpoint, Body=_chat(2), ContentType="application/json")
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert "Inference Component Name header is required" in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError, match="is not deployed on endpoint components"):
        _runtime(local).invoke_endpoint(
            EndpointName=endpoint,
            InferenceComponentName="nope",
            Body=_chat(2),
            ContentType="application/json",
        )


def test_the_header_routes_to_that_components_copies(local: LocalSageMakerStatus, endpoint: str) -> None:
    runtime = _runtime(local)
    whole = runtime.invoke_endpoint(
        EndpointName=endpoint,
        InferenceComponentName="ic-small",
        Body=_chat(3),
        ContentType="application/json",
    )
    answer = json.loads(whole["Body"].read())
    assert answer["object"] == "chat.completion" and answer["usage"]["completion_tokens"] == 3
    streamed = runtime.invoke_endpoint_with_response_stream(
        EndpointName=endpoint, InferenceComponentName="ic-big", Body=_chat(4, stream=True)
    )
    data = b"".join(event["PayloadPart"]["Bytes"] for event in streamed["Body"])
    lines = [line for line in data.split(b"\n\n") if line]
    assert lines[-1] == b"data: [DONE]"
    assert json.loads(lines[-2][len(b"data: ") :])["usage"]["completion_tokens"] == 4
    classic = runtime.invoke_endpoint(
        EndpointName=endpoint,
        InferenceComponentName="ic-classic",
        Body=b'{"x": 1}',
        ContentType="application/json",
    )
    assert json.loads(classic["Body"].read()) == {"predictions": [0.5]}

    served = _state(local, f"/_local/endpoints/{endpoint}")["components"]
    assert {name: state["invocations"] for name, state in served.items()} == {
        "ic-small": 1,
        "ic-big": 1,
        "ic-classic": 1,
    }
    assert served["ic-small"]["copies"] == 2 and served["ic-small"]["share_of_instance"] == 0.25
    assert served["ic-big"]["share_of_instance"] == 0.5


def test_the_ground_truth_per_copy_is_its_share_of_the_instance(
    local: LocalSageMakerStatus, endpoint: str
) -> None:
    whole = load_llm_profiles().model(None).instance(GPU)
    query = "input_tokens=256&output_tokens=64&ttft_p99_ms=2000&itl_p99_ms=150"
    for component, share in (("ic-small", 0.25), ("ic-big", 0.5)):
        found = _state(local, f"/_local/capacity?endpoint={endpoint}&component={component}&{query}")
        assert found["component"] == component
        expected = llm_knee.knee_rps(
            llm_copy_spec(whole, share),
            256,
            64,
            ttft_p99_ms=2000,
            itl_p99_ms=150,
            noise=load_llm_profiles().noise,
        )
        assert found["knee_rps_per_copy"] == pytest.approx(expected)
    small = _state(local, f"/_local/capacity?endpoint={endpoint}&component=ic-small&{query}")
    big = _state(local, f"/_local/capacity?endpoint={endpoint}&component=ic-big&{query}")
    assert small["knee_rps_per_copy"] < big["knee_rps_per_copy"]


def test_a_component_made_a_moment_ago_is_routed_at_once(local: LocalSageMakerStatus, endpoint: str) -> None:
    local.client("sagemaker").create_inference_component(
        InferenceComponentName="ic-new",
        EndpointName=endpoint,
        Specification={
            "ModelName": LLM,
            "ComputeResourceRequirements": {
                "MinMemoryRequiredInMb": 4096,
                "NumberOfAcceleratorDevicesRequired": 1,
            },
        },
        RuntimeConfig={"CopyCount": 1},
    )
    answer = _runtime(local).invoke_endpoint(
        EndpointName=endpoint, InferenceComponentName="ic-new", Body=_chat(2), ContentType="application/json"
    )
    assert json.loads(answer["Body"].read())["usage"]["completion_tokens"] == 2


def test_copy_autoscaling_adds_copies_under_concurrency(local: LocalSageMakerStatus, endpoint: str) -> None:
    sm = local.client("sagemaker")
    sm.create_inference_component(
        InferenceComponentName="ic-scaled",
        EndpointName=endpoint,
        Specification={
            "ModelName": LLM,
            "ComputeResourceRequirements": {
                "MinMemoryRequiredInMb": 4096,
                "NumberOfAcceleratorDevicesRequired": 1,
            },
        },
        RuntimeConfig={"CopyCount": 1},
    )
    target = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "inference-component/ic-scaled",
        "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount",
    }
    scaling = local.client("application-autoscaling")
    scaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=2)
    scaling.put_scaling_policy(
        PolicyName="copies",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 1.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": COPY_CONCURRENCY_METRIC},
        },
        **target,
    )
    time.sleep(1.5)  # the runtime's poll sees the policy
    runtime = _runtime(local)

    def stream() -> None:
        response = runtime.invoke_endpoint_with_response_stream(
            EndpointName=endpoint, InferenceComponentName="ic-scaled", Body=_chat(60, stream=True)
        )
        for _ in response["Body"]:
            pass

    with ThreadPoolExecutor(4) as pool:  # 4 streams of ~3 s on 1 copy: 4 in flight per copy, target 1
        for future in [pool.submit(stream) for _ in range(4)]:
            future.result()
    wait_for(
        lambda: (
            sm.describe_inference_component(InferenceComponentName="ic-scaled")["RuntimeConfig"][
                "CurrentCopyCount"
            ]
            == 2
        ),
        timeout_s=20,
    )
    served = _state(local, f"/_local/endpoints/{endpoint}")
    assert served["components"]["ic-scaled"]["copies"] == 2
    assert {"component": "ic-scaled", "from": 1, "to": 2}.items() <= served["scaling_events"][-1].items()
