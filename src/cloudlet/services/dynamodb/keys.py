"""Order-preserving byte encoding of key values, so that SQL compares them as DynamoDB orders them.

S encodes as its UTF-8 bytes and B as itself (both order bytewise). N encodes as a sign byte, then
for non-zero numbers a 2-byte biased exponent and one byte per significant digit; negative numbers
have exponent and digits complemented and a 0xFF terminator, so that a longer negative number with
the same prefix sorts lower. BLOB compares bytewise on SQLite and BYTEA on PostgreSQL.
"""

from __future__ import annotations

from decimal import Decimal

from cloudlet.services.dynamodb.numbers import CONTEXT

_NEG, _ZERO, _POS = b"\x01", b"\x02", b"\x03"
_BIAS = 1000


def encode(value: dict) -> bytes:
    """Encode a key attribute value ({"S": ..}, {"N": ..} or {"B": ..})."""
    tag, inner = next(iter(value.items()))
    if tag == "S":
        return inner.encode("utf-8")
    if tag == "B":
        return bytes(inner)
    return encode_number(Decimal(inner))


def encode_number(value: Decimal) -> bytes:
    if value.is_zero():
        return _ZERO
    sign, digits, _ = value.normalize(CONTEXT).as_tuple()
    exponent = value.adjusted() + _BIAS
    if not sign:
        return _POS + exponent.to_bytes(2, "big") + bytes(digits)
    return _NEG + (0xFFFF - exponent).to_bytes(2, "big") + bytes(9 - d for d in digits) + b"\xff"


def decode(tag: str, data: bytes) -> dict:
    """The attribute value of an encoded key (the inverse of encode)."""
    if tag == "S":
        return {"S": data.decode("utf-8")}
    if tag == "B":
        return {"B": bytes(data)}
    return {"N": format(decode_number(data), "f")}


def decode_number(data: bytes) -> Decimal:
    if data[:1] == _ZERO:
        return Decimal(0)
    if data[:1] == _POS:
        exponent = int.from_bytes(data[1:3], "big") - _BIAS
        digits = tuple(data[3:])
        sign = 0
    else:
        exponent = 0xFFFF - int.from_bytes(data[1:3], "big") - _BIAS
        digits = tuple(9 - d for d in data[3:-1])
        sign = 1
    return Decimal((sign, digits, exponent - len(digits) + 1)).normalize(CONTEXT)


def prefix_upper_bound(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with `prefix` (None: unbounded)."""
    data = bytearray(prefix)
    while data:
        if data[-1] < 0xFF:
            data[-1] += 1
            return bytes(data)
        data.pop()
    return None


# Multi-attribute index keys: each part is escaped (0x00 -> 0x00 0xFF) and ends in 0x00 0x01, so the
# parts delimit themselves and the concatenation orders as the tuple of parts, attribute by attribute.
_TERMINATOR = b"\x00\x01"


def escape(raw: bytes) -> bytes:
    """An encoded part without its terminator: the prefix every longer value starting with it shares."""
    return raw.replace(b"\x00", b"\x00\xff")


def encode_part(value: dict) -> bytes:
    """One attribute of a multi-attribute key, self-delimiting and order-preserving."""
    return escape(encode(value)) + _TERMINATOR


def encode_parts(values: list[dict]) -> bytes:
    return b"".join(encode_part(v) for v in values)
