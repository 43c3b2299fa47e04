"""A content-addressed cache under the output folder: model results, fragments, PDF chunks.

Keys are SHA-256 digests of everything a value depends on, always including CODE, a digest
of qabook's own source and templates, so a changed compiler never reuses an old value.

A cache folder may come with a downloaded book, so nothing read from it is believed until it
is proved to be this user's own writing for that very key. Each entry is sealed: it starts
with an HMAC-SHA256 of its kind, its key and its bytes, made with a per-user secret
(`$XDG_CACHE_HOME/qabook/secret`, mode 0600, outside any book). A flipped, truncated, swapped
or foreign entry (another machine, another user, another qabook) fails the seal and is a
miss, never an error and never a wrong value.

Values are pickled, not encoded as JSON: they are qabook's frozen dataclasses nested in
tuples, dicts with tuple keys and bytes (laid-out PDF), which JSON would need a codec per
class and base64 to carry, slower and one more place to forget a new field. Pickle runs code
only through the globals it names, so the entries are unpickled (after the seal holds) by an
unpickler that finds nothing but qabook's own dataclasses, in modules already loaded (the
Python docs' "Restricting Globals"): even a leaked secret cannot make an entry run code.

An entry is read only if it is a regular file (never a FIFO, device or symlink, which could
block or never end) of at most MAX_ENTRY bytes. Writes go through a nameless file that is
named only when complete, so a killed build leaves no half entry; a cache folder that cannot
be read or written (a file, read-only, full) costs speed, never the build.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import io
import os
import pickle
import stat
import sys
import sysconfig
import threading
from pathlib import Path
from typing import Any

from qabook.regular import NotRegular, TooLarge, read_regular
from qabook.resources import PACKAGE, TEMPLATES

MAGIC = b"qabook-cache 2\n"  #: the format: an older cache folder is a miss, not misread
SEAL = 32  #: bytes of HMAC-SHA256 after MAGIC
MAX_ENTRY = 64 * 1024 * 1024  #: bytes; far above any value qabook caches (a chunk: ~0.3 MB)
SECRET_BYTES = 32
#: the secret when no per-user one can be kept: made at import, so the processes a build
#: forks share it; entries of other processes are then misses (correct, only slower)
PROCESS_SECRET = os.urandom(SECRET_BYTES)
#: this process's reads by kind: (hits, misses); what `--verbose` reports
READS: dict[str, list[int]] = {}


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


def secret_path() -> Path | None:
    """Where this user's secret lives: $XDG_CACHE_HOME/qabook/secret, else ~/.cache/…"""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec: a relative value is ignored
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home at all
            return None
    return Path(base) / "qabook" / "secret"


def load_secret() -> bytes:
    """This user's secret, made on first use; PROCESS_SECRET when none can be kept."""
    path = secret_path()
    if path is None:
        return PROCESS_SECRET
    try:
        return _read_secret(path)
    except (OSError, ValueError):
        pass
    try:
        return _make_secret(path)
    except OSError:
        return PROCESS_SECRET


@functools.cache
def user_secret() -> bytes:
    """load_secret(), once per process."""
    return load_secret()


def _read_secret(path: Path) -> bytes:
    """The secret in path, if it is one: a regular file of ours that no one else can read."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if (not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid()
                or info.st_mode & 0o077 or info.st_size != SECRET_BYTES):
            raise ValueError(f"{path} is not a private secret")
        secret = _read_all(fd, SECRET_BYTES)
    finally:
        os.close(fd)
    if len(secret) != SECRET_BYTES:  # it shrank as we read it
        raise ValueError(f"{path} is not a private secret")
    return secret


def _make_secret(path: Path) -> bytes:
    """A new secret in path, born private; if another process made one first, that one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    secret = os.urandom(SECRET_BYTES)
    temporary = path.with_name(f".secret.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a stale temporary of a killed process may have kept its mode
        os.write(fd, secret)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        try:
            os.link(temporary, path)  # never replaces the secret another process just made
        except FileExistsError:
            try:
                return _read_secret(path)
            except (OSError, ValueError):  # a broken one (not ours, readable by others)
                os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return secret


class _Unpickler(pickle.Unpickler):
    """Finds qabook's own dataclasses and nothing else: no function, no other class, and no
    module that is not loaded yet (importing one runs its code; `qabook.__main__` runs the
    command line)."""

    def find_class(self, module: str, name: str) -> Any:
        found = getattr(sys.modules.get(module), name, None)
        if ((module == "qabook" or module.startswith("qabook.")) and isinstance(found, type)
                and dataclasses.is_dataclass(found)):
            return found
        raise pickle.UnpicklingError(f"{module}.{name} is not a cached type")


#: the kinds a Cache with memory keeps in it: what `check` reads for every file and formula
#: of the book, values nothing changes after they are read (the stages make new objects)
REMEMBERED = frozenset({"model", "bibliography", "tex"})
MAX_REMEMBERED = 4096


class Cache:
    """Values by kind and key in a folder; a Cache without a folder stores nothing."""

    def __init__(self, folder: Path | None, secret: bytes | None = None,
                 memory: dict | None = None):
        """secret: the key of the seals; by default this user's (see user_secret). memory:
        a dict kept by a long-lived process (`qabook serve`) for the values of REMEMBERED
        kinds it read or wrote before, so that they are not read and unpickled again."""
        self.folder = folder
        self._secret = secret
        self._memory = memory

    def _path(self, kind: str, ident: str) -> Path:
        return self.folder / kind / ident[:2] / ident

    def _seal(self, kind: str, ident: str, payload: bytes) -> bytes:
        """The HMAC binding payload to its kind and key, and so to this entry's place."""
        mac = hmac.new(self._secret or user_secret(), MAGIC, hashlib.sha256)
        mac.update(f"{kind}\0{ident}\0".encode())
        mac.update(payload)
        return mac.digest()

    def get(self, kind: str, ident: str) -> Any | None:
        """The value put under kind and ident by this user's qabook, or None."""
        if self.folder is None:
            return None
        remembered = self._memory is not None and kind in REMEMBERED
        value = self._memory.get((kind, ident)) if remembered else None
        if value is None:
            value = self._get(kind, ident)
            if remembered and value is not None:
                self._remember(kind, ident, value)
        READS.setdefault(kind, [0, 0])[value is None] += 1
        return value

    def _remember(self, kind: str, ident: str, value: Any) -> None:
        if len(self._memory) >= MAX_REMEMBERED:
            self._memory.clear()
        self._memory[(kind, ident)] = value

    def _get(self, kind: str, ident: str) -> Any | None:
        data = _read_entry(self._path(kind, ident))
        if data is None or not data.startswith(MAGIC):
            return None
        view = memoryview(data)
        seal, payload = view[len(MAGIC):len(MAGIC) + SEAL], view[len(MAGIC) + SEAL:]
        if not hmac.compare_digest(seal, self._seal(kind, ident, payload)):
            return None
        try:
            return _Unpickler(io.BytesIO(payload)).load()
        except Exception:  # noqa: BLE001 - a type that moved or vanished: a miss
            return None

    def put(self, kind: str, ident: str, value: Any) -> None:
        """Store value under kind and ident if the folder lets us; never fails the build."""
        if self.folder is None:
            return
        if self._memory is not None and kind in REMEMBERED:
            self._remember(kind, ident, value)
        try:
            payload = pickle.dumps(value, protocol=5)
        except (RecursionError, pickle.PicklingError):  # absurdly deep content: not cached
            return
        if len(MAGIC) + SEAL + len(payload) > MAX_ENTRY:
            return
        entry = MAGIC + self._seal(kind, ident, payload) + payload
        try:
            _write_entry(self.folder, (kind, ident[:2]), ident, entry)
        except OSError:  # a read-only or full disk makes the cache useless, not the build
            pass


def _read_entry(path: Path) -> bytes | None:
    """The bytes of a regular file of at most MAX_ENTRY bytes, or None; anything else (a
    FIFO, a device, a symlink, a folder) is not opened, or not read."""
    try:
        return read_regular(path, MAX_ENTRY)
    except (OSError, NotRegular, TooLarge):
        return None


def _read_all(fd: int, size: int) -> bytes:
    """Up to size bytes (fewer if the file shrank meanwhile)."""
    chunks, left = [], size
    while left > 0:
        chunk = os.read(fd, left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _write_entry(root: Path, folders: tuple[str, ...], name: str, data: bytes) -> None:
    """Write data to root/folders…/name at once: into a file without a name (O_TMPFILE),
    named when complete, then renamed over any old entry. The subfolders are entered without
    following symlinks, so an entry is never written outside root; nor is root itself
    followed: a cache folder that is a symlink (one that came with a book could lead
    anywhere) is not written."""
    root.mkdir(parents=True, exist_ok=True)
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        for part in folders:
            folder = _enter(folder, part)
        _write_into(folder, name, data)
    finally:
        os.close(folder)


def _enter(parent: int, name: str) -> int:
    """The subfolder name of parent (made if missing, never a symlink); parent is closed."""
    try:
        try:
            os.mkdir(name, 0o755, dir_fd=parent)
        except FileExistsError:
            pass
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                       dir_fd=parent)
    finally:
        os.close(parent)


def _write_into(folder: int, name: str, data: bytes) -> None:
    temporary = f".{name}.{os.getpid()}.{threading.get_native_id()}.part"
    try:
        fd = os.open(".", os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o644, dir_fd=folder)
        named = False
    except (AttributeError, OSError):  # no O_TMPFILE here: a hidden named file instead
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
                     | os.O_CLOEXEC, 0o644, dir_fd=folder)
        named = True
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if not named:
                os.link(f"/proc/self/fd/{fd}", temporary, dst_dir_fd=folder,
                        follow_symlinks=True)
        finally:
            os.close(fd)
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    finally:
        try:
            os.unlink(temporary, dir_fd=folder)
        except FileNotFoundError:
            pass


NO_CACHE = Cache(None)
