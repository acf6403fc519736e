"""Walking botocore shapes: converting between wire values and plain Python values.

Services see plain values: str, int, float, bool, bytes for blobs, timezone-aware datetime for
timestamps, lists and dicts. Converters skip subtrees that hold no blob or timestamp, which keeps
the common path cheap.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import datetime as dt
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache

from botocore.model import Shape

from cloudlet.aws.errors import AWSError

UTC = dt.UTC
_CONVERTED = frozenset(("blob", "timestamp"))


def needs_conversion(shape: Shape | None) -> bool:
    """True when a shape contains a blob or timestamp somewhere (so values need converting)."""
    return shape is not None and _needs(shape, frozenset())


@lru_cache(maxsize=4096)
def _needs_cached(shape: Shape) -> bool:
    return _needs(shape, frozenset())


def _needs(shape: Shape, seen: frozenset) -> bool:
    if shape.type_name in _CONVERTED:
        return True
    if shape.name in seen:
        return False
    seen = seen | {shape.name}
    if shape.type_name == "structure":
        return any(_needs(m, seen) for m in shape.members.values())
    if shape.type_name == "list":
        return _needs(shape.member, seen)
    if shape.type_name == "map":
        return _needs(shape.key, seen) or _needs(shape.value, seen)
    return False


def parse_timestamp(value, fmt: str | None = None) -> dt.datetime:
    """Parse a timestamp in any format AWS uses (epoch seconds, ISO 8601, RFC 822)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, UTC)
    text = str(value).strip()
    try:
        return dt.datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).astimezone(UTC)
    except (TypeError, ValueError, IndexError):
        raise AWSError("SerializationException", f"Invalid timestamp: {text}") from None


def format_timestamp(value, fmt: str) -> str | float | int:
    """Render a datetime (or epoch number) as 'unixTimestamp', 'iso8601' or 'rfc822'."""
    if not isinstance(value, dt.datetime):
        value = parse_timestamp(value)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if fmt == "unixTimestamp":
        seconds = calendar.timegm(value.utctimetuple()) + value.microsecond / 1e6
        return int(seconds) if seconds == int(seconds) else round(seconds, 3)
    if fmt == "rfc822":
        return format_datetime(value.astimezone(UTC), usegmt=True)
    value = value.astimezone(UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def decode_blob(value) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise AWSError("SerializationException", "Invalid base64 value") from None


def encode_blob(value) -> str:
    if isinstance(value, str):
        value = value.encode()
    return base64.b64encode(value).decode("ascii")


def json_to_python(shape: Shape | None, value):
    """Convert a decoded JSON value into plain Python per the shape (blobs, timestamps)."""
    if shape is None or value is None or not _needs_cached(shape):
        return value
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return value
        members = shape.members
        return {k: json_to_python(members.get(k), v) for k, v in value.items()}
    if kind == "list":
        return [json_to_python(shape.member, v) for v in value] if isinstance(value, list) else value
    if kind == "map":
        if not isinstance(value, dict):
            return value
        return {k: json_to_python(shape.value, v) for k, v in value.items()}
    if kind == "blob":
        return decode_blob(value)
    if kind == "timestamp":
        return parse_timestamp(value)
    return value


def python_to_json(shape: Shape | None, value, default_ts: str = "unixTimestamp"):
    """Convert plain Python into JSON-ready values per the shape (base64 blobs, timestamps)."""
    if shape is None or value is None or not _needs_cached(shape):
        return value
    kind = shape.type_name
    if kind == "structure":
        members = shape.members
        return {k: python_to_json(members.get(k), v, default_ts) for k, v in value.items() if v is not None}
    if kind == "list":
        return [python_to_json(shape.member, v, default_ts) for v in value]
    if kind == "map":
        return {k: python_to_json(shape.value, v, default_ts) for k, v in value.items()}
    if kind == "blob":
        return encode_blob(value)
    if kind == "timestamp":
        return format_timestamp(value, shape.serialization.get("timestampFormat", default_ts))
    return value
