"""GSIs with multi-attribute keys (up to four HASH and four RANGE attributes) with boto3: sparse
membership, ordering by the RANGE attributes in key-schema order, the Query key-condition rules,
paging keys, Scan, backfill by UpdateTable, DescribeTable, and PartiQL's refusal to read them."""

import pytest
from botocore.exceptions import ClientError
from ddb_helpers import error

REFUSED = ("PartiQL statements cannot be executed on tables with multi-attribute HASH keys or multi-attribute "
           "RANGE keys.")


def _strings(*names):
    return [{"AttributeName": n, "AttributeType": "S"} for n in names]


def _schema(hashes, ranges):
    return ([{"AttributeName": n, "KeyType": "HASH"} for n in hashes]
            + [{"AttributeName": n, "KeyType": "RANGE"} for n in ranges])


ROWS = [  # pk, a, b, c, d (None: attribute absent)
    ("p1", "T", "live", "b", "r1"),
    ("p2", "T", "live", "a", "r2"),
    ("p3", "T", "live", "a", "r1"),
    ("p4", "T", "draft", "c", "r1"),
    ("p5", "F", "live", "a", "r0"),
    ("p6", "T", "live", None, "r1"),  # no c: not in the index
]


def _item(row, **extra):
    item = {"h": {"S": "o1"}, **extra}
    for name, value in zip(("pk", "a", "b", "c", "d"), row, strict=True):
        if value is not None:
            item[name] = {"S": value}
    return item


@pytest.fixture
def ddb(cloudlet):
    client = cloudlet.client("dynamodb")
    client.create_table(
        TableName="mkeys", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=_strings("pk", "h", "a", "b", "c", "d"),
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": _schema(["h"], ["a", "b", "c", "d"]),
                                 "Projection": {"ProjectionType": "ALL"}}],
    )
    for row in ROWS:
        client.put_item(TableName="mkeys", Item=_item(row))
    return client


VALUES = {":h": {"S": "o1"}, ":a": {"S": "T"}, ":b": {"S": "live"}, ":c": {"S": "a"}, ":d": {"S": "r"},
          ":x": {"S": "r1"}, ":y": {"S": "r1"}, ":n": {"N": "1"}}


def q(ddb, expr, **kwargs):
    values = {k: v for k, v in VALUES.items() if k in expr}
    return ddb.query(TableName="mkeys", IndexName="gsi", KeyConditionExpression=expr,
                     ExpressionAttributeValues=values, **kwargs)


def pks(out):
    return [i["pk"]["S"] for i in out["Items"]]


def test_query_orders_by_range_attributes_and_takes_equality_prefixes(ddb):
    cases = [
        ("h = :h", {}, ["p5", "p4", "p3", "p2", "p1"]),
        ("h = :h AND a = :a", {}, ["p4", "p3", "p2", "p1"]),
        ("h = :h AND a = :a", {"ScanIndexForward": False}, ["p1", "p2", "p3", "p4"]),
        ("h = :h AND a = :a AND b = :b", {}, ["p3", "p2", "p1"]),
        ("h = :h AND a = :a AND b = :b AND c = :c", {}, ["p3", "p2"]),
        ("h = :h AND a = :a AND b = :b AND c > :c", {}, ["p1"]),
        ("h = :h AND a = :a AND b = :b AND c >= :c", {}, ["p3", "p2", "p1"]),
        ("h = :h AND a = :a AND b = :b AND c <= :c", {}, ["p3", "p2"]),
        ("h = :h AND a = :a AND b = :b AND c = :c AND begins_with(d, :d)", {}, ["p3", "p2"]),
        ("h = :h AND a = :a AND b = :b AND c = :c AND d BETWEEN :x AND :y", {}, ["p3"]),
        ("h = :h AND a = :a AND b < :b", {}, ["p4"]),
        ("h = :h AND a > :a", {}, []),
        ("h = :h AND a >= :a", {}, ["p4", "p3", "p2", "p1"]),
        ("h = :h AND a < :a", {}, ["p5"]),
        ("b = :b AND h = :h AND a = :a", {}, ["p3", "p2", "p1"]),
        (":a = a AND :h = h AND :b > b", {}, ["p4"]),
    ]
    for expr, extra, want in cases:
        assert pks(q(ddb, expr, **extra)) == want, expr
    assert ddb.scan(TableName="mkeys", IndexName="gsi")["Count"] == 5


def test_items_leave_and_enter_the_index_as_key_attributes_change(ddb):
    ddb.update_item(TableName="mkeys", Key={"pk": {"S": "p6"}}, UpdateExpression="SET c = :c",
                    ExpressionAttributeValues={":c": {"S": "a"}})
    ddb.update_item(TableName="mkeys", Key={"pk": {"S": "p2"}}, UpdateExpression="REMOVE d")
    ddb.update_item(TableName="mkeys", Key={"pk": {"S": "p1"}}, UpdateExpression="SET a = :f",
                    ExpressionAttributeValues={":f": {"S": "F"}})
    assert pks(q(ddb, "h = :h")) == ["p5", "p1", "p4", "p3", "p6"]
    ddb.delete_item(TableName="mkeys", Key={"pk": {"S": "p3"}})
    assert pks(q(ddb, "h = :h AND a = :a")) == ["p4", "p6"]
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName="mkeys", Item={"pk": {"S": "z"}, "c": {"N": "1"}})
    assert error(excinfo) == ("ValidationException", "One or more parameter values were invalid: Type mismatch for "
                              "Index Key c Expected: S Actual: N IndexName: gsi", 400)


def test_pages_carry_every_key_attribute(ddb):
    first = q(ddb, "h = :h AND a = :a", Limit=2)
    assert pks(first) == ["p4", "p3"]
    assert sorted(first["LastEvaluatedKey"]) == ["a", "b", "c", "d", "h", "pk"]
    rest = q(ddb, "h = :h AND a = :a", ExclusiveStartKey=first["LastEvaluatedKey"])
    assert pks(rest) == ["p2", "p1"] and "LastEvaluatedKey" not in rest
    back = q(ddb, "h = :h AND a = :a", ScanIndexForward=False, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert pks(back) == ["p4"]
    seen, start = [], None
    while True:
        page = ddb.scan(TableName="mkeys", IndexName="gsi", Limit=2, **({"ExclusiveStartKey": start} if start else {}))
        seen += pks(page)
        start = page.get("LastEvaluatedKey")
        if not start:
            break
        assert sorted(start) == ["a", "b", "c", "d", "h", "pk"]
    assert sorted(seen) == ["p1", "p2", "p3", "p4", "p5"]
    with pytest.raises(ClientError) as excinfo:
        q(ddb, "h = :h", ExclusiveStartKey={"pk": {"S": "p1"}, "h": {"S": "o1"}})
    assert error(excinfo) == ("ValidationException", "The provided starting key is invalid: The provided key element "
                              "does not match the schema", 400)


def test_key_condition_rules(ddb):
    gap = "RANGE key attributes {} must have equality conditions specified in the query because a condition is " \
          "present on key attribute {}"
    cases = [
        ("h = :h AND a = :a AND c = :c", gap.format("b", "c")),
        ("h = :h AND a = :a AND b > :b AND c = :c", gap.format("b", "c")),
        ("h = :h AND b = :b", gap.format("a", "b")),
        ("a = :a", "Query condition missed key schema element: h"),
        ("h > :h", "Query key condition not supported"),
        ("h = :n", "One or more parameter values were invalid: Condition parameter type does not match schema type"),
        ("h = :h AND a = :n", "One or more parameter values were invalid: Condition parameter type does not match "
                              "schema type"),
    ]
    for expr, message in cases:
        with pytest.raises(ClientError) as excinfo:
            q(ddb, expr)
        assert error(excinfo) == ("ValidationException", message, 400), expr


def test_several_hash_attributes_describe_and_backfill(cloudlet):
    ddb = cloudlet.client("dynamodb")
    ddb.create_table(TableName="hhrr", BillingMode="PAY_PER_REQUEST", AttributeDefinitions=_strings("id"),
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    for i, (h1, h2, r1, r2) in enumerate([("a", 1, "m", 2), ("a", 1, "m", -10), ("a", 2, "m", 1), ("ab", 1, "m", 1),
                                          ("a", 1, "l", 5), ("a", 1, None, 3)]):
        item = {"id": {"S": f"i{i}"}, "h1": {"S": h1}, "h2": {"N": str(h2)}, "r2": {"N": str(r2)}}
        if r1:
            item["r1"] = {"S": r1}
        ddb.put_item(TableName="hhrr", Item=item)
    schema = _schema(["h1", "h2"], ["r1", "r2"])
    ddb.update_table(TableName="hhrr", AttributeDefinitions=[*_strings("id", "h1", "r1"),
                     {"AttributeName": "h2", "AttributeType": "N"}, {"AttributeName": "r2", "AttributeType": "N"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "multi", "KeySchema": schema,
                                                              "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
    described = ddb.describe_table(TableName="hhrr")["Table"]["GlobalSecondaryIndexes"][0]
    assert described["KeySchema"] == schema and described["ItemCount"] == 5

    def ids(expr, values, **kwargs):
        out = ddb.query(TableName="hhrr", IndexName="multi", KeyConditionExpression=expr,
                        ExpressionAttributeValues=values, **kwargs)
        return [i["id"]["S"] for i in out["Items"]]

    a1 = {":h1": {"S": "a"}, ":h2": {"N": "1"}}
    assert ids("h1 = :h1 AND h2 = :h2", a1) == ["i4", "i1", "i0"]
    assert ids("h2 = :h2 AND h1 = :h1 AND r1 = :r", {**a1, ":r": {"S": "m"}}, ScanIndexForward=False) == ["i0", "i1"]
    assert ids("h1 = :h1 AND h2 = :h2 AND r1 = :r AND r2 < :v", {**a1, ":r": {"S": "m"}, ":v": {"N": "0"}}) == ["i1"]
    assert ids("h1 = :h1 AND h2 = :h2", {":h1": {"S": "ab"}, ":h2": {"N": "1"}}) == ["i3"]
    with pytest.raises(ClientError) as excinfo:
        ids("h1 = :h1", {":h1": {"S": "a"}})
    assert error(excinfo) == ("ValidationException", "Query condition missed key schema element: h2", 400)
    keys_only = ddb.query(TableName="hhrr", IndexName="multi", KeyConditionExpression="h1 = :h1 AND h2 = :h2",
                          ExpressionAttributeValues=a1, Limit=1)
    assert sorted(keys_only["Items"][0]) == ["h1", "h2", "id", "r1", "r2"]
    assert sorted(keys_only["LastEvaluatedKey"]) == ["h1", "h2", "id", "r1", "r2"]


def test_create_table_key_schema_rules(cloudlet):
    ddb = cloudlet.client("dynamodb")

    def create(schema):
        names = sorted({e["AttributeName"] for e in schema})
        ddb.create_table(TableName="bad", BillingMode="PAY_PER_REQUEST", AttributeDefinitions=_strings("id", *names),
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": schema,
                                                  "Projection": {"ProjectionType": "ALL"}}])

    five = ["a", "b", "c", "d", "e"]
    cases = [
        (_schema(["a"], ["b"]) + _schema(["c"], []), "Invalid KeySchema: All HASH KeySchemaElements must precede "
                                                     "the RANGE KeySchemaElements"),
        (_schema(five, []), "Invalid KeySchema: A KeySchema can have at most 4 HASH and 4 RANGE key attributes"),
        (_schema(["z"], five), "Invalid KeySchema: A KeySchema can have at most 4 HASH and 4 RANGE key attributes"),
        (_schema(["a", "b"], ["a"]), "Invalid KeySchema: Duplicate attribute names in the KeySchema"),
    ]
    for schema, message in cases:
        with pytest.raises(ClientError) as excinfo:
            create(schema)
        assert error(excinfo) == ("ValidationException", message, 400), schema
    assert ddb.list_tables()["TableNames"] == []
    create(_schema(["a", "b", "c", "d"], ["e", "f", "g", "h"]))
    described = ddb.describe_table(TableName="bad")["Table"]["GlobalSecondaryIndexes"][0]["KeySchema"]
    assert described == _schema(["a", "b", "c", "d"], ["e", "f", "g", "h"])


def test_partiql_refuses_a_multi_attribute_index_only(cloudlet):
    ddb = cloudlet.client("dynamodb")
    ddb.create_table(
        TableName="mixed", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=_strings("id", "sk", "g", "h1", "h2", "r1", "l"),
        KeySchema=_schema(["id"], ["sk"]),
        GlobalSecondaryIndexes=[
            {"IndexName": "single", "KeySchema": _schema(["g"], []), "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "multi", "KeySchema": _schema(["h1", "h2"], ["r1"]), "Projection": {"ProjectionType": "ALL"}},
        ],
        LocalSecondaryIndexes=[{"IndexName": "local", "KeySchema": _schema(["id"], ["l"]),
                                "Projection": {"ProjectionType": "ALL"}}],
    )
    ddb.put_item(TableName="mixed", Item={k: {"S": v} for k, v in
                                        {"id": "i1", "sk": "s", "g": "g1", "h1": "a", "h2": "x", "r1": "m",
                                         "l": "l1"}.items()})
    refused = [
        ("SELECT * FROM \"mixed\".\"multi\" WHERE h1 = 'a'", None),
        ("SELECT * FROM \"mixed\".\"multi\" WHERE h1 = 5", None),
        ('SELECT id FROM "mixed"."multi" WHERE h1 = \'a\' AND h2 = \'x\' ORDER BY r1 DESC', None),
        ("SELECT * FROM \"mixed\".\"multi\" WHERE id = 'i1'", None),
        ("SELECT * FROM \"mixed\".\"multi\"", None),
    ]
    for statement, params in refused:
        with pytest.raises(ClientError) as excinfo:
            ddb.execute_statement(Statement=statement, **({"Parameters": params} if params else {}))
        assert error(excinfo) == ("ValidationException", REFUSED, 400), statement
    # errors of the statement itself come first
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_statement(Statement='SELECT * FROM "mixed"."multi" WHERE h1 = ?',
                              Parameters=[{"N": "1e99999999999"}])
    assert error(excinfo) == ("ValidationException",
                              "The parameter cannot be converted to a numeric value: 1e99999999999", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_statement(Statement='SELECT * FROM "mixed"."multi" WHERE')
    assert error(excinfo)[1] == "Statement wasn't well formed, can't be processed: Unexpected term"
    for statement in ("SELECT * FROM mixed WHERE id = 'i1'", "SELECT * FROM mixed.single WHERE g = 'g1'",
                      "SELECT * FROM mixed.local WHERE id = 'i1'"):
        assert len(ddb.execute_statement(Statement=statement)["Items"]) == 1, statement
    ddb.execute_statement(Statement="INSERT INTO mixed VALUE {'id': 'n1', 'sk': 's'}")
    ddb.execute_statement(Statement="UPDATE mixed SET a = 1 WHERE id = 'i1' AND sk = 's'")
    assert ddb.get_item(TableName="mixed", Key={"id": {"S": "i1"}, "sk": {"S": "s"}})["Item"]["a"] == {"N": "1"}
    batch = ddb.batch_execute_statement(Statements=[
        {"Statement": "SELECT * FROM \"mixed\".\"multi\" WHERE h1 = 'a' AND h2 = 'x' AND r1 = 'm'"},
        {"Statement": "SELECT * FROM mixed WHERE id = 'i1' AND sk = 's'"},
    ])["Responses"]
    assert batch[0]["Error"] == {"Code": "ValidationError", "Message": REFUSED}
    assert "Error" not in batch[1] and batch[1]["Item"]["id"] == {"S": "i1"}
