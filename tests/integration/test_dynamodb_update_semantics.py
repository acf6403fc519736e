"""UpdateItem semantics against a live server: parenthesized values, set member order after ADD and
DELETE (empty members included), ReturnValues granularity and no-op upserts."""

import pytest


@pytest.fixture
def ddb(cloudlet):
    client = cloudlet.client("dynamodb")
    client.create_table(TableName="upd", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    return client


def update(ddb, pk, expression, values=None, names=None, **kwargs):
    if values:
        kwargs["ExpressionAttributeValues"] = values
    if names:
        kwargs["ExpressionAttributeNames"] = names
    return ddb.update_item(TableName="upd", Key={"pk": {"S": pk}}, UpdateExpression=expression, **kwargs)


def get(ddb, pk):
    return ddb.get_item(TableName="upd", Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item")


def test_set_values_may_be_parenthesized(ddb):
    ddb.put_item(TableName="upd", Item={"pk": {"S": "a"}, "c": {"N": "10"}, "v": {"N": "10"}})
    cases = [
        ("SET c = (c - :v)", {":v": {"N": "3"}}, {"c": {"N": "7"}}),
        ("SET c = (:v)", {":v": {"N": "3"}}, {"c": {"N": "3"}}),
        ("SET c = (v + :v) - :w", {":v": {"N": "1"}, ":w": {"N": "2"}}, {"c": {"N": "9"}}),
        ("SET v = if_not_exists(v, :d) - :amt", {":d": {"N": "0"}, ":amt": {"N": "3"}}, {"v": {"N": "7"}}),
    ]
    for expression, values, expected in cases:
        assert update(ddb, "a", expression, values, ReturnValues="UPDATED_NEW")["Attributes"] == expected, expression


@pytest.mark.parametrize("stored, expression, operand, expected", [
    ({"SS": ["a", "b"]}, "ADD s :v", {"SS": ["d", "c"]}, {"SS": ["a", "b", "c", "d"]}),
    ({"SS": ["a"]}, "ADD s :v", {"SS": [""]}, {"SS": ["", "a"]}),
    (None, "ADD s :v", {"SS": [""]}, {"SS": [""]}),
    ({"SS": [""]}, "ADD s :v", {"SS": [""]}, {"SS": [""]}),
    ({"BS": [b"\x01"]}, "ADD s :v", {"BS": [b""]}, {"BS": [b"", b"\x01"]}),
    ({"NS": ["10", "-1"]}, "ADD s :v", {"NS": ["2"]}, {"NS": ["-1", "2", "10"]}),
    ({"SS": ["é", "z", "Z"]}, "ADD s :v", {"SS": ["a"]}, {"SS": ["Z", "a", "z", "é"]}),
    ({"SS": ["", "a"]}, "DELETE s :v", {"SS": [""]}, {"SS": ["a"]}),
    ({"SS": [""]}, "DELETE s :v", {"SS": [""]}, None),
    ({"SS": ["", "a"]}, "DELETE s :v", {"SS": ["a"]}, {"SS": [""]}),
    ({"SS": ["c", "a", "b"]}, "DELETE s :v", {"SS": ["b"]}, {"SS": ["a", "c"]}),
])
def test_sets_come_back_in_dynamodb_order_after_add_and_delete(ddb, stored, expression, operand, expected):
    item = {"pk": {"S": "s"}}
    if stored:
        item["s"] = stored
    ddb.put_item(TableName="upd", Item=item)
    update(ddb, "s", expression, {":v": operand})
    assert get(ddb, "s").get("s") == expected


def test_put_returns_set_members_in_dynamodb_order(ddb):
    ddb.put_item(TableName="upd", Item={"pk": {"S": "p"}, "ns": {"NS": ["3", "1.5", "-20"]}, "ss": {"SS": ["b", "", "a"]},
                                      "bs": {"BS": [b"\x02", b"\x01\x00", b"\x01"]}})
    item = get(ddb, "p")
    assert item["ns"] == {"NS": ["-20", "1.5", "3"]}
    assert item["ss"] == {"SS": ["", "a", "b"]}
    assert item["bs"] == {"BS": [b"\x01", b"\x01\x00", b"\x02"]}


def test_return_values_granularity_and_key_only_upsert(ddb):
    ddb.put_item(TableName="upd", Item={"pk": {"S": "n"}, "parent": {"M": {"keep": {"S": "k"}, "child": {"S": "old"}}},
                                        "x": {"S": "x"}})
    nested = update(ddb, "n", "SET parent.child = :v", {":v": {"S": "new"}}, ReturnValues="UPDATED_NEW")
    assert nested["Attributes"] == {"parent": {"M": {"child": {"S": "new"}}}}
    siblings = update(ddb, "n", "SET #a.#b = :x, #a.#c = :y", {":x": {"S": "x"}, ":y": {"S": "y"}},
                      {"#a": "parent", "#b": "b", "#c": "c"}, ReturnValues="UPDATED_NEW")
    assert siblings["Attributes"] == {"parent": {"M": {"b": {"S": "x"}, "c": {"S": "y"}}}}
    assert "Attributes" not in update(ddb, "n", "REMOVE x", ReturnValues="UPDATED_NEW")
    created = update(ddb, "fresh", "SET a = :a", {":a": {"S": "x"}}, ReturnValues="UPDATED_NEW")
    assert created["Attributes"] == {"a": {"S": "x"}}
    snapshot = update(ddb, "fresh", "SET a = :v, b = a", {":v": {"S": "NEW"}}, ReturnValues="ALL_NEW")
    assert snapshot["Attributes"] == {"pk": {"S": "fresh"}, "a": {"S": "NEW"}, "b": {"S": "x"}}

    out = ddb.update_item(TableName="upd", Key={"pk": {"S": "bare"}})  # no update: the item is created with its key
    assert "Attributes" not in out
    assert get(ddb, "bare") == {"pk": {"S": "bare"}}


def test_document_paths_of_set_and_remove(ddb):
    ddb.put_item(TableName="upd", Item={"pk": {"S": "d"}, "l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]},
                                        "e": {"L": []}, "m": {"M": {"keep": {"S": "k"}}}, "w": {"M": {}}})
    update(ddb, "d", "SET l[5] = :v, e[0] = :v, m.child = :v, w.tags = :s", {":v": {"S": "z"}, ":s": {"SS": [""]}})
    item = get(ddb, "d")
    assert item["l"] == {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "z"}]}  # past the end appends
    assert item["e"] == {"L": [{"S": "z"}]} and item["w"] == {"M": {"tags": {"SS": [""]}}}
    assert item["m"] == {"M": {"keep": {"S": "k"}, "child": {"S": "z"}}} and "m.child" not in item
    update(ddb, "d", "REMOVE l[1], m.absent, ghost")
    assert get(ddb, "d")["l"] == {"L": [{"S": "a"}, {"S": "c"}, {"S": "z"}]}
