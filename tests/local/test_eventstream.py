"""The event-stream encoder against botocore's own decoder and its sagemaker-runtime parser."""

from __future__ import annotations

import json
from collections.abc import Iterator

import botocore.session
import pytest
from botocore.eventstream import ChecksumMismatch, EventStream, EventStreamBuffer
from botocore.exceptions import EventStreamError
from botocore.parsers import EventStreamJSONParser
from sagemaker_sizing.local import eventstream


def _decoded(data: bytes, piece: int | None = None) -> list[tuple[dict[str, object], bytes]]:
    buffer = EventStreamBuffer()
    size = piece or len(data)
    for start in range(0, len(data), size):
        buffer.add_data(data[start : start + size])
    return [(message.headers, message.payload) for message in buffer]


class _RawStream:
    """What botocore's EventStream reads: a urllib3-like response."""

    def __init__(self, data: bytes, piece: int) -> None:
        self._data = data
        self._piece = piece

    def stream(self) -> Iterator[bytes]:
        for start in range(0, len(self._data), self._piece):
            yield self._data[start : start + self._piece]

    def close(self) -> None:
        pass


def _events(data: bytes, piece: int = 7) -> EventStream:
    model = botocore.session.get_session().get_service_model("sagemaker-runtime")
    operation = model.operation_model("InvokeEndpointWithResponseStream")
    shape = operation.output_shape.members["Body"]
    return EventStream(_RawStream(data, piece), shape, EventStreamJSONParser(), operation.name)


def test_payload_part_decodes_with_its_headers_and_raw_payload() -> None:
    line = b'data: {"object": "chat.completion.chunk"}\n\n'
    [(headers, payload)] = _decoded(eventstream.payload_part(line))
    assert headers == {
        ":event-type": "PayloadPart",
        ":content-type": "application/octet-stream",
        ":message-type": "event",
    }
    assert payload == line


def test_frames_decode_when_split_anywhere() -> None:
    frames = b"".join(eventstream.payload_part(f"data: {i}\n\n".encode()) for i in range(5))
    for piece in (1, 3, 16, 1000):
        assert [payload for _, payload in _decoded(frames, piece)] == [
            f"data: {i}\n\n".encode() for i in range(5)
        ]


def test_the_sagemaker_runtime_parser_reads_payload_parts_as_bytes() -> None:
    frames = eventstream.payload_part(b"data: one\n\n") + eventstream.payload_part(b"")
    assert list(_events(frames)) == [
        {"PayloadPart": {"Bytes": b"data: one\n\n"}},
        {"PayloadPart": {"Bytes": b""}},
    ]


def test_model_stream_error_is_raised_by_botocore_with_its_code_and_message() -> None:
    frames = eventstream.payload_part(b"data: one\n\n") + eventstream.exception(
        eventstream.MODEL_STREAM_ERROR, "Model container stream failed", "StreamBroken"
    )
    events = iter(_events(frames))
    assert next(events) == {"PayloadPart": {"Bytes": b"data: one\n\n"}}
    with pytest.raises(EventStreamError) as raised:
        next(events)
    assert raised.value.response["Error"] == {
        "Code": "ModelStreamError",
        "Message": "Model container stream failed",
    }
    [(headers, payload)] = _decoded(frames)[1:]
    assert headers[":message-type"] == "exception"
    assert json.loads(payload) == {"Message": "Model container stream failed", "ErrorCode": "StreamBroken"}


def test_internal_stream_failure_carries_only_a_message() -> None:
    frame = eventstream.exception(eventstream.INTERNAL_STREAM_FAILURE, "Internal stream failure")
    [(_, payload)] = _decoded(frame)
    assert json.loads(payload) == {"Message": "Internal stream failure"}
    with pytest.raises(EventStreamError, match="InternalStreamFailure"):
        list(_events(frame))


def test_a_corrupted_frame_fails_botocore_checksum() -> None:
    frame = bytearray(eventstream.payload_part(b"data: x\n\n"))
    frame[-6] ^= 0xFF  # a payload byte: the message CRC no longer matches
    with pytest.raises(ChecksumMismatch):
        _decoded(bytes(frame))


def test_a_payload_botocore_would_refuse_is_refused_here() -> None:
    with pytest.raises(ValueError, match="too large"):
        eventstream.payload_part(b"x" * (eventstream.MAX_PAYLOAD_LENGTH + 1))
