"""PostgreSQL: a database whose collation does not sort text bytewise is named at start-up."""

import os
import uuid

import psycopg
import pytest

from cloudlet.store.postgres import database_collation

STORE = os.environ.get("CLOUDLET_TEST_STORE", "")
pytestmark = pytest.mark.skipif(not STORE.startswith("postgres"), reason="needs CLOUDLET_TEST_STORE=postgresql://...")


def test_only_non_bytewise_collations_are_reported():
    assert database_collation(STORE) is None  # the test cluster is created with a C collation
    name = f"icu_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(STORE, autocommit=True) as admin:
        try:
            admin.execute(f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")
        except psycopg.Error as err:  # a server without ICU cannot make one
            pytest.skip(f"no ICU collation on this server: {err}")
        try:
            url = STORE.rsplit("/", 1)[0] + "/" + name
            assert database_collation(url) == "ICU en-US"
        finally:
            admin.execute(f"DROP DATABASE {name}")
