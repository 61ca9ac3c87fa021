"""The OpenAI request an LLM container reads and the bytes of its answers."""

from __future__ import annotations

import json

import pytest
from botocore.eventstream import EventStreamBuffer
from sagemaker_sizing.local.llm_openai import CHAT, COMPLETIONS, Answer, BadRequest, parse_request
from sagemaker_sizing.local.llm_profiles import is_llm_image


def _chat(**extra: object) -> bytes:
    return json.dumps(
        {"model": "m", "messages": [{"role": "user", "content": "héllo wörld"}], **extra}
    ).encode()


def _lines(http_chunks: bytes) -> list[bytes]:
    """The SSE lines inside a chunked body of event-stream frames."""
    body, rest = b"", http_chunks
    while rest:
        size, _, rest = rest.partition(b"\r\n")
        length = int(size, 16)
        body, rest = body + rest[:length], rest[length + 2 :]
        if length == 0:
            break
    buffer = EventStreamBuffer()
    buffer.add_data(body)
    return [message.payload for message in buffer]


def test_chat_request_fields() -> None:
    request = parse_request(_chat(max_completion_tokens=7, stream_options={"include_usage": True}))
    assert request.api == CHAT and request.model == "m" and request.max_tokens == 7
    assert request.prompt_bytes == len("héllo wörld".encode()) and request.include_usage


def test_completions_request_with_legacy_max_tokens_and_token_ids() -> None:
    request = parse_request(json.dumps({"model": "m", "prompt": ["ab", "cd"], "max_tokens": 3}).encode())
    assert (request.api, request.prompt_bytes, request.max_tokens, request.include_usage) == (
        COMPLETIONS,
        4,
        3,
        False,
    )
    assert parse_request(json.dumps({"prompt": [1, 2, 3]}).encode()).prompt_token_ids == 3


def test_content_parts_count_their_text() -> None:
    parts = [{"type": "text", "text": "abc"}, {"type": "image_url", "image_url": {"url": "x"}}]
    request = parse_request(json.dumps({"messages": [{"role": "user", "content": parts}]}).encode())
    assert request.prompt_bytes == 3


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"not json", "not valid JSON"),
        (b"[1]", "JSON object"),
        (b'{"model": "m"}', "'messages'"),
        (b'{"messages": []}', "non-empty"),
        (b'{"prompt": "x", "max_tokens": 0}', "at least 1"),
    ],
)
def test_bad_requests_say_what_is_wrong(body: bytes, words: str) -> None:
    with pytest.raises(BadRequest, match=words):
        parse_request(body)


def test_a_streamed_chat_answer_is_openai_chunks_then_usage_then_done() -> None:
    answer = Answer(parse_request(_chat(stream_options={"include_usage": True})), 12, 4)
    lines = [line for step in range(1, 5) for line in _lines(answer.step(step))]
    chunks = [json.loads(line.removeprefix(b"data: ")) for line in lines[:-1]]
    assert lines[-1] == b"data: [DONE]\n\n" and all(line.endswith(b"\n\n") for line in lines)
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert len({chunk["id"] for chunk in chunks}) == 1
    tokens, usage = chunks[:-1], chunks[-1]
    assert tokens[0]["choices"][0]["delta"]["role"] == "assistant"
    assert [c["choices"][0]["finish_reason"] for c in tokens] == [None, None, None, "length"]
    assert "".join(c["choices"][0]["delta"]["content"] for c in tokens) == " The model streams one"
    assert usage["choices"] == [] and usage["usage"] == {
        "prompt_tokens": 12,
        "completion_tokens": 4,
        "total_tokens": 16,
    }
    assert answer.step(4).endswith(b"0\r\n\r\n") and not answer.step(2).endswith(b"0\r\n\r\n")


def test_a_streamed_completion_without_usage() -> None:
    answer = Answer(parse_request(json.dumps({"model": "m", "prompt": "x"}).encode()), 1, 2)
    lines = _lines(answer.step(1)) + _lines(answer.step(2))
    chunks = [json.loads(line.removeprefix(b"data: ")) for line in lines[:-1]]
    assert [c["object"] for c in chunks] == ["text_completion"] * 2
    assert [c["choices"][0]["text"] for c in chunks] == [" The", " model"]
    assert "usage" not in chunks[-1]


def test_a_whole_completion() -> None:
    answer = Answer(parse_request(_chat()), 5, 3)
    body = json.loads(answer.completion())
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": " The model streams"}
    assert body["usage"]["total_tokens"] == 8


@pytest.mark.parametrize(
    ("image", "llm"),
    [
        ("763104351884.dkr.ecr.us-west-2.amazonaws.com/djl-inference:0.31.0-lmi13.0.0-cu124", True),
        ("763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4-tgi2.4", True),
        ("ghcr.io/huggingface/text-generation-inference:3.0", True),
        ("vllm/vllm-openai:v0.8.0", True),
        ("123456789012.dkr.ecr.us-west-2.amazonaws.com/local-model:latest", False),
        ("123456789012.dkr.ecr.us-west-2.amazonaws.com/xgboost:1.7", False),
        ("123456789012.dkr.ecr.us-west-2.amazonaws.com/settings:latest", False),
    ],
)
def test_llm_containers_are_told_by_their_image(image: str, llm: bool) -> None:
    assert is_llm_image(image) is llm
