"""Small helpers for writing and reading the XML that query and rest-xml services speak."""

from __future__ import annotations

from xml.sax.saxutils import escape as _escape

_ENTITIES = {'"': "&quot;", "\r": "&#xD;"}


def escape(text: str) -> str:
    return _escape(text, _ENTITIES)


def element(name: str, inner: str = "", attrs: str = "") -> str:
    return f"<{name}{attrs}>{inner}</{name}>"
