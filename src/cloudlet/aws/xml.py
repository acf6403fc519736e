"""Writing and reading the XML that query and rest-xml services speak, driven by botocore shapes.

The writer follows the rules botocore's XML parsers read by: `locationName` renames, flattened
and wrapped lists (`member` by default) and maps (`entry`/`key`/`value` by default),
`xmlAttribute` members, `xmlNamespace`. The reader accepts what botocore's serializers write and
ignores namespaces and unknown elements.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape as _escape

from botocore.model import Shape

from cloudlet.aws.errors import AWSError
from cloudlet.aws.shapes import scalar_to_text, text_to_scalar

_ENTITIES = {'"': "&quot;", "\r": "&#xD;"}


def escape(text: str) -> str:
    return _escape(text, _ENTITIES)


def element(name: str, inner: str = "", attrs: str = "") -> str:
    return f"<{name}{attrs}>{inner}</{name}>"


def namespace_attr(shape: Shape) -> str:
    """The xmlns attribute a shape's `xmlNamespace` trait asks for ('' when none)."""
    ns = shape.serialization.get("xmlNamespace")
    if not ns:
        return ""
    if isinstance(ns, str):
        return f' xmlns="{escape(ns)}"'
    prefix = ns.get("prefix")
    return f' xmlns{":" + prefix if prefix else ""}="{escape(ns["uri"])}"'


# ---- writing ---------------------------------------------------------------------------------
def write_members(shape: Shape, value: dict, names: dict | None = None) -> str:
    """The child elements of a structure (members without an HTTP `location`, no attributes)."""
    names = names or {}
    parts = []
    for name, member in shape.members.items():
        item = value.get(name)
        if item is None:
            continue
        ser = member.serialization
        if "location" in ser or ser.get("xmlAttribute"):
            continue
        wire = names.get(f"{shape.name}.{name}") or ser.get("name", name)
        parts.append(write_value(member, wire, item, names))
    return "".join(parts)


def write_attributes(shape: Shape, value: dict, declared: str = "") -> str:
    """The XML attributes (with their namespace declarations) of a structure's xmlAttribute members."""
    attrs = []
    for name, member in shape.members.items():
        if member.serialization.get("xmlAttribute") and value.get(name) is not None:
            wire = member.serialization.get("name", name)
            prefix = wire.partition(":")[0] if ":" in wire else ""
            if prefix == "xsi" and "xmlns:xsi" not in declared:
                declared += " xmlns:xsi"
                attrs.append(' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')
            attrs.append(f' {wire}="{escape(scalar_to_text(member, value[name]))}"')
    return "".join(attrs)


def write_value(shape: Shape, wire: str, value, names: dict | None = None) -> str:
    """One value as XML under the element name `wire` (several elements for flattened shapes)."""
    names = names or {}
    kind = shape.type_name
    if kind == "structure":
        ns = namespace_attr(shape)
        attrs = ns + write_attributes(shape, value, ns)
        return element(wire, write_members(shape, value, names), attrs)
    if kind == "list":
        if shape.serialization.get("flattened") or shape.name in names:
            item_name = names.get(shape.name) or shape.member.serialization.get("name") or wire
            return "".join(write_value(shape.member, item_name, v, names) for v in value)
        item_name = shape.member.serialization.get("name", "member")
        inner = "".join(write_value(shape.member, item_name, v, names) for v in value)
        return element(wire, inner, namespace_attr(shape))
    if kind == "map":
        override = names.get(shape.name)
        if override:
            entry_name, key_name, value_name = override
            flattened = True
        else:
            flattened = bool(shape.serialization.get("flattened"))
            entry_name = wire if flattened else "entry"
            key_name = shape.key.serialization.get("name", "key")
            value_name = shape.value.serialization.get("name", "value")
        entries = "".join(
            element(
                entry_name,
                write_value(shape.key, key_name, k, names) + write_value(shape.value, value_name, v, names),
            )
            for k, v in value.items()
        )
        return entries if flattened else element(wire, entries, namespace_attr(shape))
    return element(wire, escape(scalar_to_text(shape, value)), namespace_attr(shape))


# ---- reading ---------------------------------------------------------------------------------
def parse_document(body: bytes) -> ET.Element:
    """Parse an XML request body; raise MalformedXML for bad XML or any DTD (entities, bombs)."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise malformed_xml()
    try:
        return ET.fromstring(body)
    except (ET.ParseError, ValueError):
        raise malformed_xml() from None


def malformed_xml() -> AWSError:
    return AWSError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
        400,
    )


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(node: ET.Element) -> dict[str, list[ET.Element]]:
    result: dict[str, list[ET.Element]] = {}
    for child in node:
        result.setdefault(local_name(child.tag), []).append(child)
    return result


def read_members(shape: Shape, node: ET.Element) -> dict:
    """The members of a structure from its element (members with an HTTP `location` skipped)."""
    children = _children(node)
    result = {}
    for name, member in shape.members.items():
        ser = member.serialization
        if "location" in ser:
            continue
        wire = ser.get("name", name)
        if ser.get("xmlAttribute"):
            local = wire.rpartition(":")[2]
            for key, text in node.attrib.items():
                if local_name(key) == local:
                    result[name] = text_to_scalar(member, text)
            continue
        if member.type_name == "list" and member.serialization.get("flattened"):
            found = children.get(member.member.serialization.get("name", wire)) or children.get(wire)
            if found:
                result[name] = [read_value(member.member, e) for e in found]
            continue
        if member.type_name == "map" and member.serialization.get("flattened"):
            found = children.get(wire)
            if found:
                result[name] = _read_entries(member, found)
            continue
        found = children.get(wire)
        if found:
            result[name] = read_value(member, found[0])
    return result


def read_value(shape: Shape, node: ET.Element):
    """One value from its element (a wrapped list or map, a structure or a scalar)."""
    kind = shape.type_name
    if kind == "structure":
        return read_members(shape, node)
    if kind == "list":
        return [read_value(shape.member, e) for e in node]
    if kind == "map":
        return _read_entries(shape, list(node))
    return text_to_scalar(shape, node.text or "")


def _read_entries(shape: Shape, entries: list[ET.Element]) -> dict:
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    result = {}
    for entry in entries:
        parts = _children(entry)
        if key_name not in parts:
            continue
        key = read_value(shape.key, parts[key_name][0])
        value = parts.get(value_name)
        result[key] = read_value(shape.value, value[0]) if value else None
    return result
