"""Identifiers in the shapes AWS uses."""

from __future__ import annotations

import os
import uuid


def request_id() -> str:
    return str(uuid.uuid4())


def new_uuid() -> str:
    return str(uuid.uuid4())


def hex_id(nbytes: int = 16) -> str:
    return os.urandom(nbytes).hex()
