"""Filter patterns of CloudWatch Logs: examples and properties."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlet.services.logs.filter_pattern import PatternError, compile_pattern

words = st.text(alphabet="abcXYZ019_", min_size=1, max_size=4)
messages = st.lists(words, max_size=6).map(" ".join)


@given(st.lists(words, min_size=1, max_size=4), messages)
def test_plain_terms_all_must_occur(terms, message):
    assert compile_pattern(" ".join(terms))(message) == all(t in message for t in terms)


@given(words, st.lists(words, min_size=1, max_size=3), messages)
def test_excluded_terms_must_not_occur(required, excluded, message):
    pattern = required + " " + " ".join("-" + t for t in excluded)
    expected = required in message and not any(t in message for t in excluded)
    assert compile_pattern(pattern)(message) == expected


@given(st.lists(words, min_size=1, max_size=4), messages)
def test_optional_terms_need_one(terms, message):
    pattern = " ".join("?" + t for t in terms)
    assert compile_pattern(pattern)(message) == any(t in message for t in terms)


@given(
    st.text(max_size=8).filter(lambda s: '"' not in s and "\\" not in s and s.strip()), st.text(max_size=20)
)
def test_quoted_phrase_is_a_substring_test(phrase, message):
    assert compile_pattern(f'"{phrase}"')(message) == (phrase in message)


@given(
    st.integers(-1000, 1000) | st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
    st.integers(-1000, 1000),
)
def test_json_numeric_comparisons_match_python(value, op, literal):
    ops = {
        "=": value == literal,
        "!=": value != literal,
        "<": value < literal,
        "<=": value <= literal,
        ">": value > literal,
        ">=": value >= literal,
    }
    assert compile_pattern(f"{{ $.n {op} {literal} }}")(json.dumps({"n": value})) == ops[op]


def test_json_pattern_ignores_non_json_and_missing_fields():
    match = compile_pattern('{ $.a = "x" }')
    assert match('{"a": "x"}')
    assert not match("a = x")
    assert not match('{"b": "x"}')
    assert not match("{broken")
    assert not match('{"a": 1}')


def test_wildcards_and_nested_selectors():
    assert compile_pattern('{ $.user.name = "Jo*n" }')('{"user": {"name": "Jonathan"}}')
    assert not compile_pattern('{ $.user.name = "Jo*n" }')('{"user": {"name": "Jonas"}}')
    assert compile_pattern("{ $.list[0].id = 3 }")('{"list": [{"id": 3}]}')
    assert compile_pattern("{ $.*.id = 3 }")('{"x": {"id": 3}}')


@pytest.mark.parametrize(
    "pattern",
    [
        '"open',
        "{ $.a = 1",
        "{ $.a = 1 } extra",
        "{ $.a IS MAYBE }",
        "{ $.a NOT THERE }",
        "{ $.a ~ 1 }",
        "[a, , b]",
        "[a, b ~ 1]",
    ],
)
def test_malformed_patterns_raise(pattern):
    with pytest.raises(PatternError):
        compile_pattern(pattern)


APACHE = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326'


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ip, user, username, timestamp, request, status_code, bytes]", True),
        ("[ip, user, username, timestamp, request, status_code]", False),  # field counts must agree
        ("[ip, ..., status_code = 404, bytes]", True),
        ("[ip, ..., status_code = 4*, bytes > 2000]", True),
        ("[ip, ..., status_code = 2*, bytes]", False),
        ("[ip, ..., status_code = 5* || status_code = 4*, bytes]", True),
        ("[ip, ..., status_code >= 400 && status_code < 500, bytes < 1000]", False),
        ('[ip = "127.0.0.*", ...]', True),
        ("[ip != 127.0.0.1, ...]", False),
        ("[..., request = *.gif*, ..., bytes]", True),
        ("[..., timestamp = 10/Oct/2000*, request, status, bytes]", True),
        ("[...]", True),
    ],
)
def test_space_delimited_patterns(pattern, expected):
    assert compile_pattern(pattern)(APACHE) is expected


def test_blank_pattern_matches_everything():
    assert compile_pattern("   ")("anything")
