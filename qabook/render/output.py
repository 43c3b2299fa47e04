"""Writing artifacts: each file atomically, the set of a build as one publication into an
output folder one build holds at a time, and zip files with fixed metadata for
reproducible bytes."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import signal
import time
import zipfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

from qabook.regular import NotRegular, TooLarge, read_regular

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


class FolderBusy(Exception):
    """Another build holds the output folder; `holder` is its process id when known."""

    def __init__(self, holder: int | None):
        super().__init__(holder)
        self.holder = holder


class StoppedAfterPublishing(KeyboardInterrupt):
    """A stop (its signal's name) that arrived while the set was being published: it was
    held back until the set was in place, so the new set is what the folder holds."""


class OutputFolder:
    """The output folder, held by one build at a time, whose artifacts change as one set.

    Entering takes an exclusive lock (flock on the folder itself, so a read-only folder can
    still be found up to date) and finishes a publication that a power cut interrupted.
    Renderers write into `staging` and keep their temporary files in `scratch`, both inside
    the folder (same file system, so publishing is renaming), and both removed on exit,
    whatever ends the build. `publish` puts every staged file in place at once: their names
    are listed in a journal first, the renames run with the usual termination signals held
    back, and a journal left by a build killed mid-way is rolled forward by the next one, so
    readers never see the files of two editions side by side.

    The folder may come with a downloaded book, so nothing in it is trusted: the journal
    holds bare file names (a rename only ever moves a regular file of the staging folder
    into the folder), and a lock file, a work folder or a journal that is a symlink, a FIFO
    or a folder is removed, never followed or opened.
    """

    HOLDER = ".qabook-lock"  #: the id of the process that holds the folder (for messages)
    WORK = ".qabook-build"  #: staging/ and scratch/ of the build that holds the folder
    JOURNAL = ".qabook-publish.json"  #: the names of a publication under way
    SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT}

    def __init__(self, path: Path):
        self.path = path.absolute()  # engines run in folders of their own
        self._fd: int | None = None
        self.stopped: list[str] = []  #: stops held back while publishing (signal names)

    def __enter__(self) -> "OutputFolder":
        return self if self._fd is not None else self.open()

    def open(self) -> "OutputFolder":
        """Hold the folder (FolderBusy when another build does; OSError when it cannot be
        made or read, or is a symlink); leave it by using this as a context manager."""
        self.path.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW |
                           os.O_CLOEXEC)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = None
            raise FolderBusy(self._holder()) from None
        try:
            self._say_who_holds()
            self._roll_forward()
            self._clear_work()  # a killed build's leftovers
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for _ in range(20):  # a killed worker may still be on its way out, writing
            self._clear_work()
            if not os.path.lexists(self.path / self.WORK):
                break
            time.sleep(0.05)
        try:
            (self.path / self.HOLDER).unlink(missing_ok=True)
        except OSError:  # a read-only folder
            pass
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None

    def _say_who_holds(self) -> None:
        """Write this process's id for the message another build prints (best effort: a
        read-only folder cannot say)."""
        try:
            _remove_unless_regular(self.path / self.HOLDER)
            fd = os.open(self.path / self.HOLDER, os.O_WRONLY | os.O_CREAT | os.O_TRUNC |
                         os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
            with os.fdopen(fd, "w") as handle:
                handle.write(f"{os.getpid()}\n")
        except OSError:
            pass

    def _holder(self) -> int | None:
        try:
            return int(read_regular(self.path / self.HOLDER, 64).decode().strip())
        except (OSError, ValueError, NotRegular, TooLarge):
            return None

    def _clear_work(self) -> None:
        work = self.path / self.WORK
        if os.path.islink(work) or (os.path.lexists(work) and not os.path.isdir(work)):
            work.unlink(missing_ok=True)
        else:
            shutil.rmtree(work, ignore_errors=True)

    @property
    def staging(self) -> Path:
        """Where renderers write the artifacts (created on first use: OSError if it can't)."""
        return self._work("staging")

    @property
    def scratch(self) -> Path:
        """The build's own temporary folder: renderers and their engines put files here."""
        return self._work("scratch")

    def _work(self, name: str) -> Path:
        folder = self.path / self.WORK / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def publish(self, names: list[str]) -> None:
        """Move every named file from the staging folder into the folder, as one step.

        Each target must be absent or a file (checked first: a folder in the way fails the
        publication before anything moved, with OSError). A stop that arrives meanwhile is
        held back and recorded in `stopped`; the caller decides what to do with it."""
        for name in names:
            if _plain_name(name) is None:
                raise ValueError(f"not a file name: {name!r}")
            target = self.path / name
            if os.path.lexists(target) and os.path.isdir(target) and \
                    not os.path.islink(target):
                raise IsADirectoryError(errno.EISDIR, "a folder is in the way", str(target))
        held = signal.pthread_sigmask(signal.SIG_BLOCK, self.SIGNALS)
        try:
            atomic_write(self.path / self.JOURNAL,
                         lambda handle: handle.write(json.dumps(names).encode()))
            self._roll_forward()
        except BaseException:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            raise
        pending = signal.sigpending() & self.SIGNALS
        for sig in sorted(pending):
            signal.sigtimedwait([sig], 0)  # taken now, so it does not fire when unblocked
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        self.stopped = [signal.Signals(sig).name for sig in sorted(pending)]

    def _roll_forward(self) -> None:
        """Finish the publication the journal lists (what is already in place is skipped).

        Only bare names of regular files in the staging folder are moved; a journal that is
        not a list of them is not ours and is dropped."""
        journal = self.path / self.JOURNAL
        if not os.path.lexists(journal):
            return
        try:
            names = json.loads(read_regular(journal, 1 << 16))
        except (OSError, ValueError, NotRegular, TooLarge):
            names = []
        staging = self.path / self.WORK / "staging"
        moved = False
        for name in names if isinstance(names, list) else ():
            plain = _plain_name(name)
            if plain is None or os.path.islink(staging) or not os.path.isdir(staging):
                continue
            staged = staging / plain
            if os.path.lexists(staged) and not os.path.islink(staged) and os.path.isfile(staged):
                os.replace(staged, self.path / plain)
                moved = True
        if moved:
            _sync_folder(self.path)
        _remove_unless_regular(journal)
        journal.unlink(missing_ok=True)
        _sync_folder(self.path)


def _plain_name(name) -> str | None:
    """A bare file name (no folder, not hidden, no control character), else None."""
    if not isinstance(name, str) or not name or name != os.path.basename(name) or \
            name.startswith(".") or any(ord(c) < 32 for c in name):
        return None
    return name


def _remove_unless_regular(path: Path) -> None:
    """Remove what is at path unless it is a regular file (a symlink, a FIFO, a folder)."""
    if os.path.islink(path) or (os.path.lexists(path) and not os.path.isfile(path)):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make the renames in a folder durable before the journal that lists them goes."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
