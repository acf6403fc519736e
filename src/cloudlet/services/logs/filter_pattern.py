"""CloudWatch Logs filter patterns: compile a pattern string into a predicate over messages.

Supported forms:
- the empty pattern (matches every event);
- terms: `ERROR Exception` (all must occur), `"quoted phrase"`, `-excluded` terms and
  `?optional` terms (at least one of the `?` terms must occur); matching is case-sensitive;
- regular expressions between percent signs: `%ERROR [0-9]+%`;
- space-delimited patterns: `[ip, user, ..., status = 4* || status = 5*, bytes > 1000]` (fields
  split on whitespace, "quoted" and [bracketed] text as one field; `...` matches any fields);
- JSON patterns: `{ $.level = "ERROR" && ($.latency > 100 || $.retry IS TRUE) }` with
  `=`, `!=` (strings with `*` wildcards, or numbers), `<`, `<=`, `>`, `>=`, `IS TRUE|FALSE|NULL`,
  `NOT EXISTS`, `&&`, `||` and parentheses; selectors `$.a.b`, `$.list[0]`, `$.*.b`.
A pattern that cannot be parsed raises `PatternError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import orjson

Predicate = Callable[[str], bool]


class PatternError(ValueError):
    """The filter pattern is malformed."""


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Predicate:
    """A predicate telling whether a message matches `pattern`."""
    text = pattern.strip()
    if not text:
        return _always
    if text.startswith("{"):
        return _compile_json(text)
    if text.startswith("[") and text.endswith("]"):
        return _compile_delimited(text[1:-1])
    if len(text) >= 2 and text.startswith("%") and text.endswith("%"):
        try:
            regex = re.compile(text[1:-1])
        except re.error as exc:
            raise PatternError(f"invalid regular expression: {exc}") from None
        return lambda message: regex.search(message) is not None
    return _compile_terms(text)


def compile_extractor(pattern: str) -> Callable[[str], dict[str, str]]:
    """The values a pattern extracts from a matching message (TestMetricFilter's
    `extractedValues`): the named fields of a space-delimited pattern, nothing for other forms."""
    text = pattern.strip()
    if text.startswith("[") and text.endswith("]"):
        bind = _compile_binder(text[1:-1])
        return lambda message: bind(message) or {}
    return lambda message: {}


def _always(message: str) -> bool:
    return True


# -- terms -------------------------------------------------------------------------------------

_TERM = re.compile(r'\s*([-?]?)(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))')


def _compile_terms(text: str) -> Predicate:
    required: list[str] = []
    excluded: list[str] = []
    optional: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].isspace():
            break
        m = _TERM.match(text, pos)
        if m is None:
            raise PatternError(f"unbalanced quote in filter pattern at position {pos}")
        prefix, quoted, bare = m.groups()
        term = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        if not term:
            raise PatternError("empty term in filter pattern")
        {"": required, "-": excluded, "?": optional}[prefix].append(term)
        pos = m.end()

    def match(message: str) -> bool:
        if any(term not in message for term in required):
            return False
        if any(term in message for term in excluded):
            return False
        return not optional or any(term in message for term in optional)

    return match


# -- space-delimited patterns ------------------------------------------------------------------

_FIELD = re.compile(r'"([^"]*)"|\[([^\]]*)\]|(\S+)')
_CONDITION = re.compile(r'\s*(\w+)\s*(!=|<=|>=|=|<|>)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"&|]+))\s*')
_ELLIPSIS = None


def _compile_delimited(body: str) -> Predicate:
    bind = _compile_binder(body)
    return lambda message: bind(message) is not None


def _compile_binder(body: str) -> Callable[[str], dict[str, str] | None]:
    """For a space-delimited pattern's body: a function giving the named fields of a matching
    message (`{"$status": "200", ...}`), or None when the message does not match."""
    if not body.strip():  # `[]` names no field and constrains none: every message matches
        return lambda message: {}
    specs: list[tuple[str | None, Callable[[str], bool]] | None] = []
    for raw in body.split(","):
        spec = raw.strip()
        if spec == "...":
            specs.append(_ELLIPSIS)
        elif re.fullmatch(r"\w+", spec):
            specs.append((spec, _always))
        elif spec:
            specs.append((re.match(r"\s*(\w*)", spec).group(1) or None, _field_condition(spec)))
        else:
            raise PatternError("empty field in space-delimited filter pattern")

    def bind(message: str) -> dict[str, str] | None:
        fields = [next(g for g in m.groups() if g is not None) for m in _FIELD.finditer(message)]
        return _bind_fields(specs, fields)

    return bind


def _field_condition(spec: str) -> Callable[[str], bool]:
    """A condition on one field: comparisons joined by && and ||, all on the same field name."""
    alternatives = []
    for alternative in spec.split("||"):
        parts = []
        for part in alternative.split("&&"):
            m = _CONDITION.fullmatch(part)
            if m is None:
                raise PatternError(
                    f"invalid field condition {part.strip()!r} in space-delimited filter pattern"
                )
            _, op, quoted, bare = m.groups()
            compare = _comparison([], op, quoted if quoted is not None else bare, quoted=quoted is not None)
            parts.append(compare)
        alternatives.append(parts)

    def test(field: str) -> bool:
        value: Any = field
        number = _number(field)
        if number is not None:
            value = number
        return any(
            all(p(value) or (value is not field and p(field)) for p in parts) for parts in alternatives
        )

    return test


def _bind_fields(specs: list, fields: list[str]) -> dict[str, str] | None:
    if not specs:
        return None if fields else {}
    head, rest = specs[0], specs[1:]
    if head is _ELLIPSIS:
        for i in range(len(fields) + 1):
            bound = _bind_fields(rest, fields[i:])
            if bound is not None:
                return bound
        return None
    name, test = head
    if not fields or not test(fields[0]):
        return None
    bound = _bind_fields(rest, fields[1:])
    if bound is not None and name:
        bound[f"${name}"] = fields[0]
    return bound


# -- JSON patterns -----------------------------------------------------------------------------

_JSON_TOKEN = re.compile(
    r"""\s*(?:
        (?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\)|\{|\})
      | (?P<sel>\$(?:\.[\w*@-]+|\[\d+\])*)
      | "(?P<str>(?:[^"\\]|\\.)*)"
      | (?P<word>[^\s&|!=<>(){}"]+)
    )""",
    re.VERBOSE,
)

_MISSING = object()


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].isspace():
            break
        m = _JSON_TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise PatternError(f"invalid JSON filter pattern near position {pos}")
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value)
        tokens.append((kind, value))
        pos = m.end()
    return tokens


class _JsonParser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise PatternError("unexpected end of JSON filter pattern")
        self.i += 1
        return token

    def expect(self, kind: str, value: str) -> None:
        token = self.take()
        if token != (kind, value):
            raise PatternError(f"expected {value!r} in JSON filter pattern, found {token[1]!r}")

    def parse(self) -> Callable[[Any], bool]:
        self.expect("op", "{")
        expr = self.parse_or()
        self.expect("op", "}")
        if self.peek() is not None:
            raise PatternError("unexpected text after the JSON filter pattern")
        return expr

    def parse_or(self) -> Callable[[Any], bool]:
        parts = [self.parse_and()]
        while self.peek() == ("op", "||"):
            self.take()
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else lambda doc: any(p(doc) for p in parts)

    def parse_and(self) -> Callable[[Any], bool]:
        parts = [self.parse_unary()]
        while self.peek() == ("op", "&&"):
            self.take()
            parts.append(self.parse_unary())
        return parts[0] if len(parts) == 1 else lambda doc: all(p(doc) for p in parts)

    def parse_unary(self) -> Callable[[Any], bool]:
        if self.peek() == ("op", "("):
            self.take()
            expr = self.parse_or()
            self.expect("op", ")")
            return expr
        kind, selector = self.take()
        if kind != "sel":
            raise PatternError(f"expected a $ selector in JSON filter pattern, found {selector!r}")
        path = _parse_selector(selector)
        kind, op = self.take()
        if kind == "word" and op.upper() == "IS":
            _, what = self.take()
            what = what.upper()
            expected = {"TRUE": True, "FALSE": False, "NULL": None}.get(what, _MISSING)
            if expected is _MISSING:
                raise PatternError(f"expected TRUE, FALSE or NULL after IS, found {what!r}")
            return lambda doc: any(v is expected for v in _select(doc, path))
        if kind == "word" and op.upper() == "NOT":
            _, what = self.take()
            if what.upper() != "EXISTS":
                raise PatternError(f"expected EXISTS after NOT, found {what!r}")
            return lambda doc: not _select(doc, path)
        if kind != "op" or op not in ("=", "!=", "<", "<=", ">", ">="):
            raise PatternError(f"expected a comparison operator in JSON filter pattern, found {op!r}")
        value_kind, raw = self.take()
        if value_kind not in ("str", "word"):
            raise PatternError(f"expected a value in JSON filter pattern, found {raw!r}")
        return _comparison(path, op, raw, quoted=value_kind == "str")


def _parse_selector(selector: str) -> list[str | int]:
    path: list[str | int] = []
    for m in re.finditer(r"\.([\w*@-]+)|\[(\d+)\]", selector[1:]):
        path.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
    return path


def _select(doc: Any, path: list[str | int]) -> list[Any]:
    """Every value the selector reaches (several when it uses a `*` wildcard)."""
    current = [doc]
    for step in path:
        following = []
        for value in current:
            if step == "*":
                if isinstance(value, dict):
                    following.extend(value.values())
                elif isinstance(value, list):
                    following.extend(value)
            elif isinstance(step, int):
                if isinstance(value, list) and step < len(value):
                    following.append(value[step])
            elif isinstance(value, dict) and step in value:
                following.append(value[step])
        current = following
    return current


def _number(raw: str) -> float | None:
    try:
        return float(raw)
    except ValueError:
        return None


def _comparison(path: list[str | int], op: str, raw: str, quoted: bool) -> Callable[[Any], bool]:
    number = None if quoted else _number(raw)
    if number is not None:
        compare = {
            "=": lambda a: a == number,
            "!=": lambda a: a != number,
            "<": lambda a: a < number,
            "<=": lambda a: a <= number,
            ">": lambda a: a > number,
            ">=": lambda a: a >= number,
        }[op]

        def numeric(doc: Any) -> bool:
            return any(
                isinstance(v, int | float) and not isinstance(v, bool) and compare(v)
                for v in _select(doc, path)
            )

        return numeric
    if op not in ("=", "!="):
        raise PatternError(f"operator {op} needs a numeric value in JSON filter pattern")
    regex = re.compile(".*".join(re.escape(part) for part in raw.split("*")), re.DOTALL)
    want = op == "="

    def textual(doc: Any) -> bool:
        return any(
            isinstance(v, str) and (regex.fullmatch(v) is not None) == want for v in _select(doc, path)
        )

    return textual


def _compile_json(text: str) -> Predicate:
    expr = _JsonParser(_tokenize(text)).parse()

    def match(message: str) -> bool:
        stripped = message.strip()
        if not stripped.startswith("{"):
            return False
        try:
            doc = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            return False
        return expr(doc)

    return match
