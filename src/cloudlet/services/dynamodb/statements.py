"""PartiQL operations: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction, run on the
same planned writes, transactions and Query/Scan pages as the item API."""

from __future__ import annotations

import base64

import orjson

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import (
    capacity,
    codec,
    key_conditions,
    partiql,
    reads,
    requests,
    storage,
    vectors,
)
from cloudlet.services.dynamodb import values as V
from cloudlet.services.dynamodb.errors import too_many, validation
from cloudlet.services.dynamodb.expressions import ast as A
from cloudlet.services.dynamodb.expressions.evaluate import matches
from cloudlet.services.dynamodb.expressions.projection import project
from cloudlet.services.dynamodb.items import Items, Write, plan, request_fingerprint, return_values
from cloudlet.services.dynamodb.schema import KeyDef, TableDef
from cloudlet.services.dynamodb.size import item_size
from cloudlet.services.dynamodb.tables import get_table
from cloudlet.store import Conn

MAX_BATCH = 25
MAX_TRANSACTION = 100


def _conjuncts(node) -> list:
    if node is None:
        return []
    if isinstance(node, A.And):
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _and(nodes: list):
    out = None
    for node in nodes:
        out = node if out is None else A.And(out, node)
    return out


def _equality(node, name: str) -> dict | None:
    """The value of a `name = value` condition (None when the node is not one)."""
    if isinstance(node, A.Compare) and node.op == "=":
        for path, value in ((node.left, node.right), (node.right, node.left)):
            if isinstance(path, A.Path) and path.elements == (name,) and isinstance(value, A.Value):
                return value.value
    return None


def _key_and_rest(table: TableDef, where) -> tuple[dict, object]:
    """Split a WHERE clause into the full primary key it names and the remaining condition."""
    key, rest = {}, []
    for node in _conjuncts(where):
        matched = False
        for name in table.key.names:
            value = _equality(node, name)
            if value is not None and name not in key:
                key[name] = value
                matched = True
                break
        if not matched:
            rest.append(node)
    if set(key) != set(table.key.names):
        raise validation("Where clause does not contain a mandatory equality on all key attributes")
    return key, _and(rest)


def _sort_key_part(node, key: KeyDef):
    if not key.sk:
        return None
    path = A.Path((key.sk,))
    if isinstance(node, A.Compare) and node.op in ("=", "<", "<=", ">", ">=") and node.left == path \
            and isinstance(node.right, A.Value) and V.type_of(node.right.value) == key.sk_type:
        return node
    if isinstance(node, A.Between) and node.operand == path and isinstance(node.low, A.Value) \
            and isinstance(node.high, A.Value) and V.type_of(node.low.value) == key.sk_type == V.type_of(node.high.value):
        return node
    if isinstance(node, A.Function) and node.name == "begins_with" and node.args[0] == path \
            and isinstance(node.args[1], A.Value) and V.type_of(node.args[1].value) == key.sk_type in ("S", "B"):
        return node
    return None


def _token(key: dict, scope: str) -> str:
    """A NextToken: the page's last key, bound to the table or index it was read from."""
    return base64.b64encode(codec.dumps({"key": key, "scope": scope})).decode()


def _untoken(token: str, scope: str) -> dict:
    try:
        data = orjson.loads(base64.b64decode(token))
        if data["scope"] == scope:
            return codec.restore(data["key"])
    except Exception:
        pass
    raise validation("Invalid NextToken")


class Statements:
    def __init__(self, items: Items) -> None:
        self.items = items
        self.store = items.store

    # ExecuteStatement

    def execute_statement(self, ctx, params: dict) -> dict:
        stmt = partiql.parse(params["Statement"], params.get("Parameters"))
        _refuse_exists_outside_transaction(stmt)
        if stmt.kind == "SELECT":
            with self.store.read() as conn:
                return self._select(conn, ctx, stmt, params)
        with self.store.tx() as conn:
            write = self._plan(conn, ctx, stmt, params.get("ReturnValuesOnConditionCheckFailure"))
            try:
                old, _, new = self.items.apply_one(conn, write)
            except AWSError as err:
                raise _duplicate(stmt, err) from None
        out: dict = {"Items": []}
        if stmt.returning:
            attributes = return_values(stmt.returning, old, new, write.exprs.update)
            if attributes:
                out["Items"] = [attributes]
        return out

    def _select(self, conn: Conn, ctx, stmt: partiql.Statement, params: dict) -> dict:
        table = get_table(conn, ctx, stmt.table)
        index = _readable_index(table, stmt.index)
        key = index.key if index else table.key
        conjuncts = _conjuncts(stmt.where)
        _check_overlap(key, stmt.where)
        if index is not None:
            _check_projected(table, index, stmt, conjuncts, bool(params.get("ConsistentRead")))
        scope = f"{table.id}/{index.name if index else ''}"
        page_params: dict = {"ConsistentRead": params.get("ConsistentRead"),
                             "ReturnConsumedCapacity": params.get("ReturnConsumedCapacity"),
                             "ScanIndexForward": not stmt.descending}
        if params.get("Limit"):
            page_params["Limit"] = params["Limit"]
        if params.get("NextToken"):
            page_params["ExclusiveStartKey"] = _untoken(params["NextToken"], scope)
        pk_part = next((c for c in conjuncts if _equality(c, key.pk) is not None
                        and V.type_of(_equality(c, key.pk)) == key.pk_type), None)
        if pk_part is not None:
            sk_part = next((c for c in conjuncts if _sort_key_part(c, key)), None)
            condition = A.Compare("=", A.Path((key.pk,)), A.Value(_equality(pk_part, key.pk)))
            exprs = requests.Expressions(key_condition=_and([condition, sk_part] if sk_part else [condition]),
                                         filter=stmt.where, projection=stmt.projection, filter_on_index=True)
            page = reads.run_query(conn, table, index, exprs, page_params)
        else:
            exprs = requests.Expressions(filter=stmt.where, projection=stmt.projection, filter_on_index=True)
            page = reads.run_scan(conn, table, index, exprs, page_params)
        out: dict = {"Items": page.get("Items", [])}
        if page.get("LastEvaluatedKey"):
            out["NextToken"] = _token(page["LastEvaluatedKey"], scope)
            out["LastEvaluatedKey"] = page["LastEvaluatedKey"]
        if page.get("ConsumedCapacity"):
            out["ConsumedCapacity"] = page["ConsumedCapacity"]
        return out

    def _plan(self, conn: Conn, ctx, stmt: partiql.Statement, return_on_failure: str | None,
              position: int = 0) -> Write:
        table = get_table(conn, ctx, stmt.table)
        exists = A.Function("attribute_exists", (A.Path((table.key.pk,)),))
        if stmt.kind == "EXISTS":
            if stmt.index:
                raise validation("Index is not supported in this operation")
            key, rest = _key_and_rest(table, stmt.where)
            if rest is None:
                raise _in_transaction(position, "EXISTS() must contain a single item read with additional condition")
            condition = _and([exists, rest])
            return plan(table, "ConditionCheck", key, requests.Expressions(condition=condition), return_on_failure)
        if stmt.kind == "INSERT":
            missing = A.Function("attribute_not_exists", (A.Path((table.key.pk,)),))
            return plan(table, "Put", stmt.item, requests.Expressions(condition=missing), return_on_failure)
        if stmt.index:
            raise validation("This operation is not supported on an index")
        key, rest = _key_and_rest(table, stmt.where)
        if stmt.kind == "DELETE":
            return plan(table, "Delete", key, requests.Expressions(condition=rest), return_on_failure)
        actions = []
        for action in stmt.actions:
            fn = partiql.set_function(action.value)
            if fn is None:
                actions.append(action)
                continue
            if fn.path != action.path or not isinstance(fn.value, A.Value):
                raise validation(f"Unsupported operation: {fn.name} must update the attribute it reads")
            actions.append(A.UpdateAction("ADD" if fn.name == "set_add" else "DELETE", action.path, fn.value))
        exprs = requests.Expressions(condition=_and([exists, rest] if rest else [exists]), update=A.Update(tuple(actions)))
        return plan(table, "Update", key, exprs, return_on_failure)

    def _get(self, conn: Conn, ctx, stmt: partiql.Statement, where: str) -> tuple[TableDef, dict | None, int]:
        """A SELECT naming one full primary key (as batches and transactions require): the table, the
        item (None: absent or filtered out) and the stored item's size."""
        table = get_table(conn, ctx, stmt.table)
        needs_key = validation(f"Select statements within {where} must specify the primary key in the where clause.")
        if stmt.index:
            if where == "ExecuteTransaction":
                raise validation("Reads on indices are not supported within transactions.")
            _readable_index(table, stmt.index)
            raise needs_key
        try:
            key, rest = _key_and_rest(table, stmt.where)
        except AWSError:
            raise needs_key from None
        if any(isinstance(c, A.Function) for c in _conjuncts(rest)):
            raise needs_key
        pk, sk = table.check_key(V.normalize_item(key, "key"))
        item, size = storage.get_item_sized(conn, table, pk, sk)
        if item is not None and rest is not None and not matches(item, rest):
            item = None
        if item is not None and stmt.projection:
            item = project(item, stmt.projection)
        return table, item, size

    # BatchExecuteStatement

    def batch_execute_statement(self, ctx, params: dict) -> dict:
        entries = params["Statements"]
        if len(entries) > MAX_BATCH:
            raise too_many("statements", MAX_BATCH)
        parsed: list = []
        for entry in entries:  # a statement that does not parse fails alone
            try:
                parsed.append(partiql.parse(entry["Statement"], entry.get("Parameters")))
            except AWSError as err:
                parsed.append(err)
        kinds = {"read" if s.kind == "SELECT" else "write" for s in parsed if not isinstance(s, AWSError)}
        if len(kinds) > 1:
            raise validation("Unsupported operation: Mixing read and write statements is not supported in a batch")
        for stmt in parsed:
            if not isinstance(stmt, AWSError):
                _refuse_exists_outside_transaction(stmt)
        responses = []
        consumed: dict[str, float] = {}  # table name -> capacity units, each member at its own rate
        for entry, stmt in zip(entries, parsed, strict=True):
            if isinstance(stmt, AWSError):
                responses.append({"Error": _batch_error(stmt)})
                continue
            try:
                if stmt.kind == "SELECT":
                    with self.store.read() as conn:
                        table, item, size = self._get(conn, ctx, stmt, "BatchExecuteStatement")
                    units = capacity.read_units(size, bool(entry.get("ConsistentRead")))
                    consumed[table.name] = consumed.get(table.name, 0.0) + units
                    response = {"TableName": table.name}
                    if item is not None:
                        response["Item"] = item
                else:
                    with self.store.tx() as conn:
                        write = self._plan(conn, ctx, stmt, entry.get("ReturnValuesOnConditionCheckFailure"))
                        try:
                            old, _, new = self.items.apply_one(conn, write)
                        except AWSError as err:
                            raise _duplicate(stmt, err) from None
                    size = max(item_size(old) if old else 0, item_size(new) if new else 0)
                    consumed[write.table.name] = consumed.get(write.table.name, 0.0) + capacity.write_units(size)
                    response = {"TableName": write.table.name}
                    returned = return_values(stmt.returning, old, new, write.exprs.update) if stmt.returning else None
                    if returned:
                        response["Item"] = returned
            except AWSError as err:
                response = {"Error": _batch_error(err)}
                if err.code in ("ConditionalCheckFailedException", "DuplicateItemException"):
                    response["TableName"] = stmt.table  # only a statement that ran names its table
            responses.append(response)
        out: dict = {"Responses": responses}
        mode = params.get("ReturnConsumedCapacity")
        if mode in ("TOTAL", "INDEXES") and consumed:
            out["ConsumedCapacity"] = [capacity.report(mode, name, units) for name, units in consumed.items()]
        return out

    # ExecuteTransaction

    def execute_transaction(self, ctx, params: dict) -> dict:
        entries = params["TransactStatements"]
        parsed, kinds = _parse_statements(entries, "transactStatements", MAX_TRANSACTION, "a transaction")
        for i, stmt in enumerate(parsed):
            if stmt.returning:
                raise _in_transaction(i, "RETURNING clause is not supported in ExecuteTransaction.")
        if kinds == {"read"}:
            with self.store.tx() as conn:
                responses = []
                for i, stmt in enumerate(parsed):
                    try:
                        _, item, _ = self._get(conn, ctx, stmt, "ExecuteTransaction")
                    except AWSError as err:
                        if err.code != "ValidationException":
                            raise
                        raise _in_transaction(i, err.message) from None
                    responses.append({"Item": item} if item is not None else {})
                return {"Responses": responses}
        token = params.get("ClientRequestToken")
        fingerprint = request_fingerprint(entries)
        with self.store.tx() as conn:
            if token and self.items.replayed(conn, ctx, token, fingerprint):
                return _replayed(parsed, params.get("ReturnConsumedCapacity"))
            writes = [self._plan(conn, ctx, s, e.get("ReturnValuesOnConditionCheckFailure"), position=i)
                      for i, (s, e) in enumerate(zip(parsed, entries, strict=True))]
            olds, news = self.items.transact(conn, writes)
            if token:
                self.items.remember(conn, ctx, token, fingerprint)
        out: dict = {"Responses": []}
        consumed = capacity.transaction_report(params.get("ReturnConsumedCapacity"), writes, olds, news)
        if consumed:  # a write transaction names its units as write units
            out["ConsumedCapacity"] = [{**c, "WriteCapacityUnits": c["CapacityUnits"]} for c in consumed]
        return out


MAX_BRANCHES = 64  # OR branches examined for overlap; a larger WHERE runs as a scan unchecked


def _branches(node) -> list[list] | None:
    """The WHERE clause as OR branches of AND-ed conditions (None: too many to examine)."""
    if isinstance(node, A.Or):
        left, right = _branches(node.left), _branches(node.right)
        out = None if left is None or right is None else left + right
    elif isinstance(node, A.And):
        left, right = _branches(node.left), _branches(node.right)
        out = None if left is None or right is None else [a + b for a in left for b in right]
    else:
        out = [[node]]
    return out if out is not None and len(out) <= MAX_BRANCHES else None


def _check_overlap(key: KeyDef, where) -> None:
    """DynamoDB refuses a WHERE clause whose branches read overlapping sort-key ranges of one
    partition, when some branch bounds the sort key. A branch without the partition key, or with a
    sort-key condition that is not a range (NOT, <>, IN ...), makes the statement a scan, which is
    not checked."""
    branches = _branches(where) if where is not None and key.sk else None
    if branches is None or not any(_sort_key_part(node, key) for branch in branches for node in branch):
        return
    ranges: list[tuple[dict, tuple]] = []
    for branch in branches:
        partitions, bounds = [], (None, False, None, False)
        for node in branch:
            value = _equality(node, key.pk)
            if value is not None:
                partitions.append([value])
            elif isinstance(node, A.In) and node.operand == A.Path((key.pk,)) \
                    and all(isinstance(o, A.Value) for o in node.options):
                partitions.append([o.value for o in node.options])
            elif key.sk and key.sk in reads.top_level_names(node):
                if not _sort_key_part(node, key):
                    return
                try:
                    bounds = key_conditions.intersect(bounds, key_conditions.sort_bounds(node, key.sk_type))
                except AWSError:
                    return
        if len(partitions) != 1:
            return
        ranges += [(value, bounds) for value in partitions[0]]
    for i, (value, bounds) in enumerate(ranges):
        for other, other_bounds in ranges[i + 1:]:
            if V.equal(value, other) and key_conditions.overlap(bounds, other_bounds):
                raise validation("Overlapping conditions with range keys are not supported in where clause")


def _replayed(parsed: list, mode: str | None) -> dict:
    """The answer to a write transaction replayed with its ClientRequestToken: nothing runs again,
    and reading the stored outcome costs a transactional read (2 units) per statement."""
    out: dict = {"Responses": []}
    if mode in ("TOTAL", "INDEXES"):
        units: dict[str, float] = {}
        for stmt in parsed:
            units[stmt.table] = units.get(stmt.table, 0.0) + 2.0
        out["ConsumedCapacity"] = [{**capacity.report(mode, table, n), "ReadCapacityUnits": n}
                                   for table, n in units.items()]
    return out


def _in_transaction(position: int, message: str) -> AWSError:
    return validation(f"Validation failed in TransactStatements[{position}]: {message}")


def _check_projected(table: TableDef, index, stmt: partiql.Statement, conjuncts: list, consistent: bool) -> None:
    """A read of an index: no strongly consistent GSI reads, and only attributes the index holds. A
    filter is checked only when the read is keyed (equality or IN on the index partition key at the
    top level); unkeyed, the read scans the index and a filter on what it lacks matches nothing."""
    if consistent and index.kind == "GSI":
        raise validation("Strongly consistent read is not supported on Global Secondary Indexes")
    projected = index.projects(table.key)
    if projected is None:
        return
    hash_key = A.Path((index.key.pk,))
    keyed = any(_equality(c, index.key.pk) is not None or (isinstance(c, A.In) and c.operand == hash_key)
                for c in conjuncts)
    missing = sorted(reads.top_level_names(stmt.where) - projected) if keyed else []
    if missing:
        raise validation(f"One or more parameter values were invalid: Secondary index {index.name} does not project "
                         f"one or more filter attributes: [{', '.join(missing)}]")
    if stmt.projection and index.kind == "GSI":
        wanted = list(dict.fromkeys(p.elements[0] for p in stmt.projection if p.elements[0] not in projected))
        if wanted:
            raise validation(f"One or more parameter values were invalid: Global secondary index {index.name} does not "
                             f"project [{', '.join(wanted)}]")


def _readable_index(table: TableDef, name: str | None):
    """The index a SELECT reads; PartiQL does not read a GSI with a multi-attribute key."""
    if name is not None and table.index(name) is None and not vectors.find(table, name):
        raise validation("The table does not have the specified index")  # unlike Query, without the name
    index = reads.index_of(table, name)
    if index is not None and index.key.multi:
        raise validation("PartiQL statements cannot be executed on tables with multi-attribute HASH keys or "
                         "multi-attribute RANGE keys.")
    return index


def _refuse_exists_outside_transaction(stmt: partiql.Statement) -> None:
    if stmt.kind == "EXISTS":
        raise validation("Unsupported operation: EXISTS is only supported in transactions")


def _duplicate(stmt: partiql.Statement, err: AWSError) -> AWSError:
    if stmt.kind == "INSERT" and err.code == "ConditionalCheckFailedException":
        return AWSError("DuplicateItemException", "Duplicate primary key exists in table", 400)
    return err


def _batch_error(err: AWSError) -> dict:
    code = {
        "ConditionalCheckFailedException": "ConditionalCheckFailed",
        "DuplicateItemException": "DuplicateItem",
        "ResourceNotFoundException": "ResourceNotFound",
    }.get(err.code, "ValidationError")
    # ReturnValuesOnConditionCheckFailure is accepted on a batch member but returns no Item, as in DynamoDB.
    return {"Code": code, "Message": err.message}


def _parse_statements(entries: list, member: str, limit: int, where: str) -> tuple[list, set[str]]:
    """Parse a batch's or transaction's statements; all must read or all must write."""
    if len(entries) > limit:
        raise too_many(member, limit)
    parsed = []
    for i, entry in enumerate(entries):
        parameters = partiql.checked_parameters(entry.get("Parameters"))
        try:
            parsed.append(partiql.parse_checked(entry["Statement"], parameters))
        except AWSError as err:  # the statement's own errors name its position
            raise _in_transaction(i, err.message) from None
    kinds = {"read" if s.kind == "SELECT" else "write" for s in parsed}
    if len(kinds) > 1:
        raise validation(f"Unsupported operation: Mixing read and write statements is not supported in {where}")
    return parsed, kinds
