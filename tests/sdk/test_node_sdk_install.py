"""`cloudlet install-node-sdk` fills the cache Node.js functions' /var/runtime/node_modules comes from."""

from __future__ import annotations

from cloudlet import cli
from cloudlet.compute import node_sdk


def test_install_reuses_the_cache_and_functions_find_it(js_sdk, capsys, monkeypatch):
    monkeypatch.delenv(node_sdk.DIR_VAR, raising=False)
    assert cli.main(["install-node-sdk"]) == 0
    assert capsys.readouterr().out.strip() == str(js_sdk)  # the install the fixture made (same latest versions)
    assert node_sdk.find() == js_sdk
    assert {p.name for p in (js_sdk / "@aws-sdk").iterdir()} >= {p.rsplit("/", 1)[1] for p in node_sdk.PACKAGES}


def test_a_named_directory_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(node_sdk.DIR_VAR, str(tmp_path))
    assert node_sdk.find() == tmp_path
    monkeypatch.setenv(node_sdk.DIR_VAR, str(tmp_path / "missing"))
    assert node_sdk.find() is None
