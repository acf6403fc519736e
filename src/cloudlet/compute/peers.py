"""Which processes hold the client end of a loopback TCP connection (Linux /proc).

An environment that listens on a Runtime API port of its own accepts connections only from its
sandbox's processes: a port, unlike a token, is easy for another local process to find.
"""

from __future__ import annotations

import os
from collections.abc import Iterable


def client_socket_inode(client_port: int, server_port: int) -> int | None:
    """The socket inode of the client end of the IPv4 loopback connection client_port -> server_port."""
    local, remote = f":{client_port:04X}", f":{server_port:04X}"
    try:
        with open("/proc/net/tcp") as table:
            next(table)
            for line in table:
                fields = line.split()
                if fields[1].endswith(local) and fields[2].endswith(remote):
                    return int(fields[9])
    except OSError:
        return None
    return None


def process_tree(pid: int) -> list[int]:
    """`pid` and its live descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            threads = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for tid in threads:
            try:
                with open(f"/proc/{current}/task/{tid}/children") as f:
                    todo.extend(int(child) for child in f.read().split())
            except OSError:
                continue
    return found


def held_by(inode: int, pids: Iterable[int]) -> bool | None:
    """Whether one of `pids` has the socket open; None when some of them could not be inspected."""
    target = f"socket:[{inode}]"
    unknown = False
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except FileNotFoundError:
            continue
        except OSError:
            unknown = True
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return True
            except OSError:
                continue
    return None if unknown else False


def connected_from(client_port: int, server_port: int, pids: Iterable[int]) -> bool:
    """False only when the connection's client end is known and none of `pids` holds it."""
    inode = client_socket_inode(client_port, server_port)
    if inode is None or inode == 0:
        return True  # not found (already closed, or another namespace): nothing to judge by
    return held_by(inode, pids) is not False
