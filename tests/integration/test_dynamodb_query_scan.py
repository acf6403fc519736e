"""Query and Scan with boto3: key conditions as range scans, ordering by bytes and by number,
paging (Limit before filter, 1 MB pages), Select modes, GSIs and LSIs, parallel scan segments."""

import pytest
from botocore.exceptions import ClientError
from ddb_helpers import error


@pytest.fixture
def ddb(cloudlet):
    client = cloudlet.client("dynamodb")
    client.create_table(
        TableName="qtab",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "gs", "AttributeType": "S"},
            {"AttributeName": "l", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {"IndexName": "gsi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                               {"AttributeName": "gs", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]}},
        ],
        LocalSecondaryIndexes=[
            {"IndexName": "lsi", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                               {"AttributeName": "l", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
        ],
    )
    return client


NUMBERS = ["-1E+10", "-100", "-2.5", "-2", "-0.001", "0", "1E-5", "0.5", "1", "1.5", "2", "10", "99.99", "1E+20"]


def put_numbers(ddb):
    for i, n in enumerate(reversed(NUMBERS)):
        ddb.put_item(TableName="qtab", Item={"pk": {"S": "p"}, "sk": {"N": n}, "i": {"N": str(i)}})


def sks(out):
    return [i["sk"]["N"] for i in out["Items"]]


def canon(ns):
    from decimal import Decimal
    return [format(Decimal(n).normalize(), "f") for n in ns]


def q(ddb, expr, values, **kwargs):
    return ddb.query(TableName="qtab", KeyConditionExpression=expr, ExpressionAttributeValues=values, **kwargs)


def test_number_sort_keys_order_and_conditions(ddb):
    put_numbers(ddb)
    ordered = canon(NUMBERS)
    p = {":p": {"S": "p"}}
    assert sks(q(ddb, "pk = :p", p)) == ordered
    assert sks(q(ddb, "pk = :p", p, ScanIndexForward=False)) == ordered[::-1]
    assert sks(q(ddb, "pk = :p AND sk < :v", {**p, ":v": {"N": "0"}})) == ordered[:5]
    assert sks(q(ddb, "pk = :p AND sk <= :v", {**p, ":v": {"N": "0"}})) == ordered[:6]
    assert sks(q(ddb, "pk = :p AND sk > :v", {**p, ":v": {"N": "1"}})) == ordered[9:]
    assert sks(q(ddb, "pk = :p AND sk >= :v", {**p, ":v": {"N": "1.0"}})) == ordered[8:]
    assert sks(q(ddb, "pk = :p AND sk = :v", {**p, ":v": {"N": "2.00"}})) == ["2"]
    assert sks(q(ddb, "sk BETWEEN :a AND :b AND pk = :p", {**p, ":a": {"N": "-2.5"}, ":b": {"N": "1"}})) == ordered[2:9]
    assert q(ddb, "pk = :p", {":p": {"S": "other"}})["Items"] == []


def test_string_and_binary_sort_by_bytes(cloudlet):
    ddb = cloudlet.client("dynamodb")
    for name, kind in (("qst", "S"), ("qbt", "B")):
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "sk", "AttributeType": kind}])
    strings = ["a", "B", "aa", "ab", "a\u00e9", "\u00e9", "z", "\U0001f600", "\uffff", "a b"]
    for s in strings:
        ddb.put_item(TableName="qst", Item={"pk": {"S": "p"}, "sk": {"S": s}})
    out = ddb.query(TableName="qst", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}})
    assert [i["sk"]["S"] for i in out["Items"]] == sorted(strings, key=lambda s: s.encode())
    out = ddb.query(TableName="qst", KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
                    ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"S": "a"}})
    assert [i["sk"]["S"] for i in out["Items"]] == sorted([s for s in strings if s.startswith("a")], key=str.encode)
    blobs = [b"\x00", b"\x00\x00", b"\x01", b"\xff", b"\xff\x00", b"\x7f", b"\x80"]
    for b in blobs:
        ddb.put_item(TableName="qbt", Item={"pk": {"S": "p"}, "sk": {"B": b}})
    out = ddb.query(TableName="qbt", KeyConditionExpression="pk = :p AND begins_with(sk, :f)",
                    ExpressionAttributeValues={":p": {"S": "p"}, ":f": {"B": b"\xff"}})
    assert [i["sk"]["B"] for i in out["Items"]] == [b"\xff", b"\xff\x00"]
    out = ddb.query(TableName="qbt", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}})
    assert [i["sk"]["B"] for i in out["Items"]] == sorted(blobs)


def test_paging_limit_counts_before_filter(ddb):
    put_numbers(ddb)
    values = {":p": {"S": "p"}, ":big": {"N": "5"}}
    seen, start, pages = [], None, 0
    while True:
        kwargs = {"ExclusiveStartKey": start} if start else {}
        out = q(ddb, "pk = :p", values, Limit=4, FilterExpression="i > :big", **kwargs)
        pages += 1
        assert out["ScannedCount"] <= 4
        seen += sks(out)
        start = out.get("LastEvaluatedKey")
        if not start:
            break
        assert set(start) == {"pk", "sk"}
    expected = canon(NUMBERS)
    expected_filtered = [n for n in expected if len(NUMBERS) - 1 - expected.index(n) > 5]
    assert seen == expected_filtered
    assert pages == 4  # 14 items, 4 per page: the last page stops at Limit with a key, then an empty page
    out = q(ddb, "pk = :p", {":p": {"S": "p"}}, Select="COUNT")
    assert out["Count"] == 14 and "Items" not in out


def test_one_megabyte_pages(ddb):
    blob = "x" * 100_000
    for i in range(25):
        ddb.put_item(TableName="qtab", Item={"pk": {"S": "big"}, "sk": {"N": str(i)}, "d": {"S": blob}})
    out = q(ddb, "pk = :p", {":p": {"S": "big"}})
    assert out["Count"] == 11 and out["LastEvaluatedKey"] == {"pk": {"S": "big"}, "sk": {"N": "10"}}
    out = q(ddb, "pk = :p", {":p": {"S": "big"}}, ExclusiveStartKey=out["LastEvaluatedKey"])
    assert sks(out)[0] == "11"
    scanned = ddb.scan(TableName="qtab")
    assert scanned["Count"] == 11 and "LastEvaluatedKey" in scanned


def test_indexes_projection_and_select(ddb):
    for i in range(6):
        item = {"pk": {"S": f"p{i % 2}"}, "sk": {"N": str(i)}, "v": {"N": str(i * 10)}, "other": {"S": "o"},
                "l": {"S": f"l{5 - i}"}}
        if i != 3:  # sparse: item 3 is not in the GSI
            item.update(g={"S": "G"}, gs={"S": f"s{i}"})
        ddb.put_item(TableName="qtab", Item=item)
    out = ddb.query(TableName="qtab", IndexName="gsi", KeyConditionExpression="g = :g AND gs > :s",
                    ExpressionAttributeValues={":g": {"S": "G"}, ":s": {"S": "s0"}})
    assert [i["gs"]["S"] for i in out["Items"]] == ["s1", "s2", "s4", "s5"]
    assert set(out["Items"][0]) == {"pk", "sk", "g", "gs", "v"}  # INCLUDE projection
    page = ddb.query(TableName="qtab", IndexName="gsi", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "G"}}, Limit=2)
    assert set(page["LastEvaluatedKey"]) == {"pk", "sk", "g", "gs"}
    rest = ddb.query(TableName="qtab", IndexName="gsi", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "G"}}, ExclusiveStartKey=page["LastEvaluatedKey"])
    assert [i["gs"]["S"] for i in page["Items"] + rest["Items"]] == ["s0", "s1", "s2", "s4", "s5"]
    with pytest.raises(ClientError) as excinfo:
        ddb.query(TableName="qtab", IndexName="gsi", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "G"}}, Select="ALL_ATTRIBUTES")
    assert error(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        ddb.query(TableName="qtab", IndexName="gsi", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "G"}}, ConsistentRead=True)
    assert error(excinfo) == ("ValidationException", "Consistent reads are not supported on global secondary indexes", 400)
    out = ddb.query(TableName="qtab", IndexName="lsi", KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "p0"}})
    assert [i["l"]["S"] for i in out["Items"]] == ["l1", "l3", "l5"]
    assert set(out["Items"][0]) == {"pk", "sk", "l"}  # KEYS_ONLY
    out = ddb.query(TableName="qtab", IndexName="lsi", KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "p0"}}, Select="ALL_ATTRIBUTES")
    assert out["Items"][0]["other"] == {"S": "o"}  # LSIs fetch from the table
    # index entries follow updates and deletes in the same transaction
    ddb.update_item(TableName="qtab", Key={"pk": {"S": "p0"}, "sk": {"N": "0"}}, UpdateExpression="REMOVE g")
    ddb.delete_item(TableName="qtab", Key={"pk": {"S": "p1"}, "sk": {"N": "1"}})
    out = ddb.query(TableName="qtab", IndexName="gsi", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "G"}})
    assert [i["gs"]["S"] for i in out["Items"]] == ["s2", "s4", "s5"]
    scan = ddb.scan(TableName="qtab", IndexName="gsi")
    assert scan["Count"] == 3
    with pytest.raises(ClientError) as excinfo:
        ddb.put_item(TableName="qtab", Item={"pk": {"S": "x"}, "sk": {"N": "1"}, "g": {"N": "1"}})
    assert error(excinfo) == ("ValidationException", "One or more parameter values were invalid: Type mismatch for "
                              "Index Key g Expected: S Actual: N IndexName: gsi", 400)


def test_key_condition_errors(ddb):
    cases = [
        ("sk = :n", {":n": {"N": "1"}}, "Query condition missed key schema element: pk"),
        ("pk = :p OR sk = :n", {":p": {"S": "p"}, ":n": {"N": "1"}}, None),
        ("pk < :p", {":p": {"S": "p"}}, "Query key condition not supported"),
        ("pk = :p AND nonkey = :n", {":p": {"S": "p"}, ":n": {"N": "1"}},
         "Query condition missed key schema element: sk"),
        ("pk = :p AND sk = :n AND nonkey = :n", {":p": {"S": "p"}, ":n": {"N": "1"}},
         "Conditions can be of length 1 or 2 only"),
        ("pk = :n", {":n": {"N": "1"}}, "One or more parameter values were invalid: Condition parameter type does not "
                                        "match schema type"),
        (":n > pk", {":n": {"N": "1"}}, "One or more parameter values were invalid: Condition parameter type does not "
                                        "match schema type"),
        ("pk = :p AND begins_with(sk, :n)", {":p": {"S": "p"}, ":n": {"N": "1"}}, None),
        # the shape of the expression, checked before anything else
        ("pk = :p AND sk > :n AND sk < :n", {":p": {"S": "p"}, ":n": {"N": "1"}},
         "KeyConditionExpressions must only contain one condition per key"),
        ("pk = :p AND sk > size(pk)", {":p": {"S": "p"}}, "KeyConditionExpressions cannot contain nested operations"),
        ("pk = :p AND sk > pk", {":p": {"S": "p"}},
         "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"),
        ("pk.x = :p", {":p": {"S": "p"}}, "KeyConditionExpressions cannot have conditions on nested attributes"),
        (":p = :p", {":p": {"S": "p"}}, "Invalid condition in KeyConditionExpression: No key attribute specified"),
        ("pk = :p AND :n BETWEEN sk AND :n", {":p": {"S": "p"}, ":n": {"N": "1"}},
         "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first "
         "operand"),
        ("pk = :p AND sk <> :n", {":p": {"S": "p"}, ":n": {"N": "1"}},
         "Invalid operator used in KeyConditionExpression: <>"),
    ]
    for expr, values, message in cases:
        with pytest.raises(ClientError) as excinfo:
            q(ddb, expr, values)
        code, got, status = error(excinfo)
        assert (code, status) == ("ValidationException", 400), expr
        if message:
            assert got == message, expr
    with pytest.raises(ClientError) as excinfo:
        q(ddb, "pk = :p", {":p": {"S": "p"}}, ExclusiveStartKey={"pk": {"S": "p"}})
    assert error(excinfo)[1].startswith("The provided starting key is invalid")
    with pytest.raises(ClientError) as excinfo:
        q(ddb, "pk = :p AND sk > :n", {":p": {"S": "p"}, ":n": {"N": "5"}},
          ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"N": "5"}})
    assert error(excinfo) == ("ValidationException", "The provided starting key does not match the range key predicate",
                              400)
    with pytest.raises(ClientError) as excinfo:
        ddb.scan(TableName="qtab", ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"N": "x"}})
    assert error(excinfo) == ("ValidationException", "The provided starting key is invalid: The parameter cannot be "
                              "converted to a numeric value: x", 400)
    # operands may come in either order: ":n < sk" is "sk > :n"
    assert sks(q(ddb, "pk = :p AND :n < sk", {":p": {"S": "p"}, ":n": {"N": "5"}})) == sks(
        q(ddb, "sk > :n AND pk = :p", {":p": {"S": "p"}, ":n": {"N": "5"}}))
    # the legacy form allows only indexable comparisons
    legacy = [
        ({}, "Conditions can be of length 1 or 2 only"),
        ({"pk": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"N": "1"}]}},
         "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue "
         "type"),
        ({"pk": {"ComparisonOperator": "NULL"}}, "Attempted conditional constraint is not an indexable operation"),
        ({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
          "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"N": "1"}]}},
         "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"),
    ]
    for conditions, message in legacy:
        with pytest.raises(ClientError) as excinfo:
            ddb.query(TableName="qtab", KeyConditions=conditions)
        assert error(excinfo) == ("ValidationException", message, 400)
    # the shape of a key condition is checked before the table is looked up
    with pytest.raises(ClientError) as excinfo:
        ddb.query(TableName="absent", KeyConditionExpression="pk = :p AND pk = :p",
                  ExpressionAttributeValues={":p": {"S": "p"}})
    assert error(excinfo)[1] == "KeyConditionExpressions must only contain one condition per key"


def test_parallel_scan_segments_partition_the_table(ddb):
    for i in range(60):
        ddb.put_item(TableName="qtab", Item={"pk": {"S": f"k{i}"}, "sk": {"N": "0"}})
    seen = []
    for segment in range(4):
        start = None
        while True:
            kwargs = {"ExclusiveStartKey": start} if start else {}
            out = ddb.scan(TableName="qtab", Segment=segment, TotalSegments=4, Limit=7, **kwargs)
            seen += [i["pk"]["S"] for i in out["Items"]]
            start = out.get("LastEvaluatedKey")
            if not start:
                break
    assert sorted(seen) == sorted(f"k{i}" for i in range(60))
    with pytest.raises(ClientError) as excinfo:
        ddb.scan(TableName="qtab", Segment=4, TotalSegments=4)
    assert error(excinfo) == ("ValidationException", "The Segment parameter is zero-based and must be less than "
                              "parameter TotalSegments: Segment: 4 is not less than TotalSegments: 4", 400)
    out = ddb.scan(TableName="qtab", FilterExpression="begins_with(pk, :k)", ExpressionAttributeValues={":k": {"S": "k1"}},
                   ProjectionExpression="pk")
    assert sorted(i["pk"]["S"] for i in out["Items"]) == sorted(f"k{i}" for i in range(60) if str(i).startswith("1"))
    assert out["ScannedCount"] == 60 and set(out["Items"][0]) == {"pk"}


def test_filter_on_key_attributes_is_rejected_and_collection_metrics(ddb):
    with pytest.raises(ClientError) as excinfo:
        q(ddb, "pk = :p", {":p": {"S": "p"}, ":n": {"N": "1"}}, FilterExpression="sk > :n")
    assert error(excinfo) == ("ValidationException", "Filter Expression can only contain non-primary key attributes: "
                              "Primary key attribute: sk", 400)
    out = ddb.put_item(TableName="qtab", Item={"pk": {"S": "p"}, "sk": {"N": "1"}}, ReturnItemCollectionMetrics="SIZE")
    assert out["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": {"S": "p"}}
    with pytest.raises(ClientError) as excinfo:
        q(ddb, "pk = :p", {":p": {"S": "p"}, "n": {"N": "1"}})
    assert error(excinfo) == ("ValidationException",
                              'ExpressionAttributeValues contains invalid key: Syntax error; key: "n"', 400)


def test_lsi_reads_unprojected_attributes_from_the_table(ddb):
    ddb.put_item(TableName="qtab", Item={"pk": {"S": "p"}, "sk": {"N": "1"}, "l": {"S": "a"}, "extra": {"S": "e"}})
    values = {":p": {"S": "p"}, ":e": {"S": "e"}}
    out = ddb.query(TableName="qtab", IndexName="lsi", KeyConditionExpression="pk = :p", FilterExpression="extra = :e",
                    ExpressionAttributeValues=values, ProjectionExpression="extra, l")
    assert out["Items"] == [{"extra": {"S": "e"}, "l": {"S": "a"}}]
    out = ddb.query(TableName="qtab", IndexName="lsi", KeyConditionExpression="pk = :p", FilterExpression="extra = :e",
                    ExpressionAttributeValues=values)
    assert out["Items"] == [{"pk": {"S": "p"}, "sk": {"N": "1"}, "l": {"S": "a"}}]


def test_write_capacity_counts_index_entries(ddb):
    item = {"pk": {"S": "c"}, "sk": {"N": "1"}, "g": {"S": "G"}, "gs": {"S": "s"}, "l": {"S": "x"}}
    out = ddb.put_item(TableName="qtab", Item=item, ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == {
        "TableName": "qtab", "CapacityUnits": 3.0, "Table": {"CapacityUnits": 1.0},
        "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 1.0}},
        "LocalSecondaryIndexes": {"lsi": {"CapacityUnits": 1.0}},
    }
    out = ddb.update_item(TableName="qtab", Key={"pk": {"S": "c"}, "sk": {"N": "1"}}, UpdateExpression="SET gs = :n",
                          ExpressionAttributeValues={":n": {"S": "t"}}, ReturnConsumedCapacity="TOTAL")
    # table 1 + gsi entry moved 2; the lsi (KEYS_ONLY) entry does not change, so it is not written
    assert out["ConsumedCapacity"] == {"TableName": "qtab", "CapacityUnits": 3.0}
    # an index is written only when its entry changes, and priced by the entry's size
    key = {"pk": {"S": "c"}, "sk": {"N": "1"}}
    out = ddb.update_item(TableName="qtab", Key=key, UpdateExpression="SET big = :b",
                          ExpressionAttributeValues={":b": {"S": "b" * 3000}}, ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == {"TableName": "qtab", "CapacityUnits": 3.0, "Table": {"CapacityUnits": 3.0}}
    out = ddb.update_item(TableName="qtab", Key=key, UpdateExpression="SET v = :v",
                          ExpressionAttributeValues={":v": {"S": "v"}}, ReturnConsumedCapacity="INDEXES")
    # v is projected into the gsi, whose small entry costs 1 though the item is 3 KB
    assert out["ConsumedCapacity"] == {"TableName": "qtab", "CapacityUnits": 4.0, "Table": {"CapacityUnits": 3.0},
                                       "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 1.0}}}


def test_updates_of_index_key_attributes(ddb):
    key = {"pk": {"S": "u"}, "sk": {"N": "1"}}
    ddb.put_item(TableName="qtab", Item={**key, "n": {"N": "5"}})
    invalid = "One or more parameter values were invalid: "
    scalar = "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: g"
    cases = [
        ("SET g.x = :s", {":s": {"S": "x"}}, scalar),
        ("SET copied = g[0]", None, scalar),
        # known before reading the item: a value or a sum of the wrong type
        ("SET g = :n", {":n": {"N": "1"}}, invalid + "Type mismatch for Index Key g Expected: S Actual: N IndexName: gsi"),
        ("SET g = n + :n", {":n": {"N": "1"}},
         invalid + "Type mismatch for Index Key g Expected: S Actual: N IndexName: gsi"),
        # known only from the stored item
        ("SET g = n", None, "The update expression attempted to update the secondary index key to unsupported type"),
        ("SET g = :e", {":e": {"S": ""}},
         "One or more parameter values are not valid. The update expression attempted to update a secondary index key "
         "to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty string "
         "value."),
    ]
    for expression, values, message in cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.update_item(TableName="qtab", Key=key, UpdateExpression=expression,
                            **({"ExpressionAttributeValues": values} if values else {}))
        assert error(excinfo) == ("ValidationException", message, 400), expression
    assert ddb.get_item(TableName="qtab", Key=key)["Item"] == {**key, "n": {"N": "5"}}
