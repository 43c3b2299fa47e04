"""Only regular files are read: a path is lstat'ed before it is opened, and reads are bounded.

A contributed book can hold a FIFO, a socket or a device under a figure's name: opening a
FIFO blocks forever, and reading a device never ends. So what a path is comes from lstat
first, the file is opened without following a symlink and without blocking, and what was
opened is checked again (it may have been swapped in between) before a bounded read.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import sys
from pathlib import Path

#: what lstat can say a path is, besides a regular file, in the words of a diagnostic
KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
         (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
         (stat.S_ISLNK, "a symbolic link"))


class NotRegular(Exception):
    """The path exists but is not a regular file; the message says what it is ("a FIFO")."""


class TooLarge(Exception):
    """The file is larger than the limit; `size` is its size in bytes."""

    def __init__(self, size: int):
        super().__init__(f"{size} bytes")
        self.size = size


def kind_of(mode: int) -> str:
    """What a file of this mode is, for a message: "a FIFO", "a folder", …"""
    return next((name for test, name in KINDS if test(mode)), "not a regular file")


def kind(path: Path) -> str | None:
    """What path is when it is not a regular file ("a folder", "missing", …), or None.

    Symlinks are followed; a loop of them is named as such.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link that leads back to itself (a loop)"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "missing"
        return f"unreadable ({exc.strerror})"
    return None if stat.S_ISREG(mode) else kind_of(mode)


def check_regular(path: Path) -> os.stat_result:
    """The path's lstat if it is a regular file; raises NotRegular (or OSError) if not."""
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise NotRegular(kind_of(info.st_mode))
    return info


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, never blocking on what is not one.

    Raises NotRegular, TooLarge or OSError."""
    before = check_regular(path)
    if before.st_size > limit:
        raise TooLarge(before.st_size)
    fd = _open(path, before)
    try:
        data = _read_up_to(fd, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew after lstat
        raise TooLarge(len(data))
    return data


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file, through symlinks (at most limit + 1 of them, so that the
    caller can tell it is too large), or NotRegular.

    The file it leads to is opened as read_regular opens it: without blocking, and checked
    again once open, so a file swapped for a FIFO between the check and the open is still
    refused.
    """
    what = kind(path)
    if what is not None:
        raise NotRegular(what)
    real = Path(os.path.realpath(path))
    try:
        fd = _open(real, check_regular(real))
    except OSError as exc:
        raise NotRegular(f"unreadable ({exc.strerror})") from None
    try:
        return _read_up_to(fd, sys.maxsize if limit is None else limit + 1)
    except OSError as exc:
        raise NotRegular(f"unreadable ({exc.strerror})") from None
    finally:
        os.close(fd)


def _open(path: Path, before: os.stat_result) -> int:
    """Open the regular file lstat found at path: not through a symlink, not blocking, and
    only if it is still that file (NotRegular otherwise)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    opened = os.fstat(fd)
    if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (
            before.st_dev, before.st_ino):
        os.close(fd)
        raise NotRegular(kind_of(opened.st_mode) if not stat.S_ISREG(opened.st_mode)
                         else "a file that was replaced while it was read")
    return fd


def _read_up_to(fd: int, count: int) -> bytes:
    """At most count bytes of fd (fewer at its end)."""
    chunks, size = [], 0
    while size < count:
        chunk = os.read(fd, min(1 << 20, count - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


#: files larger than this are told apart by size and time, not read (figures are smaller)
DIGEST_LIMIT = 16 * 1024 * 1024


def state(root: Path, relative: str) -> str:
    """What root/relative holds now, to tell whether it changed: the digest of the regular
    file it leads to (through symlinks that stay inside root), else what it is ("missing",
    "a FIFO", where outside root it leads, …). Opens nothing but a regular file inside root."""
    real = Path(os.path.realpath(root / relative))
    if not real.is_relative_to(root.resolve()):
        return f"outside: {real}"
    try:
        info = os.stat(real)
        if not stat.S_ISREG(info.st_mode):
            return kind_of(info.st_mode)
        if info.st_size > DIGEST_LIMIT:
            return f"{info.st_size} bytes, modified {info.st_mtime_ns}"
        data = read_regular(real, DIGEST_LIMIT)
    except FileNotFoundError:
        return "missing"
    except (OSError, NotRegular, TooLarge) as exc:
        return f"unreadable: {exc}"
    return hashlib.sha256(data).hexdigest()
