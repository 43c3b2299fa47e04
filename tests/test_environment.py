"""The machine: what qabook needs from it is checked at start-up and named with its fix; a
missing library is a problem of the machine, never of a file of the book."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BASE, artifacts, run
from qabook import environment, pandoc

SUBSET = "libharfbuzz-subset.so.0"


def library_file(soname: str) -> Path:
    """Where the dynamic loader finds a library on this machine."""
    ctypes.CDLL(soname)
    for line in Path("/proc/self/maps").read_text().splitlines():
        if line.rstrip().endswith(soname) or f"/{soname}" in line:
            return Path(line.split()[-1]).resolve()
    raise AssertionError(f"{soname} is loaded but not mapped")


def hidden(soname: str, command: str) -> subprocess.CompletedProcess:
    """Run a shell command in a mount namespace of its own where the library is an empty
    file, as on a machine that does not have it."""
    target = library_file(soname)
    script = f"mount --bind /dev/null {target} && {command}"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind /dev/null {target}"],
                           capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"hiding a library needs root (unshare -m, mount): {probe.stderr.strip()}")
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                          timeout=300)


def test_a_missing_library_is_named_with_its_package(monkeypatch) -> None:
    fake = environment.Library("libqabook-nothing.so.0", "qabook-nothing", "libqabook-nothing0",
                               "a library no machine has")
    monkeypatch.setattr(environment, "PDF_LIBRARIES", environment.PDF_LIBRARIES + (fake,))
    found = environment.problems(("pdf",))
    assert [p.debian for p in found] == ["libqabook-nothing0"]
    assert "a library no machine has (libqabook-nothing.so.0)" in found[0].message
    assert environment.problems(("apkg",)) == []  # the PDF needs it, and the EPUB, which
    found = environment.problems(("apkg", "epub"))  # lays out the print edition's pages
    assert [p.debian for p in found] == ["libqabook-nothing0"]
    assert found[0].message.startswith("the EPUB (for the print edition's page numbers) needs")


def test_without_harfbuzz_subset_the_pdf_is_refused_at_once_and_the_rest_still_builds(
        tmp_path: Path) -> None:
    """WeasyPrint would fall back to fontTools and make other bytes: qabook refuses instead,
    says what to install, and blames no file of the book."""
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    qabook = Path(sys.executable).parent / "qabook"
    proc = hidden(SUBSET, f"{qabook} build --source {book} --out {tmp_path / 'out'} -f pdf")
    assert proc.returncode == 1
    assert proc.stderr.startswith("qabook: error: the PDF needs HarfBuzz's font subsetter "
                                  f"({SUBSET}), which this machine lacks [environment.missing]")
    assert "apt-get install libharfbuzz-subset0" in proc.stderr
    assert "book.yaml" not in proc.stderr and not (tmp_path / "out").exists()
    proc = hidden(SUBSET, f"{sys.executable} -m qabook.environment pdf")
    assert (proc.returncode, proc.stdout) == (0, "libharfbuzz-subset0\n")
    proc = hidden(SUBSET, f"{qabook} build --source {book} --out {tmp_path / 'out'} "
                          "-f apkg -f epub")
    assert proc.returncode == 0, proc.stderr
    assert artifacts(tmp_path / "out") == ["a-tiny-book.apkg", "a-tiny-book.epub"]


def test_a_missing_library_is_named_once_and_not_the_ones_that_need_it(tmp_path: Path) -> None:
    """Without HarfBuzz, Pango and the subsetter cannot load either: only HarfBuzz is named."""
    proc = hidden("libharfbuzz.so.0", f"{sys.executable} -m qabook.environment pdf")
    assert (proc.returncode, proc.stdout) == (0, "libharfbuzz0b\n")
    proc = hidden("libharfbuzz.so.0", f"{Path(sys.executable).parent / 'qabook'} build "
                                      f"--source {BASE} --out {tmp_path / 'out'} -f pdf")
    assert proc.returncode == 1 and proc.stderr.count("error:") == 1, proc.stderr
    assert "HarfBuzz (libharfbuzz.so.0)" in proc.stderr


def test_weasyprints_font_engine_speaks_for_the_machine_not_the_book(tmp_path: Path) -> None:
    """Past the start-up check (as if the library vanished later), WeasyPrint's own fontTools
    warning comes back classified as the machine's problem."""
    layout = ("import json, sys; from qabook.render import pdf_layout as p; "
              f"r = p.lay_out(p.WARM_UP.format(lang='en', words='-'), {str(BASE)!r}, 'a4', True); "
              "print(json.dumps(r.errors))")
    proc = hidden(SUBSET, f"{sys.executable} -c {json.dumps(layout)}")
    assert proc.returncode == 0, proc.stderr
    errors = json.loads(proc.stdout)
    assert errors and {where for _, where in errors} == {"machine"}
    assert all("fontTools instead of HarfBuzz-Subset" in text for text, _ in errors)


def test_a_pandoc_that_is_not_installed_is_named(tiny_book: Path, monkeypatch,
                                                 tmp_path: Path) -> None:
    from qabook import pandoc

    monkeypatch.setattr(pandoc, "executable", lambda: tmp_path / "no-pandoc")
    code, _, err = run("check", "--source", str(tiny_book))
    assert code == 1
    assert err.startswith("qabook: error: pandoc is missing") and "pypandoc-binary" in err
    assert err.count("error:") == 1


@pytest.fixture
def tiny_book(tmp_path: Path) -> Path:
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    return book


def test_the_environment_check_is_fast() -> None:
    """It runs before every command; it loads libraries and looks at files, nothing more."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "qabook.environment", "pdf"],
                          capture_output=True, text=True, timeout=60, env={**os.environ})
    assert proc.returncode == 0, proc.stderr
    modules = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()}
    assert not {"weasyprint", "pypandoc", "ziamath", "genanki"} & modules


def test_a_pandoc_of_another_version_is_refused_before_any_work(monkeypatch,
                                                                tmp_path: Path) -> None:
    """Another pandoc writes other ASTs and other EPUB bytes; one on PATH is never asked, and
    the wheel's own is checked to be the pinned version."""
    impostor = tmp_path / "pandoc"
    impostor.write_text("#!/bin/sh\necho 'pandoc 3.10'\n")
    impostor.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    assert environment.problems() == []  # the one on PATH is not qabook's
    monkeypatch.setattr(pandoc, "executable", lambda: impostor)
    found = environment.problems()
    assert len(found) == 1 and found[0].message == (
        f"qabook needs pandoc {pandoc.VERSION}, the pandoc of the pinned pypandoc-binary "
        f"package; {impostor} says 'pandoc 3.10'")
    code, _, err = run("check", "--source", str(BASE))
    assert code == 1 and "[environment.missing]" in err
