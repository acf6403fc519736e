"""Key conditions as SQL range scans: property-based tests that Query over the order-preserving key
encoding returns exactly the items a reference filter-and-sort would, in both directions and across
pages, on a real SQLite store."""

import tempfile
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cloudlet.services.dynamodb import reads, requests, storage
from cloudlet.services.dynamodb.expressions import parser as P
from cloudlet.services.dynamodb.schema import KeyDef, TableDef
from cloudlet.store.sqlite import SqliteStore


@pytest.fixture(scope="module")
def store():
    s = SqliteStore(tempfile.mkdtemp(prefix="ddb-unit-"))
    s.migrate("dynamodb", storage.MIGRATIONS)
    yield s
    s.close()


def table_for(kind: str) -> TableDef:
    return TableDef(account="1", region="r", name=f"t{kind}", id=f"id-{kind}",
                    key=KeyDef("pk", "S", "sk", kind), attribute_definitions=[], created=0.0)


number_texts = st.builds(
    lambda sign, digits, exp: str(Decimal((sign, tuple(int(d) for d in digits), exp)).normalize()),
    st.integers(0, 1), st.text("0159", min_size=1, max_size=3), st.integers(-3, 3),
).map(lambda t: format(Decimal(t), "f"))
sort_values = {
    "N": number_texts,
    "S": st.text(alphabet="ab\u00e9\U0001f600", min_size=1, max_size=3),
    "B": st.lists(st.sampled_from([0, 1, 0x7F, 0xFF]), min_size=1, max_size=3).map(bytes),
}


def order_key(kind, v):
    return Decimal(v) if kind == "N" else (v.encode() if kind == "S" else v)


@st.composite
def cases(draw):
    kind = draw(st.sampled_from(["N", "S", "B"]))
    values = draw(st.lists(sort_values[kind], min_size=0, max_size=25, unique_by=lambda v: order_key(kind, v)))
    op = draw(st.sampled_from(["none", "=", "<", "<=", ">", ">=", "between", "begins"] if kind != "N"
                              else ["none", "=", "<", "<=", ">", ">=", "between"]))
    # bounds are often stored values themselves, where inclusive and exclusive differ
    bound = st.one_of(st.sampled_from(values), sort_values[kind]) if values else sort_values[kind]
    a = draw(bound)
    b = draw(bound)
    if op == "between" and order_key(kind, a) > order_key(kind, b):
        a, b = b, a
    forward = draw(st.booleans())
    limit = draw(st.one_of(st.none(), st.integers(1, 7)))
    return kind, values, op, a, b, forward, limit


def reference(kind, values, op, a, b):
    k = lambda v: order_key(kind, v)  # noqa: E731
    pred = {
        "none": lambda v: True,
        "=": lambda v: k(v) == k(a), "<": lambda v: k(v) < k(a), "<=": lambda v: k(v) <= k(a),
        ">": lambda v: k(v) > k(a), ">=": lambda v: k(v) >= k(a),
        "between": lambda v: k(a) <= k(v) <= k(b),
        "begins": lambda v: (v.encode() if kind == "S" else v).startswith(a.encode() if kind == "S" else a),
    }[op]
    return sorted((v for v in values if pred(v)), key=k)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases())
@example(("B", [b"\x01", b"\x01\xff", b"\x01\xff\xff", b"\x02"], "begins", b"\x01", b"\x01", True, None))
@example(("B", [b"\xff", b"\xff\xff", b"\xfe"], "begins", b"\xff", b"\xff", False, 1))
@example(("N", ["-1", "-1.5", "-15", "-0.15", "0", "1", "1.5"], "<", "-1", "-1", True, 2))
def test_query_is_an_exact_range_scan(store, case):
    kind, values, op, a, b, forward, limit = case
    table = table_for(kind)
    with store.tx() as conn:
        conn.execute("DELETE FROM ddb_items WHERE table_id = ?", (table.id,))
        for v in values:
            item = {"pk": {"S": "p"}, "sk": {kind: v}}
            pk, sk = table.encode_key(item)
            storage.put_item(conn, table, pk, sk, item, None)
        # a neighbouring partition must never leak in
        other = {"pk": {"S": "q"}, "sk": {kind: a}}
        storage.put_item(conn, table, *table.encode_key(other), other, None)
    condition = {"none": "pk = :p", "=": "pk = :p AND sk = :a", "<": "pk = :p AND sk < :a",
                 "<=": "pk = :p AND sk <= :a", ">": "pk = :p AND sk > :a", ">=": "pk = :p AND sk >= :a",
                 "between": "pk = :p AND sk BETWEEN :a AND :b", "begins": "pk = :p AND begins_with(sk, :a)"}[op]
    attr_values = {":p": {"S": "p"}, ":a": {kind: a}, ":b": {kind: b}}
    attrs = P.Attributes(None, {k: v for k, v in attr_values.items() if k in condition})
    exprs = requests.Expressions(key_condition=P.parse_condition(condition, attrs, "KeyCondition"))
    expected = reference(kind, values, op, a, b)
    if not forward:
        expected.reverse()
    got, start = [], None
    with store.read() as conn:
        for _ in range(100):
            params = {"ScanIndexForward": forward}
            if limit:
                params["Limit"] = limit
            if start:
                params["ExclusiveStartKey"] = start
            page = reads.run_query(conn, table, None, exprs, params)
            got += [i["sk"][kind] for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
    if kind == "N":
        assert [Decimal(v) for v in got] == [Decimal(v) for v in expected]
    else:
        assert got == expected
