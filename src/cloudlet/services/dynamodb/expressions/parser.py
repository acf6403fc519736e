"""Recursive-descent parsers for condition, key-condition, update and projection expressions.

One `Attributes` object holds a request's ExpressionAttributeNames/Values and records which ones
the request's expressions used, so that unused ones are reported as AWS does.
"""

from __future__ import annotations

import re

from cloudlet.services.dynamodb import values as V
from cloudlet.services.dynamodb import wording
from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.expressions import ast as A
from cloudlet.services.dynamodb.expressions.lexer import ExpressionError, Token, invalid, tokenize
from cloudlet.services.dynamodb.reserved import is_reserved

CONDITION_FUNCTIONS = frozenset(
    ("attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains")
)
UPDATE_FUNCTIONS = frozenset(("if_not_exists", "list_append"))
COMPARATORS = frozenset(("=", "<>", "<", "<=", ">", ">="))
MAX_IN_OPERANDS = 100
MAX_EXPRESSION_BYTES = 4096
_NAME_KEY = re.compile(r"#[A-Za-z0-9_]+")
_VALUE_KEY = re.compile(r":[A-Za-z0-9_]+")


class Attributes:
    """ExpressionAttributeNames and ExpressionAttributeValues of one request, with use tracking."""

    def __init__(self, names: dict | None, values: dict | None) -> None:
        self.names = names or {}
        for key in self.names:
            if not _NAME_KEY.fullmatch(key):
                raise validation(f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"')
        self.values = {}
        for key in values or {}:
            if not _VALUE_KEY.fullmatch(key):
                raise validation(f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{key}"')
        for key, value in (values or {}).items():
            try:
                self.values[key] = V.normalize(value)
            except Exception as exc:
                if not wording.is_older():
                    raise  # the current validation layer names the value's problem alone
                message = getattr(exc, "message", str(exc))
                raise validation(f"ExpressionAttributeValues contains invalid value: {message} for key {key}") from None
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()

    def name(self, token: str) -> str:
        if token not in self.names:
            raise ExpressionError(
                f"An expression attribute name used in the document path is not defined; attribute name: {token}"
            )
        self.used_names.add(token)
        return self.names[token]

    def value(self, token: str) -> dict:
        if token not in self.values:
            raise ExpressionError(
                f"An expression attribute value used in expression is not defined; attribute value: {token}"
            )
        self.used_values.add(token)
        return self.values[token]

    def check_unused(self) -> None:
        """Raise AWS's ValidationException for names or values no expression used."""
        unused_names = [k for k in self.names if k not in self.used_names]
        if unused_names:
            raise validation(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {"
                + ", ".join(unused_names) + "}"
            )
        unused_values = [k for k in self.values if k not in self.used_values]
        if unused_values:
            raise validation(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {"
                + ", ".join(unused_values) + "}"
            )


class _Parser:
    def __init__(self, text: str, attrs: Attributes) -> None:
        self.text = text
        self.attrs = attrs
        self.tokens = tokenize(text)
        self.i = 0

    # token helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def is_op(self, text: str) -> bool:
        return self.tok.kind == "op" and self.tok.text == text

    def is_keyword(self, word: str) -> bool:
        return self.tok.kind == "keyword" and self.tok.text.upper() == word

    def expect_op(self, text: str) -> None:
        if not self.is_op(text):
            self.syntax_error()
        self.advance()

    def syntax_error(self):
        tok = self.tok
        prev = self.tokens[self.i - 1] if self.i else None
        start = prev.pos if prev else tok.pos
        nxt = self.peek()
        end = nxt.pos + len(nxt.text) if nxt.kind != "eof" else len(self.text)
        if tok.kind == "eof":
            end = len(self.text)
        near = self.text[start:end]
        raise ExpressionError(f'Syntax error; token: "{tok.text}", near: "{near}"')

    def expect_end(self) -> None:
        if self.tok.kind != "eof":
            self.syntax_error()

    # paths and operands
    def path(self) -> A.Path:
        elements: list = [self.path_name()]
        while True:
            if self.is_op("."):
                self.advance()
                elements.append(self.path_name())
            elif self.is_op("["):
                self.advance()
                if self.tok.kind != "number":
                    self.syntax_error()
                elements.append(int(self.advance().text))
                self.expect_op("]")
            else:
                return A.Path(tuple(elements))

    def path_name(self) -> str:
        tok = self.tok
        if tok.kind == "name":
            self.advance()
            return self.attrs.name(tok.text)
        if tok.kind in ("ident", "keyword"):
            if is_reserved(tok.text):
                raise ExpressionError(f"Attribute name is a reserved keyword; reserved keyword: {tok.text}")
            self.advance()
            return tok.text
        self.syntax_error()

    def is_function_call(self) -> bool:
        return self.tok.kind == "ident" and self.peek().kind == "op" and self.peek().text == "("

    def operand(self):
        """A condition operand: path, :value or size(path)."""
        tok = self.tok
        if tok.kind == "value":
            self.advance()
            return A.Value(self.attrs.value(tok.text))
        if self.is_function_call():
            name = tok.text
            if name == "size":
                self.advance()
                self.expect_op("(")
                args = [self.function_arg(name)]
                while self.is_op(","):
                    self.advance()
                    args.append(self.function_arg(name))
                self.expect_op(")")
                if len(args) != 1:
                    raise ExpressionError(
                        "Incorrect number of operands for operator or function; operator or function: size, "
                        f"number of operands: {len(args)}"
                    )
                arg = args[0]
                if not isinstance(arg, A.Path):
                    # size() of size() is the size of a number
                    kind = "N" if isinstance(arg, A.Size) else V.type_of(arg.value)
                    raise ExpressionError(
                        f"Incorrect operand type for operator or function; operator or function: size, "
                        f"operand type: {kind}"
                    )
                return A.Size(arg)
            if name in CONDITION_FUNCTIONS or name in UPDATE_FUNCTIONS:
                raise ExpressionError(f"The function is not allowed to be used this way in an expression; function: {name}")
            raise ExpressionError(f"Invalid function name; function: {name}")
        if tok.kind in ("name", "ident", "keyword"):
            return self.path()
        self.syntax_error()

    def function_arg(self, function: str):
        tok = self.tok
        if tok.kind == "value":
            self.advance()
            return A.Value(self.attrs.value(tok.text))
        if self.is_function_call():
            if tok.text == "size":
                return self.operand()
            raise ExpressionError(
                f"The function is not allowed to be used this way in an expression; function: {tok.text}"
            )
        return self.path()

    # conditions
    def condition(self):
        left = self.conjunction()
        while self.is_keyword("OR"):
            self.advance()
            left = A.Or(left, self.conjunction())
        return left

    def conjunction(self):
        left = self.negation()
        while self.is_keyword("AND"):
            self.advance()
            left = A.And(left, self.negation())
        return left

    def negation(self):
        if self.is_keyword("NOT"):
            self.advance()
            return A.Not(self.negation())
        return self.predicate()

    def predicate(self):
        if self.is_op("("):
            self.advance()
            inner = self.condition()
            self.expect_op(")")
            return inner
        if self.is_function_call() and self.tok.text != "size":
            name = self.tok.text
            node = self.function()
            if (self.tok.kind == "op" and self.tok.text in COMPARATORS) or self.is_keyword("BETWEEN") or self.is_keyword("IN"):
                raise ExpressionError(
                    f"The function is not allowed to be used this way in an expression; function: {name}"
                )
            return node
        left = self.operand()
        tok = self.tok
        if tok.kind == "op" and tok.text in COMPARATORS:
            self.advance()
            return A.Compare(tok.text, left, self.operand())
        if self.is_keyword("BETWEEN"):
            self.advance()
            low = self.operand()
            if not self.is_keyword("AND"):
                self.syntax_error()
            self.advance()
            high = self.operand()
            _check_between(low, high)
            return A.Between(left, low, high)
        if self.is_keyword("IN"):
            self.advance()
            self.expect_op("(")
            options = [self.operand()]
            while self.is_op(","):
                self.advance()
                options.append(self.operand())
            self.expect_op(")")
            if len(options) > MAX_IN_OPERANDS:
                raise ExpressionError(
                    f"The IN operator is provided with too many operands; number of operands: {len(options)}"
                )
            return A.In(left, tuple(options))
        if isinstance(left, A.Size):
            raise ExpressionError("The function is not allowed to be used this way in an expression; function: size")
        self.syntax_error()

    def function(self):
        name = self.advance().text
        if name not in CONDITION_FUNCTIONS:
            if name in UPDATE_FUNCTIONS:
                raise ExpressionError(
                    f"The function is not allowed to be used this way in an expression; function: {name}"
                )
            raise ExpressionError(f"Invalid function name; function: {name}")
        self.expect_op("(")
        args = [self.function_arg(name)]
        while self.is_op(","):
            self.advance()
            args.append(self.function_arg(name))
        self.expect_op(")")
        _check_function(name, args)
        return A.Function(name, tuple(args))

    # update expressions
    def update(self) -> A.Update:
        actions: list[A.UpdateAction] = []
        seen: set[str] = set()
        if self.tok.kind == "eof":
            raise ExpressionError("The expression can not be empty;")
        while self.tok.kind != "eof":
            if self.tok.kind != "keyword" or self.tok.text.upper() not in ("SET", "REMOVE", "ADD", "DELETE"):
                self.syntax_error()
            clause = self.advance().text.upper()
            if clause in seen:
                raise ExpressionError(f'The "{clause}" section can only be used once in an update expression;')
            seen.add(clause)
            while True:
                actions.append(self.update_action(clause))
                if not self.is_op(","):
                    break
                self.advance()
        _check_overlaps([a.path for a in actions])
        return A.Update(tuple(actions))

    def update_action(self, clause: str) -> A.UpdateAction:
        path = self.path()
        if clause == "SET":
            self.expect_op("=")
            return A.UpdateAction("SET", path, self.set_value())
        if clause == "REMOVE":
            return A.UpdateAction("REMOVE", path)
        tok = self.tok
        if tok.kind != "value":
            self.syntax_error()
        self.advance()
        value = self.attrs.value(tok.text)
        allowed = ("N", "SS", "NS", "BS") if clause == "ADD" else ("SS", "NS", "BS")
        if V.type_of(value) not in allowed:
            raise ExpressionError(
                f"Incorrect operand type for operator or function; operator: {clause}, operand type: "
                f"{_TYPE_WORDS[V.type_of(value)]}, typeSet: ALLOWED_FOR_{clause}_OPERAND"
            )
        return A.UpdateAction(clause, path, A.Value(value))

    def set_value(self):
        left = self.set_operand()
        if self.is_op("+") or self.is_op("-"):
            op = self.advance().text
            right = self.set_operand()
            for side in (left, right):
                if isinstance(side, A.Value) and V.type_of(side.value) != "N":
                    raise ExpressionError(
                        f"Incorrect operand type for operator or function; operator or function: {op}, operand type: "
                        f"{V.type_of(side.value)}"
                    )
            return A.Arithmetic(op, left, right)
        return left

    def set_operand(self):
        tok = self.tok
        if self.is_op("("):
            # DynamoDB accepts a parenthesized value, as in SET c = (c - :v).
            self.advance()
            inner = self.set_value()
            self.expect_op(")")
            return inner
        if tok.kind == "value":
            self.advance()
            return A.Value(self.attrs.value(tok.text))
        if self.is_function_call():
            name = self.advance().text
            if name not in UPDATE_FUNCTIONS:
                if name in CONDITION_FUNCTIONS or name == "size":
                    raise ExpressionError(
                        f"The function is not allowed to be used this way in an expression; function: {name}"
                    )
                raise ExpressionError(f"Invalid function name; function: {name}")
            self.expect_op("(")
            args = [self.set_operand()]
            while self.is_op(","):
                self.advance()
                args.append(self.set_operand())
            self.expect_op(")")
            if len(args) != 2:
                raise ExpressionError(
                    f"Incorrect number of operands for operator or function; operator or function: {name}, "
                    f"number of operands: {len(args)}"
                )
            first, second = args
            if name == "if_not_exists":
                if not isinstance(first, A.Path):
                    raise ExpressionError(
                        "Operator or function requires a document path; operator or function: if_not_exists"
                    )
                return A.IfNotExists(first, second)
            for side in (first, second):
                if isinstance(side, A.Value) and V.type_of(side.value) != "L":
                    raise ExpressionError(
                        "Incorrect operand type for operator or function; operator or function: list_append, "
                        f"operand type: {V.type_of(side.value)}"
                    )
            return A.ListAppend(first, second)
        return self.path()

    # projections
    def projection(self) -> list[A.Path]:
        paths = [self.path()]
        while self.is_op(","):
            self.advance()
            paths.append(self.path())
        self.expect_end()
        _check_overlaps(paths)
        return paths


_TYPE_WORDS = {
    "S": "STRING", "N": "NUMBER", "B": "BINARY", "SS": "STRING SET", "NS": "NUMBER SET",
    "BS": "BINARY SET", "M": "MAP", "L": "LIST", "NULL": "NULL", "BOOL": "BOOLEAN",
}


def _check_function(name: str, args: list) -> None:
    arity = {"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2, "begins_with": 2, "contains": 2}
    if len(args) != arity[name]:
        raise ExpressionError(
            f"Incorrect number of operands for operator or function; operator or function: {name}, "
            f"number of operands: {len(args)}"
        )
    if name in ("attribute_exists", "attribute_not_exists", "attribute_type") and not isinstance(args[0], A.Path):
        raise ExpressionError(f"Operator or function requires a document path; operator or function: {name}")
    if name == "attribute_type":
        type_arg = args[1]
        if not isinstance(type_arg, A.Value) or V.type_of(type_arg.value) != "S":
            kind = V.type_of(type_arg.value) if isinstance(type_arg, A.Value) else "path"
            raise ExpressionError(
                f"Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {kind}"
            )
        if type_arg.value["S"] not in V.TYPES:
            raise ExpressionError(
                f"Invalid attribute type name found in type: {type_arg.value['S']}, valid types: "
                "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
            )
    if name == "begins_with":
        for arg in args:
            if isinstance(arg, A.Value) and V.type_of(arg.value) not in ("S", "B"):
                raise ExpressionError(
                    "Incorrect operand type for operator or function; operator or function: begins_with, "
                    f"operand type: {V.type_of(arg.value)}"
                )


def _check_between(low, high) -> None:
    if isinstance(low, A.Value) and isinstance(high, A.Value):
        lo, hi = low.value, high.value
        if V.type_of(lo) == V.type_of(hi) and V.type_of(lo) in ("S", "N", "B") and V.compare(lo, hi, ">"):
            raise ExpressionError(
                "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
                f"lower bound operand: AttributeValue: {_show(lo)}, upper bound operand: AttributeValue: {_show(hi)}"
            )


def _show(value: dict) -> str:
    tag = V.type_of(value)
    return "{" + f"{tag}:{value[tag]}" + "}"


def _check_overlaps(paths: list[A.Path]) -> None:
    for i, a in enumerate(paths):
        for b in paths[:i]:
            n = min(len(a.elements), len(b.elements))
            if a.elements[:n] == b.elements[:n]:
                raise ExpressionError(
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; "
                    f"path one: [{_path_list(b)}], path two: [{_path_list(a)}]"
                )


def _path_list(path: A.Path) -> str:
    return ", ".join(f"[{e}]" if isinstance(e, int) else e for e in path.elements)


def _run(kind: str, text: str | None, attrs: Attributes, method: str):
    if text is None:
        return None
    if not text.strip():
        raise invalid(kind, "The expression can not be empty;")
    size = len(text.encode("utf-8"))
    if size > MAX_EXPRESSION_BYTES:
        if kind == "Update" and wording.is_older():  # the older layer does not give an update's size
            raise invalid(kind, "Expression size has exceeded the maximum allowed size;")
        raise invalid(kind, f"Expression size has exceeded the maximum allowed size; expression size: {size}")
    try:
        parser = _Parser(text, attrs)
        result = getattr(parser, method)()
        if method != "projection":
            parser.expect_end()
        return result
    except ExpressionError as exc:
        raise invalid(kind, str(exc)) from None


def parse_condition(text: str | None, attrs: Attributes, kind: str = "Condition"):
    """Parse a Condition/Filter/KeyCondition expression to its AST (None when absent)."""
    if text and text.strip():
        try:
            _check_redundant_parentheses(tokenize(text))
        except ExpressionError as exc:
            raise invalid(kind, str(exc)) from None
    return _run(kind, text, attrs, "condition")


def _check_redundant_parentheses(tokens: tuple[Token, ...]) -> None:
    """DynamoDB refuses a parenthesized group that only wraps another one, as in ((a = b)); the
    parentheses of a function call do not count."""
    opened: list[int] = []
    closing: dict[int, int] = {}
    for i, tok in enumerate(tokens):
        if tok.kind == "op" and tok.text == "(":
            opened.append(i)
        elif tok.kind == "op" and tok.text == ")" and opened:
            closing[opened.pop()] = i
    for start, end in closing.items():
        inner = start + 1
        call = start > 0 and tokens[start - 1].kind == "ident"
        if not call and inner in closing and closing[inner] == end - 1:
            raise ExpressionError("The expression has redundant parentheses;")


def parse_update(text: str | None, attrs: Attributes) -> A.Update | None:
    return _run("Update", text, attrs, "update")


def parse_projection(text: str | None, attrs: Attributes) -> list[A.Path] | None:
    return _run("Projection", text, attrs, "projection")
