"""The code store: content addressing, read-only trees, layers, and every hostile package refused."""

from __future__ import annotations

import os
import time
import zipfile

import pytest

from cloudlet.compute import codestore
from cloudlet.compute.codestore import CodeStore
from cloudlet.compute.errors import InvalidCode

from .ziputil import make_zip


@pytest.fixture
def store(tmp_path):
    return CodeStore(tmp_path / "compute")


def leftovers(store: CodeStore) -> list[str]:
    return sorted(os.listdir(store.root / "code")) + sorted(os.listdir(store.root / "blobs"))


def test_stored_once_and_read_only(store):
    data = make_zip({"app.py": "def handler(e, c):\n    return 1\n", "pkg/mod.py": "X = 1\n",
                     "bootstrap": "#!/bin/sh\n"}, executable=("bootstrap",), links={"link.py": "pkg/mod.py"})
    ref = store.put(data)
    again = store.put(data)
    assert ref == again
    assert ref.size == len(data) and ref.unzipped_size > 0
    root = store.code_dir(ref.sha256)
    assert (root / "pkg" / "mod.py").read_text() == "X = 1\n"
    assert os.readlink(root / "link.py") == "pkg/mod.py"
    assert os.stat(root / "bootstrap").st_mode & 0o777 == 0o555
    assert os.stat(root / "app.py").st_mode & 0o777 == 0o444
    assert os.stat(root).st_mode & 0o222 == 0
    assert store.blob(ref.sha256) == data
    assert leftovers(store) == [ref.sha256, ref.sha256 + ".zip"]


def test_layers_merge_in_order(store):
    a = store.put(make_zip({"python/shared.py": "A", "python/a.py": "a"}))
    b = store.put(make_zip({"python/shared.py": "B", "bin/tool": "t"}))
    opt = store.merged_layers([a.sha256, b.sha256])
    assert (opt / "python" / "shared.py").read_text() == "B"
    assert (opt / "python" / "a.py").read_text() == "a"
    assert (opt / "bin" / "tool").read_text() == "t"
    assert store.merged_layers([b.sha256, a.sha256]) != opt
    assert (store.merged_layers([b.sha256, a.sha256]) / "python" / "shared.py").read_text() == "A"
    assert store.merged_layers([]) is None


def bomb(size: int) -> bytes:
    return make_zip({"zeros.bin": b"\0" * size})


HOSTILE = {
    "traversal": make_zip({"../evil.py": "x"}),
    "nested traversal": make_zip({"a/../../evil.py": "x"}),
    "absolute": make_zip({"/etc/evil": "x"}),
    "windows drive": make_zip({"C:/evil": "x"}),
    "backslash": make_zip({"..\\evil": "x"}),
    "absolute symlink": make_zip({"a.py": "x"}, links={"passwd": "/etc/passwd"}),
    "escaping symlink": make_zip({"a.py": "x"}, links={"sub/up": "../../etc"}),
    "duplicate names": make_zip({"a.py": "x", "./a.py": "y"}),
    "zip bomb ratio": bomb(20 * 1024 * 1024),
    "corrupt": b"PK\x03\x04 this is not a zip",
    "empty bytes": b"",
    "truncated": make_zip({"a.py": "x" * 1000})[:-30],
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_package_refused_and_nothing_left(store, name):
    with pytest.raises(InvalidCode):
        store.put(HOSTILE[name])
    assert leftovers(store) == []


def test_corrupt_member_data_refused(store):
    data = bytearray(make_zip({"a.py": "print('hello world')\n" * 50}))
    start = data.index(b"a.py") + 4  # the compressed stream follows the local header's name
    data[start:start + 20] = b"\xff" * 20
    with pytest.raises(InvalidCode):
        store.put(bytes(data))
    assert leftovers(store) == []


def test_unzipped_size_limit(store, monkeypatch):
    data = make_zip({"a.bin": os.urandom(3000), "b.bin": os.urandom(3000)}, compression=zipfile.ZIP_STORED)
    with pytest.raises(InvalidCode, match="Unzipped size must be smaller than 5000 bytes"):
        store.put(data, limit=5000)
    assert leftovers(store) == []
    assert store.put(data, limit=7000).unzipped_size == 6000


def test_lying_header_is_caught_while_extracting(store):
    data = bytearray(make_zip({"a.bin": b"\0" * 100_000}))
    # shrink the declared uncompressed size in the central directory and the local header
    real = (100_000).to_bytes(4, "little")
    fake = (10).to_bytes(4, "little")
    assert data.count(real) == 2
    data = data.replace(real, fake)
    with pytest.raises(InvalidCode):
        store.put(bytes(data))
    assert leftovers(store) == []


def test_real_limit_is_lambdas():
    assert codestore.UNZIPPED_LIMIT == 262_144_000


class Source:
    """A fetch callback over a dict of packages, counting its calls."""

    def __init__(self) -> None:
        self.packages: dict[str, bytes] = {}
        self.calls: list[str] = []

    def __call__(self, sha: str) -> bytes | None:
        self.calls.append(sha)
        return self.packages.get(sha)


def test_with_a_fetch_callback_the_zip_is_not_kept_locally(tmp_path):
    source = Source()
    first = CodeStore(tmp_path / "one", fetch=source)
    data = make_zip({"app.py": "X = 1\n"})
    ref = first.put(data)
    assert leftovers(first) == [ref.sha256]  # the caller keeps the bytes where the callback finds them
    source.packages[ref.sha256] = data
    assert first.blob(ref.sha256) == data


def test_a_missing_tree_is_fetched_and_unpacked_once(tmp_path):
    source = Source()
    code = make_zip({"app.py": "X = 1\n", "pkg/mod.py": "Y = 2\n"})
    layer = make_zip({"python/lib.py": "Z = 3\n"})
    for data in (code, layer):
        source.packages[CodeStore(tmp_path / "uploader").put(data).sha256] = data
    node = CodeStore(tmp_path / "node", fetch=source)
    code_sha, layer_sha = (codestore.hashlib.sha256(d).hexdigest() for d in (code, layer))
    assert not node.ready(code_sha, [layer_sha])
    node.prepare(code_sha, [layer_sha])
    assert node.ready(code_sha, [layer_sha])
    assert (node.code_dir(code_sha) / "pkg" / "mod.py").read_text() == "Y = 2\n"
    assert (node.merged_layers([layer_sha]) / "python" / "lib.py").read_text() == "Z = 3\n"
    assert os.stat(node.code_dir(code_sha)).st_mode & 0o222 == 0
    assert sorted(source.calls) == sorted([code_sha, layer_sha])
    assert node.unzipped_size(code_sha) == 12


def test_unknown_or_altered_packages_are_refused(tmp_path):
    source = Source()
    node = CodeStore(tmp_path / "node", fetch=source)
    with pytest.raises(KeyError):
        node.code_dir("0" * 64)
    data = make_zip({"app.py": "X = 1\n"})
    sha = codestore.hashlib.sha256(data).hexdigest()
    source.packages[sha] = make_zip({"app.py": "X = 666\n"})  # not the package the hash names
    with pytest.raises(KeyError):
        node.code_dir(sha)
    with pytest.raises(KeyError):
        CodeStore(tmp_path / "alone").code_dir(sha)
    assert leftovers(node) == []


def test_concurrent_fetches_leave_one_tree(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    source = Source()
    data = make_zip({f"m{i}.py": "X = 1\n" * 100 for i in range(50)})
    sha = codestore.hashlib.sha256(data).hexdigest()
    source.packages[sha] = data
    node = CodeStore(tmp_path / "node", fetch=source)
    with ThreadPoolExecutor(4) as pool:
        paths = set(pool.map(lambda _: node.code_dir(sha), range(8)))
    assert paths == {node.root / "code" / sha}
    assert leftovers(node) == [sha]
    assert len(os.listdir(node.root / "code" / sha)) == 50


def test_the_pool_fetches_once_for_concurrent_cold_starts(tmp_path):
    import asyncio

    from cloudlet.compute.model import FunctionConfig
    from cloudlet.compute.pool import Pool, PoolSettings

    source = Source()
    code, layer = make_zip({"app.py": "X = 1\n"}), make_zip({"python/lib.py": "Z = 3\n"})
    for data in (code, layer):
        source.packages[codestore.hashlib.sha256(data).hexdigest()] = data
    code_sha, layer_sha = list(source.packages)
    pool = Pool(PoolSettings(data_dir=tmp_path, sandbox="none"),
                code=CodeStore(tmp_path / "compute", fetch=source))
    config = FunctionConfig(name="f", runtime="python3.12", handler="app.handler", code_sha256=code_sha,
                            layers=(layer_sha,))

    async def cold_starts() -> None:
        await asyncio.gather(*(pool.ensure_code(config) for _ in range(5)))
    asyncio.run(cold_starts())
    assert sorted(source.calls) == sorted([code_sha, layer_sha])
    assert pool.code.ready(code_sha, [layer_sha])


def age(*paths, seconds: float = 3600) -> None:
    """Make trees look untouched for `seconds`."""
    then = time.time() - seconds
    for path in paths:
        os.utime(path, (then, then))


def test_prune_removes_only_unwanted_untouched_trees(store):
    kept = store.put(make_zip({"a.py": "A = 1\n"}))
    dropped = store.put(make_zip({"b.py": "B = 1\n"}))
    view = store.merged_layers([kept.sha256])
    assert store.stale({kept.sha256}, idle_s=60) == []  # all fresh
    age(store.root / "code" / kept.sha256, store.root / "code" / dropped.sha256, view)
    candidates = store.stale({kept.sha256}, idle_s=60)
    assert sorted(p.name for p in candidates) == sorted([dropped.sha256, view.name])

    # a tree touched by a cold start between the scan and the prune stays
    store.touch("", [kept.sha256])
    assert store.prune(candidates, {kept.sha256}, idle_s=60) == 1
    assert view.is_dir()
    assert not store.has(dropped.sha256)
    assert leftovers(store) == [kept.sha256, kept.sha256 + ".zip"]
    assert os.listdir(store.root / "trash")
    store.empty_trash()
    assert os.listdir(store.root / "trash") == []
    with pytest.raises(KeyError):
        store.code_dir(dropped.sha256)

    # an /opt view that went is merged again on demand
    age(view)
    assert store.prune(store.stale({kept.sha256}, idle_s=60), {kept.sha256}, idle_s=60) == 1
    assert not view.exists()
    assert (store.merged_layers([kept.sha256]) / "a.py").read_text() == "A = 1\n"


def test_prune_keeps_a_tree_wanted_after_the_scan(store):
    ref = store.put(make_zip({"a.py": "A = 1\n"}))
    age(store.root / "code" / ref.sha256)
    candidates = store.stale(set(), idle_s=60)
    assert [p.name for p in candidates] == [ref.sha256]
    assert store.prune(candidates, {ref.sha256}, idle_s=60) == 0
    assert store.has(ref.sha256)
