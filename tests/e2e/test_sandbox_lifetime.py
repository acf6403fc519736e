"""Function sandboxes do not outlive their server: after `kill -9` of `cloudlet up`, every
process it started for functions (sandboxes, zygotes and what runs in them) is gone."""

import io
import os
import threading
import time
import zipfile
from pathlib import Path

import server_process as sp

ROLE = "arn:aws:iam::000000000000:role/r"


def _processes_naming(text: str) -> list[int]:
    """Pids whose command line mentions `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


def _invoke_quietly(server, payload: bytes) -> None:
    try:
        server.client("lambda").invoke(FunctionName="fn", Payload=payload)
    except Exception:  # the server is killed under it
        pass


def test_sandboxes_die_with_a_killed_server(tmp_path):
    with sp.running(tmp_path) as server:
        lam = server.client("lambda")
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("app.py", "import time\ndef handler(e, c):\n    time.sleep(e.get('s', 0))\n    return 1\n")
        lam.create_function(FunctionName="fn", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": package.getvalue()}, Timeout=30)
        lam.get_waiter("function_active_v2").wait(FunctionName="fn")
        for _ in range(3):  # the first runs in its own sandbox, later ones fork from the zygote
            assert lam.invoke(FunctionName="fn", Payload=b"{}")["StatusCode"] == 200
        busy = threading.Thread(target=_invoke_quietly, args=(server, b'{"s": 25}'), daemon=True)
        busy.start()  # a handler sleeping 25 s: it cannot notice its server is gone
        time.sleep(2)
        data = str(server.data_dir)
        assert len(_processes_naming(data)) >= 2, "no sandbox processes to watch"
        server.kill_9()
        deadline = time.monotonic() + 10
        while _processes_naming(data) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_naming(data) == []
        server.restart()  # so the block's close() has a server to stop
