"""BatchGetItem, BatchWriteItem, TransactWriteItems, TransactGetItems and concurrent conditional
writes with boto3: limits, duplicate keys, atomicity, cancellation reasons, idempotency."""

import threading
import time

import pytest
from botocore.exceptions import ClientError
from ddb_helpers import error


@pytest.fixture
def ddb(cloudlet):
    client = cloudlet.client("dynamodb")
    for name in ("one", "two"):
        client.create_table(TableName=f"tbl-{name}", BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    return client


def key(k):
    return {"pk": {"S": k}}


def count(ddb, table="tbl-one"):
    return ddb.scan(TableName=table)["Count"]


def test_batch_write_and_get(ddb):
    ddb.batch_write_item(RequestItems={
        "tbl-one": [{"PutRequest": {"Item": {**key(f"k{i}"), "v": {"N": str(i)}}}} for i in range(20)],
        "tbl-two": [{"PutRequest": {"Item": key("x")}}],
    })
    out = ddb.batch_write_item(RequestItems={"tbl-one": [{"DeleteRequest": {"Key": key("k0")}}]})
    assert out["UnprocessedItems"] == {}
    out = ddb.batch_get_item(RequestItems={
        "tbl-one": {"Keys": [key("k0"), key("k1"), key("k2")], "ProjectionExpression": "v"},
        "tbl-two": {"Keys": [key("x")]},
    })
    assert sorted(i["v"]["N"] for i in out["Responses"]["tbl-one"]) == ["1", "2"]
    assert out["Responses"]["tbl-two"] == [key("x")] and out["UnprocessedKeys"] == {}


def test_batch_limits_and_duplicates(ddb):
    with pytest.raises(ClientError) as excinfo:
        ddb.batch_write_item(RequestItems={"tbl-one": [{"PutRequest": {"Item": key(f"k{i}")}} for i in range(26)]})
    assert error(excinfo)[0] == "ValidationException" and error(excinfo)[2] == 400
    with pytest.raises(ClientError) as excinfo:
        ddb.batch_write_item(RequestItems={"tbl-one": [{"PutRequest": {"Item": key("a")}},
                                                       {"DeleteRequest": {"Key": key("a")}}]})
    assert error(excinfo) == ("ValidationException", "Provided list of item keys contains duplicates", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.batch_get_item(RequestItems={"tbl-one": {"Keys": [key(f"k{i}") for i in range(60)]},
                                         "tbl-two": {"Keys": [key(f"k{i}") for i in range(41)]}})
    assert error(excinfo) == ("ValidationException", "Too many items requested for the BatchGetItem call", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.batch_get_item(RequestItems={"tbl-one": {"Keys": [key("a"), key("a")]}})
    assert error(excinfo) == ("ValidationException", "Provided list of item keys contains duplicates", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.batch_write_item(RequestItems={"tbl-one": [{"PutRequest": {"Item": key("ok")}}],
                                           "tbl-missing": [{"PutRequest": {"Item": key("a")}}]})
    assert error(excinfo)[0] == "ResourceNotFoundException"
    assert count(ddb) == 0  # nothing of a rejected batch was written
    # key values are checked before any table is looked up
    with pytest.raises(ClientError) as excinfo:
        ddb.batch_get_item(RequestItems={"tbl-missing": {"Keys": [key("a")]},
                                         "tbl-one": {"Keys": [{"pk": {"N": "x"}}]}})
    assert error(excinfo) == ("ValidationException", "The parameter cannot be converted to a numeric value: x", 400)


def test_transact_write_is_atomic_with_cancellation_reasons(ddb):
    ddb.put_item(TableName="tbl-one", Item={**key("a"), "n": {"N": "1"}})
    ddb.put_item(TableName="tbl-one", Item={**key("d"), "n": {"N": "1"}})
    items = [
        {"Put": {"TableName": "tbl-one", "Item": key("b")}},
        {"Update": {"TableName": "tbl-one", "Key": key("a"), "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": "tbl-two", "Key": key("zz"), "ConditionExpression": "attribute_exists(pk)",
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Delete": {"TableName": "tbl-one", "Key": key("d"), "ConditionExpression": "n = :two",
                    "ExpressionAttributeValues": {":two": {"N": "2"}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
    ]
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=items)
    code, message, status = error(excinfo)
    assert code == "TransactionCanceledException" and status == 400
    assert message == ("Transaction cancelled, please refer cancellation reasons for specific reasons "
                       "[None, None, ConditionalCheckFailed, ConditionalCheckFailed]")
    reasons = excinfo.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "None", "ConditionalCheckFailed", "ConditionalCheckFailed"]
    assert "Item" not in reasons[2] and reasons[3]["Item"] == {**key("d"), "n": {"N": "1"}}
    assert count(ddb) == 2
    assert ddb.get_item(TableName="tbl-one", Key=key("a"))["Item"]["n"] == {"N": "1"}
    ok = items[:2] + [{"Put": {"TableName": "tbl-two", "Item": key("c")}}]
    ddb.transact_write_items(TransactItems=ok)
    assert count(ddb) == 3 and count(ddb, "tbl-two") == 1
    assert ddb.get_item(TableName="tbl-one", Key=key("a"))["Item"]["n"] == {"N": "2"}


def test_transact_write_validation(ddb):
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "tbl-one", "Item": key("a")}},
                                                {"Delete": {"TableName": "tbl-one", "Key": key("a")}}])
    assert error(excinfo) == ("ValidationException",
                              "Transaction request cannot include multiple operations on one item", 400)
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "tbl-one", "Item": key(f"k{i}")}}
                                                for i in range(101)])
    assert error(excinfo)[0] == "ValidationException"
    assert count(ddb) == 0


def test_transact_write_cancels_on_what_an_update_makes_of_the_item(ddb):
    ddb.put_item(TableName="tbl-one", Item={**key("a"), "s": {"S": "text"}, "l": {"L": []}})
    one = {":v": {"N": "1"}}
    cases = [
        ("ADD s :v", one, "An operand in the update expression has an incorrect data type"),
        ("SET absent.x = :v", one, "The document path provided in the update expression is invalid for update"),
        ("SET n = absent + :v", one, "The provided expression refers to an attribute that does not exist in the item"),
        ("SET big = :v", {":v": {"S": "x" * 410_000}}, "Item size to update has exceeded the maximum allowed size"),
    ]
    put_b = {"Put": {"TableName": "tbl-two", "Item": key("b")}}
    for expression, values, message in cases:
        update = {"Update": {"TableName": "tbl-one", "Key": key("a"), "UpdateExpression": expression,
                             "ExpressionAttributeValues": values}}
        with pytest.raises(ClientError) as excinfo:
            ddb.transact_write_items(TransactItems=[put_b, update])
        assert error(excinfo) == ("TransactionCanceledException", "Transaction cancelled, please refer cancellation "
                                  "reasons for specific reasons [None, ValidationError]", 400), expression
        assert excinfo.value.response["CancellationReasons"] == [
            {"Code": "None"}, {"Code": "ValidationError", "Message": message}]
    # a fault of the request itself is still a ValidationException
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[put_b, {"Update": {
            "TableName": "tbl-one", "Key": key("a"), "UpdateExpression": "SET pk = :v",
            "ExpressionAttributeValues": {":v": {"S": "b"}}}}])
    assert error(excinfo) == ("ValidationException", "One or more parameter values were invalid: Cannot update "
                              "attribute pk. This attribute is part of the key", 400)
    assert count(ddb, "tbl-two") == 0
    assert ddb.get_item(TableName="tbl-one", Key=key("a"))["Item"] == {**key("a"), "s": {"S": "text"}, "l": {"L": []}}


def test_client_request_token_idempotency(ddb):
    items = [{"Update": {"TableName": "tbl-one", "Key": key("c"), "UpdateExpression": "ADD n :one",
                         "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="tok-1")
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="tok-1")
    assert ddb.get_item(TableName="tbl-one", Key=key("c"))["Item"]["n"] == {"N": "1"}
    with pytest.raises(ClientError) as excinfo:
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "tbl-one", "Item": key("d")}}],
                                 ClientRequestToken="tok-1")
    assert error(excinfo)[0] == "IdempotentParameterMismatchException"
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="tok-2")
    assert ddb.get_item(TableName="tbl-one", Key=key("c"))["Item"]["n"] == {"N": "2"}


def test_transact_get(ddb):
    ddb.put_item(TableName="tbl-one", Item={**key("a"), "v": {"S": "1"}, "w": {"S": "2"}})
    out = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": "tbl-one", "Key": key("a"), "ProjectionExpression": "v"}},
        {"Get": {"TableName": "tbl-two", "Key": key("a")}},
    ])
    assert out["Responses"] == [{"Item": {"v": {"S": "1"}}}, {}]


def test_concurrent_counter_has_no_lost_updates(cloudlet, ddb):
    threads, per_thread = 8, 25
    failures = []

    def work(n):
        client = cloudlet.client("dynamodb", region_name="us-east-1")
        for _ in range(per_thread):
            try:
                client.update_item(TableName="tbl-one", Key=key("ctr"), UpdateExpression="SET n = if_not_exists(n, :z) + :one",
                                   ExpressionAttributeValues={":z": {"N": "0"}, ":one": {"N": "1"}})
            except Exception as exc:  # pragma: no cover - reported below
                failures.append(exc)

    def optimistic(n):
        client = cloudlet.client("dynamodb", region_name="us-east-1")
        done = 0
        while done < per_thread:
            item = client.get_item(TableName="tbl-one", Key=key("opt"), ConsistentRead=True).get("Item")
            current = int(item["n"]["N"]) if item else 0
            try:
                if item:
                    client.put_item(TableName="tbl-one", Item={**key("opt"), "n": {"N": str(current + 1)}},
                                    ConditionExpression="n = :c", ExpressionAttributeValues={":c": {"N": str(current)}})
                else:
                    client.put_item(TableName="tbl-one", Item={**key("opt"), "n": {"N": "1"}},
                                    ConditionExpression="attribute_not_exists(pk)")
                done += 1
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "ConditionalCheckFailedException"

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    pool += [threading.Thread(target=optimistic, args=(i,)) for i in range(4)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not failures
    assert ddb.get_item(TableName="tbl-one", Key=key("ctr"))["Item"]["n"] == {"N": str(threads * per_thread)}
    assert ddb.get_item(TableName="tbl-one", Key=key("opt"))["Item"]["n"] == {"N": str(4 * per_thread)}


def test_batch_get_hands_back_keys_past_16_megabytes(ddb):
    blob = "x" * (390 * 1024)
    for start in range(0, 50, 25):
        ddb.batch_write_item(RequestItems={"tbl-one": [
            {"PutRequest": {"Item": {**key(f"k{i}"), "d": {"S": blob}}}} for i in range(start, start + 25)]})
    keys = [key(f"k{i}") for i in range(50)]
    out = ddb.batch_get_item(RequestItems={"tbl-one": {"Keys": keys, "ConsistentRead": True}})
    got = out["Responses"]["tbl-one"]
    rest = out["UnprocessedKeys"]["tbl-one"]
    assert 40 <= len(got) < 50 and len(got) + len(rest["Keys"]) == 50 and rest["ConsistentRead"] is True
    again = ddb.batch_get_item(RequestItems=out["UnprocessedKeys"])
    names = {i["pk"]["S"] for i in got} | {i["pk"]["S"] for i in again["Responses"]["tbl-one"]}
    assert names == {f"k{i}" for i in range(50)} and again["UnprocessedKeys"] == {}


def test_concurrent_transactions_keep_invariants(cloudlet, ddb):
    ddb.put_item(TableName="tbl-one", Item={**key("a"), "n": {"N": "40"}})
    ddb.put_item(TableName="tbl-two", Item={**key("b"), "n": {"N": "0"}})
    moved, cancelled = [], []

    def transfer():
        client = cloudlet.client("dynamodb", region_name="us-east-1")
        for _ in range(15):
            try:
                client.transact_write_items(TransactItems=[
                    {"Update": {"TableName": "tbl-one", "Key": key("a"), "UpdateExpression": "SET n = n - :one",
                                "ConditionExpression": "n >= :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
                    {"Update": {"TableName": "tbl-two", "Key": key("b"), "UpdateExpression": "SET n = n + :one",
                                "ExpressionAttributeValues": {":one": {"N": "1"}}}},
                ])
                moved.append(1)
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "TransactionCanceledException"
                cancelled.append(1)

    pool = [threading.Thread(target=transfer) for _ in range(4)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    a = int(ddb.get_item(TableName="tbl-one", Key=key("a"))["Item"]["n"]["N"])
    b = int(ddb.get_item(TableName="tbl-two", Key=key("b"))["Item"]["n"]["N"])
    assert (a, b) == (0, 40) and len(moved) == 40 and len(cancelled) == 20


def test_client_request_tokens_expire(ddb, monkeypatch):
    from cloudlet.services.dynamodb import items as items_module

    monkeypatch.setattr(items_module, "TOKEN_TTL", 0.2)  # 10 minutes in AWS; shortened for the test
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "tbl-one", "Item": key("x")}}], ClientRequestToken="t")
    time.sleep(0.3)
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "tbl-one", "Item": key("y")}}], ClientRequestToken="t")
    assert count(ddb) == 2
