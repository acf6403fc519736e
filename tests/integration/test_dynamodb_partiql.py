"""PartiQL with boto3: ExecuteStatement (SELECT / INSERT / UPDATE / DELETE with parameters),
BatchExecuteStatement and ExecuteTransaction."""

import pytest
from botocore.exceptions import ClientError
from ddb_helpers import error


@pytest.fixture
def ddb(cloudlet):
    client = cloudlet.client("dynamodb")
    client.create_table(
        TableName="music",
        KeySchema=[{"AttributeName": "artist", "KeyType": "HASH"}, {"AttributeName": "song", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "artist", "AttributeType": "S"},
                              {"AttributeName": "song", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def run(ddb, statement, *parameters, **kwargs):
    if parameters:
        kwargs["Parameters"] = list(parameters)
    return ddb.execute_statement(Statement=statement, **kwargs)


def all_pages(ddb, statement, limit):
    """Every item a SELECT returns, following its NextTokens page by page."""
    items, token = [], None
    while True:
        out = run(ddb, statement, Limit=limit, **({"NextToken": token} if token else {}))
        items += out["Items"]
        token = out.get("NextToken")
        if not token:
            return items


def test_insert_select_update_delete(ddb):
    run(ddb, "INSERT INTO music VALUE {'artist': 'A', 'song': 's1', 'year': 1999, 'tags': <<'x', 'y'>>, 'ok': TRUE}")
    run(ddb, 'INSERT INTO "music" VALUE {\'artist\': ?, \'song\': ?, \'year\': ?}',
        {"S": "A"}, {"S": "s2"}, {"N": "2005"})
    run(ddb, "INSERT INTO music VALUE {'artist': 'B', 'song': 's1', 'year': 2010}")
    with pytest.raises(ClientError) as excinfo:
        run(ddb, "INSERT INTO music VALUE {'artist': 'B', 'song': 's1'}")
    assert error(excinfo) == ("DuplicateItemException", "Duplicate primary key exists in table", 400)
    out = run(ddb, "SELECT song, year FROM music WHERE artist = ? AND year > 2000", {"S": "A"})
    assert out["Items"] == [{"song": {"S": "s2"}, "year": {"N": "2005"}}]
    out = run(ddb, "SELECT * FROM music WHERE year BETWEEN 1990 AND 2006")
    assert sorted((i["artist"]["S"], i["song"]["S"]) for i in out["Items"]) == [("A", "s1"), ("A", "s2")]
    out = run(ddb, "SELECT * FROM music WHERE artist = 'A' AND begins_with(song, 's') AND tags IS NOT MISSING")
    assert [i["song"]["S"] for i in out["Items"]] == ["s1"] and out["Items"][0]["ok"] == {"BOOL": True}
    out = run(ddb, "UPDATE music SET year = year + 1 SET plays = 0 REMOVE ok WHERE artist = 'A' AND song = 's1' "
                   "RETURNING ALL NEW *")
    assert out["Items"][0]["year"] == {"N": "2000"} and "ok" not in out["Items"][0]
    run(ddb, "UPDATE music SET tags = set_add(tags, <<'z'>>) WHERE artist = 'A' AND song = 's1'")
    item = ddb.get_item(TableName="music", Key={"artist": {"S": "A"}, "song": {"S": "s1"}})["Item"]
    assert sorted(item["tags"]["SS"]) == ["x", "y", "z"] and item["plays"] == {"N": "0"}
    with pytest.raises(ClientError) as excinfo:
        run(ddb, "UPDATE music SET year = 1 WHERE artist = 'nobody' AND song = 'x'")
    assert error(excinfo)[0] == "ConditionalCheckFailedException"
    with pytest.raises(ClientError) as excinfo:
        run(ddb, "DELETE FROM music WHERE artist = 'A' AND song = 's2' AND year = 1")
    assert error(excinfo)[0] == "ConditionalCheckFailedException"
    out = run(ddb, "DELETE FROM music WHERE artist = 'A' AND song = 's2' RETURNING ALL OLD *")
    assert out["Items"][0]["year"] == {"N": "2005"}
    assert ddb.scan(TableName="music")["Count"] == 2


def test_select_pages_with_next_token(ddb):
    for i in range(7):
        run(ddb, "INSERT INTO music VALUE {'artist': 'P', 'song': ?}", {"S": f"s{i}"})
    items = all_pages(ddb, "SELECT song FROM music WHERE artist = 'P'", limit=3)
    assert [i["song"]["S"] for i in items] == [f"s{i}" for i in range(7)]


def test_pages_of_any_table_name_and_binary_keys(ddb):
    # the token once lost its way when the table's name held a letter that names a type (B, L, M)
    ddb.create_table(TableName="Music-Library_B", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"},
                                                            {"AttributeName": "at", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                                           {"AttributeName": "at", "AttributeType": "B"}],
                     BillingMode="PAY_PER_REQUEST")
    for i in range(5):
        ddb.put_item(TableName="Music-Library_B", Item={"id": {"S": "x"}, "at": {"B": bytes([i, 255])}})
    items = all_pages(ddb, 'SELECT at FROM "Music-Library_B" WHERE id = \'x\'', limit=2)
    assert [i["at"]["B"] for i in items] == [bytes([i, 255]) for i in range(5)]


def test_statement_errors(ddb):
    cases = [
        "SELEC * FROM music",
        "SELECT * FROM music WHERE",
        "UPDATE music SET year = 1",
        "UPDATE music SET year = 1 WHERE artist = 'A'",
        "INSERT INTO music VALUE 'x'",
        "SELECT * FROM music WHERE artist = ?",
    ]
    for statement in cases:
        with pytest.raises(ClientError) as excinfo:
            run(ddb, statement)
        assert error(excinfo)[0] == "ValidationException" and error(excinfo)[2] == 400, statement
    with pytest.raises(ClientError) as excinfo:
        run(ddb, "SELECT * FROM nothere")
    assert error(excinfo)[0] == "ResourceNotFoundException"


def test_batch_execute_statement(ddb):
    out = ddb.batch_execute_statement(Statements=[
        {"Statement": "INSERT INTO music VALUE {'artist': 'A', 'song': 's1'}"},
        {"Statement": "INSERT INTO music VALUE {'artist': 'A', 'song': 's2'}"},
        {"Statement": "INSERT INTO music VALUE {'artist': 'A', 'song': 's1'}"},
    ])
    assert [r.get("Error", {}).get("Code") for r in out["Responses"]] == [None, None, "DuplicateItem"]
    out = ddb.batch_execute_statement(Statements=[
        {"Statement": "SELECT * FROM music WHERE artist = ? AND song = ?", "Parameters": [{"S": "A"}, {"S": "s2"}]},
        {"Statement": "SELECT * FROM music WHERE artist = 'A' AND song = 'zz'"},
    ])
    assert out["Responses"][0]["Item"]["song"] == {"S": "s2"} and "Item" not in out["Responses"][1]
    with pytest.raises(ClientError) as excinfo:
        ddb.batch_execute_statement(Statements=[
            {"Statement": "SELECT * FROM music WHERE artist = 'A' AND song = 's1'"},
            {"Statement": "DELETE FROM music WHERE artist = 'A' AND song = 's1'"},
        ])
    assert error(excinfo)[0] == "ValidationException"


def test_execute_transaction_is_atomic(ddb):
    run(ddb, "INSERT INTO music VALUE {'artist': 'A', 'song': 's1', 'n': 1}")
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": "UPDATE music SET n = n + 1 WHERE artist = 'A' AND song = 's1'"},
            {"Statement": "INSERT INTO music VALUE {'artist': 'A', 'song': 's1x'}"},
            {"Statement": "DELETE FROM music WHERE artist = 'A' AND song = 'missing' AND n = 5"},
        ])
    assert error(excinfo)[0] == "TransactionCanceledException"
    reasons = excinfo.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "None", "ConditionalCheckFailed"]
    assert ddb.scan(TableName="music")["Count"] == 1
    ddb.execute_transaction(TransactStatements=[
        {"Statement": "UPDATE music SET n = n + 1 WHERE artist = 'A' AND song = 's1'"},
        {"Statement": "INSERT INTO music VALUE {'artist': 'A', 'song': 's2'}"},
    ], ClientRequestToken="once")
    ddb.execute_transaction(TransactStatements=[
        {"Statement": "UPDATE music SET n = n + 1 WHERE artist = 'A' AND song = 's1'"},
        {"Statement": "INSERT INTO music VALUE {'artist': 'A', 'song': 's2'}"},
    ], ClientRequestToken="once")
    out = ddb.execute_transaction(TransactStatements=[
        {"Statement": "SELECT n FROM music WHERE artist = 'A' AND song = 's1'"},
        {"Statement": "SELECT * FROM music WHERE artist = 'A' AND song = 'none'"},
    ])
    assert out["Responses"] == [{"Item": {"n": {"N": "2"}}}, {}]


def test_exists_is_a_transaction_condition_check(ddb):
    run(ddb, "INSERT INTO music VALUE {'artist': 'A', 'song': 's1', 'n': 1}")
    check = "EXISTS(SELECT * FROM music WHERE artist = 'A' AND song = 's1' AND n = 1)"
    ddb.execute_transaction(TransactStatements=[
        {"Statement": check},
        {"Statement": "INSERT INTO music VALUE {'artist': 'A', 'song': 's2'}"},
    ])
    assert ddb.scan(TableName="music")["Count"] == 2
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": "EXISTS(SELECT * FROM music WHERE artist = 'A' AND song = 'missing' AND n = 1)"},
            {"Statement": "INSERT INTO music VALUE {'artist': 'A', 'song': 's3'}"},
        ])
    assert error(excinfo)[0] == "TransactionCanceledException"
    reasons = excinfo.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["ConditionalCheckFailed", "None"]
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": "EXISTS(SELECT * FROM music WHERE artist = ? AND song = ? AND n > ?)",
             "Parameters": [{"S": "A"}, {"S": "s1"}, {"N": "1"}]},
            {"Statement": "DELETE FROM music WHERE artist = 'A' AND song = 's2'"},
        ])
    assert [r["Code"] for r in excinfo.value.response["CancellationReasons"]] == ["ConditionalCheckFailed", "None"]
    assert ddb.scan(TableName="music")["Count"] == 2
    for bad in (lambda: run(ddb, check),
                lambda: ddb.batch_execute_statement(Statements=[{"Statement": check}])):
        with pytest.raises(ClientError) as excinfo:
            bad()
        assert error(excinfo)[0] == "ValidationException"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
