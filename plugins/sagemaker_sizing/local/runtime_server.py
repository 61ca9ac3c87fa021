"""The runtime emulator process: ``POST /endpoints/{name}/invocations`` and
``/invocations-response-stream`` on raw asyncio + httptools.

Answers are computed by the endpoint's queue and written at their due time by a
:class:`~sagemaker_sizing.local.due_timer.DueTimer` (a timerfd on Linux: the event loops' own
timers are millisecond timers); no task per request, no busy work. An LLM endpoint's instances
step on the same timer and write each step's tokens to their connections (``llm_answers``).
Extra local routes: ``GET /ping``, ``GET /_local/capacity`` (ground truth) and
``GET /_local/endpoints/{name}`` (queue and scaling state, for tests).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import ssl
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import httptools

from sagemaker_sizing.local import eventstream, faults, llm_knee
from sagemaker_sizing.local import http_responses as http
from sagemaker_sizing.local.capacity import ModelProfile, analytical_capacity, load_profile
from sagemaker_sizing.local.component_deployments import COMPONENT_HEADER, RoutingError, route
from sagemaker_sizing.local.component_serving import ComponentHost
from sagemaker_sizing.local.deployments import ControlPlaneWatcher
from sagemaker_sizing.local.due_timer import DueTimer, now
from sagemaker_sizing.local.endpoints import EndpointRegistry, LiveEndpoint
from sagemaker_sizing.local.llm_answers import Cut, StreamedAnswer, Target, WholeAnswer
from sagemaker_sizing.local.llm_openai import Answer, BadRequest, parse_request
from sagemaker_sizing.local.llm_profiles import load_llm_profiles
from sagemaker_sizing.local.llm_serving import TOO_LONG, LlmEndpoint, LlmRequest
from sagemaker_sizing.local.queueing import TIMED_OUT
from sagemaker_sizing.local.serverless import THROTTLED
from sagemaker_sizing.local.sigv4 import SigV4Verifier

if TYPE_CHECKING:
    from collections.abc import Coroutine, Sequence

LOG = logging.getLogger(__name__)
ACCOUNT_ID = "123456789012"  # moto's default account
_PREFIX, _SUFFIX, _STREAM_SUFFIX = "/endpoints/", "/invocations", "/invocations-response-stream"
_PREDICTION = b'{"predictions": [0.5]}'
_STREAMED_PREDICTION = b"%x\r\n%s\r\n0\r\n\r\n" % (
    len(eventstream.payload_part(_PREDICTION)),
    eventstream.payload_part(_PREDICTION),
)
_PENDING_TASKS: set[asyncio.Future[None]] = set()  # strong refs until done


@dataclass
class RuntimeConfig:
    region: str
    account: str
    allow_unsigned: bool
    verifier: SigV4Verifier


class RuntimeProtocol(asyncio.Protocol):
    def __init__(self, registry: EndpointRegistry, config: RuntimeConfig, timer: DueTimer) -> None:
        self._registry = registry
        self._config = config
        self._timer = timer
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._last_due = 0.0  # answers leave in request order on one connection
        self._llm: tuple[LlmEndpoint, LlmRequest] | None = None  # the LLM request being answered
        self._deferred: list[tuple[str, bytes, dict[str, str], bytes, bool]] = []
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._llm is not None:  # the caller left: its sequence leaves the batch (as vLLM aborts)
            endpoint, request = self._llm
            self._llm = None
            endpoint.abort(request, now())

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._send(http.error(400, "SerializationException", "Malformed HTTP request.", False), 0.0)

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url, self._headers, self._body = b"", {}, []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        keep_alive = bool(self._parser.should_keep_alive())
        method = self._parser.get_method().decode()
        request = (method, self._url, self._headers, b"".join(self._body), keep_alive)
        if self._llm is not None:  # pipelined behind a stream: its turn comes when the stream ends
            self._deferred.append(request)
            if self._transport is not None and not self._paused:
                self._transport.pause_reading()
                self._paused = True
            return
        self._dispatch(*request)

    def _dispatch(
        self, method: str, raw_url: bytes, headers: dict[str, str], body: bytes, keep_alive: bool
    ) -> None:
        self._headers = headers
        url = httptools.parse_url(raw_url)
        path = url.path.decode("latin-1")
        query = (url.query or b"").decode("latin-1")
        if method == "POST" and path.startswith(_PREFIX) and path.endswith((_SUFFIX, _STREAM_SUFFIX)):
            self._invoke(path, query, body, keep_alive)
        elif method == "GET":
            self._local(path, query, keep_alive)
        else:
            self._send(
                http.error(404, "UnknownOperationException", f"No route for {method} {path}.", keep_alive),
                0.0,
                keep_alive,
            )

    def _send(self, payload: bytes, due: float, keep_alive: bool = False) -> None:
        due = max(due, self._last_due)
        self._last_due = due
        if due <= now():
            self._write(payload, keep_alive)
        else:
            self._timer.call_at(due, self._write, payload, keep_alive)

    def _write(self, payload: bytes, keep_alive: bool) -> None:
        if self._transport is None or self._transport.is_closing():
            return
        self._transport.write(payload)
        if not keep_alive:
            self._transport.close()

    # llm_answers.Connection: an LLM answer writes as its steps end.
    def write_now(self, data: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def answer_done(self, due: float, keep_alive: bool) -> None:
        self._last_due = max(self._last_due, due)
        self._llm = None
        if not keep_alive and self._transport is not None:
            self._transport.close()
        while self._deferred and self._llm is None:
            self._dispatch(*self._deferred.pop(0))
        if self._paused and not self._deferred and self._transport is not None:
            self._paused = False
            if not self._transport.is_closing():
                self._transport.resume_reading()

    def _invoke(self, path: str, query: str, body: bytes, keep_alive: bool) -> None:
        if "authorization" in self._headers:
            failure = self._config.verifier.verify("POST", path, query, self._headers, body)
            if failure is not None:
                self._send(
                    http.error(failure.status, failure.code, failure.message, keep_alive), 0.0, keep_alive
                )
                return
        elif not self._config.allow_unsigned:
            self._send(
                http.error(
                    403, "MissingAuthenticationTokenException", "Missing Authentication Token", keep_alive
                ),
                0.0,
                keep_alive,
            )
            return
        stream = path.endswith(_STREAM_SUFFIX)
        name = path[len(_PREFIX) : -len(_STREAM_SUFFIX if stream else _SUFFIX)]
        live = self._registry.get(name)
        if live is None or live.deployment.status != "InService" or self._component_unknown(live):
            # The cache may be a poll behind a deploy that just finished: look again before failing.
            self._background(self._invoke_after_refresh(name, body, keep_alive, stream))
            return
        self._admit(name, body, keep_alive, stream)

    def _component_unknown(self, live: LiveEndpoint) -> bool:
        """A component header the runtime cannot route yet (created a moment ago?)."""
        header = self._headers.get(COMPONENT_HEADER)
        if not header or not isinstance(live.queue, ComponentHost):
            return False
        return isinstance(
            route(live.deployment.name, list(live.queue.components.values()), header), RoutingError
        )

    async def _invoke_after_refresh(self, name: str, body: bytes, keep_alive: bool, stream: bool) -> None:
        await self._registry.refresh()
        live = self._registry.get(name)
        if live is None:
            self._send(http.endpoint_not_found(name, self._config.account, keep_alive), 0.0, keep_alive)
        elif live.deployment.status != "InService":
            self._send(
                http.endpoint_not_in_service(name, live.deployment.status, keep_alive), 0.0, keep_alive
            )
        else:
            self._admit(name, body, keep_alive, stream)

    def _admit(self, name: str, body: bytes, keep_alive: bool, stream: bool = False) -> None:
        live = self._registry.endpoints[name]
        live.payload_bytes_total += len(body)
        queue = live.queue
        if isinstance(queue, ComponentHost):  # the header names the component whose copies serve
            routed = route(name, list(queue.components.values()), self._headers.get(COMPONENT_HEADER))
            if isinstance(routed, RoutingError):
                self._send(
                    http.error(routed.status, routed.code, routed.message, keep_alive), 0.0, keep_alive
                )
                return
            queue = queue.servers[routed.name]
        if isinstance(queue, LlmEndpoint):
            self._admit_llm(live, queue, body, keep_alive, stream)
            return
        arrived = now()
        admission = queue.admit(arrived, len(body))
        if admission.error is None:
            headers = {
                "x-Amzn-Invoked-Production-Variant": live.deployment.variant_name,
                # The model's latency (queueing + service), for tests that must not count CPU contention.
                "x-Local-Model-Latency-Ms": f"{(admission.due - arrived) * 1000.0:.3f}",
            }
            if stream:  # a container that does not stream: its whole answer in one PayloadPart
                headers["X-Amzn-SageMaker-Content-Type"] = "application/json"
                answer = (
                    http.stream_head(eventstream.CONTENT_TYPE, headers, keep_alive) + _STREAMED_PREDICTION
                )
            else:
                answer = http.response(200, _PREDICTION, headers=headers, keep_alive=keep_alive)
        elif admission.error == TIMED_OUT:
            answer = http.model_timeout(name, self._config.account, self._config.region, keep_alive)
        elif admission.error == THROTTLED:
            answer = http.throttled(name, keep_alive)
        else:
            answer = http.overloaded(name, keep_alive)
        self._send(answer, admission.due, keep_alive)

    def _admit_llm(
        self, live: LiveEndpoint, endpoint: LlmEndpoint, body: bytes, keep_alive: bool, stream: bool
    ) -> None:
        """Hand the request to the endpoint's engines; its answer leaves as its steps end."""
        config = self._config
        name = live.deployment.name
        try:
            request = parse_request(body)
        except BadRequest as exc:
            endpoint.invocations += 1
            endpoint.errors += 1
            error = http.model_error(
                name, config.account, config.region, 400, str(exc), keep_alive=keep_alive
            )
            self._send(error, 0.0, keep_alive)
            return
        model = endpoint.model
        input_tokens = request.prompt_token_ids or model.count_tokens(request.prompt_bytes)
        output_tokens = request.max_tokens or model.default_max_tokens
        answer = Answer(request, input_tokens, output_tokens)
        target = Target(name, config.account, config.region, live.deployment.variant_name)
        kind = StreamedAnswer if stream else WholeAnswer
        sink = kind(self, endpoint, answer, target=target, keep_alive=keep_alive, cut=_stream_cut(name))
        submitted = endpoint.submit(now(), input_tokens, output_tokens, sink)
        if isinstance(submitted, LlmRequest):
            self._llm = (endpoint, submitted)
        elif submitted.reason == TOO_LONG:
            message = (
                f"This model's maximum context length is {model.max_model_len} tokens. However, you "
                f"requested {input_tokens + output_tokens} tokens ({input_tokens} in the messages, "
                f"{output_tokens} in the completion). Please reduce the length of the messages or completion."
            )
            error = http.model_error(name, config.account, config.region, 400, message, keep_alive=keep_alive)
            self._send(error, 0.0, keep_alive)
        else:
            self._send(http.overloaded(name, keep_alive), 0.0, keep_alive)

    def _local(self, path: str, query: str, keep_alive: bool) -> None:
        params = {key: values[-1] for key, values in parse_qs(query).items()}
        if path == "/ping":
            payload = {"status": "ok", "control_plane_up": self._registry.control_plane_up}
            self._send(http.json_response(200, payload, keep_alive), 0.0, keep_alive)
        elif path == "/_local/capacity" or path.startswith("/_local/endpoints/"):
            self._background(self._local_endpoint(path, params, keep_alive))
        else:
            self._send(
                http.error(404, "UnknownOperationException", f"No route for GET {path}.", keep_alive),
                0.0,
                keep_alive,
            )

    async def _local_endpoint(self, path: str, params: dict[str, str], keep_alive: bool) -> None:
        name = params.get("endpoint", "") if path == "/_local/capacity" else path.rsplit("/", 1)[-1]
        if self._registry.get(name) is None:
            await self._registry.refresh()  # deployed a moment ago: the poll may not have seen it yet
        state = self._registry.describe(name)
        if state is None:
            self._send(http.endpoint_not_found(name, self._config.account, keep_alive), 0.0, keep_alive)
        elif path == "/_local/capacity" and isinstance(
            queue := self._capacity_queue(name, params.get("component")), LlmEndpoint
        ):
            # The knee's bisection takes up to a second of CPU: in a thread, the loop keeps streaming.
            payload = await asyncio.to_thread(_llm_capacity, queue, params)
            if params.get("component"):  # its instances are the component's copies
                payload |= {
                    "component": params["component"],
                    "knee_rps_per_copy": payload["knee_rps_per_instance"],
                }
            self._send(http.json_response(200, payload, keep_alive), 0.0, keep_alive)
        elif path == "/_local/capacity":
            self._capacity(name, params, keep_alive)
        else:
            self._send(http.json_response(200, state, keep_alive), 0.0, keep_alive)

    def _capacity_queue(self, name: str, component: str | None) -> Any:
        """The endpoint's queue, or (``component=``) the copies of one of its components."""
        queue = self._registry.endpoints[name].queue
        if component and isinstance(queue, ComponentHost):
            return queue.server(component)
        return queue

    def _background(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        _PENDING_TASKS.add(task)
        task.add_done_callback(_PENDING_TASKS.discard)

    def _capacity(self, name: str, params: dict[str, str], keep_alive: bool) -> None:
        live = self._registry.endpoints[name]
        profile: ModelProfile = self._registry.profile
        p99 = float(params.get("p99_ms", "500"))
        size = int(params["payload_bytes"]) if "payload_bytes" in params else None
        count = live.queue.instance_count
        payload = {
            "endpoint": name,
            "instance_type": live.deployment.instance_type,
            "instance_count": count,
            "p99_ms": p99,
            "payload_bytes": profile.default_payload_bytes if size is None else size,
            "capacity_tps": analytical_capacity(profile, live.deployment.instance_type, count, p99, size),
            "service_ms": profile.service_ms(live.deployment.instance_type, size),
        }
        self._send(http.json_response(200, payload, keep_alive), 0.0, keep_alive)


def _stream_cut(name: str) -> Cut | None:
    """A StreamCut fault for this request (tests only: local/faults.py)."""
    rule = faults.fire(faults.STREAM_CUT, (name,))
    if rule is None:
        return None
    return Cut(
        after_tokens=max(0, int(rule.get("after_tokens", 1))),
        exception_type=str(rule.get("error", eventstream.MODEL_STREAM_ERROR)),
        error_code=str(rule.get("error_code", "StreamBroken")),
        message=str(rule.get("message", Cut.message)),
    )


def _llm_capacity(endpoint: LlmEndpoint, params: dict[str, str]) -> dict[str, Any]:
    """The LLM serving model's ground truth for a token mix and TTFT/ITL p99 limits."""
    input_tokens = int(params.get("input_tokens", "512"))
    output_tokens = int(params.get("output_tokens", "256"))
    ttft, itl = float(params.get("ttft_p99_ms", "1000")), float(params.get("itl_p99_ms", "100"))
    found = llm_knee.capacity(endpoint.spec, input_tokens, output_tokens)
    knee = llm_knee.knee_rps(
        endpoint.spec,
        input_tokens,
        output_tokens,
        ttft_p99_ms=ttft,
        itl_p99_ms=itl,
        noise=endpoint.profiles.noise,
    )
    count = endpoint.instance_count
    return {
        "endpoint_kind": "llm",
        "instance_type": endpoint.instance_type,
        "instance_count": count,
        "model": endpoint.model.name,
        "routing": endpoint.routing,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "ttft_p99_ms": ttft,
        "itl_p99_ms": itl,
        "knee_rps_per_instance": knee,
        "knee_rps": knee * count,
        "saturation_rps_per_instance": found.saturation_rps,
        "max_sequences_per_instance": found.max_sequences,
        "itl_idle_ms": found.itl_idle_ms,
        "ttft_idle_ms": found.ttft_idle_ms,
        "itl_at_saturation_ms": found.itl_at_saturation_ms,
    }


async def serve(args: argparse.Namespace) -> None:
    access_key = os.environ["LOCAL_SAGEMAKER_ACCESS_KEY_ID"]
    secret_key = os.environ["LOCAL_SAGEMAKER_SECRET_ACCESS_KEY"]
    reader = ControlPlaneWatcher(args.control_plane_url, args.region, access_key, secret_key)
    loop = asyncio.get_running_loop()
    timer = DueTimer(loop)
    registry = EndpointRegistry(
        reader,
        load_profile(args.profile),
        args.time_compression,
        args.poll_interval,
        llm=load_llm_profiles(args.llm_profile),
        schedule=timer.call_at,
    )
    config = RuntimeConfig(
        args.region, ACCOUNT_ID, args.allow_unsigned, SigV4Verifier(access_key, secret_key)
    )
    server = await loop.create_server(
        lambda: RuntimeProtocol(registry, config, timer),
        args.host,
        args.port,
        reuse_address=True,
        backlog=1024,
    )
    tls_server = None
    if args.tls_port:
        # The same protocol behind asyncio's TLS transport: the plain listener is untouched.
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        tls_server = await loop.create_server(
            lambda: RuntimeProtocol(registry, config, timer),
            args.host,
            args.tls_port,
            ssl=context,
            reuse_address=True,
            backlog=1024,
        )
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    loop.add_signal_handler(signal.SIGINT, stop.set_result, None)
    await registry.refresh()
    gc.freeze()  # start-up's objects live as long as the process: full collections skip them
    tasks = [
        asyncio.ensure_future(registry.poll_forever()),
        asyncio.ensure_future(registry.autoscale_forever()),
    ]
    LOG.info(
        "local SageMaker runtime on http://%s:%s%s (control plane %s, compression %s, %s timers)",
        args.host,
        args.port,
        f" and https://{args.host}:{args.tls_port}" if args.tls_port else "",
        args.control_plane_url,
        args.time_compression,
        "timerfd" if timer.precise else "event-loop",
    )
    await stop
    for task in tasks:
        task.cancel()
    server.close()
    if tls_server is not None:
        tls_server.close()
    timer.close()
    reader.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sagemaker_sizing.local.runtime_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control-plane-url", required=True)
    parser.add_argument("--region", default="us-west-2")
    parser.add_argument("--profile", default=None)
    parser.add_argument(
        "--llm-profile", default=None, help="LLM profiles (default resources/llm_profiles.json)"
    )
    parser.add_argument("--time-compression", type=float, default=1.0)
    parser.add_argument("--poll-interval", type=float, default=1.0)
    parser.add_argument("--allow-unsigned", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument("--tls-port", type=int, default=None, help="also serve TLS on this port")
    parser.add_argument("--tls-cert", default=None, help="PEM certificate of the TLS listener")
    parser.add_argument("--tls-key", default=None, help="PEM private key of the TLS listener")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # plain asyncio is fast enough, only less so
        LOG.info("uvloop not installed; using asyncio's default loop")
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
