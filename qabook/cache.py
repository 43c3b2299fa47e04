"""A content-addressed cache under the output folder: model results, fragments, PDF chunks.

Keys are SHA-256 digests of everything a value depends on, always including CODE, a digest
of qabook's own source and templates, so a changed compiler never reuses an old value.
A missing or unreadable entry is simply a miss; writes are atomic, so a killed build cannot
leave a half-written entry behind.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import sysconfig
from pathlib import Path
from typing import Any

from qabook.resources import PACKAGE, TEMPLATES


def _code_digest() -> str:
    """Python's version, every installed distribution's version (the engines' output changes
    with them) and qabook's sources and templates (not its bytecode, which Python writes as
    modules are first imported)."""
    digest = hashlib.sha256(sys.version.encode())
    paths = sysconfig.get_paths()
    for folder in sorted({paths["purelib"], paths["platlib"]}):
        try:
            digest.update(" ".join(sorted(n for n in os.listdir(folder)
                                          if n.endswith(".dist-info"))).encode())
        except OSError:
            pass
    folders = [PACKAGE] + ([] if TEMPLATES.is_relative_to(PACKAGE) else [TEMPLATES])
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(folder)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


CODE = _code_digest()


def key(*parts: Any) -> str:
    """A cache key: the digest of the code and of every part (bytes, str or picklable)."""
    digest = hashlib.sha256(CODE.encode())
    for part in parts:
        data = part if isinstance(part, bytes) else (
            part.encode() if isinstance(part, str) else pickle.dumps(part, protocol=5))
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def file_digest(path: Path) -> str | None:
    """SHA-256 of a file's bytes, or None when it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class Cache:
    """Values by kind and key in a folder; a Cache without a folder stores nothing."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def _path(self, kind: str, ident: str) -> Path:
        return self.folder / kind / ident[:2] / ident

    def get(self, kind: str, ident: str) -> Any | None:
        if self.folder is None:
            return None
        try:
            return pickle.loads(self._path(kind, ident).read_bytes())
        except Exception:  # noqa: BLE001 - a damaged entry is a miss, never a failure
            return None

    def put(self, kind: str, ident: str, value: Any) -> None:
        if self.folder is None:
            return
        path = self._path(kind, ident)
        try:
            data = pickle.dumps(value, protocol=5)
        except (RecursionError, pickle.PicklingError):  # absurdly deep content: not cached
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}")
            temporary.write_bytes(data)
            os.replace(temporary, path)
        except OSError:  # a read-only or full disk makes the cache useless, not the build
            pass


NO_CACHE = Cache(None)
