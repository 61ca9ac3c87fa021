"""LLM endpoints on the running local SageMaker, through a real boto3 sagemaker-runtime client:
the event stream (botocore's EventStream), OpenAI chunks and usage, the whole completion, faults,
overload, signatures, and target tracking on concurrency."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError
from sagemaker_sizing.local import running_local_sagemaker
from sagemaker_sizing.local.autoscaler import CONCURRENCY_METRIC
from sagemaker_sizing.local.capacity import DEFAULT_PROFILE_PATH
from sagemaker_sizing.local.faults import ENV_VAR
from sagemaker_sizing.local.llm_profiles import DEFAULT_LLM_PROFILE_PATH, load_llm_profiles
from sagemaker_sizing.local.seeding import LLM_IMAGE, seed_models

from .conftest import wait_for

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sagemaker_sizing.local import LocalSageMakerStatus

pytestmark = pytest.mark.e2e
LLM, CLASSIC = "llm-model", "classic-model"
MAX_WAITING = 3
SPEC = load_llm_profiles().model(None).instance("ml.g5.xlarge")


class Faults:
    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self, rules: list[dict[str, Any]]) -> None:
        self.path.write_text(json.dumps({"id": uuid.uuid4().hex, "rules": rules}))
        time.sleep(0.6)  # the runtime re-reads a changed faults file within half a second


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Faults:
    found = Faults(tmp_path_factory.mktemp("llm-faults") / "faults.json")
    found.path.write_text(json.dumps({"id": "none", "rules": []}))
    return found


@pytest.fixture(scope="module")
def llm_local(tmp_path_factory: pytest.TempPathFactory, faults: Faults) -> Iterator[LocalSageMakerStatus]:
    folder = tmp_path_factory.mktemp("llm-local")
    llm_profile = json.loads(DEFAULT_LLM_PROFILE_PATH.read_text())
    llm_profile["max_waiting_per_instance"] = MAX_WAITING
    (folder / "llm.json").write_text(json.dumps(llm_profile))
    profile = json.loads(DEFAULT_PROFILE_PATH.read_text())  # new instances in service in 1 s at 30x
    profile["autoscaling"].update({"instance_startup_s": 30.0, "default_scale_out_cooldown_s": 30.0})
    (folder / "profile.json").write_text(json.dumps(profile))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_VAR, str(faults.path))  # inherited by both servers
        with running_local_sagemaker(
            folder / "state",
            time_compression=30,
            profile=folder / "profile.json",
            llm_profile=folder / "llm.json",
            models=(CLASSIC,),
            llm_models=(LLM,),
            allow_unsigned=True,  # the disconnect test speaks raw HTTP; signed requests are still checked
        ) as local:
            yield local


def _deploy(local: LocalSageMakerStatus, name: str, model: str = LLM, count: int = 1) -> str:
    sagemaker = local.client("sagemaker")
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model,
                "InitialInstanceCount": count,
                "InstanceType": "ml.g5.xlarge",
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 1})
    return name


@pytest.fixture(scope="module")
def llm_endpoint(llm_local: LocalSageMakerStatus) -> str:
    return _deploy(llm_local, "llm-chat")


def _runtime(local: LocalSageMakerStatus, secret: str | None = None) -> Any:
    return boto3.client(
        "sagemaker-runtime",
        endpoint_url=local.runtime_url,
        region_name=local.region,
        aws_access_key_id=local.aws_access_key_id,
        aws_secret_access_key=secret or local.aws_secret_access_key,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=32),
    )


def _chat_body(tokens: int, prompt: str = "word " * 200) -> str:
    return json.dumps(
        {
            "model": "local-llm",
            "messages": [{"role": "user", "content": prompt}],
            "stream": True,
            "max_completion_tokens": tokens,
            "stream_options": {"include_usage": True},
        }
    )


def _stream(runtime: Any, endpoint: str, body: str) -> tuple[dict[str, Any], list[tuple[float, bytes]]]:
    """The response and its PayloadParts with their arrival (seconds after the call)."""
    started = time.monotonic()
    response = runtime.invoke_endpoint_with_response_stream(
        EndpointName=endpoint, Body=body, ContentType="application/json"
    )
    parts = [(time.monotonic() - started, event["PayloadPart"]["Bytes"]) for event in response["Body"]]
    return response, parts


def _sse(parts: list[tuple[float, bytes]]) -> list[bytes]:
    return [line for line in b"".join(part for _, part in parts).split(b"\n\n") if line]


def test_a_chat_stream_through_boto3(llm_local: LocalSageMakerStatus, llm_endpoint: str) -> None:
    response, parts = _stream(_runtime(llm_local), llm_endpoint, _chat_body(12))
    assert response["ContentType"] == "text/event-stream"
    assert response["InvokedProductionVariant"] == "AllTraffic"
    lines = _sse(parts)
    assert lines[-1] == b"data: [DONE]" and all(line.startswith(b"data: ") for line in lines)
    chunks = [json.loads(line[len(b"data: ") :]) for line in lines[:-1]]
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    tokens = [chunk for chunk in chunks if chunk["choices"]]
    assert len(tokens) == 12 and tokens[-1]["choices"][0]["finish_reason"] == "length"
    prompt_tokens = round(len(("word " * 200).encode()) / 4)
    assert chunks[-1]["usage"] == {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": 12,
        "total_tokens": prompt_tokens + 12,
    }
    # Timing as the model says: the prefill step first, then one step (>= 28 ms alone) per token.
    first, last = parts[0][0], parts[-1][0]
    assert first >= SPEC.step_ms(0, prompt_tokens) / 1000 * 0.97
    assert last - first >= 11 * SPEC.decode_base_ms / 1000 * 0.97


def test_a_completions_stream_and_whole_answers(llm_local: LocalSageMakerStatus, llm_endpoint: str) -> None:
    runtime = _runtime(llm_local)
    body = json.dumps({"model": "m", "prompt": "Once upon a time", "max_tokens": 5, "stream": True})
    _, parts = _stream(runtime, llm_endpoint, body)
    chunks = [json.loads(line[len(b"data: ") :]) for line in _sse(parts)[:-1]]
    assert [chunk["object"] for chunk in chunks] == ["text_completion"] * 5  # no usage: not asked for
    assert "".join(chunk["choices"][0]["text"] for chunk in chunks) == " The model streams one token"
    whole = runtime.invoke_endpoint(
        EndpointName=llm_endpoint, Body=_chat_body(3), ContentType="application/json"
    )
    answer = json.loads(whole["Body"].read())
    assert answer["object"] == "chat.completion" and answer["usage"]["completion_tokens"] == 3
    assert answer["choices"][0]["message"]["content"] == " The model streams"


@pytest.mark.parametrize(
    ("rule", "code", "message"),
    [
        ({"after_tokens": 3, "message": "CUDA out of memory"}, "ModelStreamError", "CUDA out of memory"),
        ({"after_tokens": 0, "error": "InternalStreamFailure"}, "InternalStreamFailure", "injected fault"),
    ],
)
def test_a_stream_cut_mid_answer_surfaces_as_botocores_error(
    llm_local: LocalSageMakerStatus,
    llm_endpoint: str,
    faults: Faults,
    rule: dict[str, Any],
    code: str,
    message: str,
) -> None:
    faults.set([{"action": "StreamCut", "match": llm_endpoint, **rule}])
    try:
        runtime = _runtime(llm_local)
        response = runtime.invoke_endpoint_with_response_stream(
            EndpointName=llm_endpoint, Body=_chat_body(10), ContentType="application/json"
        )
        received = []
        with pytest.raises(EventStreamError) as raised:
            for event in response["Body"]:
                received.append(event["PayloadPart"]["Bytes"])
        assert raised.value.response["Error"]["Code"] == code
        assert message in raised.value.response["Error"]["Message"]
        assert len(received) == rule["after_tokens"]
        with pytest.raises(ClientError) as whole:  # not streaming: the container's failure as a 424
            runtime.invoke_endpoint(
                EndpointName=llm_endpoint, Body=_chat_body(10), ContentType="application/json"
            )
        assert whole.value.response["Error"]["Code"] == "ModelError"
        assert whole.value.response["OriginalStatusCode"] == 500
    finally:
        faults.set([])
    _, parts = _stream(_runtime(llm_local), llm_endpoint, _chat_body(4))  # healthy again
    assert _sse(parts)[-1] == b"data: [DONE]"


def test_every_nth_request_cut(llm_local: LocalSageMakerStatus, llm_endpoint: str, faults: Faults) -> None:
    faults.set([{"action": "StreamCut", "match": llm_endpoint, "every": 2, "after_tokens": 1}])
    try:
        outcomes = []
        for _ in range(4):
            try:
                _stream(_runtime(llm_local), llm_endpoint, _chat_body(3))
                outcomes.append("ok")
            except EventStreamError as error:
                outcomes.append(error.response["Error"]["Code"])
    finally:
        faults.set([])
    assert outcomes == ["ok", "ModelStreamError", "ok", "ModelStreamError"]


def test_beyond_the_waiting_bound_the_endpoint_answers_503(llm_local: LocalSageMakerStatus) -> None:
    endpoint = _deploy(llm_local, "llm-small")
    runtime = _runtime(llm_local)

    def one(_: int) -> str:
        try:
            _stream(runtime, endpoint, _chat_body(40, prompt="x" * 20000))  # 5,000 + 40 tokens
            return "ok"
        except ClientError as error:
            return str(error.response["Error"]["Code"])

    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(one, range(12)))
    # ml.g5.xlarge holds 4 such sequences (24,000 KV tokens); MAX_WAITING more may wait.
    assert outcomes.count("ServiceUnavailable") >= 12 - 4 - MAX_WAITING - 1
    assert set(outcomes) <= {"ok", "ServiceUnavailable"} and "ok" in outcomes


def test_a_request_longer_than_the_context_is_the_containers_400(
    llm_local: LocalSageMakerStatus, llm_endpoint: str
) -> None:
    with pytest.raises(ClientError) as raised:
        _stream(_runtime(llm_local), llm_endpoint, _chat_body(256, prompt="x" * 40000))
    error = raised.value.response
    assert error["Error"]["Code"] == "ModelError" and error["OriginalStatusCode"] == 400
    assert "maximum context length is 8192 tokens" in error["Error"]["Message"]


def test_a_bad_signature_is_refused(llm_local: LocalSageMakerStatus, llm_endpoint: str) -> None:
    with pytest.raises(ClientError) as raised:
        _stream(_runtime(llm_local, secret="wrong-secret"), llm_endpoint, _chat_body(2))
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_a_classic_endpoint_streams_its_answer_in_one_part(llm_local: LocalSageMakerStatus) -> None:
    endpoint = _deploy(llm_local, "classic", model=CLASSIC)
    runtime = _runtime(llm_local)
    _, parts = _stream(runtime, endpoint, '{"x": 1}')
    assert [part for _, part in parts] == [b'{"predictions": [0.5]}']
    whole = runtime.invoke_endpoint(EndpointName=endpoint, Body='{"x": 1}', ContentType="application/json")
    assert whole["Body"].read() == b'{"predictions": [0.5]}'


def _state(local: LocalSageMakerStatus, endpoint: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{local.runtime_url}/_local/endpoints/{endpoint}", timeout=5) as answer:
        return dict(json.loads(answer.read()))


def test_a_caller_that_leaves_frees_its_place(llm_local: LocalSageMakerStatus, llm_endpoint: str) -> None:
    port = int(llm_local.runtime_url.rsplit(":", 1)[1])
    body = _chat_body(2000, prompt="hi").encode()
    head = (
        f"POST /endpoints/{llm_endpoint}/invocations-response-stream HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(head + body)
        assert connection.recv(4096).startswith(b"HTTP/1.1 200 OK")
        assert _state(llm_local, llm_endpoint)["llm"]["running"] == [1]
    wait_for(lambda: _state(llm_local, llm_endpoint)["llm"]["running"] == [0], timeout_s=5)


def test_target_tracking_on_concurrency_scales_out(llm_local: LocalSageMakerStatus) -> None:
    endpoint = _deploy(llm_local, "llm-scaling")
    resource = f"endpoint/{endpoint}/variant/AllTraffic"
    scaling = llm_local.client("application-autoscaling")
    dimension = "sagemaker:variant:DesiredInstanceCount"
    scaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=resource,
        ScalableDimension=dimension,
        MinCapacity=1,
        MaxCapacity=3,
    )
    scaling.put_scaling_policy(
        PolicyName="concurrency",
        ServiceNamespace="sagemaker",
        ResourceId=resource,
        ScalableDimension=dimension,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 2.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": CONCURRENCY_METRIC},
        },
    )
    wait_for(lambda: _state(llm_local, endpoint)["autoscaling"] is not None, timeout_s=10)
    runtime, stop = _runtime(llm_local), threading.Event()

    def keep_streaming() -> None:
        while not stop.is_set():
            _stream(runtime, endpoint, _chat_body(30, prompt="hi"))

    with ThreadPoolExecutor(6) as pool:  # 6 streams in flight on 1 instance: 3 times the target
        for _ in range(6):
            pool.submit(keep_streaming)
        try:
            state = wait_for(
                lambda: (found := _state(llm_local, endpoint))["instance_count"] > 1 and found, timeout_s=20
            )
        finally:
            stop.set()
    assert state["autoscaling"]["metric"] == CONCURRENCY_METRIC
    assert max(state["datapoints"]) > 2.0 * 1.5  # requests in flight per instance, over 10 s periods
    described = llm_local.client("sagemaker").describe_endpoint(EndpointName=endpoint)
    assert described["ProductionVariants"][0]["CurrentInstanceCount"] == state["instance_count"]


def test_seeded_llm_model_looks_like_an_lmi_one(llm_local: LocalSageMakerStatus) -> None:
    model = llm_local.client("sagemaker").describe_model(ModelName=LLM)
    container = model["PrimaryContainer"]
    assert container["Image"] == LLM_IMAGE
    assert container["Environment"]["HF_MODEL_ID"] == load_llm_profiles().default_model
    with pytest.raises(ValueError, match="does not serve an LLM"):
        seed_models(llm_local, (), (CLASSIC,))


def test_pipelined_requests_are_answered_one_after_the_other(
    llm_local: LocalSageMakerStatus, llm_endpoint: str
) -> None:
    port = int(llm_local.runtime_url.rsplit(":", 1)[1])
    body = _chat_body(3, prompt="hi").encode()
    one = (
        f"POST /endpoints/{llm_endpoint}/invocations-response-stream HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(one + one)  # the second before the first's answer
        while received.count(b"0\r\n\r\n") < 2 or received.count(b"[DONE]") < 2:
            chunk = connection.recv(65536)
            assert chunk, "the connection closed early"
            received += chunk
    first, second = received.split(b"HTTP/1.1 200 OK")[1:]
    assert b"[DONE]" in first and first.endswith(b"0\r\n\r\n")  # the first answer ended before the next
    assert b"[DONE]" in second


def test_seed_model_llm_from_the_command_line(
    llm_local: LocalSageMakerStatus, capsys: pytest.CaptureFixture[str]
) -> None:
    from sagemaker_sizing import cli
    from sagemaker_sizing.local.seeding import DEFAULT_LLM_MODEL_NAME

    hf_id = "mistralai/Mistral-7B-Instruct-v0.3"
    argv = ["local", "seed-model", "--llm", "--hf-model-id", hf_id, "--state-dir", llm_local.state_dir]
    assert cli.main(argv) == 0
    arn = capsys.readouterr().out.strip()
    model = llm_local.client("sagemaker").describe_model(ModelName=DEFAULT_LLM_MODEL_NAME)
    assert arn == model["ModelArn"] and model["PrimaryContainer"]["Environment"]["HF_MODEL_ID"] == hf_id
    assert cli.main(["local", "seed-model", "--state-dir", llm_local.state_dir]) == 2  # a name, or --llm
