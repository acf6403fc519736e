"""Build deployment packages in memory for the compute tests."""

from __future__ import annotations

import io
import stat
import zipfile


def make_zip(files: dict[str, bytes | str], executable: tuple[str, ...] = (), links: dict[str, str] | None = None,
             compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of `files` (name -> content); names in `executable` get mode 0755; `links` are symlinks."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            info.external_attr = (stat.S_IFREG | (0o755 if name in executable else 0o644)) << 16
            zf.writestr(info, content)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buf.getvalue()
