"""Event patterns (cloudlet.events.patterns): one example per operator, malformed patterns, and
random patterns and events checked against a small independent reference matcher."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlet.events.patterns import PatternError, compile_pattern

EVENT = {
    "source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification",
    "detail": {"state": "running", "instance-id": "i-0abc", "c-count": 5, "d-count": 3.5, "x-limit": 301.8,
               "source-ip": "10.0.0.123", "tags": ["prod", "web"], "flag": True, "nothing": None,
               "location": "us-east-1", "filename": "image.png", "owner": {"name": "Alice"}},
}


def match(pattern: dict, event: dict = EVENT) -> bool:
    return compile_pattern(json.dumps(pattern)).matches(event)


@pytest.mark.parametrize("pattern,expected", [
    ({"source": ["aws.ec2"]}, True),
    ({"source": ["aws.s3", "aws.ec2"]}, True),
    ({"source": ["aws.s3"]}, False),
    ({"detail": {"c-count": [5]}}, True),
    ({"detail": {"c-count": [5.0]}}, True),
    ({"detail": {"c-count": ["5"]}}, False),
    ({"detail": {"flag": [True]}}, True),
    ({"detail": {"flag": ["true"]}}, False),
    ({"detail": {"nothing": [None]}}, True),
    ({"detail": {"state": [None]}}, False),
    ({"detail": {"tags": ["web"]}}, True),  # an array matches when any element does
    ({"detail": {"tags": ["dev"]}}, False),
    ({"detail": {"owner": {"name": ["Alice"]}}}, True),
    ({"detail": {"owner": {"name": ["Bob"]}}}, False),
    ({"detail": {"state": [{"prefix": "run"}]}}, True),
    ({"detail": {"state": [{"prefix": {"equals-ignore-case": "RUN"}}]}}, True),
    ({"detail": {"state": [{"prefix": "stop"}]}}, False),
    ({"detail": {"filename": [{"suffix": ".png"}]}}, True),
    ({"detail": {"filename": [{"suffix": {"equals-ignore-case": ".PNG"}}]}}, True),
    ({"detail": {"filename": [{"suffix": ".jpg"}]}}, False),
    ({"detail": {"state": [{"anything-but": "stopped"}]}}, True),
    ({"detail": {"state": [{"anything-but": ["running", "stopped"]}]}}, False),
    ({"detail": {"c-count": [{"anything-but": [1, 2]}]}}, True),
    ({"detail": {"state": [{"anything-but": {"prefix": "run"}}]}}, False),
    ({"detail": {"filename": [{"anything-but": {"suffix": ".txt"}}]}}, True),
    ({"detail": {"state": [{"anything-but": {"equals-ignore-case": ["RUNNING"]}}]}}, False),
    ({"detail": {"missing": [{"anything-but": "x"}]}}, False),  # anything-but needs the field
    ({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, True),
    ({"detail": {"c-count": [{"numeric": [">", 5]}]}}, False),
    ({"detail": {"d-count": [{"numeric": ["<", 10]}]}}, True),
    ({"detail": {"x-limit": [{"numeric": ["=", 301.8]}]}}, True),
    ({"detail": {"state": [{"numeric": [">", 0]}]}}, False),  # numeric only matches numbers
    ({"detail": {"state": [{"exists": True}]}}, True),
    ({"detail": {"missing": [{"exists": True}]}}, False),
    ({"detail": {"missing": [{"exists": False}]}}, True),
    ({"detail": {"state": [{"exists": False}]}}, False),
    ({"detail": {"owner": [{"exists": True}]}}, False),  # exists only works on leaves
    ({"detail": {"owner": [{"exists": False}]}}, True),  # an object is no leaf: as if it were missing
    ({"detail": {"state": [{"equals-ignore-case": "RUNNING"}]}}, True),
    ({"detail": {"location": [{"wildcard": "us-*-1"}]}}, True),
    ({"detail": {"location": [{"wildcard": "eu-*"}]}}, False),
    ({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, True),
    ({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, False),
    ({"$or": [{"source": ["aws.s3"]}, {"detail": {"c-count": [5]}}]}, True),
    ({"$or": [{"source": ["aws.s3"]}, {"detail": {"c-count": [6]}}]}, False),
    ({"source": ["aws.ec2"], "detail": {"state": ["stopped"]}}, False),  # every field must match
])
def test_operator_examples(pattern, expected):
    assert match(pattern) is expected


def test_arrays_of_objects_match_within_one_element():
    event = {"items": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]}
    assert compile_pattern({"items": {"a": [1], "b": [2]}}).matches(event)
    assert not compile_pattern({"items": {"a": [1], "b": [4]}}).matches(event)


def test_wildcard_escapes_and_anything_but_wildcard():
    assert compile_pattern({"k": [{"wildcard": "a\\*b"}]}).matches({"k": "a*b"})
    assert not compile_pattern({"k": [{"wildcard": "a\\*b"}]}).matches({"k": "axb"})
    assert not compile_pattern({"k": [{"anything-but": {"wildcard": "*.txt"}}]}).matches({"k": "a.txt"})


@pytest.mark.parametrize("text", [
    "not json", "[1]", '"s"', "{}", '{"a": 1}', '{"a": "x"}', '{"a": [[1]]}', '{"a": [{}]}',
    '{"a": [{"prefix": 1}]}', '{"a": [{"suffix": ["x"]}]}', '{"a": [{"numeric": [">"]}]}',
    '{"a": [{"numeric": ["~", 1]}]}', '{"a": [{"numeric": [">", "1"]}]}', '{"a": [{"numeric": [">", 5, "<", 1]}]}',
    '{"a": [{"numeric": [">", 1, ">", 2]}]}', '{"a": [{"numeric": [">", 6e9]}]}', '{"a": [{"exists": "yes"}]}',
    '{"a": [{"unknown": 1}]}', '{"a": [{"prefix": "x", "suffix": "y"}]}', '{"a": [{"anything-but": []}]}',
    '{"a": [{"anything-but": {"numeric": [">", 1]}}]}', '{"a": [{"wildcard": "a**b"}]}',
    '{"a": [{"cidr": "10.0.0.300/8"}]}', '{"$or": [{"a": [1]}]}', '{"$or": {"a": [1]}}',
    '{"a": [{"equals-ignore-case": 5}]}',
])
def test_malformed_patterns_are_refused(text):
    with pytest.raises(PatternError):
        compile_pattern(text)


# -- property-based: a reference matcher over a subset of the language --------------------------
KEYS = ["a", "b", "c"]
strings = st.sampled_from(["", "x", "xy", "yx", "abc", "ab", "XY"])
numbers = st.integers(-5, 5)
scalars = st.one_of(strings, numbers, st.booleans(), st.none())
leaf_values = st.one_of(scalars, st.lists(scalars, max_size=3))
events = st.recursive(st.dictionaries(st.sampled_from(KEYS), leaf_values, max_size=3),
                      lambda inner: st.dictionaries(st.sampled_from(KEYS), st.one_of(leaf_values, inner), max_size=3),
                      max_leaves=8)
matchers = st.one_of(
    scalars,
    st.builds(lambda s: {"prefix": s}, strings),
    st.builds(lambda s: {"suffix": s}, strings),
    st.builds(lambda s: {"equals-ignore-case": s}, strings),
    st.builds(lambda v: {"anything-but": v}, st.lists(st.one_of(strings, numbers), min_size=1, max_size=3)),
    st.builds(lambda lo, hi: {"numeric": [">=", min(lo, hi), "<", max(lo, hi) + 1]}, numbers, numbers),
    st.builds(lambda b: {"exists": b}, st.booleans()),
)
patterns = st.recursive(st.dictionaries(st.sampled_from(KEYS), st.lists(matchers, min_size=1, max_size=3),
                                        min_size=1, max_size=2),
                        lambda inner: st.dictionaries(st.sampled_from(KEYS), inner, min_size=1, max_size=2),
                        max_leaves=6)


def ref_num(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def ref_one(m, v) -> bool:
    """Does matcher m accept the present leaf value v? (exists is handled by the caller)"""
    if not isinstance(m, dict):
        if ref_num(m) and ref_num(v):
            return m == v
        return type(m) is type(v) and m == v
    (kind, arg), = m.items()
    if kind == "prefix":
        return isinstance(v, str) and v[:len(arg)] == arg
    if kind == "suffix":
        return isinstance(v, str) and (arg == "" or v[-len(arg):] == arg)
    if kind == "equals-ignore-case":
        return isinstance(v, str) and v.lower() == arg.lower()
    if kind == "anything-but":
        if not (isinstance(v, str) or ref_num(v)):
            return False
        return all(not ((ref_num(x) and ref_num(v) and x == v) or (isinstance(x, str) and x == v)) for x in arg)
    if kind == "numeric":
        return ref_num(v) and arg[1] <= v < arg[3]
    return False


def ref_field(spec, present: bool, value) -> bool:
    if isinstance(spec, dict):
        if not present:
            return all(ref_field(s, False, None) for s in spec.values())
        candidates = value if isinstance(value, list) else [value]
        return any(isinstance(c, dict) and all(ref_field(s, k in c, c.get(k)) for k, s in spec.items())
                   for c in candidates)
    if not present or isinstance(value, dict):  # an object is no leaf: as if the field were missing
        return any(isinstance(m, dict) and m.get("exists") is False for m in spec)
    leaves = [x for x in (value if isinstance(value, list) else [value]) if not isinstance(x, dict | list)]
    for m in spec:
        if isinstance(m, dict) and "exists" in m:
            if m["exists"] and leaves:
                return True
            continue
        if any(ref_one(m, leaf) for leaf in leaves):
            return True
    return False


@settings(max_examples=400, deadline=None)
@given(patterns, events)
def test_matches_like_the_reference(pattern, event):
    expected = all(ref_field(spec, key in event, event.get(key)) for key, spec in pattern.items())
    assert compile_pattern(json.dumps(pattern)).matches(event) is expected


@settings(max_examples=200, deadline=None)
@given(patterns, patterns, events)
def test_or_of_two_patterns_is_either(p, q, event):
    both = compile_pattern({"$or": [p, q]})
    assert both.matches(event) is (compile_pattern(p).matches(event) or compile_pattern(q).matches(event))
