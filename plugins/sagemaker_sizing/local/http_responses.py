"""Raw HTTP/1.1 responses in the shapes the SageMaker runtime uses (rest-json errors)."""

from __future__ import annotations

import json
import uuid
from typing import Any

_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    424: "Failed Dependency",
    503: "Service Unavailable",
    500: "Internal Server Error",
}
# The namespaces AWS puts after the error code in x-amzn-ErrorType.
_VALIDATE_NS = "http://internal.amazon.com/coral/com.amazon.coral.validate/"
_SERVICE_NS = "http://internal.amazon.com/coral/com.amazon.coral.service/"


def response(
    status: int,
    body: bytes,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    keep_alive: bool = True,
) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        f"x-amzn-RequestId: {uuid.uuid4()}",
        "Connection: keep-alive" if keep_alive else "Connection: close",
    ]
    lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def stream_head(content_type: str, headers: dict[str, str], keep_alive: bool = True) -> bytes:
    """The head of a 200 answer whose body follows in HTTP chunks (InvokeEndpointWithResponseStream)."""
    lines = [
        "HTTP/1.1 200 OK",
        f"Content-Type: {content_type}",
        "Transfer-Encoding: chunked",
        f"x-amzn-RequestId: {uuid.uuid4()}",
        "Connection: keep-alive" if keep_alive else "Connection: close",
    ]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def json_response(status: int, payload: Any, keep_alive: bool = True) -> bytes:
    return response(status, json.dumps(payload).encode(), keep_alive=keep_alive)


def error(status: int, code: str, message: str, keep_alive: bool = True, **extra: Any) -> bytes:
    namespace = _VALIDATE_NS if code == "ValidationError" else _SERVICE_NS
    body = json.dumps({"message": message, **extra}).encode()
    return response(status, body, headers={"x-amzn-ErrorType": f"{code}:{namespace}"}, keep_alive=keep_alive)


def endpoint_not_found(name: str, account: str, keep_alive: bool = True) -> bytes:
    return error(400, "ValidationError", f"Endpoint {name} of account {account} not found.", keep_alive)


def endpoint_not_in_service(name: str, status: str, keep_alive: bool = True) -> bytes:
    return error(
        400, "ValidationError", f"Endpoint {name} is not in service: its status is {status}.", keep_alive
    )


def model_timeout(name: str, account: str, region: str, keep_alive: bool = True) -> bytes:
    message = (
        "Your invocation timed out while waiting for a response from container primary. "
        "Review the latency metrics for each container in Amazon CloudWatch, resolve the issue, "
        "and try again."
    )
    return model_error(name, account, region, 0, message, keep_alive=keep_alive)


def model_error(
    name: str, account: str, region: str, original_status: int, message: str, *, keep_alive: bool = True
) -> bytes:
    """The container answered ``original_status`` (or nothing: 0): SageMaker's 424 ModelError."""
    log_stream = f"arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/Endpoints/{name}"
    kind = "client" if 400 <= original_status < 500 else "server"
    return error(
        424,
        "ModelError",
        f'Received {kind} error ({original_status}) from primary with message "{message}". '
        f"See {log_stream} in account {account} for more information.",
        keep_alive,
        OriginalStatusCode=original_status,
        OriginalMessage=message,
        LogStreamArn=log_stream,
    )


def overloaded(name: str, keep_alive: bool = True) -> bytes:
    return error(
        503,
        "ServiceUnavailable",
        f"Endpoint {name} is overloaded: too many requests are queued. Try your call again.",
        keep_alive,
    )


def throttled(name: str, keep_alive: bool = True) -> bytes:
    """A serverless endpoint already has MaxConcurrency requests in flight (SageMaker's answer)."""
    return error(
        429,
        "ThrottlingException",
        f"Endpoint {name} is throttled: the number of concurrent invocations exceeds MaxConcurrency.",
        keep_alive,
    )
