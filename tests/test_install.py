"""qabook as a tool: a wheel built from this repository, installed into a fresh virtualenv,
builds a book that lives in a folder of its own, all three formats, and starts a new one."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from pypdf import PdfReader

from conftest import BASE, REPO


def sh(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_an_installed_wheel_builds_a_book_that_lives_elsewhere(tmp_path: Path) -> None:
    before = sorted(p.name for p in (REPO / "build").iterdir()) if (REPO / "build").is_dir() else []
    sh(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
       tmp_path / "dist", REPO, cwd=tmp_path)
    after = sorted(p.name for p in (REPO / "build").iterdir()) if (REPO / "build").is_dir() else []
    assert after == before, "building the wheel wrote into build/, qabook's output folder"
    (wheel,) = (tmp_path / "dist").glob("qabook-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {"qabook/templates/pdf/book.css", "qabook/templates/anki/card.css",
            "qabook/templates/fonts/SourceSerif4-Regular.otf", "qabook/lua/batch.lua",
            "qabook/tex/mathjax.json", "qabook/templates/starter/book.yaml",
            "qabook/templates/starter/.gitignore"} <= names

    venv = tmp_path / "venv"
    sh(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    sh(venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile", wheel,
       cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(BASE, elsewhere / "mybook")
    where = sh(venv / "bin" / "python", "-c", "import qabook, sys; print(qabook.__file__)",
               cwd=elsewhere).stdout
    assert Path(where.strip()).is_relative_to(venv)  # the installed copy, not this repository
    proc = sh(venv / "bin" / "qabook", "build", "--source", "mybook", "--out", "out",
              cwd=elsewhere)
    out = elsewhere / "out"
    assert sorted(p.name for p in out.iterdir() if p.name != ".cache") == [
        "a-tiny-book.apkg", "a-tiny-book.epub", "a-tiny-book.pdf"], proc.stderr
    with zipfile.ZipFile(out / "a-tiny-book.apkg") as deck:
        assert "collection.anki2" in deck.namelist()
    with zipfile.ZipFile(out / "a-tiny-book.epub") as book:
        assert book.read("mimetype") == b"application/epub+zip"
        css = [n for n in book.namelist() if n.endswith(".css")]
        assert css and b"font" in book.read(css[0])  # qabook's stylesheet, from the wheel
    pdf = PdfReader(out / "a-tiny-book.pdf")
    fonts = {str(font.get_object()["/BaseFont"]) for page in pdf.pages
             for font in (page["/Resources"].get("/Font") or {}).values()}
    assert len(pdf.pages) > 5
    assert any("Source-Serif-4" in font for font in fonts), fonts  # the fonts the wheel carries
    assert "A Tiny Book" in "".join(page.extract_text() for page in pdf.pages)

    # the starter book ships in the wheel too: `qabook new` works from an install
    sh(venv / "bin" / "qabook", "new", "started", cwd=elsewhere)
    sh(venv / "bin" / "qabook", "check", "--source", "started", "--strict", cwd=elsewhere)
