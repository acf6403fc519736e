"""Paging tokens of the Logs API: opaque to clients, rejected with AWS's error when tampered with."""

from __future__ import annotations

import base64
import binascii

import orjson

from cloudlet.aws.errors import AWSError

_DIGITS = 20
_STREAM_DIGITS = 16


def invalid_token() -> AWSError:
    return AWSError("InvalidParameterException", "The specified nextToken is invalid.", 400)


def encode_page(value: list) -> str:
    """A token for Describe*/FilterLogEvents paging: the position a page ended at."""
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode("ascii").rstrip("=")


def decode_page(token: str, types: tuple[type, ...]) -> list:
    """The position inside a paging token, one value of each type; anything else is invalid."""
    try:
        value = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise invalid_token() from None
    if (
        not isinstance(value, list)
        or len(value) != len(types)
        or not all(isinstance(v, t) and not isinstance(v, bool) for v, t in zip(value, types, strict=True))
    ):
        raise invalid_token()
    return value


def encode_stream(direction: str, stream_id: int, ts: int, seq: int) -> str:
    """A GetLogEvents token in AWS's shape: 'f/' or 'b/', 56 digits naming a boundary inside one
    stream, then '/s'.

    A forward token reads the events at or after the boundary, a backward token those before it.
    """
    digits = f"{ts:0{_DIGITS}d}{seq:0{_DIGITS}d}{stream_id % 10**_STREAM_DIGITS:0{_STREAM_DIGITS}d}"
    return f"{direction}/{digits}/s"


def decode_stream(token: str, stream_id: int) -> tuple[str, int, int]:
    """(direction, ts, seq) of a GetLogEvents token issued for this stream."""
    direction, slash, digits = token.removesuffix("/s").partition("/")
    if (
        direction not in ("f", "b")
        or not slash
        or len(digits) != 2 * _DIGITS + _STREAM_DIGITS
        or not digits.isdigit()
        or not digits.isascii()
        or int(digits[2 * _DIGITS :]) != stream_id % 10**_STREAM_DIGITS
    ):
        raise invalid_token()
    return direction, int(digits[:_DIGITS]), int(digits[_DIGITS : 2 * _DIGITS])
