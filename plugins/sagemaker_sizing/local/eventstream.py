"""``application/vnd.amazon.eventstream`` frames, as InvokeEndpointWithResponseStream answers them.

A frame (big-endian): total length u32 | headers length u32 | CRC32 of those 8 bytes | headers |
payload | CRC32 of everything before it. A header: name length u8 | name | type u8 (7: string) |
value length u16 | value. botocore's ``EventStreamBuffer`` checks both CRCs and these bounds.

What SageMaker sends (botocore's ``sagemaker-runtime`` model: ``ResponseStream`` is an event
stream of ``PayloadPart``, ``ModelStreamError`` and ``InternalStreamFailure``):

- ``PayloadPart``: ``PayloadPart.Bytes`` is a blob with the ``eventpayload`` trait, so the frame's
  payload is the container's raw bytes (no JSON, no base64); ``:content-type`` is the Smithy
  default of a blob payload, ``application/octet-stream`` (botocore and AIPerf ignore it);
- an exception: ``:message-type`` ``exception``, ``:exception-type`` the member's name, a JSON
  payload with the shape's members (``{"Message", "ErrorCode"}`` for ModelStreamError, whose codes
  are ``ModelInvocationTimeExceeded`` and ``StreamBroken``; ``{"Message"}`` for
  InternalStreamFailure). botocore raises it as ``EventStreamError`` with that code and message.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

CONTENT_TYPE = "application/vnd.amazon.eventstream"
MODEL_STREAM_ERROR = "ModelStreamError"
INTERNAL_STREAM_FAILURE = "InternalStreamFailure"
# botocore.eventstream's limits (it refuses larger frames).
MAX_HEADERS_LENGTH = 128 * 1024
MAX_PAYLOAD_LENGTH = 16 * 1024 * 1024
_STRING = 7  # header value type: a UTF-8 string with a u16 length
_PRELUDE = struct.Struct("!II")
_U32 = struct.Struct("!I")


def encode_headers(headers: Mapping[str, str]) -> bytes:
    """The headers block, every value a string (the only type SageMaker's events use)."""
    parts = []
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        if len(raw_name) > 255 or len(raw_value) > 65535:
            raise ValueError(f"event-stream header {name!r} is too long")
        parts.append(
            bytes((len(raw_name),)) + raw_name + bytes((_STRING,)) + struct.pack("!H", len(raw_value))
        )
        parts.append(raw_value)
    return b"".join(parts)


def frame(encoded_headers: bytes, payload: bytes) -> bytes:
    """One message from an encoded headers block and a payload."""
    if len(encoded_headers) > MAX_HEADERS_LENGTH or len(payload) > MAX_PAYLOAD_LENGTH:
        raise ValueError("event-stream message too large for botocore's decoder")
    prelude = _PRELUDE.pack(16 + len(encoded_headers) + len(payload), len(encoded_headers))
    head = prelude + _U32.pack(zlib.crc32(prelude))
    body = encoded_headers + payload
    return head + body + _U32.pack(zlib.crc32(body, zlib.crc32(head)))


_PAYLOAD_PART = encode_headers(
    {":event-type": "PayloadPart", ":content-type": "application/octet-stream", ":message-type": "event"}
)


def payload_part(data: bytes) -> bytes:
    """A PayloadPart event carrying ``data`` as is."""
    return frame(_PAYLOAD_PART, data)


def exception(exception_type: str, message: str, error_code: str | None = None) -> bytes:
    """An exception message (``ModelStreamError``, ``InternalStreamFailure``) that ends a stream."""
    members = {"Message": message} if error_code is None else {"Message": message, "ErrorCode": error_code}
    headers = encode_headers(
        {":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"}
    )
    return frame(headers, json.dumps(members).encode())
