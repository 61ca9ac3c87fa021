"""A tiny, fast SageMaker runtime stand-in on loopback, for the Gatling jar's tests and benchmark.

It answers ``POST /endpoints/{name}/invocations`` over keep-alive HTTP/1.1 with a hand-rolled
asyncio protocol (no framework: the benchmark needs thousands of requests per second from one
core), counts what it saw, answers a chosen share of requests with 500, and checks SigV4
signatures when given the secret key.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

_PATH = re.compile(r"^/endpoints/([^/]+)/invocations$")
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<akid>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)"
    r"/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<sig>[0-9a-f]{64})$"
)


@dataclass
class Seen:
    """What the server saw; read it after the load has finished."""

    requests: int = 0
    connections: int = 0
    first_at: float | None = None  # time.time() of the first request of any kind
    by_endpoint: Counter[str] = field(default_factory=Counter)
    bodies: Counter[bytes] = field(default_factory=Counter)
    unsigned: int = 0
    signed_valid: int = 0
    signed_invalid: int = 0
    answered_500: int = 0
    auth_samples: list[str] = field(default_factory=list)
    header_samples: list[dict[str, str]] = field(default_factory=list)


def sigv4_signature(method: str, path: str, headers: dict[str, str], body: bytes, secret: str) -> str | None:
    """Recomputes the SigV4 signature of a request (empty query string); None when malformed."""
    match = _AUTH.match(headers.get("authorization", ""))
    if match is None:
        return None
    signed = match["signed"].split(";")
    canonical_headers = "".join(f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed)
    canonical = "\n".join(
        [method, path, "", canonical_headers, match["signed"], hashlib.sha256(body).hexdigest()]
    )
    scope = f"{match['date']}/{match['region']}/{match['service']}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", headers["x-amz-date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = f"AWS4{secret}".encode()
    for part in (match["date"], match["region"], match["service"], "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class _Protocol(asyncio.Protocol):
    def __init__(self, server: LoopbackSageMaker) -> None:
        self.server = server
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.seen.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            method, path, _ = head[0].split(" ", 2)
            status = self.server.handle(method, path, headers, body)
            payload = b'{"result":"ok"}' if status == 200 else b'{"error":"boom"}'
            reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}[status]
            assert self.transport is not None
            self.transport.write(
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n".encode()
                + payload
            )


class LoopbackSageMaker:
    """Runs on 127.0.0.1 in a background thread; use as a context manager.

    fail_every: every n-th request (1-based) is answered 500 (0: never).
    secret_key: when set, Authorization headers are verified against it.
    """

    def __init__(self, fail_every: int = 0, secret_key: str | None = None, samples: int = 5) -> None:
        self.fail_every = fail_every
        self.secret_key = secret_key
        self.samples = samples
        self.seen = Seen()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> int:
        if self.seen.first_at is None:
            self.seen.first_at = time.time()
        match = _PATH.match(path)
        if method != "POST" or match is None:
            return 404
        seen = self.seen
        seen.requests += 1
        seen.by_endpoint[match[1]] += 1
        seen.bodies[body] += 1
        if len(seen.header_samples) < self.samples:
            seen.header_samples.append(dict(headers))
        auth = headers.get("authorization")
        if auth is None:
            seen.unsigned += 1
        else:
            if len(seen.auth_samples) < self.samples:
                seen.auth_samples.append(auth)
            valid = (
                self.secret_key is not None
                and sigv4_signature(method, path, headers, body, self.secret_key)
                == auth.rsplit("Signature=", 1)[-1]
            )
            if valid:
                seen.signed_valid += 1
            else:
                seen.signed_invalid += 1
        if self.fail_every and seen.requests % self.fail_every == 0:
            seen.answered_500 += 1
            return 500
        return 200

    def __enter__(self) -> LoopbackSageMaker:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        self.port = future.result(timeout=10)
        return self

    async def _start(self) -> int:
        self._server = await self._loop.create_server(lambda: _Protocol(self), "127.0.0.1", 0, backlog=1024)
        return int(self._server.sockets[0].getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
