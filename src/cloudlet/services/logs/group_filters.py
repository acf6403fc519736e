"""ListLogGroups' filters: a name regular expression and tag filters."""

from __future__ import annotations

import re
from collections.abc import Callable


def name_matcher(pattern: str | None) -> Callable[[str], bool]:
    """Whether a group name matches ListLogGroups' `logGroupNamePattern`: up to five `|`-separated
    alternatives, each a case-sensitive substring, or a prefix when it starts with `^`."""
    if not pattern:
        return lambda name: True
    regex = re.compile(pattern)
    return lambda name: regex.search(name) is not None


def _value_matches(wanted: str, value: str) -> bool:
    if wanted.startswith("!"):
        return not _value_matches(wanted[1:], value)
    if "*" in wanted:  # wildcard matching is case-insensitive, exact matching is not
        regex = ".*".join(re.escape(part) for part in wanted.split("*"))
        return re.fullmatch(regex, value, re.IGNORECASE) is not None
    return wanted == value


def tags_match(filters: list[dict], tags: dict[str, str]) -> bool:
    """Every filter holds: its key is tagged and, when values are given, one of them matches."""
    for tag_filter in filters:
        key = tag_filter["key"]
        if key not in tags:
            return False
        values = tag_filter.get("values")
        if values and not any(_value_matches(v, tags[key]) for v in values):
            return False
    return True
