"""Condition, filter, key-condition, update and projection expressions: property-based tests against
a small reference evaluator written here over random items, plus parser examples."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb.expressions import parser as P
from cloudlet.services.dynamodb.expressions.evaluate import matches
from cloudlet.services.dynamodb.expressions.projection import project
from cloudlet.services.dynamodb.expressions.update import apply as apply_update

# ---------------------------------------------------------------- random values and items

scalars = st.one_of(
    st.sampled_from(["", "a", "ab", "b", "é", "Z"]).map(lambda s: {"S": s}),
    st.sampled_from(["-1", "0", "1", "1.5", "10", "2"]).map(lambda n: {"N": n}),
    st.sampled_from([b"", b"a", b"ab", b"\xff"]).map(lambda b: {"B": b}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
)
sets = st.one_of(
    st.sets(st.sampled_from(["a", "b", "c"]), min_size=1).map(lambda s: {"SS": sorted(s)}),
    st.sets(st.sampled_from(["1", "2", "10"]), min_size=1).map(lambda s: {"NS": sorted(s)}),
    st.sets(st.sampled_from([b"a", b"b"]), min_size=1).map(lambda s: {"BS": sorted(s)}),
)
values = st.recursive(
    st.one_of(scalars, sets),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: {"L": items}),
        st.dictionaries(st.sampled_from(["x", "y"]), inner, max_size=2).map(lambda m: {"M": m}),
    ),
    max_leaves=5,
)
NAMES = ["a", "b", "c", "m", "l"]
items = st.dictionaries(st.sampled_from(NAMES), values, max_size=5)
PATHS = ["a", "b", "c", "m.x", "m.y", "l[0]", "l[1]", "m.x[0]"]

# ---------------------------------------------------------------- the reference evaluator


def native(v):
    """A wire value as a plain Python value that compares like DynamoDB values."""
    if v is None:
        return None
    tag, x = next(iter(v.items()))
    if tag == "N":
        return ("N", Decimal(x))
    if tag == "NS":
        return ("NS", frozenset(Decimal(n) for n in x))
    if tag in ("SS", "BS"):
        return (tag, frozenset(x))
    if tag == "L":
        return ("L", tuple(native(e) for e in x))
    if tag == "M":
        return ("M", tuple(sorted((k, native(e)) for k, e in x.items())))
    return (tag, x)


def ref_get(item, path):
    cur = item
    for part in path.replace("[", ".[").split("."):
        if cur is None:
            return None
        if part.startswith("["):
            index = int(part[1:-1])
            lst = cur.get("L") if isinstance(cur, dict) and "L" in cur else None
            cur = lst[index] if lst is not None and index < len(lst) else None
        elif cur is item:
            cur = item.get(part)
        else:
            cur = cur["M"].get(part) if "M" in cur else None
    return cur


def ref_order(a, b):
    """-1/0/1 for two natives of one orderable type, None otherwise."""
    if a is None or b is None or a[0] != b[0] or a[0] not in ("S", "N", "B"):
        return None
    x, y = a[1], b[1]
    if a[0] == "S":
        x, y = x.encode(), y.encode()
    return (x > y) - (x < y)


def ref_operand(item, op):
    kind, arg = op
    if kind == "val":
        return native(arg)
    if kind == "path":
        return native(ref_get(item, arg))
    value = ref_get(item, arg)  # size
    if value is None:
        return None
    tag, x = next(iter(value.items()))
    if tag == "S":
        return ("N", Decimal(len(x.encode("utf-16-le")) // 2))  # UTF-16 code units, as DynamoDB counts
    if tag in ("B", "SS", "NS", "BS", "L", "M"):
        return ("N", Decimal(len(x)))
    return None


def ref_eval(item, cond):
    kind = cond[0]
    if kind == "and":
        return ref_eval(item, cond[1]) and ref_eval(item, cond[2])
    if kind == "or":
        return ref_eval(item, cond[1]) or ref_eval(item, cond[2])
    if kind == "not":
        return not ref_eval(item, cond[1])
    if kind == "cmp":
        _, op, left, right = cond
        a, b = ref_operand(item, left), ref_operand(item, right)
        if op == "=":
            return a is not None and a == b
        if op == "<>":
            return not (a is not None and a == b)
        order = ref_order(a, b)
        return order is not None and {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[op]
    if kind == "between":
        a, lo, hi = (ref_operand(item, o) for o in cond[1:])
        o1, o2 = ref_order(a, lo), ref_order(a, hi)
        return o1 is not None and o2 is not None and o1 >= 0 and o2 <= 0
    if kind == "in":
        a = ref_operand(item, cond[1])
        return a is not None and any(a == ref_operand(item, o) for o in cond[2])
    name, args = cond[1], cond[2]
    if name == "attribute_exists":
        return ref_get(item, args[0][1]) is not None
    if name == "attribute_not_exists":
        return ref_get(item, args[0][1]) is None
    a, b = ref_operand(item, args[0]), ref_operand(item, args[1])
    if a is None or b is None:
        return False
    if name == "attribute_type":
        return b == ("S", a[0])
    if name == "begins_with":
        return a[0] == b[0] and a[0] in ("S", "B") and a[1].startswith(b[1])
    if a[0] in ("S", "B"):  # contains
        return a[0] == b[0] and b[1] in a[1]
    if a[0] in ("SS", "NS", "BS"):
        return b[0] == a[0][0] and b[1] in a[1]
    if a[0] == "L":
        return b in a[1]
    return False


# ---------------------------------------------------------------- random conditions, rendered as text

path_operands = st.sampled_from(PATHS).map(lambda p: ("path", p))
operands = st.one_of(path_operands, values.map(lambda v: ("val", v)), st.sampled_from(PATHS).map(lambda p: ("size", p)))
comparisons = st.builds(lambda op, a, b: ("cmp", op, a, b), st.sampled_from(["=", "<>", "<", "<=", ">", ">="]), operands, operands)
betweens = st.builds(lambda a, lo, hi: ("between", a, lo, hi), operands, path_operands, path_operands)
ins = st.builds(lambda a, opts: ("in", a, opts), operands, st.lists(operands, min_size=1, max_size=3))
functions = st.one_of(
    path_operands.map(lambda p: ("fn", "attribute_exists", [p])),
    path_operands.map(lambda p: ("fn", "attribute_not_exists", [p])),
    st.builds(lambda p, t: ("fn", "attribute_type", [p, ("val", {"S": t})]), path_operands,
              st.sampled_from(["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"])),
    st.builds(lambda p, v: ("fn", "begins_with", [p, ("val", v)]), path_operands,
              st.one_of(st.sampled_from(["", "a", "é"]).map(lambda s: {"S": s}), st.just({"B": b"a"}))),
    st.builds(lambda p, v: ("fn", "contains", [p, v]), path_operands, operands),
)
conditions = st.recursive(
    st.one_of(comparisons, betweens, ins, functions),
    lambda inner: st.one_of(
        st.builds(lambda a, b: ("and", a, b), inner, inner),
        st.builds(lambda a, b: ("or", a, b), inner, inner),
        inner.map(lambda a: ("not", a)),
    ),
    max_leaves=6,
)


class Renderer:
    """Renders a condition tree to expression text, aliasing every other name through '#n' names."""

    def __init__(self):
        self.names, self.values = {}, {}

    def path(self, path):
        out = []
        for part in path.replace("[", ".[").split("."):
            if part.startswith("["):
                out[-1] += part
            elif len(self.names) % 2:
                alias = f"#n{len(self.names)}"
                self.names[alias] = part
                out.append(alias)
            else:
                self.names.setdefault(f"#unused{len(self.names)}", None)
                out.append(part)
        return ".".join(out)

    def operand(self, op):
        kind, arg = op
        if kind == "val":
            alias = f":v{len(self.values)}"
            self.values[alias] = arg
            return alias
        if kind == "path":
            return self.path(arg)
        return f"size({self.path(arg)})"

    def condition(self, cond):
        kind = cond[0]
        if kind in ("and", "or"):
            return f"({self.condition(cond[1])}) {kind.upper()} ({self.condition(cond[2])})"
        if kind == "not":
            return f"NOT ({self.condition(cond[1])})"
        if kind == "cmp":
            return f"{self.operand(cond[2])} {cond[1]} {self.operand(cond[3])}"
        if kind == "between":
            return f"{self.operand(cond[1])} BETWEEN {self.operand(cond[2])} AND {self.operand(cond[3])}"
        if kind == "in":
            return f"{self.operand(cond[1])} IN ({', '.join(self.operand(o) for o in cond[2])})"
        return f"{cond[1]}({', '.join(self.operand(o) for o in cond[2])})"

    def attributes(self):
        return P.Attributes({k: v for k, v in self.names.items() if v is not None}, self.values or None)


def parse_rendered(cond, kind="Condition"):
    r = Renderer()
    text = r.condition(cond)
    attrs = r.attributes()
    return P.parse_condition(text, attrs, kind), attrs, text


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(items, conditions)
def test_conditions_match_the_reference(item, cond):
    try:
        ast, attrs, text = parse_rendered(cond)
    except AWSError as exc:
        # Only literal-operand checks may reject a random condition (e.g. BETWEEN bounds, size(:v)).
        assert exc.code == "ValidationException"
        assert any(w in exc.message for w in ("Incorrect operand type", "BETWEEN", "requires a document path"))
        return
    attrs.check_unused()
    assert matches(item, ast) == ref_eval(item, cond), text
    assert matches(None, ast) == ref_eval({}, cond), text


@settings(max_examples=150)
@given(items, conditions)
def test_filter_expression_parses_like_condition(item, cond):
    try:
        ast, _, _ = parse_rendered(cond, "Filter")
    except AWSError as exc:
        assert exc.message.startswith("Invalid FilterExpression: ")
        return
    assert matches(item, ast) == ref_eval(item, cond)


# ---------------------------------------------------------------- updates

TOP = ["a", "b", "c", "d", "e"]
numbers_or_any = st.one_of(st.sampled_from(["1", "-2.5", "10"]).map(lambda n: {"N": n}), values)
list_operands = st.one_of(
    st.sampled_from(TOP).map(lambda p: ("path", p)),
    st.lists(scalars, min_size=1, max_size=2).map(lambda xs: ("val", {"L": xs})),
)
set_actions = st.one_of(
    st.builds(lambda v: ("val", v), values),
    st.builds(lambda p: ("path", p), st.sampled_from(TOP + ["m.x", "l[0]"])),
    st.builds(lambda op, a, b: ("arith", op, a, b), st.sampled_from("+-"),
              st.one_of(st.sampled_from(TOP).map(lambda p: ("path", p)), numbers_or_any.map(lambda v: ("val", v))),
              st.one_of(st.sampled_from(TOP).map(lambda p: ("path", p)), numbers_or_any.map(lambda v: ("val", v)))),
    st.builds(lambda p, v: ("ifne", p, v), st.sampled_from(TOP), values),
    st.builds(lambda a, b: ("append", a, b), list_operands, list_operands),
)
update_actions = st.one_of(
    st.builds(lambda v: ("SET", v), set_actions),
    st.just(("REMOVE", None)),
    st.builds(lambda v: ("ADD", v), st.one_of(st.sampled_from(["1", "-3"]).map(lambda n: {"N": n}), sets)),
    st.builds(lambda v: ("DELETE", v), sets),
)
updates = st.lists(st.tuples(st.sampled_from(TOP), update_actions), min_size=1, max_size=5, unique_by=lambda x: x[0])


class Invalid(Exception):
    pass


def ref_value(item, node):
    kind = node[0]
    if kind == "val":
        return node[1]
    if kind == "path":
        v = ref_get(item, node[1])
        if v is None:
            raise Invalid
        return v
    if kind == "arith":
        a, b = ref_value(item, node[2]), ref_value(item, node[3])
        if "N" not in a or "N" not in b:
            raise Invalid
        r = Decimal(a["N"]) + Decimal(b["N"]) if node[1] == "+" else Decimal(a["N"]) - Decimal(b["N"])
        return {"N": r}
    if kind == "ifne":
        v = ref_get(item, node[1])
        return v if v is not None else node[2]
    a, b = ref_value(item, node[1]), ref_value(item, node[2])
    if "L" not in a or "L" not in b:
        raise Invalid
    return {"L": a["L"] + b["L"]}


def ref_update(item, actions):
    out = dict(item)
    for name, (kind, arg) in actions:
        cur = item.get(name)
        if kind == "SET":
            out[name] = ref_value(item, arg)
        elif kind == "REMOVE":
            out.pop(name, None)
        elif kind == "ADD":
            if cur is None:
                out[name] = arg
            elif "N" in arg and "N" in cur:
                out[name] = {"N": Decimal(cur["N"]) + Decimal(arg["N"])}
            elif next(iter(arg)) == next(iter(cur)) and next(iter(arg)) in ("SS", "NS", "BS"):
                tag = next(iter(arg))
                out[name] = {tag: native(cur)[1] | native(arg)[1]}
            else:
                raise Invalid
        else:
            if cur is None:
                continue
            tag = next(iter(arg))
            if next(iter(cur)) != tag:
                raise Invalid
            rest = native(cur)[1] - native(arg)[1]
            if rest:
                out[name] = {tag: rest}
            else:
                out.pop(name)
    return out


def render_update(actions):
    r = Renderer()
    clauses = {}

    def value(node):
        kind = node[0]
        if kind in ("val", "path"):
            return r.operand(node)
        if kind == "arith":
            return f"{value(node[2])} {node[1]} {value(node[3])}"
        if kind == "ifne":
            return f"if_not_exists({r.path(node[1])}, {r.operand(('val', node[2]))})"
        return f"list_append({value(node[1])}, {value(node[2])})"

    for name, (kind, arg) in actions:
        path = r.path(name)
        if kind == "SET":
            clauses.setdefault("SET", []).append(f"{path} = {value(arg)}")
        elif kind == "REMOVE":
            clauses.setdefault("REMOVE", []).append(path)
        else:
            clauses.setdefault(kind, []).append(f"{path} {r.operand(('val', arg))}")
    return " ".join(f"{k} {', '.join(v)}" for k, v in clauses.items()), r


def comparable(item):
    return {k: native({next(iter(v)): (str(x) if isinstance(x := next(iter(v.values())), Decimal) else x)})
            for k, v in item.items()}


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(items, updates)
def test_updates_match_the_reference(item, actions):
    text, r = render_update(actions)
    try:
        ast = P.parse_update(text, r.attributes())
    except AWSError as exc:
        # literal operands of the wrong type are rejected when parsing
        assert "Incorrect operand type" in exc.message, (text, exc.message)
        return
    try:
        expected = ref_update(item, actions)
    except Invalid:
        expected = None
    try:
        got = apply_update(item, ast, ())
    except AWSError:
        got = None
    if expected is None or got is None:
        assert got is None and expected is None, text
        return
    assert comparable(got) == comparable(expected), text


# ---------------------------------------------------------------- projections


def ref_project(item, paths):
    out = {}
    for path in paths:
        value = ref_get(item, path)
        if value is not None:
            out[path] = value
    return out


def flatten(projected, paths):
    return {p: ref_get(projected, p) for p in paths if ref_get(projected, p) is not None}


@settings(max_examples=300)
@given(items, st.lists(st.sampled_from(["a", "b", "m.x", "m.y", "l[0]", "l[2]", "c"]), min_size=1, max_size=4, unique=True))
def test_projection_keeps_exactly_the_named_paths(item, paths):
    paths = [p for p in paths if not any(q != p and (p.startswith(q + ".") or p.startswith(q + "[")) for q in paths)]
    r = Renderer()
    text = ", ".join(r.path(p) for p in paths)
    got = project(item, P.parse_projection(text, r.attributes()))
    expected = ref_project(item, paths)
    # every projected path that exists holds the item's value; nothing else is present
    for p, v in expected.items():
        if "[" not in p:
            assert ref_get(got, p) == v
    assert set(got) <= {p.split(".")[0].split("[")[0] for p in expected}


# ---------------------------------------------------------------- parser examples


def attrs(names=None, values=None):
    return P.Attributes(names, values)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a = ", 'Syntax error; token: "<EOF>", near: "= "'),
        ("a == b", 'Syntax error; token: "=", near: "== b"'),
        ("a = :v)", None),
        ("(a = :v", None),
        ("a BETWEEN :v", None),
        ("a IN ()", None),
        ("contains(a)", "Incorrect number of operands for operator or function; operator or function: contains, number of operands: 1"),
        ("attribute_exists(:v)", "Operator or function requires a document path; operator or function: attribute_exists"),
        ("attribute_type(a, :v)", "Invalid attribute type name found in type: x, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"),
        ("a = :nope", "An expression attribute value used in expression is not defined; attribute value: :nope"),
        ("#x = :v", "An expression attribute name used in the document path is not defined; attribute name: #x"),
        ("Size = :v", "Attribute name is a reserved keyword; reserved keyword: Size"),
        ("a[x] = :v", None),
        ("a = :v ! b", None),
    ],
)
def test_condition_syntax_errors(text, message):
    with pytest.raises(AWSError) as excinfo:
        P.parse_condition(text, attrs(values={":v": {"S": "x"}}))
    assert excinfo.value.code == "ValidationException"
    assert excinfo.value.message.startswith("Invalid ConditionExpression: ")
    if message:
        assert excinfo.value.message == "Invalid ConditionExpression: " + message


def test_precedence_not_and_or():
    ast = P.parse_condition("NOT a = :v AND b = :v OR c = :v", attrs(values={":v": {"S": "x"}}))
    item = {"a": {"S": "y"}, "b": {"S": "y"}, "c": {"S": "x"}}
    assert matches(item, ast)  # ((NOT a=x) AND b=x) OR c=x
    assert not matches({"a": {"S": "y"}, "b": {"S": "y"}}, ast)


def test_keywords_ignore_case_and_functions_do_not():
    values = {":v": {"S": "x"}, ":w": {"S": "z"}}
    ast = P.parse_condition("a between :v and :w or not a in (:v)", attrs(values=values))
    assert matches({"a": {"S": "y"}}, ast)
    with pytest.raises(AWSError) as excinfo:
        P.parse_condition("Attribute_Exists(a)", attrs())
    assert excinfo.value.message == "Invalid ConditionExpression: Invalid function name; function: Attribute_Exists"


def test_update_list_index_removal_uses_original_indexes():
    item = {"l": {"L": [{"N": str(i)} for i in range(5)]}}
    ast = P.parse_update("REMOVE l[1], l[3]", attrs())
    assert apply_update(item, ast, ())["l"] == {"L": [{"N": "0"}, {"N": "2"}, {"N": "4"}]}
    assert item["l"]["L"][1] == {"N": "1"}  # the input is not modified


def test_update_right_hand_sides_read_the_original_item():
    ast = P.parse_update("SET a = b, b = a", attrs())
    assert apply_update({"a": {"S": "1"}, "b": {"S": "2"}}, ast, ()) == {"a": {"S": "2"}, "b": {"S": "1"}}


def test_projection_of_nested_paths_and_list_indexes():
    item = {"m": {"M": {"x": {"L": [{"S": "0"}, {"S": "1"}, {"S": "2"}]}, "y": {"S": "y"}}}, "z": {"S": "z"}}
    paths = P.parse_projection("m.x[2], m.x[0], nothing, m.q", attrs())
    assert project(item, paths) == {"m": {"M": {"x": {"L": [{"S": "0"}, {"S": "2"}]}}}}


def test_list_append_keeps_operand_order_and_arithmetic_is_exact():
    values = {":pre": {"L": [{"S": "p"}]}, ":big": {"N": "1E+125"}}
    ast = P.parse_update("SET l = list_append(:pre, l), z = :big - :big", attrs(values=values))
    out = apply_update({"l": {"L": [{"S": "x"}]}}, ast, ())
    assert out["l"] == {"L": [{"S": "p"}, {"S": "x"}]} and out["z"] == {"N": "0"}


def test_arithmetic_beyond_38_digits_is_rejected():
    ast = P.parse_update("SET n = n + :tiny", attrs(values={":tiny": {"N": "1E-130"}}))
    with pytest.raises(AWSError) as excinfo:
        apply_update({"n": {"N": "1"}}, ast, ())
    assert excinfo.value.message == "Attempting to store more than 38 significant digits in a Number"


def test_expressions_are_limited_to_4_kb():
    text = " OR ".join(["a = :v"] * 500)
    with pytest.raises(AWSError) as excinfo:
        P.parse_condition(text, attrs(values={":v": {"S": "x"}}))
    assert excinfo.value.message == (
        f"Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: {len(text)}"
    )
    assert P.parse_condition(" OR ".join(["a = :v"] * 300), attrs(values={":v": {"S": "x"}})) is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a = :v AND ((b = :v))", "The expression has redundant parentheses;"),
        ("a > ((b))", "The expression has redundant parentheses;"),
        ("attribute_not_exists(a) = :v", "The function is not allowed to be used this way in an expression; "
                                         "function: attribute_not_exists"),
        ("size(a, b) > :v", "Incorrect number of operands for operator or function; operator or function: size, "
                            "number of operands: 2"),
        ("size(size(a)) > :v", "Incorrect operand type for operator or function; operator or function: size, "
                               "operand type: N"),
    ],
)
def test_condition_shape_errors(text, message):
    with pytest.raises(AWSError) as excinfo:
        P.parse_condition(text, P.Attributes(None, {":v": {"N": "1"}}), "Filter")
    assert excinfo.value.message == f"Invalid FilterExpression: {message}"
    # single parentheses and function calls are fine
    P.parse_condition("(a = :v) AND (begins_with(b, :v) OR c = :v)", P.Attributes(None, {":v": {"S": "1"}}))
