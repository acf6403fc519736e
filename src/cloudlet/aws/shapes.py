"""Walking botocore shapes: converting between wire values and plain Python values.

Services see plain values: str, int, float, bool, bytes for blobs, timezone-aware datetime for
timestamps, lists and dicts. The JSON converters skip subtrees that hold no blob, timestamp or
renamed member (`locationName`), which keeps the common path a plain pass-through.
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
_CONVERTED = frozenset(("blob", "timestamp", "float", "double"))  # floats: "NaN", "Infinity" in JSON
_SPECIAL_FLOATS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
_NUMBERS = frozenset(("float", "double"))


def needs_conversion(shape: Shape | None) -> bool:
    """True when JSON values of a shape need converting (a blob, timestamp or renamed member inside)."""
    return shape is not None and _needs_cached(shape)


@lru_cache(maxsize=8192)
def _needs_cached(shape: Shape) -> bool:
    return _needs(shape, frozenset())


def _needs(shape: Shape, seen: frozenset) -> bool:
    if shape.type_name in _CONVERTED:
        return True
    if shape.name in seen:
        return False
    seen = seen | {shape.name}
    if shape.type_name == "structure":
        if getattr(shape, "is_document_type", False):
            return False
        return any(
            "name" in m.serialization and m.serialization["name"] != n or _needs(m, seen)
            for n, m in shape.members.items()
        )
    if shape.type_name == "list":
        return _needs(shape.member, seen)
    if shape.type_name == "map":
        return _needs(shape.key, seen) or _needs(shape.value, seen)
    return False


@lru_cache(maxsize=8192)
def wire_members(shape: Shape) -> dict[str, tuple[str, Shape]]:
    """A structure's members by their JSON wire name: wire name -> (member name, member shape)."""
    return {m.serialization.get("name", n): (n, m) for n, m in shape.members.items()}


# ---- timestamps ------------------------------------------------------------------------------
def parse_timestamp(value, fmt: str | None = None) -> dt.datetime:
    """Parse a timestamp in any format AWS uses (epoch seconds, ISO 8601, RFC 822)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
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
        return parsedate_to_datetime(text).astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        raise AWSError("SerializationException", f"Invalid timestamp: {value}") from None


def format_timestamp(value, fmt: str) -> str | float | int:
    """Render a datetime (or epoch number) as 'unixTimestamp', 'iso8601' or 'rfc822' (ms precision)."""
    if not isinstance(value, dt.datetime):
        value = parse_timestamp(value)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if fmt == "unixTimestamp":
        seconds = calendar.timegm(value.utctimetuple())
        millis = value.microsecond // 1000
        return (seconds * 1000 + millis) / 1000 if millis else seconds
    if fmt == "rfc822":
        return format_datetime(value.astimezone(UTC).replace(microsecond=0), usegmt=True)
    value = value.astimezone(UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- blobs -----------------------------------------------------------------------------------
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


# ---- JSON documents --------------------------------------------------------------------------
@lru_cache(maxsize=8192)
def _converted_members(shape: Shape) -> tuple[tuple[str, str, Shape], ...]:
    """A structure's members whose JSON values need work: (wire name, member name, shape)."""
    return tuple(
        (m.serialization.get("name", n), n, m)
        for n, m in shape.members.items()
        if m.serialization.get("name", n) != n or _needs_cached(m)
    )


def json_to_python(shape: Shape | None, value):
    """Convert a decoded JSON value into plain Python per the shape (names, blobs, timestamps)."""
    if shape is None or value is None or not _needs_cached(shape):
        return value
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return value
        result = dict(value)
        for wire, name, member in _converted_members(shape):
            if wire in result:
                item = result.pop(wire)
                result[name] = json_to_python(member, item)
        return result
    if kind == "list":
        return [json_to_python(shape.member, v) for v in value] if isinstance(value, list) else value
    if kind == "map":
        if not isinstance(value, dict):
            return value
        value_shape = shape.value
        return {k: json_to_python(value_shape, v) for k, v in value.items()}
    if kind == "blob":
        return decode_blob(value)
    if kind == "timestamp":
        return parse_timestamp(value)
    if isinstance(value, str):  # a float member: JSON spells the special values as strings
        return _SPECIAL_FLOATS.get(value, value)
    return value


@lru_cache(maxsize=8192)
def _output_plan(shape: Shape) -> dict[str, tuple[str, Shape | None]]:
    """A structure's members by name: (JSON wire name, shape when the value needs converting)."""
    return {n: (m.serialization.get("name", n), m if _needs_cached(m) else None) for n, m in shape.members.items()}


def python_to_json(shape: Shape | None, value, default_ts: str = "unixTimestamp"):
    """Convert plain Python into JSON-ready values per the shape (names, base64 blobs, timestamps)."""
    if shape is None or value is None or not _needs_cached(shape):
        return value
    kind = shape.type_name
    if kind == "structure":
        plan = _output_plan(shape)
        result = {}
        for key, item in value.items():
            if item is None:
                continue
            found = plan.get(key)
            if found is None:
                result[key] = item
            elif found[1] is None:  # a member whose value goes out as it is
                result[found[0]] = item
            else:
                result[found[0]] = python_to_json(found[1], item, default_ts)
        return result
    if kind == "list":
        return [python_to_json(shape.member, v, default_ts) for v in value]
    if kind == "map":
        return {k: python_to_json(shape.value, v, default_ts) for k, v in value.items()}
    if kind == "blob":
        return encode_blob(value)
    if kind == "timestamp":
        return format_timestamp(value, shape.serialization.get("timestampFormat", default_ts))
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return _float_text(value)
    return value


# ---- scalars as text (URI labels, query strings, headers, XML) -------------------------------
def text_to_scalar(shape: Shape, text: str, default_ts: str = "iso8601"):
    """Convert one text value (header, query, label, XML text) to the shape's Python type."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in _NUMBERS:
            return float(text)
    except ValueError:
        raise AWSError("SerializationException", f"Value '{text}' is not a valid {kind}.") from None
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise AWSError("SerializationException", f"Value '{text}' is not a valid boolean.")
        return lowered == "true"
    if kind == "timestamp":
        return parse_timestamp(text)
    if kind == "blob":
        return decode_blob(text)
    return text


def scalar_to_text(shape: Shape, value, default_ts: str = "iso8601") -> str:
    """Render one scalar value as text for a header, query string, label or XML element."""
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return str(format_timestamp(value, shape.serialization.get("timestampFormat", default_ts)))
    if kind == "blob":
        return encode_blob(value)
    if kind in _NUMBERS:
        return _float_text(value)
    return str(value)


def _float_text(value) -> str:
    value = float(value)
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)
