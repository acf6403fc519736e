"""Lambda's Marker / MaxItems paging: opaque markers that carry the last item's position."""

from __future__ import annotations

import base64
from collections.abc import Callable

from cloudlet.services.lambda_ import errors

MAX_ITEMS = 50


def decode_marker(value: str | None) -> str:
    """The position a Marker carries ('' for none); a marker that is not ours is InvalidParameterValue."""
    if not value:
        return ""
    try:
        return base64.urlsafe_b64decode(value.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid(f"Invalid marker: {value}") from None


def encode_marker(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode()


def page(
    items: list,
    params: dict,
    key: str,
    position: Callable[[dict], str],
    render: Callable,
    default_limit: int = MAX_ITEMS,
) -> dict:
    """One page of `items` ordered by `position(item)`, after the request's Marker, MaxItems long."""
    after = decode_marker(params.get("Marker"))
    limit = params.get("MaxItems", default_limit)
    ordered = sorted(items, key=position)
    remaining = [i for i in ordered if position(i) > after] if after else ordered
    selected = remaining[:limit]
    out = {key: [render(i) for i in selected]}
    if len(remaining) > limit:
        out["NextMarker"] = encode_marker(position(selected[-1]))
    return out
