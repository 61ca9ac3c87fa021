"""What an LLM container (LMI or vLLM in OpenAI mode) reads and writes: the request body, and the
answer's bytes, streamed (``data: {chunk}`` lines) or whole.

Requests: chat (``messages``) or completions (``prompt``); ``max_completion_tokens`` or
``max_tokens`` sets the output length (the model never stops early: as with ``ignore_eos``);
``stream_options.include_usage`` adds vLLM's usage chunk (``choices: []``) after the last token.
Input tokens are counted as the prompt's UTF-8 bytes / ``bytes_per_token`` of the model profile
(about 4 for English with a Llama-3 tokenizer); a prompt given as token ids counts its ids.

Streamed chunks: ``chat.completion.chunk`` with ``choices[0].delta.content`` (the first also
carries ``role``), or ``text_completion`` with ``choices[0].text``; the last token's chunk has
``finish_reason: "length"``; then the usage chunk, then ``data: [DONE]``. Each SSE line is one
PayloadPart event, and the events of one step go out as one HTTP chunk.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sagemaker_sizing.local import eventstream

CHAT = "chat"
COMPLETIONS = "completions"
# The text the model "generates": one word per token.
_WORDS = tuple(
    json.dumps(word)[1:-1].encode()
    for word in (" The", " model", " streams", " one", " token", " per", " step", ".")
)
_DONE = b"data: [DONE]\n\n"
_LAST_HTTP_CHUNK = b"0\r\n\r\n"


class BadRequest(ValueError):
    """What the container answers with HTTP 400 (SageMaker passes it on in a 424 ModelError)."""


@dataclass(frozen=True)
class OpenAiRequest:
    api: str  # CHAT or COMPLETIONS
    model: str
    prompt_bytes: int  # UTF-8 bytes of the prompt's text
    prompt_token_ids: int | None  # a completions prompt given as token ids
    max_tokens: int | None
    include_usage: bool


def _text_bytes(content: Any) -> int:
    """Bytes of a message's content: a string, or a list of parts (the text ones count)."""
    if isinstance(content, str):
        return len(content.encode())
    if isinstance(content, list):
        return sum(
            len(str(part.get("text", "")).encode())
            for part in content
            if isinstance(part, dict) and part.get("type", "text") == "text"
        )
    return 0


def parse_request(body: bytes) -> OpenAiRequest:
    """The request an OpenAI-compatible server reads; BadRequest with vLLM-like words when not one."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    token_ids: int | None = None
    if "messages" in data:
        messages = data["messages"]
        if not isinstance(messages, list) or not messages:
            raise BadRequest("'messages' must be a non-empty list.")
        api = CHAT
        prompt_bytes = sum(_text_bytes(m.get("content")) for m in messages if isinstance(m, dict))
    elif "prompt" in data:
        api, prompt = COMPLETIONS, data["prompt"]
        if isinstance(prompt, str):
            prompt_bytes = len(prompt.encode())
        elif isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
            prompt_bytes = sum(len(p.encode()) for p in prompt)
        elif isinstance(prompt, list) and all(isinstance(p, int) for p in prompt):
            prompt_bytes, token_ids = 0, len(prompt)
        else:
            raise BadRequest("'prompt' must be a string, a list of strings or a list of token ids.")
    else:
        raise BadRequest("The request needs 'messages' (chat) or 'prompt' (completions).")
    max_tokens = data.get("max_completion_tokens", data.get("max_tokens"))
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise BadRequest(f"max_tokens must be at least 1, got {max_tokens}.")
    options = data.get("stream_options") or {}
    return OpenAiRequest(
        api=api,
        model=str(data.get("model", "")),
        prompt_bytes=prompt_bytes,
        prompt_token_ids=token_ids,
        max_tokens=max_tokens,
        include_usage=bool(isinstance(options, dict) and options.get("include_usage")),
    )


def _http_chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class Answer:
    """One request's answer: its chunks for each step, or its whole completion."""

    __slots__ = ("_cached", "_head", "_tail", "completion_tokens", "prompt_tokens", "request")

    def __init__(self, request: OpenAiRequest, prompt_tokens: int, completion_tokens: int) -> None:
        self.request = request
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        model = json.dumps(request.model)
        created = int(time.time())
        if request.api == CHAT:
            self._head = (
                f'data: {{"id":"chatcmpl-{uuid.uuid4().hex}","object":"chat.completion.chunk",'
                f'"created":{created},"model":{model},"choices":'
            ).encode()
        else:
            self._head = (
                f'data: {{"id":"cmpl-{uuid.uuid4().hex}","object":"text_completion",'
                f'"created":{created},"model":{model},"choices":'
            ).encode()
        self._tail = b"}\n\n"
        self._cached: list[bytes | None] = [None] * len(_WORDS)  # a middle token's HTTP chunk, per word

    def _line(self, word: bytes, first: bool, finish: str | None) -> bytes:
        reason = b"null" if finish is None else b'"' + finish.encode() + b'"'
        if self.request.api == CHAT:
            role = b'"role":"assistant",' if first else b""
            choice = (
                b'[{"index":0,"delta":{'
                + role
                + b'"content":"'
                + word
                + b'"},"logprobs":null,"finish_reason":'
            )
        else:
            choice = b'[{"index":0,"text":"' + word + b'","logprobs":null,"finish_reason":'
        return self._head + choice + reason + b"}]" + self._tail

    def _usage_line(self) -> bytes:
        usage = (
            f'[],"usage":{{"prompt_tokens":{self.prompt_tokens},"completion_tokens":{self.completion_tokens},'
            f'"total_tokens":{self.prompt_tokens + self.completion_tokens}}}'
        ).encode()
        return self._head + usage + self._tail

    def step(self, generated: int) -> bytes:
        """The HTTP chunk a step writes once ``generated`` tokens exist (the last one ends the body)."""
        word_index = (generated - 1) % len(_WORDS)
        word = _WORDS[word_index]
        last = generated >= self.completion_tokens
        if generated > 1 and not last:
            cached = self._cached[word_index]
            if cached is None:
                cached = self._cached[word_index] = _http_chunk(
                    eventstream.payload_part(self._line(word, False, None))
                )
            return cached
        frames = eventstream.payload_part(self._line(word, generated == 1, "length" if last else None))
        if not last:
            return _http_chunk(frames)
        if self.request.include_usage:
            frames += eventstream.payload_part(self._usage_line())
        frames += eventstream.payload_part(_DONE)
        return _http_chunk(frames) + _LAST_HTTP_CHUNK

    @staticmethod
    def cut(exception_frame: bytes) -> bytes:
        """An exception event that ends the body mid-answer."""
        return _http_chunk(exception_frame) + _LAST_HTTP_CHUNK

    def completion(self) -> bytes:
        """The non-streaming answer: one chat.completion / text_completion object."""
        text = "".join(
            json.loads(b'"' + _WORDS[i % len(_WORDS)] + b'"') for i in range(self.completion_tokens)
        )
        usage = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }
        common = {"created": int(time.time()), "model": self.request.model, "usage": usage}
        if self.request.api == CHAT:
            choice: dict[str, Any] = {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": None,
                "finish_reason": "length",
            }
            body = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "choices": [choice]}
        else:
            choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": "length"}
            body = {"id": f"cmpl-{uuid.uuid4().hex}", "object": "text_completion", "choices": [choice]}
        return json.dumps(body | common).encode()
