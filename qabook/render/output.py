"""Writing artifacts: each file atomically, the set of a build as one publication into an
output folder one build holds at a time, and zip files with fixed metadata for
reproducible bytes."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import time
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


class FolderBusy(Exception):
    """Another build holds the output folder; `holder` is its process id when known."""

    def __init__(self, holder: int | None):
        super().__init__(holder)
        self.holder = holder


class OutputFolder:
    """The output folder, held by one build at a time, whose artifacts change as one set.

    Entering takes an exclusive lock (flock on the folder itself, so a read-only folder can
    still be checked as up to date) and finishes a publication that a power cut interrupted.
    Renderers write into `staging` and keep their temporary files in `scratch`, both inside
    the folder (same file system, so publishing is renaming), and both removed on exit,
    whatever ends the build. `publish` puts every staged file in place at once: the renames
    are listed in a journal first and run with the usual termination signals blocked, and a
    journal left by a build killed mid-way is rolled forward by the next one, so readers
    never see the files of two editions side by side.
    """

    HOLDER = ".qabook-lock"  #: the id of the process that holds the folder (for messages)
    WORK = ".qabook-build"  #: staging/ and scratch/ of the build that holds the folder
    JOURNAL = ".qabook-publish.json"  #: the renames of a publication under way
    SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT}

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> "OutputFolder":
        return self if self._fd is not None else self.open()

    def open(self) -> "OutputFolder":
        """Hold the folder (FolderBusy when another build does; OSError when it cannot be
        made or read); leave it by using this as a context manager."""
        self.path.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = None
            raise FolderBusy(self._holder()) from None
        try:  # who holds it, for the message another build prints; a read-only folder can't say
            (self.path / self.HOLDER).write_text(f"{os.getpid()}\n")
        except OSError:
            pass
        try:
            self._roll_forward()
        except BaseException:
            self.__exit__()
            raise
        shutil.rmtree(self.path / self.WORK, ignore_errors=True)  # a killed build's leftovers
        return self

    def __exit__(self, *exc) -> None:
        for _ in range(20):  # a killed worker may still be on its way out, writing
            shutil.rmtree(self.path / self.WORK, ignore_errors=True)
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

    def _holder(self) -> int | None:
        try:
            return int((self.path / self.HOLDER).read_text().strip())
        except (OSError, ValueError):
            return None

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

    def publish(self, moves: list[tuple[Path, Path]]) -> None:
        """Give every staged file its final path (each pair: staged, final) as one step.

        Each staged file must be complete and on the final path's file system."""
        if not moves:
            return
        journal = self.path / self.JOURNAL
        text = json.dumps([[str(a.resolve()), str(b.resolve())] for a, b in moves])
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, self.SIGNALS)
        try:
            atomic_write(journal, lambda handle: handle.write(text.encode()))
            self._roll_forward()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def _roll_forward(self) -> None:
        """Finish the publication the journal lists (what is already in place is skipped)."""
        journal = self.path / self.JOURNAL
        try:
            moves = json.loads(journal.read_text())
        except FileNotFoundError:
            return
        except ValueError:  # written atomically, so never torn: not ours; nothing to finish
            moves = []
        folders = set()
        for staged, final in moves:
            if os.path.lexists(staged):
                os.replace(staged, final)
                folders.add(os.path.dirname(final))
        for folder in sorted(folders):
            _sync_folder(Path(folder))
        journal.unlink()
        _sync_folder(self.path)


def _sync_folder(folder: Path) -> None:
    """Make the renames in a folder durable before the journal that lists them goes."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
