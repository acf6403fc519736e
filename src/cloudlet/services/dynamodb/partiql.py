"""PartiQL for DynamoDB: a tokenizer and recursive-descent parser of SELECT, INSERT, UPDATE and
DELETE statements into the same ASTs the expression language uses (paths, values, conditions,
update actions)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import numbers
from cloudlet.services.dynamodb import values as V
from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.expressions import ast as A

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|--[^\n]*|/\*.*?\*/)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><<|>>|<=|>=|<>|!=|[=<>()\[\]{},.:*?+\-;])
    """,
    re.VERBOSE | re.DOTALL,
)
_NUMBER_PARTS = re.compile(r"[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")
_INT32 = 1 << 31
MALFORMED = "Statement wasn't well formed, can't be processed: "
LEFTOVER = "Unexpected token after expression"
_KEYWORDS = frozenset(("SELECT", "FROM", "WHERE", "ORDER", "BY", "ASC", "DESC", "SET", "REMOVE", "RETURNING", "VALUE",
                       "INSERT", "INTO", "UPDATE", "DELETE", "AS"))
_OPERATOR_WORDS = frozenset(("IS", "LIKE", "IN", "BETWEEN"))
_COMPARE = {"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
# `x IS <type>`: PartiQL type names and the DynamoDB type each tests for.
_IS_TYPES = {"NULL": "NULL", "BOOL": "BOOL", "BOOLEAN": "BOOL", "STRING": "S", "NUMBER": "N", "INT": "N",
             "INTEGER": "N", "DECIMAL": "N", "FLOAT": "N", "DOUBLE": "N", "BLOB": "B", "LIST": "L", "TUPLE": "M",
             "STRUCT": "M", "MAP": "M", "INT4": "N", "INT8": "N", "SMALLINT": "N", "BIGINT": "N", "REAL": "N",
             "NUMERIC": "N", "CHAR": "S", "VARCHAR": "S", "CHARACTER": "S"}
_IS_TWO_WORDS = {"DOUBLE": "PRECISION", "CHARACTER": "VARYING"}
_FUNCTIONS = ("begins_with", "contains", "attribute_type", "attribute_exists", "attribute_not_exists")


class PartiQLError(Exception):
    """A statement the parser cannot read: reported after DynamoDB's "wasn't well formed" prefix."""


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
    descending: bool = False  # SELECT ... ORDER BY <sort key> DESC


@dataclass(slots=True)
class _Tok:
    kind: str
    text: str
    pos: int = 0

    def at(self) -> str:
        """The token's position as DynamoDB reports it: line:column:length, counted from 1."""
        return f"1:{self.pos + 1}:{len(self.text)}"


def _tokenize(text: str) -> list[_Tok]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # a stray character, an open quote or comment: no detail, as DynamoDB answers
            raise PartiQLError("")
        if m.lastgroup != "ws":
            out.append(_Tok(m.lastgroup, m.group(), pos))
        pos = m.end()
    out.append(_Tok("eof", "", pos))
    return out


class _Parser:
    def __init__(self, text: str, parameters: list[dict]) -> None:
        self.toks = _tokenize(text)
        self.i = 0
        self.parameters = parameters
        self.used = 0
        self.returning_text = ""
        self.is_type_test = False  # the last condition parsed was `x IS <type>`

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
        if self.tok.kind == "eof" or self.op(";"):
            raise PartiQLError("Unexpected term")
        if self.tok.kind == "ident" and self.tok.text.upper() in _KEYWORDS:
            raise PartiQLError("Unexpected keyword")
        if self.tok.kind == "ident" and self.tok.text.upper() in _OPERATOR_WORDS:
            raise PartiQLError("Unexpected operator")
        raise PartiQLError(f"Unexpected token {self.tok.text!r}")

    def no_alias(self, *clauses: str) -> None:
        """A table alias (`FROM t x`, `FROM t AS x`) is refused in words of its own."""
        if self.word("AS") or (self.tok.kind in ("ident", "quoted") and not self.word(*clauses)):
            raise validation("Aliasing is not supported")

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
        elif self.word("FROM"):
            stmt = self.update_from_first()
        else:
            self.bare_expression()
        if self.op(";"):
            self.next()
        if self.tok.kind != "eof":
            raise PartiQLError(LEFTOVER)
        if self.used != len(self.parameters):
            raise validation(
                "Number of parameters in request and statement don't match."
            )
        return stmt

    def bare_expression(self):
        """A statement that is only an expression: an IS type test is named, anything else is not
        a statement at all."""
        try:
            node = self.condition()
        except (PartiQLError, AWSError):
            node = None
        if self.tok.kind == "eof" and isinstance(node, A.Not | A.Function) and self.is_type_test:
            raise validation("Unsupported operation: IsType")
        raise PartiQLError("Expected data manipulation")

    def name(self) -> str:
        if self.tok.kind not in ("quoted", "ident"):
            self.fail()
        tok = self.next()
        if tok.kind == "quoted":
            if tok.text == '""':
                raise validation("Path component cannot be an empty string")
            return tok.text[1:-1].replace('""', '"')
        return tok.text

    def table_ref(self) -> tuple[str, str | None]:
        table = self.name()
        index = None
        if self.op("."):
            self.next()
            index = self.name()
            if self.op("."):
                raise validation("A path may contain at most 2 components in the FROM clause")
        return table, index

    def select(self) -> Statement:
        self.next()
        projection = None
        if self.op("*"):
            self.next()
        else:
            projection = [self.projected()]
            while self.op(","):
                self.next()
                projection.append(self.projected())
        self.expect_word("FROM")
        table, index = self.table_ref()
        self.no_alias("WHERE", "ORDER")
        where = self.where(optional=True)
        descending = False
        if self.word("ORDER"):
            self.next()
            self.expect_word("BY")
            self.path()
            descending = self.word("DESC")
            if self.word("ASC", "DESC"):
                self.next()
        return Statement("SELECT", table, index, where, projection, descending=descending)

    def projected(self) -> A.Path:
        if self.tok.kind == "ident" and self.toks[self.i + 1].text == "(":
            raise validation(f"Unexpected path component at {self.tok.at()}")
        return self.path()

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
            raise validation("FROM clause may only contain a single table name")
        if not self.word("VALUE"):
            raise PartiQLError(LEFTOVER)
        self.next()
        value = self.value(None)
        if V.type_of(value) != "M":
            raise validation("Unsupported operation: Inserting a non-tuple value is not supported")
        return Statement("INSERT", table, item=value["M"])

    def update(self) -> Statement:
        self.next()
        table, index = self.table_ref()
        self.no_alias("SET", "REMOVE")
        actions = self.update_actions()
        where = self.where(optional=False)
        return Statement("UPDATE", table, index, where=where, actions=actions, returning=self.returning())

    def update_from_first(self) -> Statement:
        """`FROM t WHERE <key> SET ... REMOVE ...`: an UPDATE with its clauses in that order."""
        self.next()
        table, index = self.table_ref()
        self.no_alias("WHERE", "SET", "REMOVE")
        where = self.where(optional=True)  # without one, the key check refuses the statement
        actions = self.update_actions()
        return Statement("UPDATE", table, index, where=where, actions=actions, returning=self.returning())

    def update_actions(self) -> list:
        actions = []
        while self.word("SET", "REMOVE"):
            clause = self.next().text.upper()
            while True:
                path = self.path()
                if clause == "SET":
                    self.expect_op("=")
                    actions.append(A.UpdateAction("SET", path, self.set_value(path)))
                else:
                    actions.append(A.UpdateAction("REMOVE", path))
                if not self.op(","):
                    break
                self.next()
        if not actions:
            self.fail()
        return actions

    def delete(self) -> Statement:
        self.next()
        self.expect_word("FROM")
        if self.tok.kind not in ("ident", "quoted") or self.word("WHERE"):
            raise PartiQLError("Expected identifier for simple path")
        table, index = self.table_ref()
        self.no_alias("WHERE")
        where = self.where(optional=False)
        returning = self.returning()
        if returning not in (None, "ALL_OLD"):
            raise validation(f"Invalid returning clause: RETURNING {self.returning_text}. Only RETURNING ALL OLD * is "
                             "allowed in DELETE statements.")
        return Statement("DELETE", table, index, where=where, returning=returning)

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
        self.returning_text = f"{which} {when} *"
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
            self.right_hand_side()
            left = A.Or(left, self.conjunction())
        return left

    def conjunction(self):
        left = self.negation()
        while self.word("AND"):
            self.next()
            self.right_hand_side()
            left = A.And(left, self.negation())
        return left

    def right_hand_side(self) -> None:
        if self.tok.kind == "eof" or self.op(";"):
            raise PartiQLError("Missing right-hand side expression of infix operator")

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
        if self.tok.kind == "ident" and self.toks[self.i + 1].text == "(" and self.tok.text.lower() != "size":
            function = self.function()
            if self.op("=") or self.op("<>") or self.op("!="):  # attribute_exists(a) = true
                negate = self.next().text != "="
                value = self.value()
                if V.type_of(value) != "BOOL":
                    self.fail()
                return A.Not(function) if value["BOOL"] == negate else function
            return function
        left = self.operand()
        if self.tok.kind == "op" and self.tok.text in _COMPARE:
            op = _COMPARE[self.next().text]
            right = self.operand()
            if op in ("<", "<=", ">", ">="):
                _check_ordered(op, left, right)
            return A.Compare(op, left, right)
        if self.word("BETWEEN"):
            self.next()
            low = self.operand()
            self.expect_word("AND")
            high = self.operand()
            _check_ordered("BETWEEN", left, low, high)
            return A.Between(left, low, high)
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
            if not isinstance(left, A.Path):
                self.fail()
            if self.word("MISSING"):
                self.next()
                return A.Function("attribute_exists" if negate else "attribute_not_exists", (left,))
            kind = _IS_TYPES.get(self.tok.text.upper()) if self.tok.kind == "ident" else None
            if kind is None:
                raise PartiQLError("Expected type name")
            second = _IS_TWO_WORDS.get(self.next().text.upper())
            if second and self.word(second):  # DOUBLE PRECISION, CHARACTER VARYING
                self.next()
            test = A.Function("attribute_type", (left, A.Value({"S": kind})))
            self.is_type_test = True
            return A.Not(test) if negate else test
        self.fail()

    def function(self) -> A.Function:
        tok = self.next()
        name = tok.text.lower()
        if name not in _FUNCTIONS:
            raise validation(f"Unrecognized function: {name} at {tok.at()}")
        self.expect_op("(")
        args = []
        while not self.op(")"):
            args.append(self.operand())
            if not self.op(","):
                break
            self.next()
        self.expect_op(")")
        wanted = 1 if name.startswith("attribute_") and name != "attribute_type" else 2
        if len(args) != wanted:
            raise validation("Incorrect number of operands for operator or function; operator or function: "
                             f"{name}, number of operands: {len(args)}")
        if not isinstance(args[0], A.Path):
            raise validation(f"Operator or function requires a document path; operator or function: {name}")
        return A.Function(name, tuple(args))

    def operand(self):
        if self.tok.kind == "ident" and self.tok.text.lower() == "size" and self.toks[self.i + 1].text == "(":
            self.next()
            self.expect_op("(")
            path = self.path()
            self.expect_op(")")
            return A.Size(path)
        if self.tok.kind == "ident" and self.tok.text.upper() in _KEYWORDS | _OPERATOR_WORDS:
            self.fail()
        if self.tok.kind in ("quoted",) or (self.tok.kind == "ident" and not self.word("TRUE", "FALSE", "NULL", "MISSING")):
            return self.path()
        return A.Value(self.value())

    def set_value(self, target: A.Path):
        left = self.set_operand(target)
        if self.op("+") or self.op("-"):
            op = self.next().text
            return A.Arithmetic(op, left, self.set_operand(target))
        return left

    def set_operand(self, target: A.Path):
        if self.tok.kind == "ident" and self.tok.text.lower() in ("list_append", "set_add", "set_delete") \
                and self.toks[self.i + 1].text == "(":
            tok = self.next()
            name = tok.text.lower()
            self.expect_op("(")
            if name == "list_append":
                first = self.set_operand(target)
                self.expect_op(",")
                second = self.set_operand(target)
                self.expect_op(")")
                return A.ListAppend(first, second)
            return self.set_function(tok, target)
        return self.operand()

    def set_function(self, tok: _Tok, target: A.Path) -> _SetFunction:
        """set_add / set_delete: the first argument is the attribute assigned, the second a set."""
        label = tok.text.upper()
        first_tok = self.tok
        args = []
        while not self.op(")"):
            args.append(self.set_operand(target))
            if not self.op(","):
                break
            self.next()
        self.expect_op(")")
        if len(args) != 2:
            raise validation(f"{label} must have exactly two arguments at {tok.at()}")
        if args[0] != target:
            raise validation(f"The first argument to {label} must equal the assignment value at {tok.at()}")
        if not isinstance(args[1], A.Value) or V.type_of(args[1].value) not in V.SET_TYPES:
            raise validation(f"The second argument to {label} must be a value with type SET at {first_tok.at()}")
        return _SetFunction(tok.text.lower(), args[0], args[1])

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
    def value(self, path: str | None = "root") -> dict:
        """A literal or parameter; `path` names it inside the value in number errors (None: the
        INSERT item, whose attributes are each a root)."""
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
            if not _fits_java_decimal(text):
                raise PartiQLError("")
            try:
                return {"N": numbers.normalize_text(("-" if negative else "") + text)}
            except AWSError as err:
                raise validation(f"{err.message} under {path or 'root'}") from None
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
                name = key.text[1:-1]
                if self.tok.kind == "ident" and self.toks[self.i + 1].text == "(":
                    raise validation(f"Unsupported data type: {self.tok.text} under key {path or 'root'} at {self.tok.at()}")
                members[name] = self.value("root" if path is None else f"{path}.{name}")
                if not self.op(","):
                    break
                self.next()
            self.expect_op("}")
            return {"M": members}
        if self.op("["):
            self.next()
            items = []
            while not self.op("]"):
                items.append(self.value(f"{path or 'root'}[{len(items)}]"))
                if not self.op(","):
                    break
                self.next()
            self.expect_op("]")
            return {"L": items}
        if self.op("<<"):
            self.next()
            if self.op(">>"):
                raise validation("Empty bags are not supported")
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
    return parse_checked(text, checked_parameters(parameters))


def checked_parameters(parameters: list[dict] | None) -> list[dict]:
    """A statement's parameters, checked and normalized (their errors come before the statement's)."""
    for p in parameters or []:
        _check_parameter(p, 1)
    return [V.normalize(p) for p in parameters or []]


def parse_checked(text: str, parameters: list[dict]) -> Statement:
    """Parse one statement with parameters from checked_parameters."""
    try:
        return _Parser(text, parameters).statement()
    except PartiQLError as exc:
        raise validation(MALFORMED + str(exc)) from None


def _check_ordered(op: str, *operands) -> None:
    """An ordering comparison refuses a literal of a type with no order, before the table is read."""
    for operand in operands:
        if isinstance(operand, A.Value) and V.type_of(operand.value) not in ("S", "N", "B"):
            raise validation("Incorrect operand type for operator or function; operator or function: "
                             f"{op}, operand type: {V.type_of(operand.value)}")


def _fits_java_decimal(text: str) -> bool:
    """Whether a number's exponent and scale fit 32-bit integers, as DynamoDB's decimal type needs."""
    m = _NUMBER_PARTS.fullmatch(text)
    if m is None:
        return False
    exponent = int(m.group(3) or 0)
    scale = len(m.group(2) or "") - exponent
    return -_INT32 <= exponent < _INT32 and -_INT32 <= scale < _INT32


def _check_parameter(value, depth: int) -> None:
    """The nesting and number problems of a parameter, whichever comes first in document order."""
    if depth > V.MAX_DEPTH:
        raise validation("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels "
                         "beyond supported limit")
    if not isinstance(value, dict) or len(value) != 1:
        return  # V.normalize reports it
    tag, inner = next(iter(value.items()))
    if tag == "N":
        _check_parameter_number(inner)
    elif tag == "NS" and isinstance(inner, list):
        for member in inner:
            _check_parameter_number(member)
    elif tag == "M" and isinstance(inner, dict):
        for member in inner.values():
            _check_parameter(member, depth + 1)
    elif tag == "L" and isinstance(inner, list):
        for member in inner:
            _check_parameter(member, depth + 1)


def _check_parameter_number(text) -> None:
    """A parameter's number is read as a Java BigDecimal: an exponent or scale outside 32 bits cannot
    be converted, and the magnitude check (precision - scale) wraps in 32-bit arithmetic."""
    if text == "":
        raise validation("The parameter cannot be converted to a numeric value")
    if not isinstance(text, str) or not _fits_java_decimal(text) or not (m := _NUMBER_PARTS.fullmatch(text)) \
            or not (m.group(1) or m.group(2)):
        raise validation(f"The parameter cannot be converted to a numeric value: {text}")
    precision = len((m.group(1) + (m.group(2) or "")).lstrip("0")) or 1
    scale = len(m.group(2) or "") - int(m.group(3) or 0)
    magnitude = precision - scale
    wrapped = (magnitude + _INT32) % (2 * _INT32) - _INT32
    if wrapped != magnitude:
        raise validation(
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
            if wrapped - 1 > numbers.MAX_ADJUSTED else
            "Number underflow. Attempting to store a number with magnitude smaller than supported range"
        )


def set_function(node) -> _SetFunction | None:
    return node if isinstance(node, _SetFunction) else None
