"""Durations of DynamoDB Streams (seconds): the config's `extra` settings, else CLOUDLET_DYNAMODBSTREAMS_*
environment variables, else AWS's values."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass
class Settings:
    retention: float = 24 * 3600.0  # records older than this are trimmed
    shard_roll: float = 4 * 3600.0  # an open shard is closed and succeeded after this long
    iterator_ttl: float = 15 * 60.0  # a shard iterator expires after this long
    sweep_interval: float = 60.0  # how often the background sweep trims and rolls

    @classmethod
    def from_extra(cls, extra: dict | None, environ: dict | None = None) -> Settings:
        """`dynamodbstreams_retention`, `_shard_roll`, `_iterator_ttl`, `_sweep_interval` from config.extra
        (or `CLOUDLET_DYNAMODBSTREAMS_RETENTION` ... from the environment)."""
        extra = extra or {}
        environ = os.environ if environ is None else environ
        out = cls()
        for name in ("retention", "shard_roll", "iterator_ttl", "sweep_interval"):
            value = extra.get(f"dynamodbstreams_{name}")
            if value is None:
                value = environ.get(f"CLOUDLET_DYNAMODBSTREAMS_{name.upper()}")
            if value is not None:
                setattr(out, name, float(value))
        return out
