"""DynamoDB vector indexes with boto3: CreateTable / UpdateTable / DescribeTable, the checks of
vector writes, SearchVectors (scores, ranking, filters, projection, capacity) and its errors."""

import json
import math
import random
import re
import struct
import urllib.request

import pytest
from botocore.exceptions import ClientError
from ddb_helpers import error
from polling import Window

HASH = [{"AttributeName": "pk", "KeyType": "HASH"}]
DEFS = [{"AttributeName": "pk", "AttributeType": "S"}]
SCHEMA_DEFS = [*DEFS, {"AttributeName": "tenant", "AttributeType": "S"},
               {"AttributeName": "category", "AttributeType": "S"}]
SCHEMA = [{"AttributeName": "tenant", "SearchSchemaElementType": "HASH"},
          {"AttributeName": "category", "SearchSchemaElementType": "INLINE_FILTER"}]
INVALID = "One or more parameter values were invalid"


def vec(*numbers):
    return [{"N": str(n)} for n in numbers]


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def vix(name="vix", attribute="embedding", dimensions=3, distance="COSINE", projection="ALL", **extra):
    return {"IndexName": name, "VectorAttribute": {"AttributeName": attribute}, "Dimensions": dimensions,
            "DistanceFunction": distance, "Projection": {"ProjectionType": projection}, **extra}


def create(ddb, name="vec", indexes=None, defs=DEFS, **kwargs):
    kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
    if indexes is not None:
        kwargs["VectorIndexes"] = indexes
    return ddb.create_table(TableName=name, KeySchema=HASH, AttributeDefinitions=defs, **kwargs)["TableDescription"]


def described(ddb, name="vec"):
    return {v["IndexName"]: v for v in ddb.describe_table(TableName=name)["Table"].get("VectorIndexes", [])}


def refused(call, **params):
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error(excinfo)


def search(ddb, index="vix", vector=(1, 0, 0), top_k=10, table="vec", **params):
    return ddb.search_vectors(TableName=table, IndexName=index, SearchVector=vec(*vector), TopK=top_k, **params)


def test_create_describe_and_delete_vector_indexes(cloudlet):
    ddb = cloudlet.client("dynamodb")
    out = create(ddb, indexes=[vix(), vix("vix2", distance="DOT_PRODUCT", projection="KEYS_ONLY",
                                        SearchSchema=SCHEMA)], defs=SCHEMA_DEFS)
    assert [v["IndexStatus"] for v in out["VectorIndexes"]] == ["CREATING", "CREATING"]
    assert all("Backfilling" not in v for v in out["VectorIndexes"])
    table = ddb.describe_table(TableName="vec")["Table"]
    assert table["AttributeDefinitions"] == sorted(SCHEMA_DEFS, key=lambda d: d["AttributeName"])
    first, second = table["VectorIndexes"]
    assert first == {
        "IndexName": "vix", "VectorAttribute": {"AttributeName": "embedding"}, "Dimensions": 3,
        "DistanceFunction": "COSINE", "Projection": {"ProjectionType": "ALL"}, "IndexStatus": "ACTIVE",
        "IndexSizeBytes": 0, "ItemCount": 0, "IndexArn": f"{table['TableArn']}/index/vix",
    }
    assert second["SearchSchema"] == SCHEMA and second["DistanceFunction"] == "DOT_PRODUCT"
    assert "GlobalSecondaryIndexes" not in table
    ddb.put_item(TableName="vec", Item={"pk": {"S": "a"}, "embedding": {"L": vec(1, 0, 0)}})
    ddb.put_item(TableName="vec", Item={"pk": {"S": "b"}})  # no vector: in no index
    counts = {n: (v["ItemCount"], v["IndexSizeBytes"] > 0) for n, v in described(ddb).items()}
    assert counts == {"vix": (1, True), "vix2": (0, False)}  # vix2 needs the tenant too
    assert create(ddb, "big", [vix(dimensions=4096)])["VectorIndexes"][0]["Dimensions"] == 4096
    # a Query or Scan cannot read a vector index
    assert refused(ddb.scan, TableName="vec", IndexName="vix") == (
        "ValidationException", "Scan operation not supported on this index type", 400)
    assert refused(ddb.query, TableName="vec", IndexName="vix", KeyConditionExpression="pk = :p",
                   ExpressionAttributeValues={":p": {"S": "a"}})[1] == "Query operation not supported on this index type"
    # deleting the table takes its index entries along
    ddb.delete_table(TableName="vec")
    create(ddb, indexes=[vix()])
    assert search(ddb)["SearchResults"] == []


def test_create_table_refuses_bad_vector_indexes(cloudlet):
    ddb = cloudlet.client("dynamodb")
    cases = [
        (dict(indexes=[vix()], BillingMode="PROVISIONED",
              ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}),
         f"{INVALID}: Vector indexes are only supported for PAY_PER_REQUEST tables"),
        (dict(indexes=[vix(SearchSchema=SCHEMA[:1])]),
         f"{INVALID}: One element in SearchSchema is not defined in attribute definitions"),
        (dict(indexes=[vix(dimensions=4097)]),
         f"{INVALID}: Number of dimensions must be between 1 and 4096 inclusive."),
        (dict(indexes=[vix(f"vix-{i}") for i in range(6)]),
         f"{INVALID}: VectorIndex count exceeds the per-table limit of 5"),
        (dict(indexes=[vix(), vix("vix2", dimensions=4)]),
         f"{INVALID}: Conflicting attribute definition for 'embedding'. All VectorIndexes on the same vector "
         "attribute must use the same dimensions."),
        (dict(indexes=[vix(), vix()]), f"{INVALID}: Duplicate index name: vix"),
    ]
    for kwargs, message in cases:
        assert refused(create, ddb=ddb, **kwargs) == ("ValidationException", message, 400), kwargs
    assert ddb.list_tables()["TableNames"] == []


def test_update_table_adds_backfills_and_deletes_a_vector_index(cloudlet):
    ddb = cloudlet.client("dynamodb")
    create(ddb)
    for i in range(5):
        ddb.put_item(TableName="vec", Item={"pk": {"S": f"item-{i}"}, "embedding": {"L": vec(i, 1, 0)}})
    ddb.put_item(TableName="vec", Item={"pk": {"S": "bad"}, "embedding": {"L": vec(1, 0)}})  # stays out
    assert refused(search, ddb=ddb)[1] == "The table does not have the specified index: vix"
    out = ddb.update_table(TableName="vec", VectorIndexUpdates=[{"Create": vix()}])["TableDescription"]
    assert out["TableStatus"] == "UPDATING"
    assert out["VectorIndexes"][0]["IndexStatus"] == "CREATING" and out["VectorIndexes"][0]["Backfilling"] is False
    index = described(ddb)["vix"]
    assert index["IndexStatus"] == "ACTIVE" and "Backfilling" not in index and index["ItemCount"] == 5
    assert len(search(ddb, vector=(1, 1, 0))["SearchResults"]) == 5
    # a well-formed item is refused now, and a second create in one request is over the limit
    assert refused(ddb.put_item, TableName="vec", Item={"pk": {"S": "x"}, "embedding": {"L": vec(1)}})[1].startswith(
        "One or more parameter values were invalid. Invalid size for parameter embedding")
    assert refused(ddb.update_table, TableName="vec",
                   VectorIndexUpdates=[{"Create": vix("vix2")}, {"Create": vix("vix3")}]) == (
        "LimitExceededException",
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table", 400)
    cases = [
        ([{"Create": vix()}], "ValidationException", "Attempting to create an index which already exists"),
        ([{"Create": vix("vix2", dimensions=4)}], "ValidationException",
         f"{INVALID}: Conflicting attribute definition for 'embedding'. All VectorIndexes on the same vector "
         "attribute must use the same dimensions."),
        ([{"Delete": {"IndexName": "nope"}}], "ResourceNotFoundException",
         "Requested resource not found: Index nope for table vec"),
    ]
    for updates, code, message in cases:
        assert refused(ddb.update_table, TableName="vec", VectorIndexUpdates=updates) == (code, message, 400)
    out = ddb.update_table(TableName="vec", VectorIndexUpdates=[{"Delete": {"IndexName": "vix"}}])["TableDescription"]
    assert [(v["IndexName"], v["IndexStatus"]) for v in out["VectorIndexes"]] == [("vix", "DELETING")]
    table = ddb.describe_table(TableName="vec")["Table"]
    assert table["TableStatus"] == "ACTIVE" and "VectorIndexes" not in table
    assert refused(search, ddb=ddb)[1] == "The table does not have the specified index: vix"
    # the bad item was accepted again once no index checked it, and a provisioned table takes no index
    ddb.put_item(TableName="vec", Item={"pk": {"S": "x"}, "embedding": {"L": vec(1)}})
    create(ddb, "prov", BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    assert refused(ddb.update_table, TableName="prov", VectorIndexUpdates=[{"Create": vix()}])[1] == (
        f"{INVALID}: Vector indexes are only supported for PAY_PER_REQUEST tables")
    # nor can a table with a vector index move to provisioned capacity
    ddb.update_table(TableName="vec", VectorIndexUpdates=[{"Create": vix("again")}])
    assert refused(ddb.update_table, TableName="vec", BillingMode="PROVISIONED",
                   ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})[1] == (
        f"{INVALID}: Vector indexes are only supported for PAY_PER_REQUEST tables")
    assert ddb.describe_table(TableName="vec")["Table"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    # a SearchSchema attribute defined by the update stays defined; a GSI cannot take a vector index's name
    ddb.update_table(TableName="vec", AttributeDefinitions=SCHEMA_DEFS[1:2],
                     VectorIndexUpdates=[{"Create": vix("tenants", SearchSchema=SCHEMA[:1])}])
    assert ddb.describe_table(TableName="vec")["Table"]["AttributeDefinitions"] == SCHEMA_DEFS[:2]
    gsi = {"IndexName": "tenants", "KeySchema": [{"AttributeName": "tenant", "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "ALL"}}
    assert refused(ddb.update_table, TableName="vec", AttributeDefinitions=SCHEMA_DEFS[1:2],
                   GlobalSecondaryIndexUpdates=[{"Create": gsi}])[1] == "Attempting to create an index which already exists"
    # a table ARN names the table too
    arn = ddb.describe_table(TableName="vec")["Table"]["TableArn"]
    assert len(search(ddb, index="again", table=arn, vector=(1, 1, 1))["SearchResults"]) == 5


@pytest.fixture
def fixture_table(cloudlet):
    ddb = cloudlet.client("dynamodb")
    create(ddb, indexes=[vix("cosine"), vix("euclidean", distance="EUCLIDEAN"), vix("dot", distance="DOT_PRODUCT")])
    for pk, embedding in {"a": (1, 0, 0), "b": (0, 1, 0), "c": (-1, 0, 0), "d": (0.6, 0.8, 0)}.items():
        ddb.put_item(TableName="vec", Item={"pk": {"S": pk}, "label": {"S": f"item-{pk}"}, "embedding": {"L": vec(*embedding)}})
    return ddb


def test_scores_and_order_per_distance_function(fixture_table):
    ddb = fixture_table
    expected = {
        "cosine": [("a", 0.0), ("d", f32(0.4)), ("b", 1.0), ("c", 2.0)],
        "euclidean": [("a", 0.0), ("d", f32(math.sqrt(0.8))), ("b", f32(math.sqrt(2))), ("c", 2.0)],
        "dot": [("a", 1.0), ("d", f32(0.6)), ("b", 0.0), ("c", -1.0)],
    }
    for index, wanted in expected.items():
        results = search(ddb, index)["SearchResults"]
        assert [r["Item"]["pk"]["S"] for r in results] == [pk for pk, _ in wanted], index
        for result, (_, score) in zip(results, wanted, strict=True):
            assert result["Score"] == pytest.approx(score, abs=1e-6), index
    top = search(ddb, "cosine", top_k=1)
    assert [r["Item"] for r in top["SearchResults"]] == [{"pk": {"S": "a"}, "label": {"S": "item-a"}}]
    assert set(top) == {"SearchResults", "ResponseMetadata"}  # no pagination, no capacity unless asked
    # equal scores rank in key order, whatever the write order
    for pk in ("z", "m"):
        ddb.put_item(TableName="vec", Item={"pk": {"S": pk}, "embedding": {"L": vec(0, 0, 1)}})
    tied = search(ddb, "cosine", vector=(0, 0, 1), top_k=2)["SearchResults"]
    assert [r["Item"]["pk"]["S"] for r in tied] == ["m", "z"]


def test_vectors_are_stored_exactly_and_indexed_as_32_bit(fixture_table):
    ddb = fixture_table
    precise = ["0.1", "16777217", "1.000000059604644775390625"]
    ddb.put_item(TableName="vec", Item={"pk": {"S": "f32"}, "embedding": {"L": [{"N": n} for n in precise]}})
    item = ddb.get_item(TableName="vec", Key={"pk": {"S": "f32"}})["Item"]
    assert [v["N"] for v in item["embedding"]["L"]] == precise
    results = ddb.search_vectors(TableName="vec", IndexName="cosine", SearchVector=[{"N": n} for n in precise],
                                 TopK=10, ProjectionExpression="pk, embedding")["SearchResults"]
    hit = next(r for r in results if r["Item"]["pk"]["S"] == "f32")
    assert [v["N"] for v in hit["Item"]["embedding"]["L"]] == ["0.1", "16777216.0", "1.0"]
    assert hit["Score"] == 0.0 and set(hit["Item"]) == {"pk", "embedding"}
    first = next(r for r in results if r["Item"]["pk"]["S"] == "a")
    assert first["Item"]["embedding"]["L"] == [{"N": "1.0"}, {"N": "0.0"}, {"N": "0.0"}]
    # the base table reads back through PartiQL unchanged; the index does not
    rows = ddb.execute_statement(Statement="SELECT * FROM \"vec\" WHERE pk = 'a'")["Items"]
    assert rows[0]["embedding"]["L"] == vec(1, 0, 0)
    assert refused(ddb.execute_statement, Statement='SELECT * FROM "vec"."cosine"') == (
        "ValidationException", "Scan operation not supported on this index type", 400)


def test_search_schema_partitions_and_filters(cloudlet):
    ddb = cloudlet.client("dynamodb")
    create(ddb, indexes=[vix("plain"), vix("schema", SearchSchema=SCHEMA, projection="KEYS_ONLY")], defs=SCHEMA_DEFS)
    rows = [("a", "t1", "c1", (1, 0, 0)), ("b", "t1", "c2", (0.9, 0.1, 0)), ("c", "t2", "c1", (1, 0, 0)),
            ("d", None, "c1", (1, 0, 0)), ("e", "t1", None, (0, 1, 0))]
    for pk, tenant, category, embedding in rows:
        item = {"pk": {"S": pk}, "embedding": {"L": vec(*embedding)}, "note": {"S": "n"}}
        if tenant:
            item["tenant"] = {"S": tenant}
        if category:
            item["category"] = {"S": category}
        ddb.put_item(TableName="vec", Item=item)

    def pks(**params):
        return [r["Item"]["pk"]["S"] for r in search(ddb, "schema", **params)["SearchResults"]]

    t1 = {":t": {"S": "t1"}}
    assert pks(SearchConditionExpression="tenant = :t", ExpressionAttributeValues=t1) == ["a", "b", "e"]
    assert pks(SearchConditionExpression=":t = #t", ExpressionAttributeNames={"#t": "tenant"},
               ExpressionAttributeValues=t1) == ["a", "b", "e"]
    assert pks(SearchConditionExpression="tenant = :t AND category = :c",
               ExpressionAttributeValues={**t1, ":c": {"S": "c2"}}) == ["b"]
    assert pks(SearchConditionExpression="tenant = :t", ExpressionAttributeValues={":t": {"S": "t9"}}) == []
    # the item without a tenant is only in the index without a SearchSchema
    assert [r["Item"]["pk"]["S"] for r in search(ddb, "plain")["SearchResults"]] == ["a", "c", "d", "b", "e"]
    # KEYS_ONLY returns the table key and the SearchSchema attributes
    first = search(ddb, "schema", top_k=1, SearchConditionExpression="tenant = :t", ExpressionAttributeValues=t1)
    assert first["SearchResults"][0]["Item"] == {"pk": {"S": "a"}, "tenant": {"S": "t1"}, "category": {"S": "c1"}}
    # removing the vector, or the tenant, takes the item out of the index
    ddb.update_item(TableName="vec", Key={"pk": {"S": "a"}}, UpdateExpression="REMOVE embedding")
    ddb.update_item(TableName="vec", Key={"pk": {"S": "b"}}, UpdateExpression="REMOVE tenant")
    assert pks(SearchConditionExpression="tenant = :t", ExpressionAttributeValues=t1) == ["e"]
    ddb.delete_item(TableName="vec", Key={"pk": {"S": "e"}})
    assert pks(SearchConditionExpression="tenant = :t", ExpressionAttributeValues=t1) == []
    assert [v["ItemCount"] for v in described(ddb).values()] == [3, 1]


def test_writes_refused_by_a_vector_index(cloudlet):
    ddb = cloudlet.client("dynamodb")
    create(ddb, indexes=[vix("plain"), vix("schema", SearchSchema=SCHEMA)], defs=SCHEMA_DEFS)
    ddb.put_item(TableName="vec", Item={"pk": {"S": "ok"}, "embedding": {"L": vec(1, 0, 0)}})
    base = f"{INVALID}. Invalid"
    cases = [
        ({"embedding": {"L": vec(1, 0)}},
         f"{base} size for parameter embedding, Expected: 3, Actual: 2 IndexName: plain"),
        ({"embedding": {"L": [{"N": "1"}, {"S": "oops"}, {"N": "0"}]}},
         f"{base} type for parameter embedding[1], Expected: 32-bit floating point number, Actual: S. IndexName: plain"),
        ({"embedding": {"S": "not-a-vector"}},
         f"{base} type for parameter embedding, Expected: 32-bit floating point number list IndexName: plain"),
        ({"embedding": {"NS": ["1", "2", "3"]}},
         f"{base} type for parameter embedding, Expected: 32-bit floating point number list IndexName: plain"),
        ({"embedding": {"L": vec(1, "1e39", 0)}},
         f"{base} type for parameter embedding[1], Expected: 32-bit floating point number, Actual: N. IndexName: plain"),
        ({"tenant": {"S": ""}, "embedding": {"L": vec(0, 0, 1)}},
         "One or more parameter values are not valid. A value specified for a secondary index key is not supported. "
         "The AttributeValue for a key attribute cannot contain an empty string value. IndexName: schema, "
         "IndexKey: tenant"),
        ({"tenant": {"N": "1"}}, f"{INVALID}: Type mismatch for Index Key tenant Expected: S Actual: N IndexName: schema"),
    ]
    for extra, message in cases:
        item = {"pk": {"S": "bad"}, **extra}
        assert refused(ddb.put_item, TableName="vec", Item=item) == ("ValidationException", message, 400), extra
        assert refused(ddb.execute_statement, Statement="INSERT INTO \"vec\" VALUE {'pk': 'bad', 'embedding': [1, 0]}")[1] \
            == f"{base} size for parameter embedding, Expected: 3, Actual: 2 IndexName: plain"
    assert refused(ddb.update_item, TableName="vec", Key={"pk": {"S": "ok"}}, UpdateExpression="SET embedding[3] = :n",
                   ExpressionAttributeValues={":n": {"N": "1"}})[1] == (
        f"{base} size for parameter embedding, Expected: 3, Actual: 4 IndexName: plain")
    assert refused(ddb.batch_write_item, RequestItems={"vec": [
        {"PutRequest": {"Item": {"pk": {"S": "x"}, "embedding": {"L": vec(1)}}}}]})[0] == "ValidationException"
    assert ddb.scan(TableName="vec")["Items"] == [{"pk": {"S": "ok"}, "embedding": {"L": vec(1, 0, 0)}}]


def test_search_vectors_errors(cloudlet):
    ddb = cloudlet.client("dynamodb")
    create(ddb, indexes=[vix("plain"), vix("schema", SearchSchema=SCHEMA)], defs=SCHEMA_DEFS)
    comparator = "Invalid SearchConditionExpression: Invalid comparator used in SearchConditionExpression"
    cases = [
        (dict(index="plain", top_k=101),
         "Provided TopK value '101' is out of valid range. The value must be between 1 and 100 inclusive"),
        (dict(index="schema"), "SearchConditionExpression must be provided when SearchSchema has a HASH key"),
        (dict(index="schema", SearchConditionExpression="tenant < :t", ExpressionAttributeValues={":t": {"S": "t"}}),
         comparator),
        (dict(index="schema", SearchConditionExpression="tenant = :t AND category < :c",
              ExpressionAttributeValues={":t": {"S": "t"}, ":c": {"S": "c"}}), comparator),
        (dict(index="schema", SearchConditionExpression="tenant = :t OR category = :c",
              ExpressionAttributeValues={":t": {"S": "t"}, ":c": {"S": "c"}}), comparator),
        (dict(index="schema", SearchConditionExpression="category = :c", ExpressionAttributeValues={":c": {"S": "c"}}),
         "SearchConditionExpression must be provided when SearchSchema has a HASH key"),
        (dict(index="plain", vector=(1, 0)), "Input search vector dimension 2 does not match vector index dimension 3"),
        (dict(index="plain", SearchConditionExpression="tenant = :t", ExpressionAttributeValues={":t": {"S": "t"}}),
         "SearchConditionExpression must not contain any attributes that is not in SearchSchema. Invalid attribute: tenant"),
        (dict(index="nope"), "The table does not have the specified index: nope"),
        (dict(index="plain", SearchConditionExpression="tenant = :t"),
         "Invalid SearchConditionExpression: An expression attribute value used in expression is not defined; "
         "attribute value: :t"),
        (dict(index="plain", ExpressionAttributeValues={":t": {"S": "t"}}),
         "Value provided in ExpressionAttributeValues unused in expressions: keys: {:t}"),
        (dict(index="plain", ExpressionAttributeValues={}), "ExpressionAttributeValues must not be empty"),
        (dict(index="plain", ProjectionExpression="pk", ExpressionAttributeNames={}),
         "ExpressionAttributeNames must not be empty"),
    ]
    for params, message in cases:
        assert refused(search, ddb=ddb, **params) == ("ValidationException", message, 400), params
    wrapped = dict(TableName="vec", IndexName="plain", SearchVector=[{"L": vec(1, 0, 0)}], TopK=1)
    assert refused(ddb.search_vectors, **wrapped)[1] == (
        "Search vector contains invalid values. All values in the search vector must be a 32-bit floating-point number "
        "attribute")
    assert refused(search, ddb=ddb, table="missing") == ("ResourceNotFoundException", "Requested resource not found", 400)


def test_consumed_capacity(cloudlet):
    ddb = cloudlet.client("dynamodb")
    create(ddb, indexes=[vix(), vix("vkeys", projection="KEYS_ONLY"), vix("vdims", "sixdimvec", 6),
                         vix("vname", "embeddingWithALongerName")])
    ddb.put_item(TableName="vec", Item={"pk": {"S": "seed"}, "embedding": {"L": vec(1, 0, 0)}})
    total = search(ddb, top_k=1, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert set(total) == {"VectorSearchRequestBytes"} and total["VectorSearchRequestBytes"] > 0
    assert search(ddb, top_k=1, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"] == total
    assert "ConsumedCapacity" not in search(ddb, top_k=1, ReturnConsumedCapacity="NONE")

    def put(item, mode="INDEXES"):
        return ddb.put_item(TableName="vec", Item=item, ReturnConsumedCapacity=mode)["ConsumedCapacity"]

    def vector_bytes(item):
        return {k: v["VectorWriteRequestBytes"] for k, v in put(item).get("VectorIndexes", {}).items()}

    fresh = put({"pk": {"S": "fresh"}, "embedding": {"L": vec(0, 1, 0)}})
    assert fresh["CapacityUnits"] == 1 and fresh["Table"] == {"CapacityUnits": 1.0}
    assert fresh["VectorIndexes"] == {"vix": {"VectorWriteRequestBytes": 1024.0},
                                      "vkeys": {"VectorWriteRequestBytes": 1024.0}}
    assert set(put({"pk": {"S": "t"}, "embedding": {"L": vec(0, 0, 1)}}, "TOTAL")) == {"TableName", "CapacityUnits"}
    assert "VectorIndexes" not in put({"pk": {"S": "plain"}, "label": {"S": "no-vector"}})
    item = {"pk": {"S": "same"}, "embedding": {"L": vec(0.5, 0.5, 0)}}
    assert vector_bytes(item) == {"vix": 1024.0, "vkeys": 1024.0}
    assert vector_bytes(item) == {}  # an identical overwrite changes no index entry
    assert vector_bytes({**item, "note": {"S": "x"}}) == {"vix": 1024.0}  # KEYS_ONLY does not hold the note
    blob = {"blob": {"S": "x" * 1500}}
    three = vector_bytes({"pk": {"S": "3a"}, "embedding": {"L": vec(1, 0, 0)}, **blob})
    six = vector_bytes({"pk": {"S": "6a"}, "sixdimvec": {"L": vec(1, 0, 0, 0, 1, 0)}, **blob})
    named = vector_bytes({"pk": {"S": "na"}, "embeddingWithALongerName": {"L": vec(1, 0, 0)}, **blob})
    assert three["vkeys"] == 1024.0 and three["vix"] == len("pk3ablob") + 1500 + len("embedding") + 12
    assert six["vdims"] - three["vix"] == 12
    assert named["vname"] - three["vix"] == len("embeddingWithALongerName") - len("embedding")


def test_writes_bill_a_vector_at_four_bytes_per_dimension(cloudlet):
    ddb = cloudlet.client("dynamodb")
    create(ddb, indexes=[vix(), vix("vdims", "sixdimvec", 6)])
    wide = "12345678901234567890123456789012345678"  # 20 bytes as a number, 4 as a billed dimension

    def item(target, key, attribute, dims, vector_bytes):
        fixed = len("pk") + len(key) + len(attribute) + vector_bytes + len("pad")
        return {"pk": {"S": key}, attribute: {"L": [{"N": wide}] * dims}, "pad": {"S": "x" * (target - fixed)}}

    def units(value):
        return ddb.put_item(TableName="vec", Item=value, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]["CapacityUnits"]

    for attribute, dims in (("embedding", 3), ("sixdimvec", 6)):
        assert units(item(1024, "a" + str(dims), attribute, dims, 4 * dims)) == 1
        assert units(item(1025, "b" + str(dims), attribute, dims, 4 * dims)) == 2
    # reads and the 400 KB limit count the numbers the vector holds
    stored = 3 + 6 * (1 + 20)
    ddb.put_item(TableName="vec", Item=item(4096, "r6", "sixdimvec", 6, 4 * 6))
    read = ddb.get_item(TableName="vec", Key={"pk": {"S": "r6"}}, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert read["ConsumedCapacity"]["CapacityUnits"] == 2
    ddb.put_item(TableName="vec", Item=item(400 * 1024, "g0", "sixdimvec", 6, stored))
    assert refused(ddb.put_item, TableName="vec", Item=item(400 * 1024 + 1, "g1", "sixdimvec", 6, stored)) == (
        "ValidationException", "Item size has exceeded the maximum allowed size", 400)


BUILD = 3.0


def test_an_added_index_allocates_then_backfills_before_it_serves(cloudlet):
    ddb = cloudlet.client("dynamodb")
    create(ddb)
    service = cloudlet.platform.loaded_service("dynamodb")
    for i in range(5):
        ddb.put_item(TableName="vec", Item={"pk": {"S": f"item-{i}"}, "embedding": {"L": vec(i, 1, 0)}})
    # a build of BUILD seconds allocates for the first half and backfills for the second; the
    # phases are long enough for a loaded machine to observe each of them
    service.vector_build_seconds = BUILD
    try:
        allocating, backfilling = Window(BUILD / 2), Window(BUILD)  # the build starts after these
        out = ddb.update_table(TableName="vec", VectorIndexUpdates=[{"Create": vix()}])["TableDescription"]
        started = Window(BUILD / 2)  # and before this
    finally:
        service.vector_build_seconds = 0.0
    with allocating.inside("observing the allocation phase"):
        assert out["TableStatus"] == "UPDATING" and out["VectorIndexes"][0]["Backfilling"] is False
        table = ddb.describe_table(TableName="vec")["Table"]
        index = table["VectorIndexes"][0]
        assert (table["TableStatus"], index["IndexStatus"], index["Backfilling"]) == ("UPDATING", "CREATING", False)
        assert refused(search, ddb=ddb) == (
            "ValidationException", "The table does not have the specified index: vix", 400)
        assert refused(ddb.update_table, TableName="vec", VectorIndexUpdates=[{"Delete": {"IndexName": "vix"}}]) == (
            "ResourceInUseException", "Attempt to change a resource which is still in use: Index creation is in "
            "resource allocation phase. Retry deletion during backfilling phase or when the index is active. "
            "Table: vec Index: vix", 400)
        assert refused(ddb.update_table, TableName="vec", VectorIndexUpdates=[{"Create": vix("vix2")}])[0] == (
            "LimitExceededException")
    started.sleep_past()
    with backfilling.inside("observing the backfilling phase"):
        table = ddb.describe_table(TableName="vec")["Table"]
        index = table["VectorIndexes"][0]
        assert (table["TableStatus"], index["IndexStatus"], index["Backfilling"]) == ("ACTIVE", "CREATING", True)
        assert refused(search, ddb=ddb) == ("ValidationException", "Cannot search backfilling vector index: vix", 400)
        assert refused(ddb.delete_table, TableName="vec") == (
            "ResourceInUseException", "Attempt to change a resource which is still in use: Cannot delete table while "
            "indexes are being created, updated, or deleted.", 400)
    started.sleep_past(BUILD)
    index = described(ddb)["vix"]
    assert index["IndexStatus"] == "ACTIVE" and "Backfilling" not in index
    assert len(search(ddb, vector=(1, 1, 0))["SearchResults"]) == 5
    # a build being backfilled can be cancelled, and the table deleted then
    service.vector_build_seconds = BUILD
    try:
        backfilling = Window(BUILD)
        ddb.update_table(TableName="vec", VectorIndexUpdates=[{"Create": vix("vix2", projection="KEYS_ONLY")}])
        started = Window(BUILD / 2)
    finally:
        service.vector_build_seconds = 0.0
    started.sleep_past()
    with backfilling.inside("cancelling in the backfilling phase"):
        ddb.update_table(TableName="vec", VectorIndexUpdates=[{"Delete": {"IndexName": "vix2"}}])
    assert list(described(ddb)) == ["vix"]
    ddb.delete_table(TableName="vec")


def test_projections(cloudlet):
    ddb = cloudlet.client("dynamodb")
    include = vix("inc", Projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]})
    create(ddb, indexes=[include, vix("keys", projection="KEYS_ONLY")])
    assert described(ddb)["inc"]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}
    ddb.put_item(TableName="vec", Item={"pk": {"S": "a"}, "note": {"S": "n"}, "other": {"N": "1"},
                                        "embedding": {"L": vec(0.25, -2.5, 3)}})

    def first(index, **params):
        return search(ddb, index, **params)["SearchResults"][0]["Item"]

    assert first("inc") == {"pk": {"S": "a"}, "note": {"S": "n"}}
    assert first("keys") == {"pk": {"S": "a"}}
    # only what the index holds can be asked for; the vector comes back as its 32-bit copy
    assert first("inc", ProjectionExpression="#o, embedding, note", ExpressionAttributeNames={"#o": "other"}) == {
        "note": {"S": "n"}, "embedding": {"L": [{"N": "0.25"}, {"N": "-2.5"}, {"N": "3.0"}]}}
    assert first("keys", ProjectionExpression="embedding[1]") == {"embedding": {"L": [{"N": "-2.5"}]}}
    assert refused(create, ddb=ddb, name="other", indexes=[vix(projection="INCLUDE")])[1] == (
        f"{INVALID}: ProjectionType is INCLUDE, but NonKeyAttributes is not specified")


def test_search_vectors_reads_its_body_strictly(cloudlet):
    def answer(body: dict) -> tuple[int, str, str]:
        request = urllib.request.Request(
            cloudlet.endpoint + "/", method="POST", data=json.dumps(body, separators=(",", ":")).encode(),
            headers={"X-Amz-Target": "DynamoDB_20120810.SearchVectors", "Content-Type": "application/x-amz-json-1.0"})
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(request)
        out = json.loads(excinfo.value.read())
        return excinfo.value.code, out["__type"].split("#")[1], out["message"]

    valid = {"TableName": "absent", "IndexName": "vix", "SearchVector": [{"N": "1"}], "TopK": 1}
    nulls = {"IndexName": "a string", "TableName": "a string", "SearchVector": "a sequence", "TopK": "i32"}
    for member, expected in nulls.items():
        status, code, message = answer({**valid, member: None})
        assert (status, code) == (400, "SerializationException")
        assert re.fullmatch(f"invalid type: null, expected {expected} at line 1 column [0-9]+", message)
    for body in ({k: v for k, v in valid.items() if k != "TableName"},
                 {"IndexName": "ab", "SearchVector": [{"N": "1"}], "TopK": 1}):
        column = len(json.dumps(body, separators=(",", ":")))
        assert answer(body) == (400, "ValidationException", f"missing field `TableName` at line 1 column {column}")
    assert answer(valid)[1:] == ("ResourceNotFoundException", "Requested resource not found")


def test_top_k_matches_a_full_sort(cloudlet):
    ddb = cloudlet.client("dynamodb")
    create(ddb, indexes=[vix("cos", dimensions=4), vix("euc", dimensions=4, distance="EUCLIDEAN"),
                         vix("dot", dimensions=4, distance="DOT_PRODUCT")])
    rng = random.Random(7)
    vectors = {f"k{i:03}": [round(rng.uniform(-1, 1), 3) for _ in range(4)] for i in range(120)}
    for pk, numbers in vectors.items():
        ddb.put_item(TableName="vec", Item={"pk": {"S": pk}, "embedding": {"L": vec(*numbers)}})
    query = [0.3, -0.2, 0.9, 0.1]

    def reference(distance, v):
        q, v = [f32(x) for x in query], [f32(x) for x in v]
        dot = sum(a * b for a, b in zip(q, v, strict=True))
        if distance == "euc":
            return math.dist(q, v)
        if distance == "dot":
            return -dot
        return 1 - dot / (math.hypot(*q) * math.hypot(*v))

    for index in ("cos", "euc", "dot"):
        got = [r["Item"]["pk"]["S"] for r in search(ddb, index, vector=query, top_k=25)["SearchResults"]]
        assert got == sorted(vectors, key=lambda pk: reference(index, vectors[pk]))[:25], index
