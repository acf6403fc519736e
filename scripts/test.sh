#!/usr/bin/env bash
# The whole test suite: system packages, the virtualenv, lint, tests on SQLite, then on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh test
make -s venv
BIN=.venv/bin
$BIN/ruff check .
status=0
$BIN/pytest -q -p no:cacheprovider tests || status=$?

pgdir=$(mktemp -d /tmp/cloudlet-pg.XXXXXX)
trap 'bash scripts/pg-cluster.sh stop "$pgdir"' EXIT
url=$(bash scripts/pg-cluster.sh start "$pgdir")
echo "integration suite on PostgreSQL ($url)"
CLOUDLET_TEST_STORE=$url CLOUDLET_TEST_PG_URL=$url $BIN/pytest -q -p no:cacheprovider tests/integration tests/sdk || status=$?
exit $status
