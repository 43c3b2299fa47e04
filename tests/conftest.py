"""Shared helpers: tiny books assembled from tests/books/, and the CLI run in-process."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from qabook import pipeline
from qabook.cli import main
from qabook.diagnostics import Diagnostics

TESTS = Path(__file__).parent
BOOKS = TESTS / "books"
BASE = BOOKS / "_base"
REPO = TESTS.parent
SOURCE = REPO / "source"
CASE_FILES = {"expected.txt", "refs.txt", "DELETE", "MAKE", "README"}
# the unpacked aqt wheel (Anki's reviewer page and MathJax), which `make test` downloads
os.environ.setdefault("QABOOK_AQT_DIR", str(REPO / "tools" / "aqt"))


def case_dirs() -> list[Path]:
    return sorted(p for p in BOOKS.iterdir() if p.is_dir() and not p.name.startswith("_"))


def assemble(case: Path, into: Path) -> Path:
    """The base book with the case's files laid over it (and DELETE's paths removed)."""
    book = into / case.name
    shutil.copytree(BASE, book, symlinks=True)
    for path in sorted(case.rglob("*")):
        relative = path.relative_to(case)
        if path.is_dir() or str(relative) in CASE_FILES:
            continue
        target = book / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    delete = case / "DELETE"
    if delete.exists():
        for line in delete.read_text().split():
            victim = book / line
            shutil.rmtree(victim) if victim.is_dir() else victim.unlink()
    make = case / "MAKE"
    if make.exists():
        for line in make.read_text().splitlines():
            _make(book, into, *line.split())
    return book


def _make(book: Path, into: Path, kind: str, path: str, arg: str = "") -> None:
    """What git cannot carry: `dir PATH`, `link PATH TARGET` (TARGET outside the book is
    created under the test's folder), `big PATH MEGABYTES` (a huge question file)."""
    target = book / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "dir":
        target.mkdir(parents=True, exist_ok=True)
    elif kind == "link":
        outside = into / "outside" / arg
        outside.parent.mkdir(parents=True, exist_ok=True)
        outside.write_text('<svg xmlns="http://www.w3.org/2000/svg"><title>secret</title></svg>')
        target.symlink_to(outside)
    elif kind == "big":
        paragraph = "A long line of perfectly ordinary words that make the file large. " * 20
        body = "\n\n".join([paragraph] * (int(arg) * 1024 * 1024 // len(paragraph) + 1))
        target.write_text("---\nnumber: 9\ntitle: Big\n---\n\n::: question\nBig?\n:::\n\n" + body)
    else:
        raise ValueError(f"unknown MAKE line: {kind}")


#: a line of a build's progress on a stderr that is not a terminal (qabook/terminal.py)
PROGRESS_LINE = re.compile(r"qabook build: (check|publish|apkg|epub|pdf) "
                           r"(up to date|\d+\.\d+ s( \(failed\))?)(; cache: .*)?")


def reported(err: str) -> str:
    """What a command's stderr reports, without the progress lines of a build."""
    return "".join(line for line in err.splitlines(keepends=True)
                   if not PROGRESS_LINE.fullmatch(line.rstrip("\n")))


def run(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def _own_working_folder(tmp_path: Path, monkeypatch) -> None:
    """Every test runs in its own folder, so default build/ and cache folders stay private."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def real_book(tmp_path: Path) -> Path:
    """A private copy of the real book, safe to mutate."""
    copy = tmp_path / "source"
    shutil.copytree(SOURCE, copy)
    return copy


def build_real(out: Path, fmt: str, *args: str, source: Path = SOURCE) -> Path:
    """Build one format of a book into out; the artifact's path."""
    code, _, err = run("build", "--source", str(source), "--out", str(out), "-f", fmt, *args)
    assert code == 0, err
    return next(out.glob(f"*.{fmt}"))


#: what `check` keeps in the cache (formulas drawn, files modelled): a build whose cache
#: starts with the session's pays only for its own format
CHECKED = ("bibliography", "math", "math-words", "model", "tex")


def build_pdf(out: Path, *args: str, checked: Path | None = None) -> Path:
    """The real book's PDF (or a handout of it, by the options in args); checked: a cache
    folder whose check entries the build's cache starts with (the session's build's)."""
    for kind in CHECKED if checked else ():
        if (checked / kind).is_dir():
            shutil.copytree(checked / kind, out / ".cache" / kind)
    return build_real(out, "pdf", *args)


@pytest.fixture(scope="session")
def real_epub_and_pdf(tmp_path_factory) -> tuple[Path, Path]:
    """The real book's EPUB and print PDF, built once per test session, in one build: the
    EPUB's page list comes from the print edition's layout, which the two then share (built
    apart, each would lay the book out)."""
    out = tmp_path_factory.mktemp("epub-pdf")
    code, _, err = run("build", "--source", str(SOURCE), "--out", str(out), "-f", "epub",
                       "-f", "pdf")
    assert code == 0, err
    return next(out.glob("*.epub")), next(out.glob("*.pdf"))


@pytest.fixture(scope="session")
def real_epub(real_epub_and_pdf) -> Path:
    """The real book's EPUB, built once per test session."""
    return real_epub_and_pdf[0]


@pytest.fixture(scope="session")
def real_pdf(real_epub_and_pdf) -> Path:
    """The real book's print PDF, built once per test session."""
    return real_epub_and_pdf[1]


@pytest.fixture(scope="session")
def checked_real():
    """The real book as `check` resolves it (no build), checked once per test session."""
    diags = Diagnostics()
    resolved = pipeline.check(SOURCE, diags)
    assert not diags.errors
    return resolved


@pytest.fixture(scope="session")
def checked_book(checked_real):
    """The real book as `check` models it (no build)."""
    return checked_real.book


@pytest.fixture(scope="session")
def real_apkg_source(tmp_path_factory) -> Path:
    """The copy of the real book the session's deck is built from (a deck build writes the
    source's anki-history.json)."""
    copy = tmp_path_factory.mktemp("apkg-source") / "source"
    shutil.copytree(SOURCE, copy)
    return copy


@pytest.fixture(scope="session")
def real_apkg(real_apkg_source, tmp_path_factory) -> Path:
    """The real book's deck, built once per test session from a copy of the source."""
    return build_real(tmp_path_factory.mktemp("apkg"), "apkg", source=real_apkg_source)


def page_texts(pdf: Path, *options: str) -> list[str]:
    """poppler's text of each page of a PDF (pdftotext with options; pypdf takes 15 s over
    the real book, poppler 2 s)."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", *options, str(pdf), "-"],
                         capture_output=True, check=True).stdout.decode()
    return out.split("\f")[:-1]


def plain_drawing(tex: str, display: bool) -> bytes:
    """A formula as the print engine draws it with every glyph a plain path in place, not a
    <symbol> placed by <use> as tex/draw.py asks for: an oracle for what placing them gives."""
    from qabook.tex import draw

    ziamath = draw._engine()
    ziamath.config.svg2 = False
    try:
        math = ziamath.Math.fromlatex(tex, size=draw.SIZE, inline=not display, margin=0.5)
        return ET.tostring(math.svgxml())
    finally:
        ziamath.config.svg2 = True


def page_images(pdf: Path, resolution: int) -> list[Path]:
    """poppler's grey images of the pages of a PDF (beside it, named after it), in order."""
    subprocess.run(["pdftoppm", "-r", str(resolution), "-gray", str(pdf),
                    str(pdf.with_suffix(""))], check=True)
    return sorted(pdf.parent.glob(f"{pdf.stem}-*.pgm"))


def artifacts(out: Path) -> list[str]:
    """The names of what a build left in its output folder (the cache is not an artifact)."""
    return sorted(p.name for p in out.iterdir() if p.name != ".cache") if out.exists() else []
