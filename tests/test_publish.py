"""The set is the unit: a build publishes all its artifacts or none, holds its output folder
alone, keeps its temporary files to itself, stops everything it started when it is stopped,
and holds the engines to a budget of time and memory."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import BASE, artifacts, reported, run
from qabook.render.output import OutputFolder

Q2 = "chapters/01-one/q02-second.md"


@pytest.fixture(scope="module")
def first_edition(tmp_path_factory) -> tuple[Path, Path]:
    """The tiny book and the three artifacts of its first edition (built once)."""
    root = tmp_path_factory.mktemp("first")
    book, out = root / "book", root / "out"
    shutil.copytree(BASE, book)
    code, _, err = run("build", "--source", str(book), "--out", str(out), "--no-cache")
    assert code == 0, err
    return book, out


@pytest.fixture
def edition(first_edition, tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A copy of the book, edited into a second edition, beside the first edition's output,
    and the digests of every file the output folder and the book hold."""
    book, out = tmp_path / "book", tmp_path / "out"
    shutil.copytree(first_edition[0], book)
    shutil.copytree(first_edition[1], out)
    q2 = book / Q2
    q2.write_text(q2.read_text().replace("precedes Q3.", "precedes Q3 (second edition)."))
    return book, out, digests(book, out)


def digests(*folders: Path) -> dict[str, str]:
    return {str(path): hashlib.sha256(path.read_bytes()).hexdigest()
            for folder in folders for path in sorted(folder.rglob("*"))
            if path.is_file() and ".cache" not in path.parts}


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def descendants(pid: int) -> list[int]:
    found = children(pid)
    return found + [d for child in found for d in descendants(child)]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text()
    except OSError:
        return ""


def started(pid: int) -> int:
    """When a process started (clock ticks since boot), 0 if it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0


def pdf_renderer(pid: int) -> int | None:
    """The build's PDF renderer: the renderers are forked in the order of the formats
    (apkg, epub, pdf), so it is the last one started. (The EPUB's renderer may have layout
    workers of its own, when it lays out the print edition's page numbers itself.)"""
    renderers = [r for r in children(pid) if comm(r) == comm(pid)]
    return max(renderers, key=lambda r: (started(r), r)) if renderers else None


def layout_workers(pid: int) -> set[int]:
    renderer = pdf_renderer(pid)
    return {worker for worker in (children(renderer) if renderer else [])
            if comm(worker) == comm(pid)}


def pdf_laying_out(pid: int, out: Path) -> bool:
    """The book was handed to the renderers (the staging folder exists) and the PDF's has
    started its layout workers: Python processes forked from it that stay (a process forked
    to run a program, as loading WeasyPrint does, is gone within milliseconds)."""
    if not (out / OutputFolder.WORK / "staging").exists():
        return False
    workers = layout_workers(pid)
    time.sleep(0.1)
    return bool(workers & layout_workers(pid))


def start_build(book: Path, out: Path, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "qabook", "build", "--source", str(book),
                             "--out", str(out), "--no-cache", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def wait_for(condition, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, f"the build ended first: {proc.communicate()}"
        assert time.monotonic() < deadline
        time.sleep(0.01)


@contextlib.contextmanager
def reaped(pids: list[int]):
    """Kill what the test started if it fails: never leave processes behind."""
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def assert_all_gone(pids: list[int], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids):
        assert time.monotonic() < deadline, "a process of the stopped build lived on"
        time.sleep(0.05)


def ignoring_sigint() -> None:
    """What a shell without job control (a script, CI) does to a command it starts with `&`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("how", ["renderer killed", "SIGTERM", "SIGINT to the group",
                                 "SIGINT to a background group", "SIGHUP", "SIGKILL"])
def test_a_build_stopped_or_failing_in_the_middle_publishes_nothing(edition, how: str) -> None:
    """The apkg and the EPUB are done (staged) while the PDF is being laid out; whatever stops
    the build then, the output folder and the deck's history stay the first edition's, and
    no process of the build lives on to write them later. A build started with SIGINT
    ignored (`qabook build &` from a script) is stopped by it all the same."""
    book, out, before = edition
    proc = start_build(book, out, start_new_session=True,
                       preexec_fn=ignoring_sigint if "background" in how else None)
    processes: list[int] = []
    with reaped(processes):
        wait_for(lambda: pdf_laying_out(proc.pid, out), proc)
        processes += descendants(proc.pid)
        if how == "renderer killed":  # as the kernel's out-of-memory killer would
            os.kill(pdf_renderer(proc.pid), signal.SIGKILL)
        elif how.startswith("SIGINT"):  # Ctrl-C in a terminal, `kill -INT -PGID`
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, getattr(signal, how))
        _, err = proc.communicate(timeout=60)
        assert proc.returncode != 0
        if how != "SIGKILL":
            assert "Traceback" not in err and "internal error" not in err, err
        if how == "renderer killed":
            assert reported(err).startswith("qabook: error: the pdf renderer was killed by "
                                            "signal SIGKILL [environment.killed]"), err
        if how.startswith(("SIGTERM", "SIGHUP", "SIGINT")):
            assert reported(err).startswith(f"qabook: the build was stopped "
                                            f"({how.split()[0]}); nothing was published"), err
        assert_all_gone(processes)
        left = {name: digest for name, digest in digests(book, out).items()
                if ".qabook" not in name}
        assert left == before
        if how == "SIGKILL":  # no clean-up ran: the next build clears what was staged
            assert (out / OutputFolder.WORK).exists(), sorted(p.name for p in out.iterdir())
            assert run("build", "--source", str(book), "--out", str(out), "-f", "epub")[0] == 0
        assert artifacts(out) == ["a-tiny-book.apkg", "a-tiny-book.epub", "a-tiny-book.pdf"]


def test_a_second_build_into_the_same_folder_is_refused_and_names_the_first(edition) -> None:
    book, out, _ = edition
    proc = start_build(book, out)
    with reaped([proc.pid]):
        wait_for(lambda: (out / OutputFolder.HOLDER).exists(), proc)
        code, _, err = run("build", "--source", str(book), "--out", str(out), "-f", "epub")
        assert code == 1
        assert err.startswith(f"qabook: error: another qabook build (process {proc.pid}) is "
                              f"writing into {out} [build.busy]"), err
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    with zipfile_text(out / "a-tiny-book.epub") as text:  # the first build's edition, whole
        assert "(second edition)" in text
    assert artifacts(out) == ["a-tiny-book.apkg", "a-tiny-book.epub", "a-tiny-book.pdf"]


@contextlib.contextmanager
def zipfile_text(path: Path):
    import zipfile

    with zipfile.ZipFile(path) as archive:
        yield "".join(archive.read(n).decode() for n in archive.namelist()
                      if n.endswith(".xhtml"))


def in_namespace(script: str) -> subprocess.CompletedProcess:
    """Run a shell script in a mount namespace of its own (root: unshare -m)."""
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"mounting needs root (unshare -m): {probe.stderr.strip()}")
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                          timeout=180)


def build_command(book: Path, out: Path) -> str:
    return f"{sys.executable} -m qabook build --source {book} --out {out}"


def test_a_read_only_output_folder_is_fine_when_up_to_date_and_named_when_not(
        first_edition, tmp_path: Path) -> None:
    book, out = tmp_path / "book", tmp_path / "out"
    shutil.copytree(first_edition[0], book)
    assert run("build", "--source", str(book), "--out", str(out))[0] == 0  # with its cache
    before = digests(book, out)
    ro = f"mount --bind {out} {out} && mount -o remount,bind,ro {out} && "
    done = in_namespace(ro + build_command(book, out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("up to date:") == 3
    q2 = book / Q2
    q2.write_text(q2.read_text().replace("precedes Q3.", "precedes Q3 (second edition)."))
    before = digests(out)
    done = in_namespace(ro + build_command(book, out))
    assert done.returncode == 1
    assert reported(done.stderr).startswith(f"qabook: error: cannot write into the output "
                                            f"folder {out}: Read-only file system "
                                            "[build.write]"), done.stderr
    assert digests(out) == before


def test_a_read_only_source_folder_is_named_when_the_history_must_change(
        tmp_path: Path) -> None:
    """The deck's history is written beside the book: a read-only book says so, exit 1, no
    traceback, nothing published."""
    book, out = tmp_path / "book", tmp_path / "out"
    shutil.copytree(BASE, book)
    ro = f"mount --bind {book} {book} && mount -o remount,bind,ro {book} && "
    done = in_namespace(ro + build_command(book, out) + " -f apkg")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"cannot update anki-history.json in the source folder" in done.stderr
    assert "[build.write]" in done.stderr and artifacts(out) == []


def test_a_full_disk_leaves_the_previous_set_and_says_so(edition, tmp_path: Path) -> None:
    book, out, _ = edition
    previous = tmp_path / "previous"
    shutil.copytree(out, previous, ignore=shutil.ignore_patterns(".cache"))
    size = sum(p.stat().st_size for p in previous.iterdir()) + 64 * 1024
    full = (f"mount -t tmpfs -o size={size} tmpfs {out} && cp -a {previous}/. {out}/ && "
            f"{build_command(book, out)} --no-cache; code=$?; "
            f"cp -a {out}/. {tmp_path}/after/; exit $code")
    (tmp_path / "after").mkdir()
    done = in_namespace(full)
    assert done.returncode == 1, done.stderr
    assert "No space left on device" in done.stderr and "[build.write]" in done.stderr
    assert "internal error" not in done.stderr
    assert digests(tmp_path / "after") == {str(p).replace(str(previous), str(tmp_path / "after")):
                                           d for p, d in digests(previous).items()}


def test_a_build_keeps_its_temporary_files_in_its_own_folder_and_removes_them(
        tmp_path: Path) -> None:
    """WeasyPrint's font folders, genanki's database, pandoc's scratch: the build's own."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    book, out = tmp_path / "book", tmp_path / "out"
    shutil.copytree(BASE, book)
    done = subprocess.run([sys.executable, "-m", "qabook", "build", "--source", str(book),
                           "--out", str(out), "--no-cache"], capture_output=True, text=True,
                          timeout=180, env={**os.environ, "TMPDIR": str(scratch)})
    assert done.returncode == 0, done.stderr
    assert list(scratch.iterdir()) == []
    assert sorted(p.name for p in out.iterdir()) == ["a-tiny-book.apkg", "a-tiny-book.epub",
                                                     "a-tiny-book.pdf"]


PUBLISH_AND_DIE = """
import os, signal, sys
from pathlib import Path
from qabook.render.output import OutputFolder

out = Path(sys.argv[1])
folder = OutputFolder(out).open()
for name in ("a.epub", "a.pdf"):
    (folder.staging / name).write_text("second edition")
replace = os.replace
def replace_then(src, dst):
    replace(src, dst)
    if str(dst).endswith("a.epub"):  # the journal is in place, and one of the artifacts:
        os.kill(os.getpid(), getattr(signal, sys.argv[2]))
os.replace = replace_then
try:
    folder.publish(["a.epub", "a.pdf"])
except KeyboardInterrupt:
    print("interrupted mid-way")
print("stopped:", folder.stopped)
"""


def test_a_publication_cut_short_is_finished_by_the_next_build(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in ("a.epub", "a.pdf"):
        (out / name).write_text("first edition")
    done = subprocess.run([sys.executable, "-c", PUBLISH_AND_DIE, str(out), "SIGKILL"],
                          timeout=60)
    assert done.returncode == -signal.SIGKILL  # a power cut between two renames
    assert sorted((out / n).read_text() for n in ("a.epub", "a.pdf")) == [
        "first edition", "second edition"]
    with OutputFolder(out):
        pass
    assert [(out / n).read_text() for n in ("a.epub", "a.pdf")] == ["second edition"] * 2
    assert sorted(p.name for p in out.iterdir()) == ["a.epub", "a.pdf"]


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT"])
def test_a_stop_during_the_publication_waits_for_it_and_is_told(tmp_path: Path,
                                                               stop: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run([sys.executable, "-c", PUBLISH_AND_DIE, str(out), stop],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout == f"stopped: ['{stop}']\n", done.stderr
    assert [(out / n).read_text() for n in ("a.epub", "a.pdf")] == ["second edition"] * 2


def test_a_folder_that_came_with_a_book_cannot_steer_the_build(tmp_path: Path) -> None:
    """Its journal cannot move files from or to anywhere but the staging folder and the
    output folder; its lock file, work folder and journal are never followed or opened."""
    out, elsewhere = tmp_path / "build", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    victim = elsewhere / "victim.txt"
    victim.write_text("mine")
    (elsewhere / "payload").write_text("attacker")
    (out / OutputFolder.JOURNAL).write_text(json.dumps(
        [str(elsewhere / "payload"), "../elsewhere/victim.txt", ".qabook-lock", 5]))
    (out / OutputFolder.HOLDER).symlink_to(elsewhere / "lock-victim")
    (out / OutputFolder.WORK).symlink_to(elsewhere)
    with OutputFolder(out) as folder:
        assert not (elsewhere / "lock-victim").exists()
        assert folder.staging.resolve().is_relative_to(out)
    assert victim.read_text() == "mine" and (elsewhere / "payload").read_text() == "attacker"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["payload", "victim.txt"]
    assert sorted(p.name for p in out.iterdir()) == []
    for shape in ("5", '{"ab": 1}', '[["x"]]', "not json"):
        (out / OutputFolder.JOURNAL).write_text(shape)
        with OutputFolder(out):
            pass
    os.mkfifo(out / OutputFolder.HOLDER)
    os.mkfifo(out / OutputFolder.JOURNAL)
    with OutputFolder(out):  # would block for ever if either were opened
        pass
    link = tmp_path / "link"
    link.symlink_to(out)
    code, _, err = run("build", "--source", str(BASE), "--out", str(link), "-f", "epub")
    assert code == 1 and err.startswith(f"qabook: error: the output folder {link} is a "
                                        "symbolic link [build.write]"), err


def test_a_folder_in_the_way_fails_the_publication_before_anything_moves(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.epub").write_text("first edition")
    (out / "a.pdf").mkdir()
    with OutputFolder(out) as folder:
        for name in ("a.epub", "a.pdf"):
            (folder.staging / name).write_text("second edition")
        with pytest.raises(IsADirectoryError):
            folder.publish(["a.epub", "a.pdf"])
    assert (out / "a.epub").read_text() == "first edition"


def test_a_relative_output_folder_builds_every_format(tmp_path: Path) -> None:
    """Engines run in folders of their own: the output folder's paths must not depend on the
    working folder (the default `--out build` is relative)."""
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    os.chdir(tmp_path)
    code, _, err = run("build", "--source", "book", "--out", "build", "--no-cache")
    assert code == 0, err
    assert artifacts(tmp_path / "build") == ["a-tiny-book.apkg", "a-tiny-book.epub",
                                             "a-tiny-book.pdf"]


def test_a_layout_over_its_time_budget_names_the_question(monkeypatch, tmp_path: Path) -> None:
    """The renderer's process is forked from this one, so it keeps the budget set here. Every
    chunk is over it; the first reported is the first whose layout the budget stopped, a
    question or the preface (WeasyPrint swallows the interrupt where it lands inside its
    image code, and the chunk may then finish before the next one)."""
    from qabook.render import pdf_layout

    monkeypatch.setattr(pdf_layout, "SECONDS", 0.001)
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    code, _, err = run("build", "--source", str(book), "--out", str(tmp_path / "out"),
                       "--no-cache", "-f", "pdf")
    assert code == 1 and "internal error" not in err
    first = reported(err).splitlines()[0]
    assert first.startswith((f"{book}/chapters/", f"{book}/front/")) and first.endswith(
        ".md needed more than 0.001 s of CPU time [pdf.too-big]"), err
    where = first.split(":")[0]
    assert f"laying out the pages of {where[len(str(book)) + 1:]} needed" in first, err
    assert artifacts(tmp_path / "out") == []


def test_a_formula_over_its_time_budget_is_a_math_error(monkeypatch) -> None:
    from qabook.tex import draw

    monkeypatch.setattr(draw, "SECONDS", 0.01)
    matrix = r"\begin{matrix}" + r"\\".join("&".join(["x_{ij}^2"] * 40) for _ in range(40)) \
        + r"\end{matrix}"
    verdict = draw.draw((matrix, True))
    assert isinstance(verdict, draw.MathError)
    assert str(verdict) == "drawing it needs more than 0.01 s of CPU time; make it smaller"


OVER_MEMORY = """
from qabook.children import OverLimit, limited, worker
import os
worker(os.getppid(), 512 << 20)
try:
    with limited(60):
        hog = bytearray(1 << 30)
except OverLimit as exc:
    print("over:", exc)
"""


def test_a_worker_over_its_memory_cap_gets_an_error_not_the_machine() -> None:
    done = subprocess.run([sys.executable, "-c", OVER_MEMORY], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "over: the memory it may use", done.stderr


INHERITED = """
import gc, os
from qabook.children import worker
inherited = [[] for _ in range(100_000)]
worker(os.getppid(), 512 << 20)
print(gc.get_freeze_count() >= len(inherited), len(gc.get_objects()) < len(inherited))
"""


def test_a_worker_keeps_what_it_inherited_out_of_the_collector() -> None:
    """A forked worker's collections never walk the parent's objects (the layout workers
    spent an eighth of their time doing so)."""
    done = subprocess.run([sys.executable, "-c", INHERITED], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.split() == ["True", "True"], done.stderr


FORGE = """
import sys
from pathlib import Path
from qabook.cache import key
from qabook.pipeline import Manifest

out = Path(sys.argv[1])
manifest = Manifest(out / ".cache")
epub = out / "a-tiny-book.epub"
(ident, *_), = [entry for name, entry in manifest.entries.items() if name.endswith(".epub")]
epub.write_bytes(b"forged")
manifest.record(epub, ident)
manifest.save()
"""


def test_a_downloaded_build_folder_cannot_call_its_own_artifacts_up_to_date(
        tmp_path: Path) -> None:
    """Someone else's qabook builds the book, swaps in an artifact of their own and records
    it in their manifest; here, that manifest is not believed and the artifact is rebuilt."""
    book, out = tmp_path / "book", tmp_path / "out"
    shutil.copytree(BASE, book)
    elsewhere = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "their-machine")}
    built = subprocess.run([sys.executable, "-m", "qabook", "build", "--source", str(book),
                            "--out", str(out), "-f", "epub"], env=elsewhere, timeout=120)
    assert built.returncode == 0
    forged = subprocess.run([sys.executable, "-c", FORGE, str(out)], env=elsewhere, timeout=60)
    assert forged.returncode == 0
    there = subprocess.run([sys.executable, "-m", "qabook", "build", "--source", str(book),
                            "--out", str(out), "-f", "epub"], env=elsewhere, timeout=120,
                           capture_output=True, text=True)
    assert there.stdout.startswith("up to date:")  # their own qabook believes it
    code, stdout, _ = run("build", "--source", str(book), "--out", str(out), "-f", "epub")
    assert code == 0 and stdout.startswith("wrote")
    assert (out / "a-tiny-book.epub").read_bytes() != b"forged"
