"""The Logs Insights query parser and the evaluation of its expressions."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlet.services.logs import insights_engine as engine
from cloudlet.services.logs.insights_parser import (
    FUNCTIONS,
    Agg,
    Binary,
    Call,
    Dedup,
    Display,
    Field,
    Fields,
    Filter,
    In,
    Limit,
    Literal,
    Parse,
    QuerySyntaxError,
    Regex,
    Sort,
    Star,
    Stats,
    Unary,
    group_name,
    parse_query,
    tokenize,
)


def test_commands_and_names():
    commands = parse_query(
        "fields @timestamp, strlen(@message) as n, a.b  # a comment\n"
        "| filter n > 3 and not a.b like /x/ | stats count(*), avg(n) as mean by bin(5m), a.b"
        " | sort mean desc, a.b | limit 20 | display mean | dedup a.b"
    )
    assert commands == [
        Fields([(Field("@timestamp"), "@timestamp"), (Call("strlen", (Field("@message"),)), "n"), (Field("a.b"), "a.b")]),
        Filter(Binary("and", Binary(">", Field("n"), Literal(3)),
                      Unary("not", Binary("like", Field("a.b"), Literal(Regex(re.compile("x"), ())))))),
        Stats([(Agg("count", (Star(),)), "count(*)"), (Agg("avg", (Field("n"),)), "mean")],
              [(Call("bin", (Literal(300_000),)), "bin(5m)"), (Field("a.b"), "a.b")]),
        Sort([(Field("mean"), True), (Field("a.b"), False)]),
        Limit(20),
        Display(["mean"]),
        Dedup(["a.b"]),
    ]


def test_precedence():
    (command,) = parse_query("filter a = 1 or b = 2 and not c = 3")
    assert command.condition == Binary(
        "or",
        Binary("=", Field("a"), Literal(1)),
        Binary("and", Binary("=", Field("b"), Literal(2)), Unary("not", Binary("=", Field("c"), Literal(3)))),
    )
    (command,) = parse_query("fields 1 + 2 * 3 - -x / 2 as v")
    expr = command.items[0][0]
    assert expr == Binary("-", Binary("+", Literal(1), Binary("*", Literal(2), Literal(3))),
                          Binary("/", Unary("-", Field("x")), Literal(2)))


def test_in_not_in_and_equality_forms():
    (command,) = parse_query("filter status not in [500, 503] and code == 'x' and m =~ /a|b/")
    left = command.condition.left.left
    assert left == Unary("not", In(Field("status"), (Literal(500), Literal(503))))
    assert command.condition.left.right == Binary("=", Field("code"), Literal("x"))
    assert command.condition.right.op == "like"


def test_division_and_regex_are_told_apart():
    kinds = [t.kind for t in tokenize("fields @maxMemoryUsed / 1024 / 1024 | filter @message like /a\\/b/")]
    assert kinds.count("regex") == 1
    (_, command) = parse_query("fields x / 2 | parse @message /(?<word>\\w+)/")
    assert isinstance(command, Parse) and command.names == ["word"]
    (command,) = parse_query("parse @message /id:(?<@id>\\d+) by (?<user.name>\\w+)/")
    assert command.names == ["@id", "user.name"]
    assert command.pattern.search("id:42 by ann").group(group_name(1)) == "ann"


def test_parse_glob_and_backticks():
    (command,) = parse_query('parse `my field` "[*] user=* end" as level, user')
    assert command.source == Field("my field")
    assert command.names == ["level", "user"]
    assert command.pattern.search("x [WARN] user=ann end").groups() == ("WARN", "ann")
    (command,) = parse_query('parse "a=* b=*" as a, b')
    assert command.pattern.search("a=1 b=2 3").groups() == ("1", "2 3")
    (command,) = parse_query('parse "id: *" as rest')
    assert command.source == Field("@message")
    assert command.pattern.search("id: all of it").group(1) == "all of it"


@pytest.mark.parametrize(
    ("query", "start", "end", "message"),
    [
        ("fields", 6, 6, "unexpected symbol found <EOF> at line 1 and position 7"),
        ("fields a,\n| limit 2", 10, 11, "unexpected symbol found | at line 2 and position 1"),
        ("filter a = 'open", 11, 16, "unterminated string starting at position 12"),
        ("filter a like /x", 14, 16, "unterminated regular expression starting at position 15"),
        ("filter a like /(/", 14, 17, None),
        ("stats count(*) by", 17, 17, None),
        ("stats avg(max(x))", 10, 13, "max is an aggregation function: allowed only in stats, and not nested"),
        ("fields nosuch(x)", 7, 13, "nosuch is not a valid function"),
        ("fields strlen()", 7, 15, "strlen takes 1 argument but was given 0"),
        ("fields x | sort", 15, 15, None),
        ("limit -1", 6, 7, None),
        ("fields bin(5parsecs)", 12, 19, None),
        ("filter a ~ b", 9, 10, None),
        ("parse /(\\w+)/", 6, 13, "parse with a regular expression needs named capture groups"),
        ("fields a b", 9, 10, None),
        ("sort", 4, 4, None),
    ],
)
def test_errors_carry_their_location(query, start, end, message):
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert (info.value.start, info.value.end) == (start, end)
    if message:
        assert info.value.message == message


def test_empty_query_has_no_commands():
    assert parse_query("") == []
    assert parse_query("  # only a comment") == []


def _value(expression: str, record: dict):
    (command,) = parse_query(f"fields {expression} as v")
    return engine.evaluate(command.items[0][0], record)


def test_evaluation():
    record = {"n": 5, "s": "Hello", "num": "12", "f": 2.5, "@timestamp": engine.Time(1_700_000_123_456)}
    assert _value("n * 2 + 1", record) == 11
    assert _value("num + 1", record) == 13  # numeric strings take part in arithmetic
    assert _value("missing + 1", record) is None
    assert _value("n / 0", record) is None
    assert _value("concat(s, '-', n)", record) == "Hello-5"
    assert _value("substr(s, 1, 3)", record) == "ell"
    assert _value("replace(s, 'l', 'L')", record) == "HeLLo"
    assert _value("strcontains(s, 'ell')", record) == 1
    assert _value("greatest(n, f, 7)", record) == 7
    assert _value("coalesce(missing, s)", record) == "Hello"
    assert _value("round(f)", record) == 2
    assert _value("2 ^ 3", record) == 8.0
    assert engine.format_value(_value("bin(1m)", record)) == "2023-11-14 22:15:00.000"
    assert engine.format_value(_value("datefloor(@timestamp, 1h)", record)) == "2023-11-14 22:00:00.000"
    assert _value("num > 9", record) is True  # compared as numbers, not as text
    assert _value("s > 'Apple'", record) is True
    assert _value("s in ['x', 'Hello']", record) is True
    assert _value("isblank(missing)", record) is True


def test_json_and_lambda_discovery():
    assert engine.discover('{"a": {"b": [1, {"c": null, "d": "x"}]}, "@t": 1}', False) == {
        "a.b.0": 1, "a.b.1.d": "x", "@@t": 1,
    }
    assert engine.discover("not json {\"a\": 1}", False) == {}
    assert engine.discover("2024-01-01T00:00:00Z\tid\tINFO\t{\"a\": 1} trailing", True) == {"a": 1}
    report = ("REPORT RequestId: 1f2e\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
              "Max Memory Used: 41 MB\tInit Duration: 150.00 ms\t\n")
    assert engine.discover(report, True) == {
        "@type": "REPORT", "@requestId": "1f2e", "@duration": 12.34, "@billedDuration": 13,
        "@memorySize": 128_000_000, "@maxMemoryUsed": 41_000_000, "@initDuration": 150.0,
    }
    assert engine.discover(report, False) == {}
    assert engine.discover("START RequestId: 1f2e Version: $LATEST\n", True) == {"@type": "START", "@requestId": "1f2e"}


_names = st.sampled_from(["a", "b", "@message", "x.y"])
_atoms = st.one_of(_names, st.integers(0, 99).map(str), st.sampled_from(["'s'", '"t"']))


@st.composite
def _conditions(draw, depth: int = 0):
    if depth > 2 or draw(st.booleans()):
        op = draw(st.sampled_from(["=", "!=", "<", ">=", "like", "in"]))
        left = draw(_names)
        if op == "like":
            pattern = draw(st.sampled_from(["/a.b/", "'x'"]))
            return f"{left} like {pattern}"
        if op == "in":
            items = ", ".join(draw(st.lists(_atoms, min_size=1, max_size=3)))
            return f"{left} in [{items}]"
        return f"{left} {op} {draw(_atoms)}"
    joiner = draw(st.sampled_from(["and", "or"]))
    left, right = draw(_conditions(depth + 1)), draw(_conditions(depth + 1))
    return draw(st.sampled_from([f"{left} {joiner} {right}", f"not ({left}) {joiner} ({right})"]))


@given(_conditions(), st.dictionaries(st.sampled_from(["a", "b", "x.y"]), st.one_of(st.integers(-5, 5), st.sampled_from(["s", "t", "1", ""]))))
def test_generated_filters_parse_and_evaluate(condition, record):
    """Any well-formed condition parses and evaluates to a bool over any record."""
    (command,) = parse_query(f"filter {condition}")
    record = {"@message": "a-b", **record}
    assert isinstance(engine.truthy(engine.evaluate(command.condition, record)), bool)


@given(st.text(max_size=40))
def test_arbitrary_text_parses_or_fails_with_a_location(text):
    try:
        parse_query(text)
    except QuerySyntaxError as err:
        assert 0 <= err.start <= err.end <= len(text)


def _records(*values: dict) -> list[dict]:
    source = engine.Source("123", "g")
    out = []
    for i, fields in enumerate(values):
        record = engine.make_record(source, "s", 1_000 * (len(values) - i), 0, "m", (1, 2, 3, i), False)
        record.update(fields)
        out.append(record)
    return out


def _run(query: str, records: list[dict], limit: int = 10_000) -> list[dict]:
    outcome = engine.run(parse_query(query), iter(records), limit)
    return [{f["field"]: f["value"] for f in engine.result_row(outcome, r, str) if f["field"] != "@ptr"}
            for r in outcome.rows]


def test_pipeline_semantics():
    records = _records({"k": "a", "v": "10"}, {"k": "b", "v": "9"}, {"k": "a", "v": "100"}, {"v": "1"})
    # numeric strings sort as numbers; a missing value sorts last both ways
    assert _run("sort k desc, v | display k, v", records) == [
        {"k": "b", "v": "9"}, {"k": "a", "v": "10"}, {"k": "a", "v": "100"}, {"v": "1"},
    ]
    assert _run("sort v | fields v", records) == [{"v": "1"}, {"v": "9"}, {"v": "10"}, {"v": "100"}]
    # a second stats aggregates the first one's rows
    assert _run("stats sum(v) as total by k | stats max(total) as best", records) == [{"best": "110"}]
    assert _run("filter v > 1000 | stats count(*)", records) == []  # no events, no rows
    # after stats, an aggregation's text names its column
    assert _run("stats count(*) by k | sort count(*) desc | display k", records) == [{"k": "a"}, {"k": "b"}, {}]
    assert _run("dedup k | display v", records) == [{"v": "10"}, {"v": "9"}, {"v": "1"}]
    assert _run("stats earliest(v) as first, latest(v) as last, stddev(v) as sd", records) == [
        {"first": "1", "last": "10", "sd": "46.84015371452148"},
    ]


def test_a_limited_query_stops_reading():
    consumed = 0

    def endless():
        nonlocal consumed
        source = engine.Source("123", "g")
        while True:
            consumed += 1
            yield engine.make_record(source, "s", consumed, 0, f"m{consumed}", None, False)

    outcome = engine.run(parse_query("filter @message like 'm' | limit 3"), endless(), 10_000)
    assert len(outcome.rows) == 3 and consumed == 3
    assert outcome.matched == 3


_ARGUMENTS = ["1", "-2.5", "0", "1e300", "'text'", "''", "missing", "@timestamp", "5m", "1e30"]


@given(st.sampled_from(sorted(FUNCTIONS)), st.lists(st.sampled_from(_ARGUMENTS), min_size=1, max_size=3))
def test_functions_never_raise(name, arguments):
    """Whatever a function is given, it gives a value or nothing, and that value can be shown."""
    low, high = FUNCTIONS[name]
    if not low <= len(arguments) <= high:
        return
    record = {"@timestamp": engine.Time(1_700_000_000_000)}
    value = _value(f"{name}({', '.join(arguments)})", record)
    if value is not None:
        assert isinstance(engine.format_value(value), str)


_COMMANDS = [
    "fields a, strlen(@message) as n, a * 2 as d", "filter a > 1 or @message like /x/", "filter ispresent(b)",
    "stats count(*) as c, avg(a) as m by b", "stats max(a) as a by bin(1m)", "sort a desc, n", "limit 2",
    "parse @message 'x=* ' as a", "parse /b=(?<b>\\w+)/", "dedup b", "display a, c, b", "fields concat(b, c) as b",
]


@given(st.lists(st.sampled_from(_COMMANDS), min_size=1, max_size=5))
def test_generated_pipelines_run(commands):
    """Any pipeline of supported commands runs over records with missing and mixed fields."""
    records = _records({"a": 5, "b": "u"}, {"a": "7"}, {"b": 1.5}, {})
    for record, message in zip(records, ["x=3 b=z", "nothing", "x=abc ", ""], strict=True):
        record["@message"] = message
    outcome = engine.run(parse_query(" | ".join(commands)), iter(records), 10)
    for row in outcome.rows:
        assert all(isinstance(f["value"], str) for f in engine.result_row(outcome, row, str))
