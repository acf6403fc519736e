"""PartiQL for DynamoDB: a tokenizer and recursive-descent parser of SELECT, INSERT, UPDATE and
DELETE statements into the same ASTs the expression language uses (paths, values, conditions,
update actions)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cloudlet.services.dynamodb import numbers
from cloudlet.services.dynamodb import values as V
from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.expressions import ast as A

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><<|>>|<=|>=|<>|!=|[=<>()\[\]{},.:*?+\-])
    """,
    re.VERBOSE,
)
_COMPARE = {"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_FUNCTIONS = ("begins_with", "contains", "attribute_type", "attribute_exists", "attribute_not_exists")


class PartiQLError(Exception):
    pass


@dataclass
class Statement:
    kind: str  # SELECT INSERT UPDATE DELETE EXISTS
    table: str
    index: str | None = None
    where: object = None
    projection: list | None = None  # None: *
    item: dict | None = None  # INSERT
    actions: list = field(default_factory=list)  # UPDATE
    returning: str | None = None  # ALL_OLD ALL_NEW UPDATED_OLD UPDATED_NEW


@dataclass(slots=True)
class _Tok:
    kind: str
    text: str


def _tokenize(text: str) -> list[_Tok]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise PartiQLError(f"Statement wasn't well formed, can't be processed: Unexpected character {text[pos]!r}")
        if m.lastgroup != "ws":
            out.append(_Tok(m.lastgroup, m.group()))
        pos = m.end()
    out.append(_Tok("eof", ""))
    return out


class _Parser:
    def __init__(self, text: str, parameters: list[dict]) -> None:
        self.toks = _tokenize(text)
        self.i = 0
        self.parameters = parameters
        self.used = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def next(self) -> _Tok:
        tok = self.toks[self.i]
        self.i = min(self.i + 1, len(self.toks) - 1)
        return tok

    def word(self, *words: str) -> bool:
        return self.tok.kind == "ident" and self.tok.text.upper() in words

    def op(self, text: str) -> bool:
        return self.tok.kind == "op" and self.tok.text == text

    def expect_word(self, word: str) -> None:
        if not self.word(word):
            self.fail()
        self.next()

    def expect_op(self, text: str) -> None:
        if not self.op(text):
            self.fail()
        self.next()

    def fail(self):
        shown = self.tok.text or "<EOF>"
        raise PartiQLError(f"Statement wasn't well formed, can't be processed: Unexpected token {shown!r}")

    # statements
    def statement(self) -> Statement:
        if self.word("SELECT"):
            stmt = self.select()
        elif self.word("INSERT"):
            stmt = self.insert()
        elif self.word("UPDATE"):
            stmt = self.update()
        elif self.word("DELETE"):
            stmt = self.delete()
        elif self.word("EXISTS"):
            stmt = self.exists()
        else:
            self.fail()
        if self.tok.kind != "eof":
            self.fail()
        if self.used != len(self.parameters):
            raise validation(
                "Number of parameters in request and statement don't match."
            )
        return stmt

    def name(self) -> str:
        tok = self.next()
        if tok.kind == "quoted":
            return tok.text[1:-1].replace('""', '"')
        if tok.kind == "ident":
            return tok.text
        self.i -= 1
        self.fail()

    def table_ref(self) -> tuple[str, str | None]:
        table = self.name()
        index = None
        if self.op("."):
            self.next()
            index = self.name()
        return table, index

    def select(self) -> Statement:
        self.next()
        projection = None
        if self.op("*"):
            self.next()
        else:
            projection = [self.path()]
            while self.op(","):
                self.next()
                projection.append(self.path())
        self.expect_word("FROM")
        table, index = self.table_ref()
        where = self.where(optional=True)
        return Statement("SELECT", table, index, where, projection)

    def exists(self) -> Statement:
        """EXISTS(SELECT ...): a transaction's condition check on one item."""
        self.next()
        self.expect_op("(")
        if not self.word("SELECT"):
            self.fail()
        select = self.select()
        self.expect_op(")")
        return Statement("EXISTS", select.table, select.index, select.where, select.projection)

    def insert(self) -> Statement:
        self.next()
        self.expect_word("INTO")
        table, index = self.table_ref()
        if index:
            self.fail()
        self.expect_word("VALUE")
        value = self.value()
        if V.type_of(value) != "M":
            raise validation("Unsupported operation: Inserting a non-tuple value is not supported")
        return Statement("INSERT", table, item=value["M"])

    def update(self) -> Statement:
        self.next()
        table, index = self.table_ref()
        if index:
            self.fail()
        actions = []
        while self.word("SET", "REMOVE"):
            clause = self.next().text.upper()
            while True:
                path = self.path()
                if clause == "SET":
                    self.expect_op("=")
                    actions.append(A.UpdateAction("SET", path, self.set_value()))
                else:
                    actions.append(A.UpdateAction("REMOVE", path))
                if not self.op(","):
                    break
                self.next()
        if not actions:
            self.fail()
        where = self.where(optional=False)
        return Statement("UPDATE", table, where=where, actions=actions, returning=self.returning())

    def delete(self) -> Statement:
        self.next()
        self.expect_word("FROM")
        table, index = self.table_ref()
        if index:
            self.fail()
        where = self.where(optional=False)
        return Statement("DELETE", table, where=where, returning=self.returning())

    def returning(self) -> str | None:
        if not self.word("RETURNING"):
            return None
        self.next()
        which = self.next().text.upper()
        when = self.next().text.upper()
        self.expect_op("*")
        mapping = {("ALL", "OLD"): "ALL_OLD", ("ALL", "NEW"): "ALL_NEW",
                   ("MODIFIED", "OLD"): "UPDATED_OLD", ("MODIFIED", "NEW"): "UPDATED_NEW"}
        if (which, when) not in mapping:
            self.fail()
        return mapping[(which, when)]

    def where(self, optional: bool):
        if not self.word("WHERE"):
            if optional:
                return None
            raise validation("Where clause is required for this statement")
        self.next()
        return self.condition()

    # conditions
    def condition(self):
        left = self.conjunction()
        while self.word("OR"):
            self.next()
            left = A.Or(left, self.conjunction())
        return left

    def conjunction(self):
        left = self.negation()
        while self.word("AND"):
            self.next()
            left = A.And(left, self.negation())
        return left

    def negation(self):
        if self.word("NOT"):
            self.next()
            return A.Not(self.negation())
        return self.predicate()

    def predicate(self):
        if self.op("("):
            self.next()
            inner = self.condition()
            self.expect_op(")")
            return inner
        if self.tok.kind == "ident" and self.tok.text.lower() in _FUNCTIONS and self.toks[self.i + 1].text == "(":
            name = self.next().text.lower()
            self.expect_op("(")
            args = [self.operand()]
            while self.op(","):
                self.next()
                args.append(self.operand())
            self.expect_op(")")
            return A.Function(name, tuple(args))
        left = self.operand()
        if self.tok.kind == "op" and self.tok.text in _COMPARE:
            op = _COMPARE[self.next().text]
            return A.Compare(op, left, self.operand())
        if self.word("BETWEEN"):
            self.next()
            low = self.operand()
            self.expect_word("AND")
            return A.Between(left, low, self.operand())
        if self.word("IN"):
            self.next()
            close = "]" if self.op("[") else ")"
            self.expect_op("[" if close == "]" else "(")
            options = [self.operand()]
            while self.op(","):
                self.next()
                options.append(self.operand())
            self.expect_op(close)
            return A.In(left, tuple(options))
        if self.word("IS"):
            self.next()
            negate = self.word("NOT")
            if negate:
                self.next()
            self.expect_word("MISSING")
            if not isinstance(left, A.Path):
                self.fail()
            return A.Function("attribute_exists" if negate else "attribute_not_exists", (left,))
        self.fail()

    def operand(self):
        if self.tok.kind == "ident" and self.tok.text.lower() == "size" and self.toks[self.i + 1].text == "(":
            self.next()
            self.expect_op("(")
            path = self.path()
            self.expect_op(")")
            return A.Size(path)
        if self.tok.kind in ("quoted",) or (self.tok.kind == "ident" and not self.word("TRUE", "FALSE", "NULL", "MISSING")):
            return self.path()
        return A.Value(self.value())

    def set_value(self):
        left = self.set_operand()
        if self.op("+") or self.op("-"):
            op = self.next().text
            return A.Arithmetic(op, left, self.set_operand())
        return left

    def set_operand(self):
        if self.tok.kind == "ident" and self.tok.text.lower() in ("list_append", "set_add", "set_delete") \
                and self.toks[self.i + 1].text == "(":
            name = self.next().text.lower()
            self.expect_op("(")
            first = self.set_operand()
            self.expect_op(",")
            second = self.set_operand()
            self.expect_op(")")
            if name == "list_append":
                return A.ListAppend(first, second)
            return _SetFunction(name, first, second)
        return self.operand()

    def path(self) -> A.Path:
        elements: list = [self.name()]
        while True:
            if self.op("."):
                self.next()
                elements.append(self.name())
            elif self.op("["):
                self.next()
                tok = self.next()
                if tok.kind == "number" and tok.text.isdigit():
                    elements.append(int(tok.text))
                elif tok.kind == "string":
                    elements.append(tok.text[1:-1].replace("''", "'"))
                else:
                    self.i -= 1
                    self.fail()
                self.expect_op("]")
            else:
                return A.Path(tuple(elements))

    # values
    def value(self) -> dict:
        tok = self.tok
        if self.op("?"):
            self.next()
            if self.used >= len(self.parameters):
                raise validation("Number of parameters in request and statement don't match.")
            value = self.parameters[self.used]
            self.used += 1
            return value
        if tok.kind == "string":
            self.next()
            return {"S": tok.text[1:-1].replace("''", "'")}
        if tok.kind == "number" or self.op("-"):
            negative = self.op("-")
            if negative:
                self.next()
            text = self.next().text
            return {"N": numbers.normalize_text(("-" if negative else "") + text)}
        if self.word("TRUE", "FALSE"):
            return {"BOOL": self.next().text.upper() == "TRUE"}
        if self.word("NULL"):
            self.next()
            return {"NULL": True}
        if self.op("{"):
            self.next()
            members = {}
            while not self.op("}"):
                key = self.next()
                if key.kind not in ("string", "quoted"):
                    self.i -= 1
                    self.fail()
                self.expect_op(":")
                members[key.text[1:-1]] = self.value()
                if not self.op(","):
                    break
                self.next()
            self.expect_op("}")
            return {"M": members}
        if self.op("["):
            self.next()
            items = []
            while not self.op("]"):
                items.append(self.value())
                if not self.op(","):
                    break
                self.next()
            self.expect_op("]")
            return {"L": items}
        if self.op("<<"):
            self.next()
            items = [self.value()]
            while self.op(","):
                self.next()
                items.append(self.value())
            self.expect_op(">>")
            kinds = {V.type_of(i) for i in items}
            if len(kinds) != 1 or next(iter(kinds)) not in ("S", "N", "B"):
                raise validation("Unsupported operation: a set must hold values of one scalar type")
            tag = next(iter(kinds))
            return V.normalize({tag + "S": [i[tag] for i in items]})
        self.fail()


@dataclass(frozen=True, slots=True)
class _SetFunction:
    """set_add(path, <<...>>) / set_delete(path, <<...>>) of PartiQL UPDATE."""

    name: str
    path: object
    value: object


def parse(text: str, parameters: list[dict] | None) -> Statement:
    """Parse one statement; parameters ('?') are attribute values, used in order."""
    params = [V.normalize(p) for p in parameters or []]
    try:
        return _Parser(text, params).statement()
    except PartiQLError as exc:
        raise validation(str(exc)) from None


def set_function(node) -> _SetFunction | None:
    return node if isinstance(node, _SetFunction) else None
