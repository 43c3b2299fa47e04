"""Writing artifacts: atomically, and zip files with fixed metadata for reproducible bytes."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Callable, Iterable

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def atomic_write(target: Path, write: Callable[[Path], None]) -> Path:
    """Let write() fill a temporary file next to target, then move it into place.

    A crash or an exception leaves the previous target untouched and no partial file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        write(temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def write_zip(path: Path, entries: Iterable[tuple[str, bytes, bool]]) -> None:
    """A zip with fixed dates and permissions; entries are (name, data, compress)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, compress in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, data, compresslevel=9 if compress else None)


def read_zip(path: Path) -> list[tuple[str, bytes]]:
    """The entries of a zip in stored order."""
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]
