"""The MD5 digests SQS returns (and SDKs verify): of the body and of (system) message attributes."""

from __future__ import annotations

from hashlib import md5
from struct import pack


def md5_of_body(body: str) -> str:
    return md5(body.encode("utf-8")).hexdigest()


def md5_of_attributes(attributes: dict) -> str | None:
    """SQS's digest of message attributes: names sorted; per attribute length-prefixed name, type,
    a transport byte (1 string/number, 2 binary) and the length-prefixed value."""
    if not attributes:
        return None
    out = bytearray()
    for name in sorted(attributes):
        value = attributes[name]
        data_type = value["DataType"]
        name_bytes = name.encode("utf-8")
        type_bytes = data_type.encode("utf-8")
        out += pack(">I", len(name_bytes)) + name_bytes + pack(">I", len(type_bytes)) + type_bytes
        if data_type.startswith("Binary"):
            raw = value.get("BinaryValue", b"")
            out += b"\x02" + pack(">I", len(raw)) + raw
        else:
            raw = value.get("StringValue", "").encode("utf-8")
            out += b"\x01" + pack(">I", len(raw)) + raw
    return md5(out).hexdigest()
