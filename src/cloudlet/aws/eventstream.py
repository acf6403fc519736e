"""The AWS event stream encoding (application/vnd.amazon.eventstream), writing side.

Each message is a prelude (total length, headers length, CRC32 of those 8 bytes), the headers
(name length, name, value type 7 = string, value length, value), the payload, and a CRC32 of
everything before it; all integers big-endian. botocore's `botocore.eventstream` reads it.
"""

from __future__ import annotations

import struct
import zlib

CONTENT_TYPE = "application/vnd.amazon.eventstream"
_STRING = 7


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return struct.pack("!B", len(raw_name)) + raw_name + struct.pack("!BH", _STRING, len(raw_value)) + raw_value


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event stream message with string headers."""
    head = b"".join(_header(k, v) for k, v in headers.items())
    total = 12 + len(head) + len(payload) + 4
    prelude = struct.pack("!II", total, len(head))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    message = prelude + head + payload
    return message + struct.pack("!I", zlib.crc32(message))


def event(event_type: str, payload: bytes, content_type: str = "application/octet-stream") -> bytes:
    """An `event` message of the modeled type `event_type` (a member name of the eventstream union)."""
    return encode_message(
        {":event-type": event_type, ":content-type": content_type, ":message-type": "event"}, payload
    )
