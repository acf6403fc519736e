"""The explicit no-sandbox fallback: it runs functions, and says loudly that it isolates nothing."""

from __future__ import annotations

import json
import logging

from .conftest import PoolHarness


def test_none_backend_warns_and_runs(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="cloudlet.compute"):
        harness = PoolHarness(tmp_path, sandbox="none")
    try:
        assert any("sandbox backend 'none'" in r.getMessage() for r in caplog.records)
        config = harness.function({"app.py": "import os\ndef handler(e, c):\n    return [e, os.getcwd() == os.environ['LAMBDA_TASK_ROOT']]\n"})
        result = harness.invoke(config, {"k": 1})
        assert result.function_error is None, result.payload
        assert json.loads(result.payload) == [{"k": 1}, True]
        assert harness.pool._zygotes is None
    finally:
        harness.close()
