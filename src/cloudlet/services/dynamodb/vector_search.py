"""SearchVectors: exact k-nearest-neighbour search over one vector index.

Every row of the index (of one HASH partition when the index has one) is scored; rows are filtered
by the SearchConditionExpression before ranking, as DynamoDB filters at the storage layer. Scores are
computed from the 32-bit vectors and rounded to 32 bits, as DynamoDB reports them; equal scores
rank in table key order. Only the returned items are read from the table.
"""

from __future__ import annotations

import heapq
import math
import operator
import struct

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb import codec, keys, storage, tables
from cloudlet.services.dynamodb.errors import validation
from cloudlet.services.dynamodb.expressions import ast as A
from cloudlet.services.dynamodb.expressions import parser as P
from cloudlet.services.dynamodb.expressions.evaluate import matches
from cloudlet.services.dynamodb.expressions.projection import project
from cloudlet.services.dynamodb.size import item_size
from cloudlet.services.dynamodb.vector_items import entry, to_f32
from cloudlet.services.dynamodb.vector_storage import candidates, unpack
from cloudlet.services.dynamodb.vectors import VectorIndex, find, phase
from cloudlet.store import Store

MAX_TOP_K = 100
_REQUIRED = {"TableName": "a string", "IndexName": "a string", "SearchVector": "a sequence", "TopK": "i32"}
_F32 = struct.Struct("<f")
_KIND = "SearchCondition"


def search_vectors(store: Store, ctx, params: dict) -> dict:
    top_k = params["TopK"]
    if not 1 <= top_k <= MAX_TOP_K:
        raise validation(f"Provided TopK value '{top_k}' is out of valid range. The value must be between 1 and "
                         f"{MAX_TOP_K} inclusive")
    query = _search_vector(params["SearchVector"])
    for member in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
        if params.get(member) == {}:
            raise validation(f"{member} must not be empty")
    attrs = P.Attributes(params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues"))
    condition = P.parse_condition(params.get("SearchConditionExpression"), attrs, _KIND)
    projection = P.parse_projection(params.get("ProjectionExpression"), attrs)
    attrs.check_unused()
    with store.read() as conn:
        table = tables.get_table(conn, ctx, params["TableName"])
        index = find(table, params["IndexName"])
        building = phase(next(d for d in table.vector_indexes if d["name"] == index.name)) if index else None
        if index is None or building == "allocating":
            raise validation(f"The table does not have the specified index: {params['IndexName']}")
        if building == "backfilling":
            raise validation(f"Cannot search backfilling vector index: {index.name}")
        if len(query) != index.dimensions:
            raise validation(f"Input search vector dimension {len(query)} does not match vector index dimension "
                             f"{index.dimensions}")
        part = _check_condition(index, condition)
        scored = _rank(index, query, top_k, condition,
                       candidates(conn, index, keys.encode(part) if part is not None else None))
        results = []
        for score, pk, sk in scored:
            item = storage.get_item(conn, table, pk, sk)
            view = entry(table, index, item)
            if view is None:
                continue
            if projection is None:
                view.pop(index.attribute, None)  # the vector is returned only when asked for
            else:
                view = project(view, projection)
            results.append({"Item": view, "Score": score})
    out: dict = {"SearchResults": results}
    if params.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        out["ConsumedCapacity"] = {"VectorSearchRequestBytes": float(_search_bytes(index, results))}
    return out


def check_request_shape(params: dict) -> None:
    """SearchVectors reads its body strictly before it validates a member: an explicit null for a
    required member is a SerializationException and a missing one a ValidationException, both in
    the deserializer's words (columns counted in the compact form of the body)."""
    body = codec.dumps(params).decode()
    for name, expected in _REQUIRED.items():
        if name in params and params[name] is None:
            column = body.index(f'"{name}":null') + len(f'"{name}":null')
            raise AWSError("SerializationException", f"invalid type: null, expected {expected} at line 1 column {column}",
                           400)
    for name in _REQUIRED:
        if name not in params:
            raise validation(f"missing field `{name}` at line 1 column {len(body)}")


def _search_vector(values: list) -> list[float]:
    out = []
    for value in values:
        number = to_f32(value["N"]) if isinstance(value, dict) and "N" in value else None
        if number is None:
            raise validation("Search vector contains invalid values. All values in the search vector must be a 32-bit "
                             "floating-point number attribute")
        out.append(number)
    return out


def _check_condition(index: VectorIndex, condition) -> dict | None:
    """Check a SearchConditionExpression against the index: equality over SearchSchema attributes,
    joined by AND, naming the HASH attribute when the index has one. Returns the HASH value."""
    if condition is None:
        if index.hash_key:
            raise validation("SearchConditionExpression must be provided when SearchSchema has a HASH key")
        return None
    comparisons = []

    def walk(node) -> None:
        if isinstance(node, A.And):
            walk(node.left)
            walk(node.right)
        elif isinstance(node, A.Compare):
            comparisons.append(node)
        else:
            raise P.invalid(_KIND, "Invalid comparator used in SearchConditionExpression")

    walk(condition)
    part = None
    for node in comparisons:
        path, value = (node.left, node.right) if isinstance(node.left, A.Path) else (node.right, node.left)
        if not isinstance(path, A.Path) or not isinstance(value, A.Value) or len(path.elements) != 1:
            raise P.invalid(_KIND, "Invalid comparator used in SearchConditionExpression")
        name = path.elements[0]
        if name not in index.schema_names:
            raise validation("SearchConditionExpression must not contain any attributes that is not in "
                             f"SearchSchema. Invalid attribute: {name}")
        if node.op != "=":
            raise P.invalid(_KIND, "Invalid comparator used in SearchConditionExpression")
        if name == index.hash_key:
            part = value.value
    if index.hash_key and part is None:
        raise validation("SearchConditionExpression must be provided when SearchSchema has a HASH key")
    return part


def score(distance: str, query: list[float], vector: tuple[float, ...], norms: float) -> float:
    """The score DynamoDB reports for a vector, rounded to 32 bits (`norms`: the product of both
    vectors' lengths; a zero vector has cosine distance 1 from everything)."""
    if distance == "EUCLIDEAN":
        value = math.dist(query, vector)
    else:
        dot = sum(map(operator.mul, query, vector))
        if distance == "DOT_PRODUCT":
            value = dot
        else:
            value = 1.0 - dot / norms if norms else 1.0
    return _F32.unpack(_F32.pack(value))[0]


def _rank(index: VectorIndex, query: list[float], top_k: int, condition, rows) -> list[tuple[float, bytes, bytes]]:
    """The k best (score, pk, sk) of the rows, best first; ties in table key order."""
    higher_is_better = index.distance == "DOT_PRODUCT"
    query_norm = math.hypot(*query)
    best: list = []
    for pk, sk, vec, norm, attrs in rows:
        if condition is not None and not matches(codec.loads(attrs), condition):
            continue
        value = score(index.distance, query, unpack(vec), query_norm * norm)
        # heap of the k best so far, the worst on top: ordered by (badness, key) reversed
        rank = (-value if higher_is_better else value, pk, sk)
        key = _Worst(rank)
        if len(best) < top_k:
            heapq.heappush(best, key)
        elif key.rank < best[0].rank:
            heapq.heapreplace(best, key)
    ordered = sorted(k.rank for k in best)
    return [(-r[0] if higher_is_better else r[0], r[1], r[2]) for r in ordered]


class _Worst:
    """Heap entry that puts the worst rank on top of Python's min-heap."""

    __slots__ = ("rank",)

    def __init__(self, rank: tuple) -> None:
        self.rank = rank

    def __lt__(self, other: _Worst) -> bool:
        return self.rank > other.rank


def _search_bytes(index: VectorIndex, results: list[dict]) -> int:
    """VectorSearchRequestBytes: the query vector and the returned entries, at least 1024."""
    return max(1024, 4 * index.dimensions + sum(item_size(r["Item"]) for r in results))

