"""The zygote template on its own: once the pool closes its control socket (stopping the template),
it ends quietly, whatever it was about to report, so a template that said nothing leaves no log."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import cloudlet.compute.runtimes

BOOTSTRAP = Path(cloudlet.compute.runtimes.__file__).parent / "python_bootstrap.py"


def test_a_template_whose_pool_went_away_ends_without_a_word():
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    template = subprocess.Popen([sys.executable, str(BOOTSTRAP), "--zygote", str(theirs.fileno())],
                                pass_fds=[theirs.fileno()], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    theirs.close()
    try:
        assert json.loads(ours.recv(4096)) == {"ready": 1}
        read_end, write_end = os.pipe()
        ours.sendmsg([json.dumps({"env": {}, "tmp": 1}).encode()],
                     [(socket.SOL_SOCKET, socket.SCM_RIGHTS, write_end.to_bytes(4, "little"))])
        os.close(write_end)
        ours.close()  # gone before the template reports the fork and, later, the child's exit
        out, err = template.communicate(timeout=60)
        os.close(read_end)
    finally:
        if template.poll() is None:
            template.kill()
    assert (template.returncode, out, err) == (0, b"", b"")
