"""Regular files only: a FIFO, device, socket, folder or symlink loop in a book is named,
never opened (opening a FIFO blocks for ever; a device can be endless or act on open)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
         (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


class NotRegular(Exception):
    """A path that is not a regular file; the message says what it is instead."""


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
    return _kind_of(mode)


def _kind_of(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in KINDS if test(mode)), "not a regular file")


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file (at most limit + 1 of them), or NotRegular.

    The file is opened without blocking and checked again once open, so a file swapped for
    a FIFO between the check and the open is still refused.
    """
    what = kind(path)
    if what is not None:
        raise NotRegular(what)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise NotRegular(f"unreadable ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        what = _kind_of(os.fstat(fd).st_mode)
        if what is not None:
            raise NotRegular(what)
        try:
            return handle.read() if limit is None else handle.read(limit + 1)
        except OSError as exc:
            raise NotRegular(f"unreadable ({exc.strerror})") from None
