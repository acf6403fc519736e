"""Sandbox pieces that do not need a function: cgroup v2 limits (on a stand-in tree) and the command."""

from __future__ import annotations

from pathlib import Path

from cloudlet.compute.sandbox import NPROC_LIMIT, Cgroups, Sandbox, SandboxSpec


def test_cgroup_limits_written_and_read(tmp_path):
    base = tmp_path / "cg"
    base.mkdir()
    cgroups = Cgroups(base)
    path = cgroups.create("env1", 256)
    assert (path / "memory.max").read_text() == str(256 * 1024 * 1024)
    assert (path / "memory.swap.max").read_text() == "0"
    assert (path / "pids.max").read_text() == str(NPROC_LIMIT)
    assert not Cgroups.oom_killed(path)
    (path / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    (path / "memory.peak").write_text(str(300 * 1024 * 1024))
    assert Cgroups.oom_killed(path) and Cgroups.peak_mb(path) == 300


def test_cgroup_detection_needs_delegated_controllers(tmp_path):
    cg = tmp_path / "delegated"
    cg.mkdir()
    (cg / "cgroup.subtree_control").write_text("cpu io\n")
    assert Cgroups.detect(str(cg)).base != cg
    (cg / "cgroup.subtree_control").write_text("cpu io memory pids\n")
    assert Cgroups.detect(str(cg)).base == cg


def test_command_binds_only_what_a_runtime_needs(tmp_path):
    sandbox = Sandbox(tmp_path)
    spec = SandboxSpec(argv=["/var/task/bootstrap"], env={}, task_dir="/code", opt_dir=None, tmp_mb=64)
    userns = sandbox.user_namespace()
    try:
        argv = sandbox.command(spec, userns)
    finally:
        if userns is not None:
            userns.spawned()
            userns.close()
    binds = {argv[i + 2]: argv[i + 1] for i, a in enumerate(argv) if a == "--ro-bind"}
    assert binds["/var/task"] == "/code" and binds["/usr"] == "/usr"
    assert not any(dest.startswith(("/root", "/home")) for dest in binds)
    assert str(tmp_path) not in " ".join(src for src in binds.values() if "etc" not in src)
    i = argv.index("--tmpfs")
    assert argv[i - 4:i + 2] == ["--size", str(64 * 1024 * 1024), "--perms", "1777", "--tmpfs", "/tmp"]
    assert "--share-net" in argv and "--unshare-pid" in argv and "--die-with-parent" in argv
    assert argv[-1] == "/var/task/bootstrap"
    assert Path(binds["/etc/passwd"]).read_text().count("sbx_user1051") == 1
