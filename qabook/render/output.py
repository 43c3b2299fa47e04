"""Writing artifacts: atomically, and zip files with fixed metadata for reproducible bytes."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def atomic_write(target: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Let write() fill a file that has no name yet, then give it target's name at once.

    The file is opened with O_TMPFILE in target's folder: until it is complete it has no
    name, so a crash, a kill or an exception leaves the previous target untouched and no
    partial file behind. Where O_TMPFILE is missing, a hidden named file is used instead.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        fd = os.open(target.parent, os.O_TMPFILE | os.O_WRONLY, 0o644)
    except (AttributeError, OSError):
        fd = None
    try:
        with (os.fdopen(fd, "wb") if fd is not None else open(temporary, "wb")) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
            if fd is not None:  # name the finished file, then move the name into place
                _name(handle.fileno(), temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def _name(fd: int, path: Path) -> None:
    """Give an O_TMPFILE file a name (linkat with AT_SYMLINK_FOLLOW on /proc/self/fd)."""
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:  # a dir fd makes os.link call linkat, which honours follow_symlinks
        os.link(f"/proc/self/fd/{fd}", path.name, dst_dir_fd=folder, follow_symlinks=True)
    finally:
        os.close(folder)


def write_zip(path: Path | BinaryIO, entries: Iterable[tuple[str, bytes, bool]]) -> None:
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
