"""The platform endpoints and the fixture itself."""

import json
import urllib.request


def test_health_reports_version_store_services_uptime(cloudlet):
    with urllib.request.urlopen(cloudlet.endpoint + "/_cloudlet/health") as response:
        body = json.loads(response.read())
    assert response.status == 200
    assert body["version"]
    assert body["store"] in ("sqlite", "postgresql")
    assert "sqs" in body["services"] and "sts" in body["services"]
    assert body["uptime"] >= 0


def test_get_caller_identity(cloudlet):
    identity = cloudlet.client("sts").get_caller_identity()
    assert identity["Account"] == "000000000000"
    assert identity["Arn"] == "arn:aws:iam::000000000000:root"
