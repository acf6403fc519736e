"""PartiQL forms with boto3: number literals, comments, condition functions and IS in WHERE (as
filters and as write conditions), the FROM-first UPDATE, set_add / set_delete, OR branches with
negated sort-key conditions, and what writes, batches and transactions answer with."""

import pytest
from botocore.exceptions import ClientError
from ddb_helpers import error


@pytest.fixture
def ddb(cloudlet):
    client = cloudlet.client("dynamodb")
    client.create_table(TableName="texts", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    client.create_table(TableName="numbered", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "N"}],
                        BillingMode="PAY_PER_REQUEST")
    client.create_table(TableName="pairs", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}])
    client.put_item(TableName="texts", Item={
        "pk": {"S": "i"}, "ss": {"SS": ["a", "b", "c"]}, "ns": {"NS": ["1", "2", "3"]}, "s": {"S": "str"},
        "m": {"M": {"sub": {"S": "x"}}}, "nul": {"NULL": True}, "flag": {"BOOL": True}})
    return client


def run(ddb, statement, *parameters):
    kwargs = {"Parameters": list(parameters)} if parameters else {}
    return ddb.execute_statement(Statement=statement, **kwargs)


def stored(ddb, pk):
    return ddb.get_item(TableName="texts", Key={"pk": {"S": pk}}).get("Item")


def test_number_literals_and_comments(ddb):
    for n in ("7310000", "7.3", "-7.3"):
        ddb.put_item(TableName="numbered", Item={"pk": {"N": n}})
    for literal, want in [("7.31e6", "7310000"), ("7.31E6", "7310000"), ("7.31e+6", "7310000"), ("731e4", "7310000"),
                          ("73100000e-1", "7310000"), (".73e1", "7.3"), ("-.73e1", "-7.3")]:
        assert run(ddb, f"SELECT pk FROM numbered WHERE pk = {literal}")["Items"] == [{"pk": {"N": want}}], literal
    run(ddb, "INSERT INTO numbered VALUE {'pk': .7325e1}")
    assert ddb.get_item(TableName="numbered", Key={"pk": {"N": "7.325"}})["Item"]
    for statement in ("-- a note\nSELECT * FROM texts WHERE pk = 'i'", "SELECT * FROM texts -- a note\nWHERE pk = 'i'",
                      "SELECT * FROM texts /* a note */ WHERE pk = 'i' /* another */"):
        assert len(run(ddb, statement)["Items"]) == 1, statement
    assert len(run(ddb, "SELECT * FROM texts -- WHERE pk = 'nothing'")["Items"]) == 1


def test_condition_functions_and_is_in_where(ddb):
    cases = [
        ("attribute_exists(ss)", True), ("attribute_exists(nope)", False), ("attribute_not_exists(nope)", True),
        ("NOT attribute_exists(nope)", True), ("ATTRIBUTE_EXISTS(ss)", True),
        ("(attribute_exists(nope) OR attribute_exists(ss))", True), ("attribute_exists(ss) = true", True),
        ("attribute_exists(ss) = false", False), ('attribute_exists("ss")', True), ("attribute_exists(m.sub)", True),
        ("attribute_exists(m.nope)", False), ("size(s) = 3", True), ("size(s) = 4", False),
        ("attribute_type(ss, 'SS')", True), ("attribute_type(ss, 'S')", False),
        ("nul IS NULL", True), ("s IS NULL", False), ("s IS NOT NULL", True), ("nul IS NOT NULL", False),
        ("flag IS BOOL", True), ("s IS STRING", True), ("s IS BOOL", False), ("s IS MISSING", False),
    ]
    for condition, holds in cases:
        out = run(ddb, f"SELECT pk FROM texts WHERE pk = 'i' AND {condition}")["Items"]
        assert out == ([{"pk": {"S": "i"}}] if holds else []), condition
    for pk in ("u", "d"):
        ddb.put_item(TableName="texts", Item={"pk": {"S": pk}, "a": {"N": "5"}})
    run(ddb, "UPDATE texts SET z = 1 WHERE pk = 'u' AND attribute_exists(a)")
    failing = ["UPDATE texts SET z = 2 WHERE pk = 'u' AND attribute_exists(nope)",
               "UPDATE texts SET z = 1 WHERE pk = 'absent' AND attribute_not_exists(pk)",
               "DELETE FROM texts WHERE pk = 'd' AND attribute_exists(nope)"]
    for statement in failing:
        with pytest.raises(ClientError) as excinfo:
            run(ddb, statement)
        assert error(excinfo)[0] == "ConditionalCheckFailedException", statement
    assert stored(ddb, "u")["z"] == {"N": "1"} and stored(ddb, "d") and stored(ddb, "absent") is None


def test_from_first_update(ddb):
    ddb.put_item(TableName="texts", Item={"pk": {"S": "f"}, "a": {"N": "1"}, "b": {"S": "bee"}})
    run(ddb, "FROM texts WHERE pk = 'f' SET c = 1")
    out = run(ddb, "from texts where pk = 'f' AND a = 1 SET d = 2 REMOVE b RETURNING ALL NEW *")
    assert out["Items"] == [{"pk": {"S": "f"}, "a": {"N": "1"}, "c": {"N": "1"}, "d": {"N": "2"}}]
    run(ddb, "FROM texts WHERE pk = ? SET c = ?", {"S": "f"}, {"N": "7"})
    for statement in ("FROM texts WHERE pk = 'f' AND a = 2 SET c = 5", "FROM texts WHERE pk = 'absent' SET c = 1"):
        with pytest.raises(ClientError) as excinfo:
            run(ddb, statement)
        assert error(excinfo)[0] == "ConditionalCheckFailedException", statement
    assert stored(ddb, "f")["c"] == {"N": "7"} and stored(ddb, "absent") is None
    ddb.execute_transaction(TransactStatements=[{"Statement": "FROM texts WHERE pk = 'f' SET t = 1"}])
    out = ddb.batch_execute_statement(Statements=[{"Statement": "FROM texts WHERE pk = 'f' SET b2 = 1"}])
    assert "Error" not in out["Responses"][0]
    assert {"t", "b2"} <= set(stored(ddb, "f"))


def test_set_functions(ddb):
    run(ddb, "UPDATE texts SET ss = set_add(ss, <<'0', 'z', 'a'>>) SET ns = SET_ADD(ns, <<4, 1>>) WHERE pk = 'i'")
    run(ddb, "UPDATE texts SET bs = set_add(bs, ?) SET new = set_add(new, <<'x'>>) WHERE pk = 'i'",
        {"BS": [b"\x01", b"\x03"]})
    item = stored(ddb, "i")
    assert sorted(item["ss"]["SS"]) == ["0", "a", "b", "c", "z"]
    assert sorted(item["ns"]["NS"], key=int) == ["1", "2", "3", "4"]
    assert sorted(item["bs"]["BS"]) == [b"\x01", b"\x03"] and item["new"] == {"SS": ["x"]}
    out = run(ddb, "UPDATE texts SET ns = set_delete(ns, <<1, 2, 3, 4>>) SET ss = set_delete(ss, <<'zz', 'a'>>) "
                   "SET gone = set_delete(gone, <<'a'>>) WHERE pk = 'i' RETURNING ALL NEW *")["Items"][0]
    assert "ns" not in out and "gone" not in out and sorted(out["ss"]["SS"]) == ["0", "b", "c", "z"]
    with pytest.raises(ClientError) as excinfo:
        run(ddb, "UPDATE texts SET ss = set_add(ss, <<'x'>>) WHERE pk = 'absent'")
    assert error(excinfo)[0] == "ConditionalCheckFailedException"
    assert stored(ddb, "absent") is None


def test_or_branches_with_negated_sort_key_conditions(ddb):
    for sk in "123":
        ddb.put_item(TableName="pairs", Item={"pk": {"S": "o"}, "sk": {"S": sk}})
    cases = [
        ("pk = 'o' AND NOT sk = '1'", ["2", "3"]), ("pk = 'o' AND sk <> '1'", ["2", "3"]),
        ("pk = 'o' AND NOT begins_with(sk, 'x')", ["1", "2", "3"]), ("pk = 'o' AND NOT sk IN ['1', '3']", ["2"]),
        ("pk = 'o' AND NOT sk > '5'", ["1", "2", "3"]), ("pk = 'o' AND NOT (sk = '1')", ["2", "3"]),
    ]
    for left, want in cases:
        out = run(ddb, f"SELECT sk FROM pairs WHERE {left} OR pk = 'o' AND sk = '2'")["Items"]
        assert sorted(i["sk"]["S"] for i in out) == want, left
    out = run(ddb, "SELECT sk FROM pairs WHERE pk = 'o' OR pk = 'o' AND NOT sk = '1'")["Items"]
    assert sorted(i["sk"]["S"] for i in out) == ["1", "2", "3"]


def test_write_responses_batches_and_transactions(ddb):
    ddb.put_item(TableName="texts", Item={"pk": {"S": "w"}, "val": {"S": "here"}})
    for statement in ("INSERT INTO texts VALUE {'pk': 'n'}", "UPDATE texts SET a = 2 WHERE pk = 'w'",
                      "DELETE FROM texts WHERE pk = 'n'", "DELETE FROM texts WHERE pk = 'never'"):
        assert run(ddb, statement)["Items"] == [], statement
    increment = [{"Statement": "UPDATE texts SET a = a + 1 WHERE pk = 'w'"}]
    first, replay = (ddb.execute_transaction(TransactStatements=increment, ReturnConsumedCapacity="TOTAL",
                                             ClientRequestToken="once") for _ in range(2))
    assert first["Responses"] == [] and first["ConsumedCapacity"] == [
        {"TableName": "texts", "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}]
    assert replay["Responses"] == [] and replay["ConsumedCapacity"] == [
        {"TableName": "texts", "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}]
    assert stored(ddb, "w")["a"] == {"N": "3"}
    out = ddb.batch_execute_statement(Statements=[
        {"Statement": "UPDATE texts SET touched = 'yes' WHERE pk = ? AND val = ?",
         "Parameters": [{"S": "w"}, {"S": "wrong"}], "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
        {"Statement": "INSERT INTO texts VALUE {'pk': 'w'}"},
        {"Statement": "UPDATE texts SET a = 1 WHERE s = 'x'"},
        {"Statement": "DELETE FROM texts WHERE pk = 'w' RETURNING ALL OLD *"},
    ])["Responses"]
    assert out[0] == {"Error": {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
                      "TableName": "texts"}
    assert out[1]["Error"]["Code"] == "DuplicateItem" and out[1]["TableName"] == "texts"
    assert out[2]["Error"]["Code"] == "ValidationError" and "TableName" not in out[2]
    assert out[3]["Item"]["val"] == {"S": "here"} and stored(ddb, "w") is None


def test_equality_on_every_type_matches_condition_expressions(ddb):
    cases = [  # stored, equal (possibly reordered), different
        ({"SS": ["a", "b", "c"]}, {"SS": ["c", "a", "b"]}, {"SS": ["a", "b", "d"]}),
        ({"NS": ["1", "2", "3"]}, {"NS": ["3", "1", "2"]}, {"NS": ["1", "2", "4"]}),
        ({"BS": [b"\x01\x02", b"\x03"]}, {"BS": [b"\x03", b"\x01\x02"]}, {"BS": [b"\x01\x02", b"\x05"]}),
        ({"L": [{"S": "a"}, {"S": "b"}]}, {"L": [{"S": "a"}, {"S": "b"}]}, {"L": [{"S": "b"}, {"S": "a"}]}),
        ({"M": {"x": {"N": "1"}, "y": {"N": "2"}}}, {"M": {"y": {"N": "2"}, "x": {"N": "1"}}},
         {"M": {"x": {"N": "1"}, "y": {"N": "3"}}}),
        ({"B": b"\x01\x02\x03"}, {"B": b"\x01\x02\x03"}, {"B": b"\x01\x02\x04"}),
        ({"NULL": True}, {"NULL": True}, {"S": "not null"}),
    ]
    for i, (value, same, differs) in enumerate(cases):
        pk = {"S": f"cmp{i}"}
        ddb.put_item(TableName="texts", Item={"pk": pk, "val": value})
        for candidate, equal in ((same, True), (differs, False)):
            for op in ("=", "<>"):
                got = run(ddb, f"SELECT pk FROM texts WHERE pk = ? AND val {op} ?", pk, candidate)["Items"]
                try:
                    ddb.update_item(TableName="texts", Key={"pk": pk}, UpdateExpression="SET marker = :m",
                                    ConditionExpression=f"val {op} :v",
                                    ExpressionAttributeValues={":m": {"N": "1"}, ":v": candidate})
                    held = True
                except ClientError as err:
                    assert err.response["Error"]["Code"] == "ConditionalCheckFailedException"
                    held = False
                assert bool(got) == held == (equal == (op == "=")), (value, candidate, op)
    with pytest.raises(ClientError) as excinfo:
        run(ddb, "UPDATE texts SET touched = 'yes' WHERE pk = 'cmp4' AND val = ?", {"M": {"x": {"N": "2"}}})
    assert error(excinfo)[0] == "ConditionalCheckFailedException"
    run(ddb, "UPDATE texts SET touched = 'yes' WHERE pk = 'cmp0' AND val = ?", {"SS": ["b", "c", "a"]})
    assert stored(ddb, "cmp0")["touched"] == {"S": "yes"} and "touched" not in stored(ddb, "cmp4")
    ordered = run(ddb, "SELECT pk FROM texts WHERE pk = 'cmp5' AND val < ?", {"B": b"\x01\x02\x04"})["Items"]
    assert ordered == [{"pk": {"S": "cmp5"}}]
    assert run(ddb, "SELECT pk FROM texts WHERE pk = 'cmp6' AND val < ?", {"N": "5"})["Items"] == []


def test_batch_capacity_rates_each_member(ddb):
    ddb.put_item(TableName="texts", Item={"pk": {"S": "b"}, "val": {"S": "b"}})

    def total(*consistent):
        statements = [{"Statement": "SELECT * FROM texts WHERE pk = ?", "Parameters": [{"S": pk}],
                       **({} if flag is None else {"ConsistentRead": flag})}
                      for pk, flag in zip(("i", "b"), consistent, strict=False)]
        out = ddb.batch_execute_statement(Statements=statements, ReturnConsumedCapacity="TOTAL")
        assert all("Item" in r for r in out["Responses"])
        return sum(c["CapacityUnits"] for c in out["ConsumedCapacity"])

    assert total(None) == 0.5 and total(False) == 0.5 and total(True) == 1.0
    assert total(True, None) == 1.5
    out = ddb.batch_execute_statement(Statements=[{"Statement": "UPDATE texts SET n = 1 WHERE pk = 'b'"}],
                                      ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == [{"TableName": "texts", "CapacityUnits": 1.0}]
    assert "ConsumedCapacity" not in ddb.batch_execute_statement(
        Statements=[{"Statement": "SELECT * FROM texts WHERE pk = 'b'"}])
