"""Item and attribute sizes computed as DynamoDB computes them (for the 400 KB limit and capacity)."""

from __future__ import annotations

MAX_ITEM_BYTES = 400 * 1024
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024


def item_size(item: dict) -> int:
    """Bytes of an item: each attribute's UTF-8 name length plus its value size."""
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def number_size(text: str) -> int:
    """Bytes of a number (text in canonical, plain form), as DynamoDB counts them: one, plus half the
    significant digits on each side of the point rounded up, plus one for a minus sign. The integer
    part's trailing zeros count only when a fraction follows, the fraction's leading zeros only
    when an integer part precedes."""
    whole, _, fraction = text.lstrip("-").partition(".")
    whole, fraction = whole.lstrip("0"), fraction.rstrip("0")
    if not whole and not fraction:
        return 1
    whole_digits = len(whole) if fraction else len(whole.rstrip("0"))
    fraction_digits = len(fraction) if whole else len(fraction.lstrip("0"))
    return 1 + -(-whole_digits // 2) + -(-fraction_digits // 2) + (1 if text.startswith("-") else 0)


def value_size(value: dict) -> int:
    tag, inner = next(iter(value.items()))
    if tag == "S":
        return len(inner.encode("utf-8"))
    if tag == "N":
        return number_size(inner)
    if tag == "B":
        return len(inner)
    if tag == "SS":
        return sum(len(s.encode("utf-8")) for s in inner)
    if tag == "NS":
        return sum(number_size(n) for n in inner)
    if tag == "BS":
        return sum(len(b) for b in inner)
    if tag in ("NULL", "BOOL"):
        return 1
    if tag == "M":
        # 3 bytes of overhead plus one byte per element, plus names and values.
        return 3 + sum(len(k.encode("utf-8")) + value_size(v) + 1 for k, v in inner.items())
    return 3 + sum(value_size(v) + 1 for v in inner)  # L
