"""Running a parsed Logs Insights query over log events.

`records` turns stored events into records (system fields, fields discovered in JSON messages and
in Lambda's START / END / REPORT lines); `run` pushes records through the query's commands and
returns result rows with their columns and statistics. Plain Python: the caller feeds events in
the order it wants (newest first, as Insights answers when a query does not sort).
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import statistics
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from ipaddress import ip_address

import orjson

from cloudlet.services.logs.insights_parser import (
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
    Sort,
    Star,
    Stats,
    Unary,
    group_name,
)

SYSTEM_FIELDS = ("@timestamp", "@message", "@logStream", "@log", "@ingestionTime")
DEFAULT_COLUMNS = ["@timestamp", "@message", "@logStream", "@log"]
POINTER = "\x00ptr"  # a record's key holding where its event is stored (never a column)
MAX_DISCOVERED = 200  # fields discovered per JSON event, as Insights documents
_MB = 1_000_000  # Insights reports Lambda memory figures in bytes of 10^6 per MB


class Time(int):
    """A timestamp in epoch milliseconds, shown as Insights shows times."""


def format_value(value) -> str:
    if isinstance(value, Time):
        try:
            moment = datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, ValueError, OSError):  # beyond the years datetime can show
            return str(int(value))
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{value % 1000:03d}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode() if isinstance(value, list | dict) else str(value)


# -- records -------------------------------------------------------------------------------------


def _flatten(value, prefix: str, out: dict) -> None:
    if isinstance(value, dict):
        items: Iterable = value.items()
    elif isinstance(value, list):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return
    for key, item in items:
        if len(out) >= MAX_DISCOVERED:
            return
        name = f"{prefix}{key}"
        if isinstance(item, dict | list):
            _flatten(item, name + ".", out)
        elif item is not None:
            out[name] = item


def _json_fields(text: str) -> dict:
    try:
        value = orjson.loads(text)  # the common case: the whole text is one JSON object
    except orjson.JSONDecodeError:
        try:
            value, _ = _DECODER.raw_decode(text)
        except ValueError:
            return {}
    out: dict = {}
    _flatten(value, "", out)
    # a discovered name starting with @ gets another @, so it never hides a system field
    return {("@" + k if k.startswith("@") else k): v for k, v in out.items()}


# raw_decode finds the first JSON value at the start of a text and ignores what follows; orjson cannot
_DECODER = json.JSONDecoder()


def _number(text: str):
    text = text.strip().split(" ")[0]
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None


_REPORT_KEYS = {
    "Duration": ("@duration", float, 1),
    "Billed Duration": ("@billedDuration", int, 1),
    "Memory Size": ("@memorySize", int, _MB),
    "Max Memory Used": ("@maxMemoryUsed", int, _MB),
    "Init Duration": ("@initDuration", float, 1),
}


def _lambda_fields(message: str) -> dict | None:
    """Fields of Lambda's platform lines, as Insights discovers them in Lambda log groups."""
    if message.startswith("REPORT RequestId: "):
        parts = message.rstrip("\n").split("\t")
        out: dict = {"@type": "REPORT", "@requestId": parts[0][len("REPORT RequestId: ") :].strip()}
        for part in parts[1:]:
            key, _, raw = part.partition(": ")
            if key in _REPORT_KEYS:
                name, kind, scale = _REPORT_KEYS[key]
                number = _number(raw)
                if number is not None:
                    out[name] = kind(number * scale)
        return out
    if message.startswith("START RequestId: "):
        request_id = message[len("START RequestId: ") :].split(" ")[0].strip()
        return {"@type": "START", "@requestId": request_id}
    if message.startswith("END RequestId: "):
        return {"@type": "END", "@requestId": message[len("END RequestId: ") :].strip()}
    return None


def discover(message: str, lambda_group: bool) -> dict:
    """The fields Insights discovers in one message: JSON fields (flattened as a.b and a.0) of a
    JSON message, and in Lambda log groups Lambda's platform lines and the first JSON fragment."""
    if lambda_group:
        found = _lambda_fields(message)
        if found is not None:
            return found
        brace = message.find("{")
        return _json_fields(message[brace:]) if brace >= 0 else {}
    stripped = message.lstrip()
    return _json_fields(stripped) if stripped.startswith("{") else {}


@dataclass
class Source:
    """One log group being queried."""

    account: str
    name: str

    @property
    def lambda_group(self) -> bool:
        return self.name.startswith("/aws/lambda/")


def make_record(
    source: Source, stream: str, ts: int, ingest: int, message: str, pointer, discovered: bool = True
) -> dict:
    record = {
        "@timestamp": Time(ts),
        "@message": message,
        "@logStream": stream,
        "@log": f"{source.account}:{source.name}",
        "@ingestionTime": Time(ingest),
    }
    if discovered:
        for key, value in discover(message, source.lambda_group).items():
            record.setdefault(key, value)
    record[POINTER] = pointer
    return record


# -- expressions ---------------------------------------------------------------------------------


def to_number(value):
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        return _number(value) if value.strip() and " " not in value.strip() else None
    return None


def truthy(value) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return bool(value)


def _equal(a, b) -> bool:
    if type(a) is type(b) and type(a) is not float:
        return a == b
    if isinstance(a, int | float) and not isinstance(a, bool) or isinstance(b, int | float) and not isinstance(b, bool):
        x, y = to_number(a), to_number(b)
        if x is not None and y is not None:
            return x == y
    return format_value(a) == format_value(b)


def _compare(op: str, a, b) -> bool:
    if a is None or b is None:
        return False
    if op == "=":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    x, y = to_number(a), to_number(b)
    if x is None or y is None:
        if isinstance(a, int | float) or isinstance(b, int | float):
            return False
        x, y = format_value(a), format_value(b)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def _arith(op: str, a, b):
    x, y = to_number(a), to_number(b)
    if x is None or y is None:
        return None
    try:
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            return x / y
        if op == "%":
            return x % y
        return float(x) ** y
    except (ZeroDivisionError, OverflowError, ValueError):
        return None


def _num_fn(fn):
    def apply(x):
        n = to_number(x)
        if n is None:
            return None
        try:
            return fn(n)
        except (ValueError, OverflowError):
            return None

    return apply


def _str_fn(fn):
    return lambda x, *rest: None if x is None else fn(format_value(x), *rest)


def _round(x, digits=0):
    n, d = to_number(x), to_number(digits)
    if n is None or d is None:
        return None
    result = round(float(n), int(d))
    return int(result) if int(d) <= 0 else result


def _substr(s, start, length=None):
    start = int(to_number(start) or 0)
    if length is None:
        return s[start:]
    return s[start : start + int(to_number(length) or 0)]


def _valid_ip(x) -> bool:
    try:
        ip_address(format_value(x))
        return True
    except ValueError:
        return False


def _extreme(pick):
    def apply(*args):
        numbers = [n for n in (to_number(a) for a in args) if n is not None]
        return pick(numbers) if numbers else None

    return apply


def _time_floor(ts, period):
    t, p = to_number(ts), to_number(period)
    return None if t is None or not p else Time(int(t) - int(t) % int(p))


def _time_ceil(ts, period):
    floor = _time_floor(ts, period)
    return None if floor is None else (floor if floor == to_number(ts) else Time(floor + int(to_number(period))))


_FUNCTIONS: dict[str, Callable] = {
    "abs": _num_fn(abs),
    "ceil": _num_fn(math.ceil),
    "floor": _num_fn(math.floor),
    "round": _round,
    "sqrt": _num_fn(math.sqrt),
    "log": _num_fn(math.log),
    "pow": lambda x, y: _arith("^", x, y),
    "greatest": _extreme(max),
    "least": _extreme(min),
    "datefloor": _time_floor,
    "dateceil": _time_ceil,
    "frommillis": lambda x: None if to_number(x) is None else Time(int(to_number(x))),
    "tomillis": lambda x: None if to_number(x) is None else int(to_number(x)),
    "strlen": _str_fn(len),
    "tolower": _str_fn(str.lower),
    "toupper": _str_fn(str.upper),
    "concat": lambda *xs: "".join(format_value(x) for x in xs if x is not None),
    "trim": _str_fn(str.strip),
    "ltrim": _str_fn(str.lstrip),
    "rtrim": _str_fn(str.rstrip),
    "substr": _str_fn(_substr),
    "replace": lambda s, a, b: None if s is None else format_value(s).replace(format_value(a), format_value(b)),
    "strcontains": lambda s, sub: None if s is None else int(format_value(sub) in format_value(s)),
    "ispresent": lambda x: x is not None,
    "isempty": lambda x: x is None or format_value(x) == "",
    "isblank": lambda x: x is None or format_value(x).strip() == "",
    "coalesce": lambda *xs: next((x for x in xs if x is not None), None),
    "isvalidip": lambda x: x is not None and _valid_ip(x),
}


def evaluate(node, row: dict, aggregates: dict | None = None):
    """The value of an expression for one row (None when a field it needs is missing)."""
    kind = type(node)
    if kind is Field:
        return row.get(node.name)
    if kind is Literal:
        return node.value
    if kind is Binary:
        op = node.op
        if op == "and":
            return truthy(evaluate(node.left, row, aggregates)) and truthy(evaluate(node.right, row, aggregates))
        if op == "or":
            return truthy(evaluate(node.left, row, aggregates)) or truthy(evaluate(node.right, row, aggregates))
        left = evaluate(node.left, row, aggregates)
        if op == "like":
            if left is None:
                return False
            pattern = node.right.value
            text = format_value(left)
            return pattern in text if isinstance(pattern, str) else pattern.pattern.search(text) is not None
        right = evaluate(node.right, row, aggregates)
        if op in ("=", "!=", "<", "<=", ">", ">="):
            return _compare(op, left, right)
        return _arith(op, left, right)
    if kind is Unary:
        value = evaluate(node.operand, row, aggregates)
        if node.op == "not":
            return not truthy(value)
        number = to_number(value)
        return None if number is None else -number
    if kind is In:
        value = evaluate(node.operand, row, aggregates)
        return value is not None and any(_equal(value, evaluate(i, row, aggregates)) for i in node.items)
    if kind is Call:
        if node.name == "bin":
            return _time_floor(row.get("@timestamp"), evaluate(node.args[0], row, aggregates))
        return _FUNCTIONS[node.name](*(evaluate(a, row, aggregates) for a in node.args))
    if kind is Agg:
        return aggregates[node] if aggregates is not None else None
    return None


# -- aggregation ---------------------------------------------------------------------------------


class _Accumulator:
    def __init__(self, agg: Agg) -> None:
        self.agg = agg
        self.count = 0
        self.values: list = []
        self.distinct: set = set()
        self.best = None  # min / max, or (timestamp, value) for earliest / latest

    def add(self, row: dict) -> None:
        name, args = self.agg.name, self.agg.args
        if name == "count":
            if not args or isinstance(args[0], Star) or evaluate(args[0], row) is not None:
                self.count += 1
            return
        value = evaluate(args[0], row)
        if value is None:
            return
        if name == "count_distinct":
            self.distinct.add(format_value(value))
        elif name in ("earliest", "latest"):
            ts = row.get("@timestamp", 0)
            if self.best is None or (ts < self.best[0] if name == "earliest" else ts >= self.best[0]):
                self.best = (ts, value)
        elif name in ("min", "max"):
            number = to_number(value)
            if number is not None:
                if isinstance(value, Time):
                    number = value
                if self.best is None or (number < self.best if name == "min" else number > self.best):
                    self.best = number
        else:
            number = to_number(value)
            if number is not None:
                self.values.append(number)

    def result(self):
        name = self.agg.name
        if name == "count":
            return self.count
        if name == "count_distinct":
            return len(self.distinct)
        if name in ("min", "max"):
            return self.best
        if name in ("earliest", "latest"):
            return None if self.best is None else self.best[1]
        if not self.values:
            return None
        if name == "sum":
            return sum(self.values)
        if name == "avg":
            return sum(self.values) / len(self.values)
        if name == "stddev":
            return statistics.stdev(self.values) if len(self.values) > 1 else 0.0
        percent = to_number(self.agg.args[1].value) if isinstance(self.agg.args[1], Literal) else None
        ordered = sorted(self.values)
        rank = max(1, math.ceil((percent or 0) / 100 * len(ordered)))
        return ordered[min(rank, len(ordered)) - 1]


def _aggs_of(node, found: list) -> None:
    if isinstance(node, Agg):
        if node not in found:
            found.append(node)
    elif isinstance(node, Binary):
        _aggs_of(node.left, found)
        _aggs_of(node.right, found)
    elif isinstance(node, Unary):
        _aggs_of(node.operand, found)
    elif isinstance(node, Call):
        for arg in node.args:
            _aggs_of(arg, found)


def _stats(command: Stats, rows: Iterable[dict]) -> Iterator[dict]:
    aggs: list[Agg] = []
    for expr, _ in command.items:
        _aggs_of(expr, aggs)
    groups: dict[tuple, tuple[dict, list[_Accumulator]]] = {}
    for row in rows:
        keys = {name: evaluate(expr, row) for expr, name in command.by}
        key = tuple(keys.values())
        group = groups.get(key)
        if group is None:
            group = groups[key] = (keys, [_Accumulator(a) for a in aggs])
        for accumulator in group[1]:
            accumulator.add(row)
    for keys, accumulators in groups.values():
        values = {a.agg: a.result() for a in accumulators}
        out = {k: v for k, v in keys.items() if v is not None}
        for expr, name in command.items:
            value = evaluate(expr, {}, values)
            if value is not None:
                out[name] = value
        yield out


# -- sorting -------------------------------------------------------------------------------------


def _sort_value(value):
    number = to_number(value)
    return (0, number) if number is not None else (1, format_value(value))


def _sort(command: Sort, rows: Iterable[dict]) -> list[dict]:
    keyed = [([evaluate(expr, row) for expr, _ in command.keys], row) for row in rows]

    def compare(a, b) -> int:
        for (x, y), (_, descending) in zip(zip(a[0], b[0], strict=True), command.keys, strict=True):
            if x is None or y is None:
                if x is None and y is None:
                    continue
                return 1 if x is None else -1  # missing values sort last either way
            vx, vy = _sort_value(x), _sort_value(y)
            if vx != vy:
                result = -1 if vx < vy else 1
                return -result if descending else result
        return 0

    keyed.sort(key=functools.cmp_to_key(compare))
    return [row for _, row in keyed]


# -- the pipeline --------------------------------------------------------------------------------


def _fields(command: Fields, rows: Iterable[dict]) -> Iterator[dict]:
    for row in rows:
        for expr, name in command.items:
            if not isinstance(expr, Field) or expr.name != name:
                value = evaluate(expr, row)
                if value is None:
                    row.pop(name, None)
                else:
                    row[name] = value
        yield row


def _parse(command: Parse, rows: Iterable[dict]) -> Iterator[dict]:
    for row in rows:
        value = evaluate(command.source, row)
        match = command.pattern.search(format_value(value)) if value is not None else None
        if match is not None:
            for i, name in enumerate(command.names):
                captured = match.group(group_name(i))
                if captured is not None:
                    row[name] = captured
        yield row


def _dedup(command: Dedup, rows: Iterable[dict]) -> Iterator[dict]:
    seen: set = set()
    for row in rows:
        values = [row.get(n) for n in command.names]
        if any(v is None for v in values):  # a missing value is never a duplicate
            yield row
            continue
        key = tuple(format_value(v) for v in values)
        if key not in seen:
            seen.add(key)
            yield row


def columns_of(commands: list) -> list[str]:
    """The fields a query's results show, in order."""
    columns: list[str] | None = None
    for command in commands:
        if isinstance(command, Fields):
            columns = (columns or []) + [n for _, n in command.items if n not in (columns or [])]
        elif isinstance(command, Parse):
            columns = (columns or []) + [n for n in command.names if n not in (columns or [])]
        elif isinstance(command, Display):
            columns = list(dict.fromkeys(command.names))
        elif isinstance(command, Stats):
            columns = [n for _, n in command.by] + [n for _, n in command.items]
    return DEFAULT_COLUMNS if columns is None else columns


def needs_discovery(commands: list) -> bool:
    """Whether the query names any field besides the system fields (else records skip discovery)."""
    names: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, Field):
            names.add(node.name)
        elif isinstance(node, Binary):
            walk(node.left)
            walk(node.right)
        elif isinstance(node, Unary):
            walk(node.operand)
        elif isinstance(node, In):
            walk(node.operand)
            for item in node.items:
                walk(item)
        elif isinstance(node, Call | Agg):
            for arg in node.args:
                walk(arg)

    for command in commands:
        if isinstance(command, Fields | Stats):
            for expr, _ in command.items + (command.by if isinstance(command, Stats) else []):
                walk(expr)
        elif isinstance(command, Filter):
            walk(command.condition)
        elif isinstance(command, Sort):
            for expr, _ in command.keys:
                walk(expr)
        elif isinstance(command, Parse):
            walk(command.source)
        elif isinstance(command, Display | Dedup):
            names.update(command.names)
    return bool(names - set(SYSTEM_FIELDS))


@dataclass
class Outcome:
    columns: list[str]
    rows: list[dict]
    matched: int
    aggregated: bool = False


def run(commands: list, records: Iterable[dict], limit: int) -> Outcome:
    """Run the commands over records (consumed lazily: a query that needs only its first rows
    stops reading early) and keep at most `limit` rows."""
    matched = 0
    last_filter = max(
        (i for i, c in enumerate(commands) if isinstance(c, Filter) and not _after_stats(commands, i)), default=-1
    )

    def count(rows: Iterable[dict]) -> Iterator[dict]:
        nonlocal matched
        for row in rows:
            matched += 1
            yield row

    rows: Iterable[dict] = records
    if last_filter < 0:
        rows = count(rows)
    aggregated = False
    for i, command in enumerate(commands):
        if isinstance(command, Filter):
            rows = _bind_filter(command, rows)
        elif isinstance(command, Fields):
            rows = _fields(command, rows)
        elif isinstance(command, Parse):
            rows = _parse(command, rows)
        elif isinstance(command, Stats):
            rows = _stats(command, rows)
            aggregated = True
        elif isinstance(command, Sort):
            rows = iter(_sort(command, rows))
        elif isinstance(command, Limit):
            rows = itertools.islice(rows, command.count)
        elif isinstance(command, Dedup):
            rows = _dedup(command, rows)
        if i == last_filter:
            rows = count(rows)
    out = list(itertools.islice(rows, limit))
    return Outcome(columns_of(commands), out, matched, aggregated)


def _bind_filter(command: Filter, rows: Iterable[dict]) -> Iterator[dict]:
    condition = command.condition
    return (r for r in rows if truthy(evaluate(condition, r)))


def _after_stats(commands: list, index: int) -> bool:
    return any(isinstance(c, Stats) for c in commands[:index])


def result_row(outcome: Outcome, row: dict, encode_pointer: Callable) -> list[dict]:
    """One GetQueryResults row: the columns the row has, then `@ptr` for rows that are events."""
    out = [{"field": c, "value": format_value(row[c])} for c in outcome.columns if row.get(c) is not None]
    if not outcome.aggregated and row.get(POINTER) is not None:
        out.append({"field": "@ptr", "value": encode_pointer(row[POINTER])})
    return out
