"""Where an LLM request's tokens go in the runtime: the connection it came on.

:class:`StreamedAnswer` (``invocations-response-stream``) writes the HTTP head with the first token,
then one HTTP chunk per step (the PayloadPart events of that step's SSE lines), the last with usage
and ``[DONE]``. :class:`WholeAnswer` (``invocations``) writes one completion JSON when the last token
is out. Both answer a request that waited past the first-token timeout with SageMaker's 424, and a
StreamCut fault (local/faults.py) with an exception event mid-stream (a 424 when not streaming).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sagemaker_sizing.local import eventstream
from sagemaker_sizing.local import http_responses as http
from sagemaker_sizing.local.llm_openai import Answer

if TYPE_CHECKING:
    from sagemaker_sizing.local.llm_serving import LlmEndpoint, LlmRequest


class Connection(Protocol):
    """What an answer needs of the connection it is written on."""

    def write_now(self, data: bytes) -> None: ...

    def answer_done(self, due: float, keep_alive: bool) -> None: ...


@dataclass(frozen=True)
class Cut:
    """A fault that ends the answer after ``after_tokens`` tokens."""

    after_tokens: int
    exception_type: str = eventstream.MODEL_STREAM_ERROR
    error_code: str | None = "StreamBroken"
    message: str = "Model stream broken: injected fault (local SageMaker)"

    def frame(self) -> bytes:
        code = self.error_code if self.exception_type == eventstream.MODEL_STREAM_ERROR else None
        return eventstream.exception(self.exception_type, self.message, code)


@dataclass(frozen=True)
class Target:
    """The endpoint an answer is for, as error messages name it."""

    name: str
    account: str
    region: str
    variant: str


class _Base:
    __slots__ = ("_cut", "answer", "connection", "cut_at", "endpoint", "keep_alive", "target")

    def __init__(
        self,
        connection: Connection,
        endpoint: LlmEndpoint,
        answer: Answer,
        *,
        target: Target,
        keep_alive: bool,
        cut: Cut | None = None,
    ) -> None:
        self.connection = connection
        self.endpoint = endpoint
        self.answer = answer
        self.target = target
        self.keep_alive = keep_alive
        # The step that would bring token cut_at is where the stream breaks (None: never).
        self.cut_at = None if cut is None else min(cut.after_tokens, answer.completion_tokens - 1) + 1
        self._cut = cut

    def on_failed(self, request: LlmRequest, now: float, reason: str) -> None:
        """No first token within the timeout (the only failure before a token)."""
        target = self.target
        self.connection.write_now(
            http.model_timeout(target.name, target.account, target.region, self.keep_alive)
        )
        self.connection.answer_done(now, self.keep_alive)

    def _break(self, request: LlmRequest, now: float, data: bytes) -> None:
        self.connection.write_now(data)
        self.endpoint.abort(request, now)
        self.connection.answer_done(now, self.keep_alive)


class StreamedAnswer(_Base):
    __slots__ = ("_head",)

    def __init__(
        self,
        connection: Connection,
        endpoint: LlmEndpoint,
        answer: Answer,
        *,
        target: Target,
        keep_alive: bool,
        cut: Cut | None = None,
    ) -> None:
        super().__init__(connection, endpoint, answer, target=target, keep_alive=keep_alive, cut=cut)
        self._head = http.stream_head(
            eventstream.CONTENT_TYPE,
            {
                "X-Amzn-SageMaker-Content-Type": "text/event-stream",
                "x-Amzn-Invoked-Production-Variant": target.variant,
            },
            keep_alive,
        )

    def on_tokens(self, request: LlmRequest, now: float) -> None:
        generated = request.generated
        head = self._head if generated == 1 else b""
        if generated == self.cut_at and self._cut is not None:
            self._break(request, now, head + Answer.cut(self._cut.frame()))
            return
        self.connection.write_now(head + self.answer.step(generated) if head else self.answer.step(generated))
        if request.done:
            self.connection.answer_done(now, self.keep_alive)


class WholeAnswer(_Base):
    __slots__ = ()

    def on_tokens(self, request: LlmRequest, now: float) -> None:
        target = self.target
        if request.generated == self.cut_at and self._cut is not None:
            error = http.model_error(
                target.name, target.account, target.region, 500, self._cut.message, keep_alive=self.keep_alive
            )
            self._break(request, now, error)
        elif request.done:
            body = self.answer.completion()
            headers = {"x-Amzn-Invoked-Production-Variant": target.variant}
            self.connection.write_now(http.response(200, body, headers=headers, keep_alive=self.keep_alive))
            self.connection.answer_done(now, self.keep_alive)
