"""Vector indexes: their settings (CreateTable VectorIndexes, UpdateTable VectorIndexUpdates), the
checks DynamoDB makes of them, the phases of an index being built, and their descriptions.

A table keeps its vector indexes as plain dicts in `TableDef.vector_indexes`; `VectorIndex` reads one.
Items are checked and viewed by vector_items.py, which items an index holds is kept by
vector_storage.py, and SearchVectors runs in vector_search.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from cloudlet.aws.errors import AWSError
from cloudlet.services.dynamodb.errors import in_use, invalid_params, not_found, validation
from cloudlet.services.dynamodb.schema import TableDef

MAX_VECTOR_INDEXES = 5
MAX_DIMENSIONS = 4096


@dataclass(frozen=True)
class VectorIndex:
    """One vector index of a table, read from its stored settings."""

    name: str
    id: str
    attribute: str
    dimensions: int
    distance: str  # COSINE | EUCLIDEAN | DOT_PRODUCT
    projection: dict
    schema: tuple  # ((attribute name, HASH | INLINE_FILTER), ...)
    types: dict  # attribute type of each SearchSchema element, from AttributeDefinitions
    created: float

    @classmethod
    def of(cls, data: dict) -> VectorIndex:
        return cls(data["name"], data["id"], data["attribute"], int(data["dimensions"]), data["distance"],
                   data["projection"], tuple((n, k) for n, k in data.get("schema") or ()),
                   dict(data.get("types") or {}), float(data.get("created") or 0.0))

    @property
    def hash_key(self) -> str | None:
        return next((n for n, kind in self.schema if kind == "HASH"), None)

    @property
    def schema_names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.schema)

    def projected(self, table: TableDef) -> set[str] | None:
        """Attribute names the index holds (None: all of them)."""
        kind = self.projection.get("ProjectionType")
        if kind == "ALL":
            return None
        names = set(table.key.names) | set(self.schema_names) | {self.attribute}
        if kind == "INCLUDE":
            names |= set(self.projection.get("NonKeyAttributes") or [])
        return names


def phase(data: dict, now: float | None = None) -> str:
    """Where the build of an index added by UpdateTable is: allocating, backfilling or active."""
    now = time.time() if now is None else now
    if now < data.get("allocated_at", 0.0):
        return "allocating"
    if now < data.get("ready_at", 0.0):
        return "backfilling"
    return "active"


def delay_builds(table: TableDef, names: list[str], seconds: float) -> None:
    """Let the indexes just added take `seconds` to build, half allocating and half backfilling
    (their entries are written at once; the phases only govern what the index answers)."""
    now = time.time()
    for data in table.vector_indexes:
        if data["name"] in names:
            data.update(allocated_at=now + seconds / 2, ready_at=now + seconds)


def allocating(table: TableDef) -> bool:
    return any(phase(d) == "allocating" for d in table.vector_indexes)


def indexes(table: TableDef) -> list[VectorIndex]:
    return [VectorIndex.of(d) for d in table.vector_indexes]


def find(table: TableDef, name: str | None) -> VectorIndex | None:
    return next((v for v in indexes(table) if v.name == name), None)


def attribute_names(table: TableDef) -> set[str]:
    """The SearchSchema attributes of every vector index (they stay in AttributeDefinitions)."""
    return {n for v in indexes(table) for n in v.schema_names}


def key_specs(specs: list[dict] | None) -> list[dict]:
    """CreateTable's VectorIndexes as index specs whose KeySchema names their SearchSchema
    attributes, so that the AttributeDefinitions check counts those attributes as used."""
    return [{"KeySchema": [{"AttributeName": e.get("AttributeName")} for e in spec["SearchSchema"]]}
            for spec in specs or [] if isinstance(spec, dict) and spec.get("SearchSchema")]


# creating and deleting


def _new(table_id: str, spec: dict, types: dict[str, str]) -> dict:
    """The stored settings of a vector index spec, checked."""
    dimensions = spec["Dimensions"]
    if not 1 <= dimensions <= MAX_DIMENSIONS:
        raise invalid_params(f"Number of dimensions must be between 1 and {MAX_DIMENSIONS} inclusive.")
    from cloudlet.services.dynamodb.tables import _projection  # the rules of secondary-index projections

    projection = _projection(spec.get("Projection"), spec["IndexName"])
    schema = [(e["AttributeName"], e["SearchSchemaElementType"]) for e in spec.get("SearchSchema") or []]
    if any(name not in types for name, _ in schema):
        raise invalid_params("One element in SearchSchema is not defined in attribute definitions")
    return {
        "name": spec["IndexName"], "id": f"{table_id}:{spec['IndexName']}",
        "attribute": spec["VectorAttribute"]["AttributeName"], "dimensions": dimensions,
        "distance": spec["DistanceFunction"], "projection": projection,
        "schema": schema, "types": {name: types[name] for name, _ in schema}, "created": time.time(),
    }


def _check_set(table: TableDef, all_specs: list[dict]) -> None:
    """Rules over a table's whole set of vector indexes: the count, one dimension per attribute."""
    if len(all_specs) > MAX_VECTOR_INDEXES:
        raise invalid_params(f"VectorIndex count exceeds the per-table limit of {MAX_VECTOR_INDEXES}")
    dimensions: dict[str, int] = {}
    for spec in all_specs:
        attribute = spec["attribute"]
        if dimensions.setdefault(attribute, spec["dimensions"]) != spec["dimensions"]:
            raise invalid_params(
                f"Conflicting attribute definition for '{attribute}'. All VectorIndexes on the same vector "
                "attribute must use the same dimensions."
            )
    names = {i.name for i in table.indexes}
    seen: set[str] = set()
    for spec in all_specs:
        if spec["name"] in seen or spec["name"] in names:
            raise invalid_params(f"Duplicate index name: {spec['name']}")
        seen.add(spec["name"])


def on_create_table(table: TableDef, specs: list[dict] | None, types: dict[str, str]) -> None:
    """Add CreateTable's VectorIndexes to a new table."""
    if not specs:
        return
    if table.billing_mode != "PAY_PER_REQUEST":
        raise invalid_params("Vector indexes are only supported for PAY_PER_REQUEST tables")
    created = [_new(table.id, spec, types) for spec in specs]
    _check_set(table, created)
    table.vector_indexes = created


def on_update_table(conn, table: TableDef, params: dict, types: dict[str, str]) -> tuple[list[str], list[dict]]:
    """Apply UpdateTable's VectorIndexUpdates: the names created and the descriptions deleted."""
    from cloudlet.services.dynamodb import vector_storage

    created: list[str] = []
    deleted: list[dict] = []
    if table.vector_indexes and table.billing_mode != "PAY_PER_REQUEST":
        raise invalid_params("Vector indexes are only supported for PAY_PER_REQUEST tables")
    for update in params.get("VectorIndexUpdates") or []:
        if update.get("Create"):
            spec = update["Create"]
            if any(phase(d) != "active" for d in table.vector_indexes):
                raise AWSError("LimitExceededException", "Subscriber limit exceeded: Only 1 online index can be "
                               "created or deleted simultaneously per table", 400)
            if table.billing_mode != "PAY_PER_REQUEST":
                raise invalid_params("Vector indexes are only supported for PAY_PER_REQUEST tables")
            if table.index(spec["IndexName"]) or find(table, spec["IndexName"]):
                raise validation("Attempting to create an index which already exists")
            new = _new(table.id, spec, types)
            _check_set(table, [*table.vector_indexes, new])
            table.vector_indexes = [*table.vector_indexes, new]
            vector_storage.backfill(conn, table, VectorIndex.of(new))
            created.append(new["name"])
        elif update.get("Delete"):
            name = update["Delete"]["IndexName"]
            index = find(table, name)
            if index is None:
                raise not_found(f"Requested resource not found: Index {name} for table {table.name}")
            if phase(_data(table, name)) == "allocating":
                raise in_use("Attempt to change a resource which is still in use: Index creation is in resource "
                             "allocation phase. Retry deletion during backfilling phase or when the index is active. "
                             f"Table: {table.name} Index: {name}")
            table.vector_indexes = [d for d in table.vector_indexes if d["name"] != name]
            vector_storage.drop(conn, index)
            deleted.append({**description(table, index, 0, 0), "IndexStatus": "DELETING"})
    return created, deleted


def count_index_actions(params: dict) -> int:
    """How many vector indexes an UpdateTable request creates or deletes."""
    return sum(1 for u in params.get("VectorIndexUpdates") or [] if isinstance(u, dict) and (u.get("Create") or u.get("Delete")))


def _data(table: TableDef, name: str) -> dict:
    return next(d for d in table.vector_indexes if d["name"] == name)


def check_table_deletable(table: TableDef) -> None:
    """A table cannot be deleted while one of its vector indexes is still being built."""
    if any(phase(d) != "active" for d in table.vector_indexes):
        raise in_use("Attempt to change a resource which is still in use: Cannot delete table while indexes "
                     "are being created, updated, or deleted.")


# describing


def description(table: TableDef, index: VectorIndex, count: int, size: int) -> dict:
    out: dict = {
        "IndexName": index.name,
        "VectorAttribute": {"AttributeName": index.attribute},
        "Dimensions": index.dimensions,
        "DistanceFunction": index.distance,
        "Projection": index.projection,
        "IndexStatus": "ACTIVE",
        "IndexSizeBytes": size,
        "ItemCount": count,
        "IndexArn": f"{table.arn}/index/{index.name}",
    }
    if index.schema:
        out["SearchSchema"] = [{"AttributeName": n, "SearchSchemaElementType": k} for n, k in index.schema]
    return out


def describe(conn, table: TableDef, status: str) -> list[dict]:
    """The VectorIndexes of a TableDescription (a table being created has its indexes being created)."""
    from cloudlet.services.dynamodb import vector_storage

    out = []
    for data in table.vector_indexes:
        index = VectorIndex.of(data)
        count, size = vector_storage.stats(conn, table, index) if conn is not None else (0, 0)
        entry = description(table, index, count, size)
        building = phase(data)
        if status == "CREATING":
            entry["IndexStatus"] = "CREATING"
        elif building != "active":
            entry.update(IndexStatus="CREATING", Backfilling=building == "backfilling")
        out.append(entry)
    return out
