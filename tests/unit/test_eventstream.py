"""aws/eventstream.py writes what botocore's event stream decoder reads."""

from __future__ import annotations

import zlib

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer
from hypothesis import given
from hypothesis import strategies as st

from cloudlet.aws import eventstream


def decode(data: bytes) -> list:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


@given(st.dictionaries(st.text(min_size=1, max_size=40).filter(lambda s: len(s.encode()) < 256),
                       st.text(max_size=200), max_size=5),
       st.binary(max_size=2000))
def test_messages_round_trip_through_botocore(headers, payload):
    [message] = decode(eventstream.encode_message(headers, payload))
    assert message.headers == headers and message.payload == payload


def test_event_headers():
    data = eventstream.event("PayloadChunk", b"abc") + eventstream.event("InvokeComplete", b"{}", "application/json")
    first, second = decode(data)
    assert first.headers == {":event-type": "PayloadChunk", ":content-type": "application/octet-stream",
                             ":message-type": "event"}
    assert first.payload == b"abc"
    assert second.headers[":event-type"] == "InvokeComplete" and second.payload == b"{}"


def test_the_message_crc_covers_the_payload():
    data = bytearray(eventstream.event("PayloadChunk", b"abc"))
    data[-5] ^= 1  # the last payload byte
    with pytest.raises(ChecksumMismatch):
        decode(bytes(data))
    assert zlib.crc32(bytes(data[:8])) == int.from_bytes(data[8:12], "big")  # the prelude is intact
