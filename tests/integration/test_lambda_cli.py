"""The AWS CLI against Lambda: create-function from a zip file, invoke with a log tail."""

import base64
import json

from cli_helpers import aws_cli
from lambda_helpers import ROLE, make_zip


def aws(cloudlet, *args: str) -> dict:
    return aws_cli(cloudlet, "lambda", *args)


def test_cli_create_and_invoke(cloudlet, tmp_path):
    package = tmp_path / "fn.zip"
    package.write_bytes(make_zip({"app.py": "def handler(e, c):\n    print('from cli')\n    return e['n'] * 2\n"}))
    created = aws(cloudlet, "create-function", "--function-name", "cli", "--runtime", "python3.12", "--role", ROLE,
                  "--handler", "app.handler", "--zip-file", f"fileb://{package}")
    assert created["FunctionName"] == "cli"
    aws(cloudlet, "wait", "function-active-v2", "--function-name", "cli")
    out = tmp_path / "out.json"
    payload = tmp_path / "in.json"
    payload.write_text('{"n": 21}')
    result = aws(cloudlet, "invoke", "--function-name", "cli", "--payload", f"fileb://{payload}", "--log-type",
                 "Tail", str(out))
    assert result["StatusCode"] == 200 and result["ExecutedVersion"] == "$LATEST"
    assert "from cli" in base64.b64decode(result["LogResult"]).decode()
    assert json.loads(out.read_text()) == 42
