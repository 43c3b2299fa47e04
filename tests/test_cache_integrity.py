"""A cache that cannot lie or run code: an entry is believed only when this user's qabook
wrote it under that very key, and a cache that cannot be used costs speed, never
correctness (issue 15; audit findings F13, F14 and the cache rows of F10)."""

from __future__ import annotations

import json
import os
import pickle
import stat
import subprocess
import sys
import textwrap
import threading
import tracemalloc
from pathlib import Path

import pytest
from conftest import BASE, REPO, reported, run

from qabook import cache as cache_module
from qabook import pipeline
from qabook.cache import Cache
from qabook.diagnostics import Diagnostics

#: every kind of entry a check of the test book writes (math-words: each formula's words and
#: linear text for the tagged PDF, tex/words.py)
CHECK_KINDS = ["model", "tex", "math", "math-words", "bibliography"]


def checked(book: Path, cache: Cache):
    """The resolved book and every diagnostic line of a check: what a cache must not change."""
    diags = Diagnostics()
    resolved = pipeline.check(book, diags, cache)
    return resolved, [d.headline() for d in diags.sorted()]


def entries(folder: Path) -> list[Path]:
    """The cache's entries (kind/prefix/key), not the manifest or anything else beside them."""
    return sorted(p for p in folder.glob("*/*/*") if len(p.name) == 64)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    copy = tmp_path / "book"
    subprocess.run(["cp", "-r", str(BASE), str(copy)], check=True)
    return copy


@pytest.fixture
def clean(book: Path):
    """What a check without a cache says: the truth every cached check must equal."""
    return checked(book, Cache(None))


@pytest.fixture
def warm(book: Path, clean) -> Path:
    """A cache folder filled by one check of the book (every kind in CHECK_KINDS)."""
    folder = book.parent / "cache"
    assert checked(book, Cache(folder)) == clean
    assert {p.parent.parent.name for p in entries(folder)} == set(CHECK_KINDS)
    return folder


class Exploit:
    """A pickle that, when loaded, creates a folder: the audit's os.system, without a shell."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_a_planted_pickle_never_runs(book: Path, clean, warm: Path) -> None:
    """The audit's attack: a pickle that runs code, at the exact path and key qabook reads
    (each entry the check just wrote). The code never runs and the check is a clean one."""
    marker = book.parent / "pwned"
    for entry in entries(warm):
        entry.write_bytes(pickle.dumps(Exploit(marker), protocol=5))
    assert checked(book, Cache(warm)) == clean
    assert not marker.exists()


ATTACKER = textwrap.dedent('''
    """Another machine with this very qabook: it knows every key and writes entries with
    qabook's own Cache.put, but has its own secret."""
    import os, pickle, sys
    from pathlib import Path
    from qabook import pipeline
    from qabook.cache import Cache
    from qabook.diagnostics import Diagnostics

    book, folder, marker, how = sys.argv[1:]

    class Exploit:
        def __reduce__(self):
            return os.mkdir, (marker,)

    def poisoned(value):
        """The same value with some of its words changed: it loads like the real one."""
        return pickle.loads(pickle.dumps(value, protocol=5).replace(b"first", b"FIRST"))

    class Planting(Cache):
        def get(self, kind, ident):
            return None

        def put(self, kind, ident, value):
            super().put(kind, ident, Exploit() if how == "exploit" else poisoned(value))

    pipeline.check(Path(book), Diagnostics(), Planting(Path(folder)))
''')


@pytest.mark.parametrize("how", ["poison", "exploit"])
def test_a_cache_written_elsewhere_is_a_miss(book: Path, clean, tmp_path: Path,
                                             how: str) -> None:
    """Entries written at the right keys by qabook itself, but on another machine (another
    user secret): poisoned values are never shown, planted code never runs."""
    folder, marker, home = tmp_path / "cache", tmp_path / "pwned", tmp_path / "elsewhere"
    env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(home),
           "XDG_CACHE_HOME": str(home / ".cache")}
    attack = subprocess.run([sys.executable, "-c", ATTACKER, str(book), str(folder),
                             str(marker), how], env=env, capture_output=True, text=True,
                            check=False)
    assert attack.returncode == 0, attack.stderr
    assert len(entries(folder)) >= 6 and not marker.exists()
    assert checked(book, Cache(folder)) == clean
    assert not marker.exists()


def flip(paths: list[Path]) -> None:
    """Change a letter inside each entry (same length: an old pickle still loads, wrong)."""
    for path in paths:
        data = path.read_bytes()
        changed = data.replace(b"first", b"firSt").replace(b"question", b"quesTion")
        if changed == data:
            changed = data[:-1] + bytes([data[-1] ^ 1])
        path.write_bytes(changed)


def rotate(paths: list[Path]) -> None:
    """Each entry gets the bytes of the next one: entries under each other's keys."""
    contents = [path.read_bytes() for path in paths]
    for path, data in zip(paths, contents[1:] + contents[:1]):
        path.write_bytes(data)


def swap_within_kinds(paths: list[Path]) -> None:
    for kind in sorted({path.parent.parent for path in paths}):
        rotate([path for path in paths if path.parent.parent == kind])


def truncate(paths: list[Path]) -> None:
    """Cut each entry somewhere else: at 0, in its header, in its middle, before its end."""
    for index, path in enumerate(paths):
        data = path.read_bytes()
        path.write_bytes(data[:[0, 20, len(data) // 2, len(data) - 1][index % 4]])


@pytest.mark.parametrize("damage", [flip, swap_within_kinds, rotate, truncate],
                         ids=["flipped", "swapped", "swapped-across-kinds", "truncated"])
def test_a_damaged_entry_is_a_miss(book: Path, clean, warm: Path, damage) -> None:
    """Whatever happened to the bytes, the check says exactly what a check without a cache
    says (never a wrong value, never a crash), and heals the cache as it goes."""
    damage(entries(warm))
    assert checked(book, Cache(warm)) == clean
    assert checked(book, Cache(warm)) == clean


def test_a_damaged_cache_builds_the_bytes_of_a_clean_build(book: Path, tmp_path: Path) -> None:
    """Every entry a build writes (fragments, EPUB files, PDF chunks…) is read back by the
    next build, whose processes find the types in it; swapped and flipped, every entry is a
    miss: the artifacts are byte for byte the cold build's (which test_cache.py holds to a
    build without a cache), and the source's anki-history.json is not touched."""
    out = tmp_path / "out"
    build = ["build", "--source", str(book), "--out", str(out)]
    code, _, err = run(*build)
    assert code == 0, err
    cold = {path.name: path.read_bytes() for path in out.glob("a-tiny-book.*")}
    assert sorted(Path(name).suffix for name in cold) == [".apkg", ".epub", ".pdf"]
    history = (book / "anki-history.json").read_bytes()
    written = entries(out / ".cache")
    assert {p.parent.parent.name for p in written} >= {"model", "html", "anki-html", "epub",
                                                       "print-html", "pdf-chunk", "pdf-map"}
    for damage in [None, swap_within_kinds, flip]:
        inodes = {path: path.stat().st_ino for path in written}
        for name in cold:
            (out / name).unlink()
        if damage is not None:
            damage(written)
        code, _, err = run(*build)
        assert code == 0, err
        for name, data in cold.items():
            assert (out / name).read_bytes() == data, name
        assert (book / "anki-history.json").read_bytes() == history
        if damage is None:  # a miss is written again (a new file); so are the page map and
            # the manifest, always
            assert [path for path in written if path.stat().st_ino != inodes[path]
                    and path.parent.parent.name not in ("pdf-map", "manifest")] == []


@pytest.mark.parametrize("call", [(os.mkdir, "pwned"), (cache_module._make_secret, "pwned")],
                         ids=["a-function-elsewhere", "a-function-of-qabook"])
def test_even_a_sealed_entry_cannot_run_code(tmp_path: Path, call) -> None:
    """Defence in depth, should the secret leak: an entry that passes its seal is unpickled
    by an unpickler that finds only qabook's dataclasses, so a call in it never runs."""
    function, name = call

    class Planted:
        def __reduce__(self):
            return function, (tmp_path / name,)

    cache = Cache(tmp_path / "cache", b"a leaked secret")
    cache.put("model", "ab" * 32, {"result": Planted()})
    assert cache.get("model", "ab" * 32) is None
    assert not (tmp_path / name).exists()


def test_even_a_sealed_entry_imports_no_module(tmp_path: Path) -> None:
    """A sealed entry naming a module not loaded yet does not load it: importing
    qabook.__main__ would run the command line."""
    cache, ident = Cache(tmp_path / "cache", b"a leaked secret"), "ab" * 32
    payload = b"\x80\x05cqabook.__main__\nmain\n)R."  # qabook.__main__.main()
    assert "qabook.__main__" not in sys.modules
    path = tmp_path / "cache" / "model" / "ab" / ident
    path.parent.mkdir(parents=True)
    path.write_bytes(cache_module.MAGIC + cache._seal("model", ident, payload) + payload)
    assert cache.get("model", ident) is None
    assert "qabook.__main__" not in sys.modules


@pytest.fixture
def unblocked(tmp_path: Path):
    """After 5 s, keep opening every FIFO under tmp_path for writing, so that a reader blocked
    on one sees its end (instead of hanging the suite); yields whether that was needed."""
    done, needed = threading.Event(), []

    def release() -> None:
        if done.wait(5):
            return
        needed.append(True)
        while not done.wait(0.05):
            for path in tmp_path.rglob("*"):
                try:
                    if not stat.S_ISFIFO(path.lstat().st_mode):
                        continue
                    os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
                except OSError:  # no reader waiting on this one
                    pass

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    yield needed
    done.set()
    thread.join()


def fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def symlink_to_fifo(path: Path) -> None:
    target = path.parent / f"{path.name}.fifo"
    os.mkfifo(target)
    path.unlink()
    path.symlink_to(target)


@pytest.mark.parametrize("plant", [fifo, symlink_to_fifo], ids=["fifo", "symlink"])
def test_an_entry_that_is_not_a_regular_file_is_not_opened(book: Path, clean, warm: Path,
                                                           unblocked, plant) -> None:
    """A shipped cache whose entries are FIFOs (or symlinks to them, or to /dev/zero) would
    hang or exhaust the check: they are misses, never opened for reading."""
    for entry in entries(warm):
        plant(entry)
    assert checked(book, Cache(warm)) == clean
    assert not unblocked, "a read blocked on a FIFO"


def test_an_oversized_entry_is_not_read(tmp_path: Path) -> None:
    """An entry larger than any value qabook caches is a miss without being read."""
    cache = Cache(tmp_path / "cache")
    ident = "ab" * 32
    path = tmp_path / "cache" / "model" / ident[:2] / ident
    path.parent.mkdir(parents=True)
    with open(path, "wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: costs no disk
    tracemalloc.start()
    try:
        assert cache.get("model", ident) is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 1024 * 1024


def file_in_place_of_cache(folder: Path) -> None:
    folder.write_text("not a folder")


def file_in_place_of_kinds(folder: Path) -> None:
    folder.mkdir()
    for kind in CHECK_KINDS:
        (folder / kind).write_text("not a folder")


@pytest.mark.parametrize("fault", [file_in_place_of_cache, file_in_place_of_kinds],
                         ids=["cache-is-a-file", "kinds-are-files"])
def test_a_cache_folder_that_is_a_file_is_no_cache(book: Path, clean, tmp_path: Path,
                                                   fault) -> None:
    folder = tmp_path / "cache"
    fault(folder)
    before = sorted(folder.rglob("*")) if folder.is_dir() else [folder]
    assert checked(book, Cache(folder)) == clean
    assert checked(book, Cache(folder)) == clean
    assert (sorted(folder.rglob("*")) if folder.is_dir() else [folder]) == before


def test_a_symlinked_cache_subfolder_is_not_written_through(book: Path, clean,
                                                           tmp_path: Path) -> None:
    """A shipped cache whose kind folders are symlinks elsewhere cannot make qabook write
    there: such a folder is not entered, its values are not cached."""
    folder, elsewhere = tmp_path / "cache", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    for kind in CHECK_KINDS:
        (folder / kind).symlink_to(elsewhere)
    assert checked(book, Cache(folder)) == clean
    assert list(elsewhere.iterdir()) == []


def test_a_build_with_a_file_in_place_of_its_cache_succeeds(book: Path, tmp_path: Path) -> None:
    """The audit's `OUT/.cache` that is a regular file (it used to crash with exit 3)."""
    out = tmp_path / "out"
    out.mkdir()
    (out / ".cache").write_text("not a folder")
    code, _, err = run("build", "--source", str(book), "--out", str(out), "-f", "apkg")
    assert (code, reported(err)) == (0, "")
    assert (out / ".cache").read_text() == "not a folder"


IN_A_MOUNT = textwrap.dedent('''
    """Run in a private mount namespace where the cache folder is a tiny or read-only disk."""
    import json, os, sys
    from pathlib import Path
    from qabook import pipeline
    from qabook.cache import Cache
    from qabook.diagnostics import Diagnostics

    book, folder = Path(sys.argv[1]), Path(sys.argv[2])
    cache = Cache(folder)
    cache.put("model", "cd" * 32, os.urandom(300_000))  # larger than the disk
    for _ in range(2):
        diags = Diagnostics()
        assert pipeline.check(book, diags, cache) is not None and not diags.items
    print(json.dumps(sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                            if not p.is_dir())))
''')


@pytest.mark.parametrize("mount", [
    "mount -t tmpfs -o size=64k qabook-full {folder}",
    "mount --bind {folder} {folder} && mount -o remount,bind,ro {folder}",
], ids=["full-disk", "read-only"])
def test_a_cache_on_a_full_or_read_only_disk_is_a_miss(book: Path, tmp_path: Path,
                                                       mount: str) -> None:
    """Writes that fail are skipped and leave no temporary file; the check is clean. (chmod
    does not stop root: a real tmpfs and a read-only bind mount, in a private namespace.)"""
    folder = tmp_path / "cache"
    folder.mkdir()
    probe = subprocess.run(["unshare", "-m", "sh", "-c", mount.format(folder=folder)],
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"needs root (unshare -m, mount): {probe.stderr.strip()}")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    script = f"{mount.format(folder=folder)} && exec \"$0\" -c \"$1\" \"$2\" \"$3\""
    done = subprocess.run(["unshare", "-m", "sh", "-c", script, sys.executable, IN_A_MOUNT,
                           str(book), str(folder)], capture_output=True, text=True, env=env,
                          check=False)
    assert done.returncode == 0, done.stderr
    names = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(len(Path(name).name) == 64 for name in names), names  # no temporary left
    assert not any(name.startswith("model/cd/") for name in names)


def test_the_secret_is_private_and_kept_outside_the_book(tmp_path: Path, monkeypatch) -> None:
    """Created on first use under $XDG_CACHE_HOME/qabook with 0600, then the same in every
    process; entries sealed with another secret are misses."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    secret = cache_module.load_secret()
    path = tmp_path / "xdg" / "qabook" / "secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(secret) == 32 and path.read_bytes() == secret
    assert cache_module.load_secret() == secret
    path.chmod(0o644)  # readable by others: no longer a secret, so it is replaced
    renewed = cache_module.load_secret()
    assert renewed != secret and path.read_bytes() == renewed
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = renewed
    ours, theirs = Cache(tmp_path / "cache", secret), Cache(tmp_path / "cache", b"x" * 32)
    theirs.put("tex", "ef" * 32, ["a verdict"])
    assert theirs.get("tex", "ef" * 32) == ["a verdict"]
    assert ours.get("tex", "ef" * 32) is None


def test_without_a_place_for_the_secret_each_process_has_its_own(tmp_path: Path,
                                                                 monkeypatch) -> None:
    """When the secret cannot be made (here, its folder is a file), the cache still works in
    this process (and the processes it forks), with a secret no other process has."""
    (tmp_path / "xdg").write_text("a file, not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "xdg"))
    secret = cache_module.load_secret()
    assert secret == cache_module.PROCESS_SECRET
    assert (tmp_path / "xdg").read_text() == "a file, not a folder"
