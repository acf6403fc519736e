"""Table metadata: key schema, attribute definitions, secondary indexes; stored as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from cloudlet.services.dynamodb import keys, size
from cloudlet.services.dynamodb import values as V
from cloudlet.services.dynamodb.errors import (
    empty_index_key,
    empty_index_key_update,
    invalid_params,
    validation,
)


@dataclass
class KeyDef:
    """The key of a table or index: partition attribute (and sort attribute) with their types.

    A GSI's key may have up to four HASH and four RANGE attributes: pk / sk are the first of each,
    more_pk / more_sk the rest as [name, type] pairs, in key-schema order.
    """

    pk: str
    pk_type: str
    sk: str | None = None
    sk_type: str | None = None
    more_pk: list = field(default_factory=list)
    more_sk: list = field(default_factory=list)

    @property
    def multi(self) -> bool:
        """Whether the key has more than one HASH or more than one RANGE attribute."""
        return bool(self.more_pk or self.more_sk)

    @property
    def hash_attrs(self) -> list[tuple[str, str]]:
        return [(self.pk, self.pk_type), *((n, t) for n, t in self.more_pk)]

    @property
    def range_attrs(self) -> list[tuple[str, str]]:
        first = [(self.sk, self.sk_type)] if self.sk else []
        return [*first, *((n, t) for n, t in self.more_sk)]

    @property
    def names(self) -> tuple[str, ...]:
        if self.multi:
            return tuple(n for n, _ in self.hash_attrs + self.range_attrs)
        return (self.pk, self.sk) if self.sk else (self.pk,)

    def types(self) -> dict[str, str]:
        """Key attribute name -> type, in key-schema order."""
        return dict(self.hash_attrs + self.range_attrs)

    def schema(self) -> list[dict]:
        return [{"AttributeName": n, "KeyType": "HASH"} for n, _ in self.hash_attrs] + [
            {"AttributeName": n, "KeyType": "RANGE"} for n, _ in self.range_attrs]

    def encode(self, item: dict) -> tuple[bytes, bytes]:
        """The encoded (partition, sort) key of an item that carries every key attribute."""
        if self.multi:
            return (keys.encode_parts([item[n] for n, _ in self.hash_attrs]),
                    keys.encode_parts([item[n] for n, _ in self.range_attrs]))
        return keys.encode(item[self.pk]), keys.encode(item[self.sk]) if self.sk else b""


@dataclass
class IndexDef:
    name: str
    kind: str  # "GSI" | "LSI"
    key: KeyDef
    projection: dict  # {"ProjectionType": ..., "NonKeyAttributes": [...]}
    id: str
    throughput: dict | None = None
    status: str = "ACTIVE"
    created: float = 0.0
    on_demand: dict | None = None  # OnDemandThroughput limits (see on_demand.py)
    warm: dict | None = None  # WarmThroughput asked for (see warm.py)

    def projects(self, table_key: KeyDef) -> set[str] | None:
        """Attribute names the index holds (None: all)."""
        kind = self.projection.get("ProjectionType", "ALL")
        if kind == "ALL":
            return None
        names = set(table_key.names) | set(self.key.names)
        if kind == "INCLUDE":
            names |= set(self.projection.get("NonKeyAttributes") or [])
        return names


@dataclass
class TableDef:
    account: str
    region: str
    name: str
    id: str
    key: KeyDef
    attribute_definitions: list[dict]
    created: float
    billing_mode: str = "PROVISIONED"
    throughput: dict = field(default_factory=dict)
    indexes: list[IndexDef] = field(default_factory=list)
    stream: dict | None = None
    stream_label: str | None = None
    ttl_attribute: str | None = None
    ttl_status: str = "DISABLED"
    tags: dict = field(default_factory=dict)
    table_class: str = "STANDARD"
    table_class_set: bool = False  # given explicitly (only then is it described)
    table_class_updated: float = 0.0
    deletion_protection: bool = False
    updated: float = 0.0
    billing_updated: float = 0.0
    pitr_since: float = 0.0  # when point-in-time recovery was enabled (0: disabled)
    pitr_days: int = 35
    last_increase: float = 0.0  # when provisioned throughput last went up / down
    last_decrease: float = 0.0
    decreases: list = field(default_factory=list)  # times of the decreases, for NumberOfDecreasesToday
    sse: dict | None = None  # {"SSEType", "KMSMasterKeyArn"} when a KMS key encrypts the table
    on_demand: dict | None = None  # OnDemandThroughput, as given
    warm: dict | None = None  # WarmThroughput asked for (see warm.py)
    restore: dict | None = None  # how the table was restored: source ARNs and time (see restore.py)
    insights: dict = field(default_factory=dict)  # contributor insights by index name ("" for the table)
    vector_indexes: list = field(default_factory=list)  # vector index settings as stored (see vectors.py)

    @property
    def arn(self) -> str:
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{self.name}"

    def index(self, name: str) -> IndexDef | None:
        return next((i for i in self.indexes if i.name == name), None)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> TableDef:
        data = dict(data)
        data["key"] = KeyDef(**data["key"])  # older metadata has no more_pk / more_sk: the defaults apply
        data["indexes"] = [IndexDef(**{**i, "key": KeyDef(**i["key"])}) for i in data["indexes"]]
        return cls(**data)

    def index_keys(self) -> dict[str, tuple[str, str]]:
        """The secondary-index key attributes that are not table key attributes: name -> (type, index)."""
        out: dict[str, tuple[str, str]] = {}
        for index in sorted(self.indexes, key=lambda i: i.name):  # errors name the first index by name
            for name, wanted in _index_key_types(index):
                if name not in self.key.names:
                    out.setdefault(name, (wanted, index.name))
        return out

    # item keys
    def item_key(self, item: dict) -> dict:
        return {name: item[name] for name in self.key.names if name in item}

    def check_item_keys(self, item: dict, updating: bool = False) -> None:
        """Check that an item carries the table key (types, sizes) and valid index keys (`updating`:
        the item an update made, whose empty index key is worded for updates)."""
        for name, wanted in self._key_types():
            value = item.get(name)
            if value is None:
                raise invalid_params(f"Missing the key {name} in the item")
            _check_key_value(name, value, wanted)
        for index in sorted(self.indexes, key=lambda i: i.name):  # errors name the first index by name
            for name, wanted in _index_key_types(index):
                check_index_key_value(index.name, name, item.get(name), wanted, updating)

    def check_key(self, key: dict) -> tuple[bytes, bytes]:
        """Check a Key parameter against the schema; returns its encoded (pk, sk)."""
        expected = self._key_types()
        if not isinstance(key, dict) or len(key) != len(expected) or any(n not in key for n, _ in expected):
            raise validation("The provided key element does not match the schema")
        for name, wanted in expected:
            if V.type_of(key[name]) != wanted:
                raise validation("The provided key element does not match the schema")
            _check_key_value(name, key[name], wanted)
        return self.encode_key(key)

    def encode_key(self, item: dict) -> tuple[bytes, bytes]:
        pk = keys.encode(item[self.key.pk])
        sk = keys.encode(item[self.key.sk]) if self.key.sk else b""
        return pk, sk

    def _key_types(self) -> list[tuple[str, str]]:
        out = [(self.key.pk, self.key.pk_type)]
        if self.key.sk:
            out.append((self.key.sk, self.key.sk_type))
        return out


def check_index_key_value(index_name: str, name: str, value: dict | None, wanted: str,
                          updating: bool = False) -> None:
    """An item's value of an index key attribute (None: absent, the item is not in the index) must have
    the attribute's type and, for S and B, not be empty (`updating`: an update expression set it)."""
    if value is None:
        return
    actual = V.type_of(value)
    if actual != wanted:
        raise invalid_params(
            f"Type mismatch for Index Key {name} Expected: {wanted} Actual: {actual} IndexName: {index_name}"
        )
    if actual in ("S", "B") and len(value[actual]) == 0:
        raise empty_index_key_update(actual) if updating else empty_index_key(name, actual, index_name)


def _index_key_types(index: IndexDef) -> list[tuple[str, str]]:
    return list(index.key.types().items())


def _check_key_value(name: str, value: dict, wanted: str) -> None:
    actual = V.type_of(value)
    if actual != wanted:
        raise invalid_params(f"Type mismatch for key {name} expected: {wanted} actual: {actual}")
    if actual in ("S", "B"):
        raw = value[actual]
        length = len(raw.encode("utf-8")) if actual == "S" else len(raw)
        if length == 0:
            kind = "string" if actual == "S" else "binary"
            raise validation(
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
                f"contain an empty {kind} value. Key: {name}"
            )
        return length
    return None


def check_key_sizes(table: TableDef, item: dict) -> None:
    """Partition keys up to 2048 bytes, sort keys up to 1024 bytes."""
    pk = item[table.key.pk]
    if _raw_len(pk) > size.MAX_PARTITION_KEY_BYTES:
        raise validation(
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit "
            "of2048 bytes"
        )
    if table.key.sk and _raw_len(item[table.key.sk]) > size.MAX_SORT_KEY_BYTES:
        raise validation(
            "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size "
            "limit of 1024 bytes"
        )


def _raw_len(value: dict) -> int:
    tag, inner = next(iter(value.items()))
    if tag == "S":
        return len(inner.encode("utf-8"))
    if tag == "B":
        return len(inner)
    return 0
