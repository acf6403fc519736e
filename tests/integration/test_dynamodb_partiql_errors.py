"""PartiQL refusals with boto3, message by message: grammar (leftover tokens, aliases, comments,
literals), number literals and parameters, FROM paths and index reads, functions, set_add /
set_delete, RETURNING, and how batches and transactions report a statement's error."""

import pytest
from botocore.exceptions import ClientError
from ddb_helpers import error

MALFORMED = "Statement wasn't well formed, can't be processed: "
LEFTOVER = MALFORMED + "Unexpected token after expression"
OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
UNCONVERTIBLE = "The parameter cannot be converted to a numeric value"
NESTED = ("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported "
          "limit")


def _s(*names):
    return [{"AttributeName": n, "AttributeType": "S"} for n in names]


@pytest.fixture
def ddb(cloudlet):
    client = cloudlet.client("dynamodb")
    client.create_table(TableName="words", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=_s("pk"), BillingMode="PAY_PER_REQUEST")
    client.create_table(TableName="nums", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "N"}],
                        BillingMode="PAY_PER_REQUEST")
    client.create_table(
        TableName="indexed", BillingMode="PAY_PER_REQUEST", AttributeDefinitions=_s("pk", "sk", "g", "g2", "l"),
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {"IndexName": "gsi-all", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "gsi-inc", "KeySchema": [{"AttributeName": "g2", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["inc"]}},
        ],
        LocalSecondaryIndexes=[{"IndexName": "lsi-keys", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                      {"AttributeName": "l", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    )
    client.put_item(TableName="words", Item={"pk": {"S": "i"}, "ss": {"SS": ["a", "b"]}, "s": {"S": "str"}})
    return client


def refused(ddb, statement, message, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_statement(Statement=statement, **kwargs)
    assert error(excinfo) == ("ValidationException", message, 400), statement


def test_grammar_refusals(ddb):
    cases = [
        ("SELECT * FROM nums WHERE pk = 1 foo", LEFTOVER),
        ("SELECT * FROM nums WHERE pk = 1 e5", LEFTOVER),
        ("INSERT INTO nums VALUE {'pk': 970001} foo", LEFTOVER),
        ("UPDATE nums SET a = 9 WHERE pk = 970002 foo", LEFTOVER),
        ("DELETE FROM nums WHERE pk = 970003 foo", LEFTOVER),
        ("SELECT * FROM nums WHERE pk = 1)", LEFTOVER),
        ("DELETE FROM nums WHERE pk = 970004 ORDER BY pk", LEFTOVER),
        ("SELECT * FROM nums ORDER BY pk WHERE pk = 1", LEFTOVER),
        ('INSERT INTO "words" t VALUE {\'pk\': \'x\'}', LEFTOVER),
        ("SELECT * FROM nums WHERE", MALFORMED + "Unexpected term"),
        ("SELECT * FROM nums WHERE;", MALFORMED + "Unexpected term"),
        ("SELECT pk FROM nums WHERE   ", MALFORMED + "Unexpected term"),
        ("UPDATE nums SET a = 1 WHERE", MALFORMED + "Unexpected term"),
        ("DELETE FROM nums WHERE", MALFORMED + "Unexpected term"),
        ("SELECT * FROM nums WHERE NOT", MALFORMED + "Unexpected term"),
        ("SELECT * FROM nums WHERE (", MALFORMED + "Unexpected term"),
        ("SELECT * FROM absent WHERE", MALFORMED + "Unexpected term"),
        ("SELECT * FROM", MALFORMED + "Unexpected term"),
        ("SELECT * FROM nums WHERE pk = 1 AND", MALFORMED + "Missing right-hand side expression of infix operator"),
        ("SELECT * FROM nums WHERE pk = 1 OR", MALFORMED + "Missing right-hand side expression of infix operator"),
        ("SELECT * FROM nums WHERE ORDER BY pk", MALFORMED + "Unexpected keyword"),
        ("SELECT * FROM nums WHERE pk = 1 AND x IS FOO", MALFORMED + "Expected type name"),
        ("SELECT * FROM nums WHERE IS NULL", MALFORMED + "Unexpected operator"),
        ("SELECT * FROM nums WHERE pk = LIKE", MALFORMED + "Unexpected operator"),
        ("DELETE FROM", MALFORMED + "Expected identifier for simple path"),
        ("DELETE FROM;", MALFORMED + "Expected identifier for simple path"),
        ("DELETE FROM WHERE pk = 1", MALFORMED + "Expected identifier for simple path"),
        ("FROM nums SET c = 1", "Where clause does not contain a mandatory equality on all key attributes"),
        ("FROM nums REMOVE a", "Where clause does not contain a mandatory equality on all key attributes"),
        ("FROM nums WHERE a = 1 SET c = 1", "Where clause does not contain a mandatory equality on all key attributes"),
        ("FROM nums SET c = 1 WHERE pk = 1", LEFTOVER),
        ("FROM nums SET c = 1 WHERE pk = 1 SET d = 2", LEFTOVER),
        ("SLECT * FROM nums", MALFORMED + "Expected data manipulation"),
        ("x IS INT4", "Unsupported operation: IsType"),
        ("x IS DOUBLE PRECISION", "Unsupported operation: IsType"),
        ("x IS CHARACTER VARYING", "Unsupported operation: IsType"),
        ("SELECT * FROM nums WHERE pk = 1e2147483648", MALFORMED),
        ("SELECT * FROM nums WHERE pk = 1e99999999999", MALFORMED),
        ("SELECT * FROM nums WHERE pk = 1.5e-2147483647", MALFORMED),
        ("SELECT * FROM nums WHERE pk = 1 # note", MALFORMED),
        ("SELECT * FROM nums WHERE pk = 1 /* note", MALFORMED),
        ('SELECT * FROM "words', MALFORMED),
        ("SELECT * FROM words t WHERE pk = 'x'", "Aliasing is not supported"),
        ("SELECT * FROM words AS t WHERE pk = 'x'", "Aliasing is not supported"),
        ("UPDATE words t SET a = 3 WHERE pk = 'x'", "Aliasing is not supported"),
        ("DELETE FROM words t WHERE pk = 'x'", "Aliasing is not supported"),
        ("SELECT * FROM nums WHERE pk = 1e126", OVERFLOW + " under root"),
        ("SELECT * FROM nums WHERE pk = 1e-131", UNDERFLOW + " under root"),
        ("SELECT * FROM nums WHERE pk = 123456789012345678901234567890123456789",
         "Attempting to store more than 38 significant digits in a Number under root"),
        ("INSERT INTO nums VALUE {'pk': 1e126}", OVERFLOW + " under root"),
        ("UPDATE nums SET a = 1e-131 WHERE pk = 970005", UNDERFLOW + " under root"),
        ("INSERT INTO nums VALUE {'pk': 970006, 'm': {'x': 1e126}}", OVERFLOW + " under root.x"),
        ("INSERT INTO nums VALUE {'pk': 970007, 'l': [1, 1e126]}", OVERFLOW + " under root[1]"),
    ]
    for statement, message in cases:
        refused(ddb, statement, message)
    for condition in ("x = '1'", "x <> '1'"):
        refused(ddb, f"SELECT * FROM indexed WHERE pk = 'a' AND {condition} OR pk = 'a' AND sk = '2'",
                "Overlapping conditions with range keys are not supported in where clause")
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_transaction(TransactStatements=[{"Statement": "SELECT * FROM nums WHERE"}])
    assert error(excinfo) == ("ValidationException", "Validation failed in TransactStatements[0]: " + MALFORMED +
                              "Unexpected term", 400)
    out = ddb.batch_execute_statement(Statements=[{"Statement": "SELECT * FROM nums WHERE"}])["Responses"]
    assert out == [{"Error": {"Code": "ValidationError", "Message": MALFORMED + "Unexpected term"}}]
    for condition in ("x IS INT4", "x IS DOUBLE PRECISION", "x IS CHARACTER VARYING", "x IS NOT NULL"):
        assert ddb.execute_statement(Statement=f"SELECT * FROM nums WHERE pk = 1 AND {condition};")["Items"] == []
    # comments are allowed
    assert ddb.execute_statement(Statement="SELECT * FROM words WHERE pk = 'i' /* c */ -- trailing")["Items"]
    assert ddb.scan(TableName="nums")["Count"] == 0


def test_number_parameters(ddb):
    positions = ["SELECT * FROM words WHERE pk = 'i' AND n = ?", "INSERT INTO words VALUE {'pk': 'x', 'n': ?}",
                 "UPDATE words SET n = ? WHERE pk = 'i'", "SELECT * FROM nums WHERE pk = ?"]
    values = [(v, f"{UNCONVERTIBLE}: {v}") for v in
              ("1e99999999999", "-1e99999999999", "1e-99999999999", "1e2147483648", "1e-2147483648", "abc")]
    values += [("1e2147483647", UNDERFLOW), ("", UNCONVERTIBLE), ("1e126", OVERFLOW)]
    for statement in positions:
        for value, message in values:
            refused(ddb, statement, message, Parameters=[{"N": value}])
    where = positions[0]
    for parameter in ({"L": [{"N": "1"}, {"N": "1e99999999999"}]}, {"M": {"x": {"N": "1e99999999999"}}},
                      {"NS": ["1", "1e99999999999"]}):
        refused(ddb, where, f"{UNCONVERTIBLE}: 1e99999999999", Parameters=[parameter])

    def deep(depth, leaf):
        for _ in range(depth):
            leaf = {"M": {"n": leaf}}
        return leaf

    pair = "SELECT * FROM words WHERE pk = 'i' AND x = ? AND y = ?"
    single = "SELECT * FROM words WHERE pk = 'i' AND x = ?"
    bad = {"N": "abc"}
    for statement, parameters, message in [
        (pair, [deep(40, {"S": "s"}), bad], NESTED),
        (pair, [bad, deep(40, {"S": "s"})], f"{UNCONVERTIBLE}: abc"),
        (single, [{"M": {"d": deep(40, {"S": "s"}), "bad": bad}}], NESTED),
        (single, [{"M": {"bad": bad, "d": deep(40, {"S": "s"})}}], f"{UNCONVERTIBLE}: abc"),
        (single, [deep(40, bad)], NESTED),
        (pair, [deep(100, {"S": "s"}), {"N": "1e126"}], NESTED),
    ]:
        refused(ddb, statement, message, Parameters=parameters)
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_transaction(TransactStatements=[{"Statement": positions[2], "Parameters": [{"N": "1e99999999999"}]}])
    assert error(excinfo) == ("ValidationException", f"{UNCONVERTIBLE}: 1e99999999999", 400)
    out = ddb.batch_execute_statement(Statements=[
        {"Statement": "SELECT * FROM words WHERE pk = 'i' AND n = ?", "Parameters": [{"N": "1e99999999999"}]},
        {"Statement": "SELECT * FROM words WHERE pk = 'i'"},
    ])["Responses"]
    assert out[0]["Error"] == {"Code": "ValidationError", "Message": f"{UNCONVERTIBLE}: 1e99999999999"}
    assert out[1]["Item"]["pk"] == {"S": "i"}
    assert ddb.get_item(TableName="words", Key={"pk": {"S": "i"}})["Item"].get("n") is None


def test_from_paths_and_index_reads(ddb):
    cases = [
        ('SELECT * FROM "indexed"."no-such-index" WHERE pk = \'p\'', "The table does not have the specified index"),
        ('SELECT * FROM "indexed"."indexed" WHERE pk = \'p\'', "The table does not have the specified index"),
        ('SELECT * FROM "indexed"."gsi-all"."extra" WHERE pk = \'p\'',
         "A path may contain at most 2 components in the FROM clause"),
        ('SELECT * FROM "indexed"."" WHERE pk = \'p\'', "Path component cannot be an empty string"),
        ('SELECT * FROM "" WHERE pk = \'p\'', "Path component cannot be an empty string"),
        ('SELECT pk FROM "indexed"."gsi-inc" WHERE g2 = \'y\' AND np = \'v\'',
         "One or more parameter values were invalid: Secondary index gsi-inc does not project one or more filter "
         "attributes: [np]"),
        ('SELECT pk FROM "indexed"."lsi-keys" WHERE pk = \'p\' AND np = \'v\'',
         "One or more parameter values were invalid: Secondary index lsi-keys does not project one or more filter "
         "attributes: [np]"),
        ('SELECT np FROM "indexed"."gsi-inc" WHERE g2 = \'y\'',
         "One or more parameter values were invalid: Global secondary index gsi-inc does not project [np]"),
    ]
    for statement, message in cases:
        refused(ddb, statement, message)
    refused(ddb, 'SELECT * FROM "indexed"."gsi-all" WHERE g = \'x\'',
            "Strongly consistent read is not supported on Global Secondary Indexes", ConsistentRead=True)
    # the operand check needs no table
    for table in ("words", "absent"):
        refused(ddb, f"SELECT pk FROM {table} WHERE pk = ? AND val < ?",
                "Incorrect operand type for operator or function; operator or function: <, operand type: BOOL",
                Parameters=[{"S": "x"}, {"BOOL": True}])
    unordered = [{"BOOL": True}, {"NULL": True}, {"L": [{"S": "a"}]}, {"M": {"a": {"S": "b"}}}, {"SS": ["a"]},
                 {"NS": ["1"]}, {"BS": [b"\x01"]}]
    for op in ("<", "<=", ">", ">="):
        for value in unordered:
            refused(ddb, f"SELECT pk FROM words WHERE pk = 'i' AND val {op} ?",
                    "Incorrect operand type for operator or function; operator or function: "
                    f"{op}, operand type: {next(iter(value))}", Parameters=[value])
    refused(ddb, "SELECT pk FROM words WHERE pk = 'i' AND val BETWEEN ? AND ?",
            "Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: BOOL",
            Parameters=[{"BOOL": True}, {"BOOL": False}])
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_statement(Statement="SELECT pk FROM absent WHERE pk = ?", Parameters=[{"S": "x"}])
    assert error(excinfo)[0] == "ResourceNotFoundException"
    # ORDER BY the sort key, on the table or an index
    for sk in ("b", "c", "a"):
        ddb.put_item(TableName="indexed", Item={"pk": {"S": "p"}, "sk": {"S": sk}, "l": {"S": sk}})
    for statement, want in [
        ("SELECT sk FROM indexed WHERE pk = 'p' ORDER BY sk DESC", ["c", "b", "a"]),
        ("SELECT sk FROM indexed WHERE pk = 'p' ORDER BY sk ASC", ["a", "b", "c"]),
        ('SELECT sk FROM "indexed"."lsi-keys" WHERE pk = \'p\' ORDER BY l DESC', ["c", "b", "a"]),
    ]:
        out = ddb.execute_statement(Statement=statement)["Items"]
        assert [i["sk"]["S"] for i in out] == want, statement


def test_functions_and_set_updates(ddb):
    def where(condition):
        return f"SELECT * FROM words WHERE pk = 'i' AND {condition}"

    def update(assignment):
        return f"UPDATE words SET {assignment} WHERE pk = 'i'"

    def at(statement, token, start=0):
        return f"1:{statement.index(token, start) + 1}:{len(token)}"

    need_path = "Operator or function requires a document path; operator or function: attribute_exists"
    operands = "Incorrect number of operands for operator or function; operator or function: attribute_exists, " \
               "number of operands: {}"
    wrong_type = "An operand in the update expression has an incorrect data type"
    projection = "SELECT attribute_exists(ss) FROM words WHERE pk = 'i'"
    cases = [
        (where("attribute_exists('ss')"), need_path),
        (where("attribute_exists()"), operands.format(0)),
        (where("attribute_exists(ss, s)"), operands.format(2)),
        (projection, f"Unexpected path component at {at(projection, 'attribute_exists')}"),
        (where("EXISTS(ss)"), f"Unrecognized function: exists at {at(where('EXISTS(ss)'), 'EXISTS')}"),
        (where("set_add(ss, <<'x'>>) = ss"), f"Unrecognized function: set_add at {at(where('set_add(ss'), 'set_add')}"),
        (update("ss = set_add(ss, <<1>>)"), wrong_type),
        (update("s = set_add(s, <<'x'>>)"), wrong_type),
        (update("ss = set_delete(ss, <<1>>)"), wrong_type),
        (update("ss = set_add(ss, <<'x', 'x'>>)"),
         "One or more parameter values were invalid: Input collection [x, x] contains duplicates."),
        (update("ss = set_add(ss, <<>>)"), "Empty bags are not supported"),
    ]
    for name in ("set_add", "set_delete"):
        label = name.upper()
        for assignment, kind in [(f"t = {name}(ss, <<'x'>>)", "first"), (f"ss = {name}(<<'a'>>, <<'b'>>)", "first"),
                                 (f"ss = {name}(ss, 'x')", "second"), (f"ss = {name}(ss, ['x'])", "second"),
                                 (f"ss = {name}(ss)", "count"), (f"ss = {name}(ss, <<'x'>>, <<'y'>>)", "count")]:
            statement = update(assignment)
            if kind == "first":
                message = f"The first argument to {label} must equal the assignment value at {at(statement, name)}"
            elif kind == "second":  # placed at the first argument
                message = (f"The second argument to {label} must be a value with type SET at "
                           f"{at(statement, 'ss', statement.index(name))}")
            else:
                message = f"{label} must have exactly two arguments at {at(statement, name)}"
            cases.append((statement, message))
    insert = "INSERT INTO words VALUE {'pk': 'n', 'ss': set_add(<<'a'>>, <<'b'>>)}"
    cases.append((insert, f"Unsupported data type: set_add under key root at {at(insert, 'set_add')}"))
    for statement, message in cases:
        refused(ddb, statement, message)
    refused(ddb, where("attribute_exists(?)"), need_path, Parameters=[{"S": "ss"}])
    assert ddb.get_item(TableName="words", Key={"pk": {"S": "i"}})["Item"] == {
        "pk": {"S": "i"}, "ss": {"SS": ["a", "b"]}, "s": {"S": "str"}}
    assert ddb.scan(TableName="words")["Count"] == 1


def test_returning_batches_and_transactions(ddb):
    for clause in ("MODIFIED OLD", "ALL NEW", "MODIFIED NEW"):
        refused(ddb, f"DELETE FROM words WHERE pk = 'i' RETURNING {clause} *",
                f"Invalid returning clause: RETURNING {clause} *. Only RETURNING ALL OLD * is allowed in DELETE "
                "statements.")
    needs_key = "Select statements within {} must specify the primary key in the where clause."
    out = ddb.batch_execute_statement(Statements=[
        {"Statement": "SELECT * FROM words WHERE pk = 'i' AND attribute_exists(ss)"},
        {"Statement": "SELECT * FROM words WHERE s = 'str'"},
        {"Statement": 'SELECT * FROM "indexed"."gsi-all" WHERE g = \'x\''},
        {"Statement": "SLECT * FROM words WHERE pk = 'i'"},
        {"Statement": "SELECT * FROM words WHERE pk = 'i'"},
    ])["Responses"]
    assert [r.get("Error") for r in out[:4]] == [
        {"Code": "ValidationError", "Message": needs_key.format("BatchExecuteStatement")}] * 3 + [
        {"Code": "ValidationError", "Message": MALFORMED + "Expected data manipulation"}]
    assert out[4]["Item"]["pk"] == {"S": "i"}
    out = ddb.batch_execute_statement(Statements=[
        {"Statement": "UPDATE words SET s = 'new' WHERE pk = 'i' RETURNING MODIFIED NEW *"},
        {"Statement": "DELETE FROM words WHERE pk = 'gone' RETURNING MODIFIED OLD *"},
    ])["Responses"]
    assert out[0] == {"TableName": "words", "Item": {"s": {"S": "new"}}}
    assert out[1]["Error"]["Message"].startswith("Invalid returning clause: RETURNING MODIFIED OLD *.")
    transaction_cases = [
        (["UPDATE words SET s = 'v' WHERE pk = 'i' RETURNING ALL NEW *"],
         "RETURNING clause is not supported in ExecuteTransaction."),
        (['SELECT * FROM "indexed"."gsi-all" WHERE g = \'x\''], "Reads on indices are not supported within transactions."),
        (["SELECT * FROM words WHERE pk = 'i' AND attribute_exists(ss)"], needs_key.format("ExecuteTransaction")),
        (["EXISTS(SELECT * FROM words WHERE pk = 'i')", "UPDATE words SET z = 1 WHERE pk = 'i'"],
         "EXISTS() must contain a single item read with additional condition"),
    ]
    for statements, message in transaction_cases:
        with pytest.raises(ClientError) as excinfo:
            ddb.execute_transaction(TransactStatements=[{"Statement": s} for s in statements])
        assert error(excinfo) == ("ValidationException", f"Validation failed in TransactStatements[0]: {message}",
                                  400), statements
    assert ddb.get_item(TableName="words", Key={"pk": {"S": "i"}})["Item"]["s"] == {"S": "new"}


def test_index_qualified_reads_and_writes(ddb):
    rows = [("s1", "x", "y", "l1"), ("s2", "z", "y", "l2"), ("s3", None, None, None), ("s4", "x", "y", "l4")]
    for sk, g, g2, lsk in rows:
        item = {"pk": {"S": "p"}, "sk": {"S": sk}, "np": {"S": f"np-{sk}"}, "inc": {"S": f"inc-{sk}"}}
        for name, value in (("g", g), ("g2", g2), ("l", lsk)):
            if value:
                item[name] = {"S": value}
        ddb.put_item(TableName="indexed", Item=item)

    def sks(statement, **kwargs):
        return sorted(i["sk"]["S"] for i in ddb.execute_statement(Statement=statement, **kwargs)["Items"])

    assert sks('SELECT pk, sk FROM "indexed"."gsi-all" WHERE g = \'x\'') == ["s1", "s4"]
    # SELECT * is the index's own projection; an LSI reaches the table for a named attribute
    out = ddb.execute_statement(Statement='SELECT * FROM "indexed"."gsi-inc" WHERE g2 = \'y\'')["Items"]
    assert len(out) == 3 and all(sorted(i) == ["g2", "inc", "pk", "sk"] for i in out)
    out = ddb.execute_statement(Statement='SELECT * FROM "indexed"."lsi-keys" WHERE pk = \'p\'')["Items"]
    assert len(out) == 3 and all(sorted(i) == ["l", "pk", "sk"] for i in out)
    out = ddb.execute_statement(Statement='SELECT np FROM "indexed"."lsi-keys" WHERE pk = \'p\'',
                                ConsistentRead=True)["Items"]
    assert sorted(i["np"]["S"] for i in out) == ["np-s1", "np-s2", "np-s4"]
    # an unprojected filter is refused only on a keyed read; unkeyed the index scan lacks it
    for statement in ('SELECT pk FROM "indexed"."gsi-inc" WHERE g2 IN [\'y\', \'z\'] AND np = \'np-s1\'',
                      'SELECT pk FROM "indexed"."gsi-inc" WHERE g2 = \'y\' AND np IS NOT MISSING',
                      'SELECT pk FROM "indexed"."gsi-inc" WHERE g2 = \'y\' AND NOT np = \'np-s1\'',
                      'SELECT pk FROM "indexed"."lsi-keys" WHERE pk = \'p\' AND l BETWEEN \'l1\' AND \'l4\' '
                      'AND np = \'np-s1\''):
        with pytest.raises(ClientError) as excinfo:
            ddb.execute_statement(Statement=statement)
        assert error(excinfo)[1].endswith("does not project one or more filter attributes: [np]"), statement
    for statement, want in [
        ('SELECT pk, sk FROM "indexed"."gsi-inc" WHERE np = \'np-s1\'', []),
        ('SELECT pk, sk FROM "indexed"."lsi-keys" WHERE np = \'np-s1\'', []),
        ('SELECT pk, sk FROM "indexed"."lsi-keys" WHERE NOT np = \'np-s1\'', ["s1", "s2", "s4"]),
        ('SELECT pk, sk FROM "indexed"."gsi-inc" WHERE g2 = \'y\' AND inc = \'inc-s1\'', ["s1"]),
        ('SELECT pk, sk FROM "indexed"."gsi-inc" WHERE (g2 = \'y\' AND np = \'np-s1\') OR (g2 = \'y\' AND '
         'inc = \'inc-s2\')', ["s2"]),
    ]:
        assert sks(statement) == want, statement
    # a NextToken belongs to the index it was read from
    first = ddb.execute_statement(Statement='SELECT pk, sk FROM "indexed"."gsi-all" WHERE g = \'x\'', Limit=1)
    rest = ddb.execute_statement(Statement='SELECT pk, sk FROM "indexed"."gsi-all" WHERE g = \'x\'',
                                 NextToken=first["NextToken"])
    assert sorted(i["sk"]["S"] for i in first["Items"] + rest["Items"]) == ["s1", "s4"]
    with pytest.raises(ClientError) as excinfo:
        ddb.execute_statement(Statement='SELECT pk, sk FROM "indexed"."gsi-inc" WHERE g2 = \'y\'',
                              NextToken=first["NextToken"])
    assert error(excinfo)[0] == "ValidationException"
    # writes refuse a qualifier: INSERT at parse, UPDATE and DELETE once read
    for statement, message in [
        ('INSERT INTO "indexed"."gsi-all" VALUE {\'pk\': \'w\', \'sk\': \'w\'}',
         "FROM clause may only contain a single table name"),
        ('INSERT INTO "indexed"."nothing" VALUE {\'pk\': \'w\', \'sk\': \'w\'}',
         "FROM clause may only contain a single table name"),
        ('UPDATE "indexed"."gsi-all" SET inc = \'z\' WHERE pk = \'p\' AND sk = \'s1\'',
         "This operation is not supported on an index"),
        ('DELETE FROM "indexed"."gsi-all" WHERE pk = \'p\' AND sk = \'s1\'', "This operation is not supported on an index"),
    ]:
        refused(ddb, statement, message)
    assert sks("SELECT pk, sk FROM indexed WHERE pk = 'p'") == ["s1", "s2", "s3", "s4"]
    assert ddb.get_item(TableName="indexed", Key={"pk": {"S": "p"}, "sk": {"S": "s1"}})["Item"]["inc"] == {"S": "inc-s1"}
