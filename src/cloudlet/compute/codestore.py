"""Code store: deployment packages kept once by sha256, unpacked once per hash, read-only.

Layout under the store root:
    blobs/<sha256>.zip      the package as uploaded (only without a fetch callback)
    code/<sha256>/          its files, unpacked once (read-only)
    opt/<sha256 of list>/   the merged /opt view of an ordered list of layers
    trash/                  trees being removed by `prune`

With a fetch callback (`sha256 -> bytes | None`) the packages are kept by its owner (the Lambda
service keeps them in the database) and the trees here are a cache: a package not unpacked on
this machine yet is fetched and unpacked on first use. `prune` removes the trees that nothing
wants any more and that no cold start has touched for a while, so the cache does not grow with
every deployment.

Unzipping is defensive: path traversal, absolute names, links pointing outside, zip bombs,
corrupt archives and packages above Lambda's unzipped size limit are refused with
InvalidCode, and a refused package leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import tempfile
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cloudlet.compute.errors import InvalidCode

UNZIPPED_LIMIT = 262_144_000  # Lambda: function and layers, unzipped
MAX_ENTRIES = 100_000
BOMB_RATIO = 200  # refuse an entry that inflates more than this ...
BOMB_MIN_SIZE = 8 * 1024 * 1024  # ... once it is bigger than this
CORRUPT = "Could not unzip uploaded file. Please check your file, then try to upload again."


@dataclass(frozen=True)
class CodeRef:
    """A stored package: its sha256 (hex), zip size and unzipped size in bytes."""

    sha256: str
    size: int
    unzipped_size: int


class CodeStore:
    """Content-addressed deployment packages and their unpacked, read-only trees."""

    def __init__(self, root: Path | str, fetch: Callable[[str], bytes | None] | None = None) -> None:
        self.root = Path(root)
        self.fetch = fetch
        for sub in ("blobs", "code", "opt", "trash"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def put(self, data: bytes, limit: int = UNZIPPED_LIMIT) -> CodeRef:
        """Unpack a zip (once per content) and keep it; raises InvalidCode when refused.

        With a fetch callback the caller keeps the bytes where the callback finds them."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.root / "code" / sha
        blob = self.root / "blobs" / f"{sha}.zip"
        if target.is_dir() and (self.fetch is not None or blob.is_file()):
            return CodeRef(sha, len(data), _tree_size(target))
        size = self._unpack(sha, data, limit)
        if self.fetch is None:
            _write_atomic(blob, data)
        return CodeRef(sha, len(data), size)

    def _unpack(self, sha: str, data: bytes, limit: int) -> int:
        """Unpack into code/<sha> through a staging directory, so concurrent unpackers never clash."""
        target = self.root / "code" / sha
        staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=self.root / "code"))
        try:
            size = safe_unzip(data, staging, limit)
            _make_read_only(staging)
            try:
                staging.rename(target)
            except OSError:  # unpacked concurrently by someone else: theirs is identical
                _remove_tree(staging)
        except BaseException:
            _remove_tree(staging)
            raise
        return size

    def unzipped_size(self, sha256: str) -> int:
        """The size of a package's unpacked tree on this machine (0 when it is not unpacked)."""
        path = self.root / "code" / sha256
        return _tree_size(path) if path.is_dir() else 0

    def has(self, sha256: str) -> bool:
        """Whether the package is unpacked on this machine."""
        return (self.root / "code" / sha256).is_dir()

    def code_dir(self, sha256: str) -> Path:
        """The unpacked tree of a stored package, fetched first when missing (KeyError when unknown)."""
        path = self.root / "code" / sha256
        if path.is_dir():
            return path
        data = self.fetch(sha256) if self.fetch is not None else None
        if data is None or hashlib.sha256(data).hexdigest() != sha256:
            raise KeyError(sha256)
        self._unpack(sha256, data, UNZIPPED_LIMIT)
        return path

    def blob(self, sha256: str) -> bytes:
        """The package as uploaded (KeyError when unknown)."""
        if self.fetch is not None:
            data = self.fetch(sha256)
            if data is None:
                raise KeyError(sha256)
            return data
        try:
            return (self.root / "blobs" / f"{sha256}.zip").read_bytes()
        except FileNotFoundError:
            raise KeyError(sha256) from None

    def touch(self, code_sha256: str, layer_hashes: list[str]) -> None:
        """Mark a function's code and /opt view as used now (a cold start is about to mount them)."""
        for path in self._trees(code_sha256, layer_hashes):
            try:
                os.utime(path)
            except FileNotFoundError:
                pass

    def _trees(self, code_sha256: str, layer_hashes: list[str]) -> list[Path]:
        paths = []
        if code_sha256:
            paths.append(self.root / "code" / code_sha256)
        if layer_hashes:
            paths.append(self.root / "opt" / layers_key(layer_hashes))
        return paths

    def stale(self, keep: set[str], idle_s: float) -> list[Path]:
        """Unpacked trees and /opt views not named in `keep` (package hashes and `layers_key`s) and
        untouched for `idle_s` seconds: the candidates of `prune` (a read-only scan, for a thread)."""
        cutoff = time.time() - idle_s
        found = []
        for sub in ("code", "opt"):
            for path in (self.root / sub).iterdir():
                if path.name in keep:  # (an unpack in progress is fresh, so never stale)
                    continue
                try:
                    if path.stat().st_mtime <= cutoff:
                        found.append(path)
                except FileNotFoundError:
                    pass
        return found

    def prune(self, candidates: list[Path], keep: set[str], idle_s: float) -> int:
        """Move the `stale` candidates that are still unwanted and untouched into trash/ (cheap:
        renames only, so call it where cold starts cannot interleave); returns how many went."""
        cutoff = time.time() - idle_s
        moved = 0
        for path in candidates:
            if path.name in keep:
                continue
            try:
                if path.stat().st_mtime > cutoff:
                    continue
                path.rename(self.root / "trash" / f"{path.parent.name}-{path.name}-{uuid.uuid4().hex[:8]}")
            except FileNotFoundError:
                continue
            if path.parent.name == "code":
                (self.root / "blobs" / f"{path.name}.zip").unlink(missing_ok=True)
            moved += 1
        return moved

    def empty_trash(self) -> None:
        """Delete what `prune` moved aside (slow for big trees: run it in a worker thread)."""
        for path in (self.root / "trash").iterdir():
            _remove_tree(path)

    def ready(self, code_sha256: str, layer_hashes: list[str]) -> bool:
        """Whether a function's code and /opt view are on this machine (nothing to fetch)."""
        return (not code_sha256 or self.has(code_sha256)) and (
            not layer_hashes or (self.root / "opt" / layers_key(layer_hashes)).is_dir())

    def prepare(self, code_sha256: str, layer_hashes: list[str]) -> None:
        """Fetch and unpack what a function needs (blocking: run it in a worker thread)."""
        if code_sha256:
            self.code_dir(code_sha256)
        self.merged_layers(layer_hashes)

    def merged_layers(self, layer_hashes: list[str]) -> Path | None:
        """The /opt view of layers merged in order (later layers win); None when there are none."""
        if not layer_hashes:
            return None
        target = self.root / "opt" / layers_key(layer_hashes)
        if target.is_dir():
            return target
        total = sum(_tree_size(self.code_dir(h)) for h in layer_hashes)
        if total > UNZIPPED_LIMIT:
            raise InvalidCode(f"Layers consume more than the available size of {UNZIPPED_LIMIT} bytes")
        staging = Path(tempfile.mkdtemp(prefix=".merge-", dir=self.root / "opt"))
        try:
            for sha in layer_hashes:
                _overlay(self.code_dir(sha), staging)
            _make_read_only(staging)
            try:
                staging.rename(target)
            except OSError:
                _remove_tree(staging)
        except BaseException:
            _remove_tree(staging)
            raise
        return target


def layers_key(layer_hashes: list[str] | tuple[str, ...]) -> str:
    """The name of the merged /opt view of an ordered list of layers."""
    return hashlib.sha256("\n".join(layer_hashes).encode()).hexdigest()


def safe_unzip(data: bytes, dest: Path, limit: int = UNZIPPED_LIMIT) -> int:
    """Extract a zip into the empty directory `dest`, refusing anything hostile; returns bytes written."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise InvalidCode(CORRUPT) from exc
    if len(infos) > MAX_ENTRIES:
        raise InvalidCode(f"The package has more than {MAX_ENTRIES} entries")
    declared = sum(info.file_size for info in infos)
    if declared > limit:
        raise InvalidCode(f"Unzipped size must be smaller than {limit} bytes")
    seen: set[str] = set()
    written = 0
    links: list[tuple[PurePosixPath, str]] = []
    with archive:
        for info in infos:
            rel = _safe_name(info.filename)
            if rel is None:
                continue  # the root entry "./"
            key = str(rel)
            if key in seen:
                raise InvalidCode(f"The package contains {key!r} twice")
            seen.add(key)
            mode = info.external_attr >> 16
            path = dest.joinpath(*rel.parts)
            if info.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            if info.file_size > BOMB_MIN_SIZE and info.file_size > BOMB_RATIO * max(info.compress_size, 1):
                raise InvalidCode(f"Refusing {key!r}: compression ratio too high (zip bomb)")
            path.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(mode):
                target = _read_entry(archive, info, 4096).decode("utf-8", "strict")
                _check_link(rel, target)
                links.append((rel, target))
                continue
            written += _extract_file(archive, info, path, limit - written)
            os.chmod(path, 0o755 if mode & 0o111 else 0o644)
    for rel, target in links:
        os.symlink(target, dest.joinpath(*rel.parts))
    return written


def _safe_name(name: str) -> PurePosixPath | None:
    if "\\" in name or "\x00" in name:
        raise InvalidCode(f"Refusing entry {name!r}: invalid characters in the name")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise InvalidCode(f"Refusing entry {name!r}: absolute path")
    parts = [p for p in PurePosixPath(name).parts if p not in (".", "")]
    if ".." in parts:
        raise InvalidCode(f"Refusing entry {name!r}: path traversal")
    return PurePosixPath(*parts) if parts else None


def _check_link(rel: PurePosixPath, target: str) -> None:
    if not target or target.startswith("/") or "\x00" in target:
        raise InvalidCode(f"Refusing link {str(rel)!r} -> {target!r}: points outside the package")
    depth = len(rel.parts) - 1  # directories above the link inside the package
    for part in PurePosixPath(target).parts:
        depth += -1 if part == ".." else (0 if part == "." else 1)
        if depth < 0:
            raise InvalidCode(f"Refusing link {str(rel)!r} -> {target!r}: points outside the package")


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    try:
        with archive.open(info) as src:
            data = src.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
        raise InvalidCode(CORRUPT) from exc
    if len(data) > limit:
        raise InvalidCode(f"Refusing entry {info.filename!r}: too large")
    return data


def _extract_file(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, budget: int) -> int:
    """Copy one entry, trusting the actual stream rather than the declared sizes."""
    written = 0
    try:
        with archive.open(info) as src, open(path, "xb") as out:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > budget:
                    raise InvalidCode(f"Unzipped size must be smaller than {UNZIPPED_LIMIT} bytes")
                if written > info.file_size:
                    raise InvalidCode(f"Refusing entry {info.filename!r}: larger than declared (zip bomb)")
                out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise InvalidCode(CORRUPT) from exc
    except FileExistsError as exc:
        raise InvalidCode(f"Refusing entry {info.filename!r}: clashes with another entry") from exc
    return written


def _overlay(src: Path, dest: Path) -> None:
    """Hard-link (or copy) the tree `src` into `dest`, replacing files that exist already."""
    for dirpath, dirnames, filenames in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        out = dest / rel
        out.mkdir(parents=True, exist_ok=True)
        os.chmod(out, 0o755)
        for name in filenames + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            s, d = Path(dirpath) / name, out / name
            if d.is_symlink() or d.is_file():
                d.unlink()
            elif d.is_dir():
                _remove_tree(d)
            if s.is_symlink():
                os.symlink(os.readlink(s), d)
            else:
                try:
                    os.link(s, d)
                except OSError:
                    shutil.copy2(s, d)


def _make_read_only(root: Path) -> None:
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            p = Path(dirpath) / name
            if not p.is_symlink():
                os.chmod(p, 0o555 if os.stat(p).st_mode & 0o111 else 0o444)
        os.chmod(dirpath, 0o555)


def _remove_tree(root: Path) -> None:
    if not root.exists():
        return
    for dirpath, _dirnames, _filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
    shutil.rmtree(root, ignore_errors=True)


def _tree_size(root: Path) -> int:
    total = 0
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            p = Path(dirpath) / name
            if not p.is_symlink():
                total += p.stat().st_size
    return total


def _write_atomic(path: Path, data: bytes) -> None:
    if path.exists():
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
