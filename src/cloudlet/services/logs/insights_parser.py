"""The CloudWatch Logs Insights query language: a tokenizer and a recursive-descent parser.

`parse_query(text)` turns a query into a list of commands (dataclasses below) whose expressions
are small AST nodes; `insights_engine` runs them. A malformed query raises `QuerySyntaxError`
with the character offsets of the offending text, which StartQuery reports as
MalformedQueryException's `queryCompileError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# -- errors --------------------------------------------------------------------------------------


class QuerySyntaxError(Exception):
    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(message)
        self.message, self.start, self.end = message, start, end


# -- tokens --------------------------------------------------------------------------------------

DURATION_UNITS = {
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 7 * 86_400_000,
    "mo": 30 * 86_400_000,
    "q": 91 * 86_400_000,
    "y": 365 * 86_400_000,
}
_NAME_START = re.compile(r"[A-Za-z_@$]")
_NAME = re.compile(r"[A-Za-z0-9_@$.]+")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_UNIT = re.compile(r"[A-Za-z]+")
_OPERATORS = ("=~", "==", "!=", "<=", ">=", "<", ">", "=", "+", "-", "*", "/", "%", "^", "|", ",", "(", ")", "[", "]")


@dataclass(frozen=True)
class Token:
    kind: str  # name, string, number, duration, regex, op, eof
    text: str
    value: object
    start: int
    end: int


def _line_position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def unexpected(text: str, start: int, end: int, found: str) -> QuerySyntaxError:
    line, position = _line_position(text, start)
    return QuerySyntaxError(f"unexpected symbol found {found} at line {line} and position {position}", start, end)


_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z_@][A-Za-z0-9_@.]*)>")


def group_name(index: int) -> str:
    """The Python name of a query regex's index-th named group (Insights names may contain @ and .)."""
    return f"_n{index}"


@dataclass(frozen=True)
class Regex:
    """A /regular expression/ of a query; `names` are the Insights names of its named groups."""

    pattern: re.Pattern
    names: tuple[str, ...]


def java_regex(source: str, start: int, end: int) -> Regex:
    """Compile an Insights (Java-flavoured) regular expression. Its named groups `(?<name>...)` become
    `group_name(0)`, `group_name(1)`, ... in order, since Insights names may hold @ and ."""
    names: list[str] = []

    def rename(match: re.Match) -> str:
        names.append(match.group(1))
        return f"(?P<{group_name(len(names) - 1)}>"

    try:
        return Regex(re.compile(_NAMED_GROUP.sub(rename, source)), tuple(names))
    except re.error as exc:
        raise QuerySyntaxError(f"Invalid regular expression /{source}/: {exc}", start, end) from None


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)

    def operand_before() -> bool:
        if not tokens:
            return False
        last = tokens[-1]
        if last.kind in ("string", "number", "duration", "regex"):
            return True
        if last.kind == "name":
            if len(tokens) > 1 and tokens[-2].kind == "name" and tokens[-2].text.lower() == "parse":
                return False  # `parse FIELD /regex/`
            return last.text.lower() not in ("like", "and", "or", "not", "in", "by", "as", "filter", "parse")
        return last.text in (")", "]")

    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "#":  # a comment runs to the end of the line
            while i < n and text[i] != "\n":
                i += 1
        elif ch in "'\"":
            start, i, out = i, i + 1, []
            while i < n and text[i] != ch:
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                    out.append({"n": "\n", "t": "\t"}.get(text[i], text[i]))
                else:
                    out.append(text[i])
                i += 1
            if i >= n:
                raise QuerySyntaxError(f"unterminated string starting at position {start + 1}", start, n)
            i += 1
            tokens.append(Token("string", text[start:i], "".join(out), start, i))
        elif ch == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise QuerySyntaxError(f"unterminated field name starting at position {i + 1}", i, n)
            tokens.append(Token("name", text[i : end + 1], text[i + 1 : end], i, end + 1))
            i = end + 1
        elif ch == "/" and not operand_before():
            start, i = i, i + 1
            while i < n and text[i] != "/":
                i += 2 if text[i] == "\\" and i + 1 < n and text[i + 1] == "/" else 1
            if i >= n:
                raise QuerySyntaxError(f"unterminated regular expression starting at position {start + 1}", start, n)
            source = text[start + 1 : i].replace("\\/", "/")
            i += 1
            tokens.append(Token("regex", text[start:i], java_regex(source, start, i), start, i))
        elif "0" <= ch <= "9":
            match = _NUMBER.match(text, i)
            number_text = match.group()
            unit = _UNIT.match(text, match.end())
            if unit:
                if unit.group() not in DURATION_UNITS:
                    raise unexpected(text, unit.start(), unit.end(), unit.group())
                end = unit.end()
                value = int(float(number_text) * DURATION_UNITS[unit.group()])
                tokens.append(Token("duration", text[i:end], value, i, end))
                i = end
            else:
                value = float(number_text) if any(c in number_text for c in ".eE") else int(number_text)
                tokens.append(Token("number", number_text, value, i, match.end()))
                i = match.end()
        elif _NAME_START.match(ch):
            match = _NAME.match(text, i)
            tokens.append(Token("name", match.group(), match.group(), i, match.end()))
            i = match.end()
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise unexpected(text, i, i + 1, ch)
            tokens.append(Token("op", op, op, i, i + len(op)))
            i += len(op)
    tokens.append(Token("eof", "<EOF>", None, n, n))
    return tokens


# -- expressions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str


@dataclass(frozen=True)
class Literal:
    value: object


@dataclass(frozen=True)
class Star:
    pass


@dataclass(frozen=True)
class Call:
    name: str  # lower case
    args: tuple


@dataclass(frozen=True)
class Agg:
    name: str  # lower case
    args: tuple


@dataclass(frozen=True)
class Unary:
    op: str  # "not" or "-"
    operand: object


@dataclass(frozen=True)
class Binary:
    op: str  # and or = != < <= > >= + - * / % ^ like
    left: object
    right: object


@dataclass(frozen=True)
class In:
    operand: object
    items: tuple


# scalar functions: name -> (min args, max args)
FUNCTIONS = {
    "abs": (1, 1), "ceil": (1, 1), "floor": (1, 1), "round": (1, 2), "sqrt": (1, 1), "log": (1, 1),
    "pow": (2, 2), "greatest": (1, 100), "least": (1, 100), "bin": (1, 1), "datefloor": (2, 2),
    "dateceil": (2, 2), "frommillis": (1, 1), "tomillis": (1, 1), "strlen": (1, 1), "tolower": (1, 1),
    "toupper": (1, 1), "concat": (1, 100), "trim": (1, 1), "ltrim": (1, 1), "rtrim": (1, 1),
    "substr": (2, 3), "replace": (3, 3), "strcontains": (2, 2), "ispresent": (1, 1), "isempty": (1, 1),
    "isblank": (1, 1), "coalesce": (1, 100), "isvalidip": (1, 1),
}
# aggregation functions of `stats`: name -> (min args, max args)
AGGREGATES = {
    "count": (0, 1), "count_distinct": (1, 1), "sum": (1, 1), "avg": (1, 1), "min": (1, 1), "max": (1, 1),
    "pct": (2, 2), "percentile": (2, 2), "stddev": (1, 1), "earliest": (1, 1), "latest": (1, 1),
}
_COMPARISONS = ("=", "==", "!=", "<", "<=", ">", ">=")


# -- commands ------------------------------------------------------------------------------------


@dataclass
class Fields:
    items: list[tuple[object, str]]


@dataclass
class Display:
    names: list[str]


@dataclass
class Filter:
    condition: object


@dataclass
class Stats:
    items: list[tuple[object, str]]
    by: list[tuple[object, str]]


@dataclass
class Sort:
    keys: list[tuple[object, bool]]  # (expression, descending)


@dataclass
class Limit:
    count: int


@dataclass
class Parse:
    source: object
    pattern: re.Pattern
    names: list[str]  # the fields its groups (named `group_name(i)`) capture, in order


@dataclass
class Dedup:
    names: list[str]


COMMANDS = ("fields", "display", "filter", "stats", "sort", "limit", "parse", "dedup")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.in_stats = False
        self.after_stats = False  # later commands may name a stats column such as `count(*)`

    # token helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def is_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def is_word(self, *words: str) -> bool:
        return self.tok.kind == "name" and self.tok.text.lower() in words

    def fail(self, token: Token | None = None) -> QuerySyntaxError:
        token = token or self.tok
        end = token.end if token.kind == "eof" else max(token.end, token.start + 1)
        return unexpected(self.text, token.start, end, token.text)

    def expect_op(self, op: str) -> Token:
        if not self.is_op(op):
            raise self.fail()
        return self.advance()

    def end_of_command(self) -> bool:
        return self.tok.kind == "eof" or self.is_op("|")

    # the query
    def query(self) -> list:
        commands: list = []
        if self.tok.kind == "eof":
            return commands
        while True:
            commands.append(self.command())
            if self.tok.kind == "eof":
                return commands
            self.expect_op("|")

    def command(self):
        token = self.tok
        if token.kind != "name" or token.text.lower() not in COMMANDS:
            raise self.fail()
        self.advance()
        command = getattr(self, "cmd_" + token.text.lower())()
        if not self.end_of_command():
            raise self.fail()
        return command

    def cmd_fields(self) -> Fields:
        return Fields(self.named_list())

    def cmd_display(self) -> Display:
        return Display(self.name_list())

    def cmd_dedup(self) -> Dedup:
        return Dedup(self.name_list())

    def cmd_filter(self) -> Filter:
        return Filter(self.expression())

    def cmd_stats(self) -> Stats:
        start = self.tok.start
        self.in_stats = True
        try:
            items = self.named_list()
        finally:
            self.in_stats = False
        for expr, name in items:
            if not _contains_agg(expr):
                raise QuerySyntaxError(f"stats expression {name} must use an aggregation function", start, self.tok.start)
        by: list = []
        if self.is_word("by"):
            self.advance()
            by = self.named_list()
        self.after_stats = True
        return Stats(items, by)

    def cmd_sort(self) -> Sort:
        if self.is_word("by"):
            self.advance()
        keys = []
        while True:
            expr = self.expression()
            descending = False
            if self.is_word("asc", "desc"):
                descending = self.advance().text.lower() == "desc"
            keys.append((expr, descending))
            if not self.is_op(","):
                return Sort(keys)
            self.advance()

    def cmd_limit(self) -> Limit:
        token = self.tok
        if token.kind != "number" or not isinstance(token.value, int) or token.value < 1:
            raise self.fail()
        self.advance()
        return Limit(token.value)

    def cmd_parse(self) -> Parse:
        source: object = Field("@message")
        if self.tok.kind not in ("string", "regex"):
            source = self.primary()
        token = self.advance()
        if token.kind == "regex":
            if not token.value.names:
                raise QuerySyntaxError("parse with a regular expression needs named capture groups", token.start, token.end)
            return Parse(source, token.value.pattern, list(token.value.names))
        if token.kind != "string":
            raise self.fail(token)
        pieces = token.value.split("*")
        if len(pieces) < 2:
            raise QuerySyntaxError("parse pattern must contain at least one *", token.start, token.end)
        # captures are lazy, except a trailing one, which takes the rest of the text
        regex = re.escape(pieces[0])
        for i, piece in enumerate(pieces[1:]):
            lazy = "?" if piece or i < len(pieces) - 2 else ""
            regex += f"(?P<{group_name(i)}>.*{lazy})" + re.escape(piece)
        if not self.is_word("as"):
            raise self.fail()
        self.advance()
        names = self.name_list()
        if len(names) != len(pieces) - 1:
            raise QuerySyntaxError(
                f"parse pattern has {len(pieces) - 1} wildcards but {len(names)} field names",
                token.start,
                self.tokens[self.pos - 1].end,
            )
        return Parse(source, re.compile(regex, re.DOTALL), names)

    # lists
    def named_list(self) -> list[tuple[object, str]]:
        items = []
        while True:
            start = self.tok.start
            expr = self.expression()
            name = self.text[start : self.tokens[self.pos - 1].end]
            if isinstance(expr, Field):
                name = expr.name
            if self.is_word("as"):
                self.advance()
                name = self.field_name()
            items.append((expr, name))
            if not self.is_op(","):
                return items
            self.advance()

    def name_list(self) -> list[str]:
        names = [self.field_name()]
        while self.is_op(","):
            self.advance()
            names.append(self.field_name())
        return names

    def field_name(self) -> str:
        if self.tok.kind != "name":
            raise self.fail()
        return str(self.advance().value)

    # expressions, loosest binding first
    def expression(self):
        left = self.and_expr()
        while self.is_word("or"):
            self.advance()
            left = Binary("or", left, self.and_expr())
        return left

    def and_expr(self):
        left = self.not_expr()
        while self.is_word("and"):
            self.advance()
            left = Binary("and", left, self.not_expr())
        return left

    def not_expr(self):
        if self.is_word("not"):
            self.advance()
            return Unary("not", self.not_expr())
        return self.comparison()

    def comparison(self):
        left = self.additive()
        negate = False
        if self.is_word("not") and self.tokens[self.pos + 1].text.lower() in ("like", "in"):
            self.advance()
            negate = True
        if self.is_op(*_COMPARISONS):
            op = self.advance().text
            return Binary("=" if op == "==" else op, left, self.additive())
        if self.is_word("like") or self.is_op("=~"):
            self.advance()
            token = self.tok
            if token.kind not in ("string", "regex"):
                raise self.fail()
            self.advance()
            node = Binary("like", left, Literal(token.value))
            return Unary("not", node) if negate else node
        if self.is_word("in"):
            self.advance()
            self.expect_op("[")
            items = [self.additive()]
            while self.is_op(","):
                self.advance()
                items.append(self.additive())
            self.expect_op("]")
            node = In(left, tuple(items))
            return Unary("not", node) if negate else node
        if negate:
            raise self.fail()
        return left

    def additive(self):
        left = self.multiplicative()
        while self.is_op("+", "-"):
            op = self.advance().text
            left = Binary(op, left, self.multiplicative())
        return left

    def multiplicative(self):
        left = self.unary()
        while self.is_op("*", "/", "%"):
            op = self.advance().text
            left = Binary(op, left, self.unary())
        return left

    def unary(self):
        if self.is_op("-"):
            self.advance()
            return Unary("-", self.unary())
        base = self.primary()
        if self.is_op("^"):
            self.advance()
            return Binary("^", base, self.unary())
        return base

    def primary(self):
        token = self.tok
        if token.kind in ("number", "string", "duration"):
            self.advance()
            return Literal(token.value)
        if self.is_op("("):
            self.advance()
            expr = self.expression()
            self.expect_op(")")
            return expr
        if token.kind != "name" or token.text.lower() in ("and", "or", "not", "like", "in", "as", "by"):
            raise self.fail()
        self.advance()
        if not self.is_op("(") or token.text.startswith("`"):
            return Field(str(token.value))
        return self.call(token)

    def call(self, name_token: Token):
        name = name_token.text.lower()
        self.expect_op("(")
        args: list = []
        if name == "count" and self.is_op("*"):
            self.advance()
            args.append(Star())
        elif not self.is_op(")"):
            if self.in_stats and name in AGGREGATES:
                self.in_stats = False  # aggregations do not nest
                try:
                    args = self.arguments()
                finally:
                    self.in_stats = True
            else:
                args = self.arguments()
        self.expect_op(")")
        if self.in_stats and name in AGGREGATES:
            kind, arity = Agg, AGGREGATES[name]
        elif self.after_stats and name in AGGREGATES:
            return Field(self.text[name_token.start : self.tokens[self.pos - 1].end])
        elif name in FUNCTIONS:
            kind, arity = Call, FUNCTIONS[name]
        else:
            message = f"{name_token.text} is not a valid function"
            if name in AGGREGATES:
                message = f"{name_token.text} is an aggregation function: allowed only in stats, and not nested"
            raise QuerySyntaxError(message, name_token.start, name_token.end)
        if not arity[0] <= len(args) <= arity[1]:
            raise QuerySyntaxError(
                f"{name_token.text} takes {_arity_text(arity)} but was given {len(args)}",
                name_token.start,
                self.tokens[self.pos - 1].end,
            )
        return kind(name, tuple(args))

    def arguments(self) -> list:
        args = [self.argument()]
        while self.is_op(","):
            self.advance()
            args.append(self.argument())
        return args

    def argument(self):
        if self.tok.kind == "regex":
            return Literal(self.advance().value)
        return self.expression()


def _arity_text(arity: tuple[int, int]) -> str:
    low, high = arity
    if low == high:
        return f"{low} argument{'s' if low != 1 else ''}"
    return f"{low} to {high} arguments"


def _contains_agg(node) -> bool:
    if isinstance(node, Agg):
        return True
    if isinstance(node, Binary):
        return _contains_agg(node.left) or _contains_agg(node.right)
    if isinstance(node, Unary):
        return _contains_agg(node.operand)
    if isinstance(node, Call):
        return any(_contains_agg(a) for a in node.args)
    return False


def parse_query(text: str) -> list:
    """The commands of a query, in pipeline order; raises QuerySyntaxError."""
    return _Parser(text).query()
