"""The cache: a cached check reports exactly what an uncached one does, and goes stale."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import BOOKS, assemble, case_dirs, run
from qabook import pipeline
from qabook.cache import Cache
from qabook.diagnostics import Diagnostics


def headlines(book: Path, cache: Cache) -> list[str]:
    diags = Diagnostics()
    pipeline.check(book, diags, cache)
    return [d.headline() for d in diags.sorted()]


def test_cached_checks_report_exactly_the_same(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    for case in case_dirs():
        book = assemble(case, tmp_path / "books")
        cold = headlines(book, Cache(None))
        assert headlines(book, cache) == cold, case.name  # fills the cache
        assert headlines(book, cache) == cold, case.name  # answers from it


def test_an_edit_or_a_changed_figure_is_seen(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    book = assemble(BOOKS / "feature-noxref", tmp_path / "books")
    assert headlines(book, cache) == []
    q2 = book / "chapters/01-one/q02-second.md"
    q2.write_text(q2.read_text().replace("It follows Q1", "It follows @Q7"))
    assert [line.split(": ", 2)[2] for line in headlines(book, cache)] == [
        "@Q7 refers to a question that does not exist [ref.unknown]"]
    q2.write_text(q2.read_text().replace("@Q7", "Q1"))
    assert headlines(book, cache) == []
    (book / "figures/q03-b.svg").write_text("not an svg any more")
    assert [line.rsplit(" ", 1)[1] for line in headlines(book, cache)] == ["[image.invalid]"]
    (book / "figures/q03-b.svg").unlink()
    assert [line.rsplit(" ", 1)[1] for line in headlines(book, cache)] == ["[image.missing]"]


def test_a_damaged_cache_is_a_miss(tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(BOOKS / "_base", book)
    folder = tmp_path / "cache"
    assert run("check", "--source", str(book), "--cache", str(folder))[0] == 0
    for entry in folder.rglob("*"):
        if entry.is_file():
            entry.write_bytes(b"garbage")
    code, out, err = run("check", "--source", str(book), "--cache", str(folder))
    assert (code, err) == (0, "") and "no problems" in out


def test_incremental_builds_give_the_bytes_of_clean_builds_made_anywhere(
        real_epub, real_pdf, real_apkg, tmp_path) -> None:
    """Build, edit an answer, rebuild, undo the edit, rebuild, all with one cache: after the
    edit and after the undo, every artifact is byte for byte what a clean build of the same
    source gives. The clean build of the edited book runs in another process, folder, time
    zone, locale and hash seed (the suite's one cold build of all three formats of the real
    book besides the session's: that the EPUB built alone is the EPUB built with the PDF is
    test_pages')."""
    from conftest import SOURCE

    book = tmp_path / "book"
    shutil.copytree(SOURCE, book)
    out, cache = tmp_path / "out", tmp_path / "cache"
    # the session's builds (EPUB and PDF, deck) left their caches: this build starts from a
    # copy of both, as an author's does (a cold build of all three is the bench's)
    shutil.copytree(real_epub.parent / ".cache", cache)
    shutil.copytree(real_apkg.parent / ".cache", cache, dirs_exist_ok=True)
    build = ["build", "--source", str(book), "--out", str(out), "--cache", str(cache)]
    assert run(*build)[0] == 0
    victim = sorted(book.glob("chapters/*/*.md"))[14]
    original = victim.read_text()
    heading = original.index("\n## ")
    victim.write_text(original[:heading] + "\n\nA sentence added for a while.\n" +
                      original[heading:])
    assert run(*build)[0] == 0
    elsewhere = tmp_path / "elsewhere" / "book"
    shutil.copytree(book, elsewhere)
    env = {**os.environ, "TZ": "Pacific/Chatham", "LANG": "de_DE.UTF-8", "LC_ALL": "de_DE.UTF-8",
           "PYTHONHASHSEED": "12345"}
    proc = subprocess.run([sys.executable, "-m", "qabook", "build", "--source", "book",
                           "--out", "edited", "--no-cache"], cwd=elsewhere.parent, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    artifacts = sorted((tmp_path / "elsewhere" / "edited").glob("*.*"))
    assert [a.suffix for a in artifacts] == [".apkg", ".epub", ".pdf"]
    for artifact in artifacts:
        assert (out / artifact.name).read_bytes() == artifact.read_bytes(), artifact.name
    assert (elsewhere / "anki-history.json").read_bytes() == \
        (book / "anki-history.json").read_bytes()
    victim.write_text(original)
    code, out_text, err = run(*build)
    assert code == 0, err
    assert (out / real_epub.name).read_bytes() == real_epub.read_bytes()
    assert (out / real_pdf.name).read_bytes() == real_pdf.read_bytes()
    clean = tmp_path / "clean"
    assert run("build", "--source", str(book), "--out", str(clean), "--no-cache",
               "-f", "apkg")[0] == 0
    deck = next(out.glob("*.apkg"))
    assert (clean / deck.name).read_bytes() == deck.read_bytes()


def changed_alone(tmp_path: Path, change) -> tuple[Path, dict[str, bytes]]:
    """Build a tiny book with a cache, change(book), build again with the cache: every
    artifact is then byte for byte a clean build's of the changed book. The output folder,
    and its artifacts before the change."""
    book = assemble(BOOKS / "feature-noxref", tmp_path / "books")
    out, cache = tmp_path / "out", tmp_path / "cache"
    build = ["build", "--source", str(book), "--out", str(out), "--cache", str(cache)]
    assert run(*build)[0] == 0
    before = {path.name: path.read_bytes() for path in out.glob("*.*")}
    change(book)
    assert run(*build)[0] == 0
    clean = tmp_path / "clean"
    assert run("build", "--source", str(book), "--out", str(clean), "--no-cache")[0] == 0
    for artifact in sorted(clean.glob("*.*")):
        assert (out / artifact.name).read_bytes() == artifact.read_bytes(), artifact.name
    return out, before


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_changed_figure_alone_rebuilds_every_format(tmp_path: Path) -> None:
    """Only a figure file changes, not the text that shows it: every artifact built with the
    cache is still byte for byte a clean build's (laid-out PDF chunks and EPUB files are
    cached by the figures they show too)."""
    circle = '<circle cx="5" cy="5" r="4" fill="#c0392b"/>'
    out, before = changed_alone(tmp_path, lambda book: replace_in(
        book / "figures/q03-b.svg", "</svg>", circle + "</svg>"))
    changed = [name for name, data in before.items() if (out / name).read_bytes() != data]
    assert sorted(changed) == sorted(before), "every format shows the figure"


def test_a_title_changed_elsewhere_reaches_every_reference(tmp_path: Path) -> None:
    """Q2's file does not change, but the title of Q3, which Q2 refers to (the deck prints
    "Q3 (title)"), does: with the cache, every artifact is still byte for byte a clean
    build's (a question's cached output is keyed by what every label says, not only by its
    own file)."""
    changed_alone(tmp_path, lambda book: replace_in(
        book / "chapters/02-two/q03-third.md", "title: The Third Question",
        "title: A Renamed Question"))


def test_a_changed_citation_alone_reaches_every_format(tmp_path: Path) -> None:
    """Only the work a sentence cites changes (the words around it do not): the citations'
    formatting is cached by the citations, so with the cache every artifact is still byte
    for byte a clean build's, and the deck names the new work."""
    out, _ = changed_alone(tmp_path, lambda book: replace_in(
        book / "chapters/01-one/q01-first.md", "cites @smith2020tiny.", "cites @lee2019small."))
    with zipfile.ZipFile(next(out.glob("*.apkg"))) as deck:
        collection = deck.read("collection.anki2")
    assert b"Lee" in collection and b"Small Data" in collection


def test_what_a_cache_remembers_is_never_changed_by_its_readers(tmp_path: Path) -> None:
    """`qabook serve` keeps the models, the bibliography and the formula verdicts its checks
    read in memory (Cache's memory) and hands the very same objects to every later check and
    preview: nothing those do may change them. After two checks and every preview of every
    question (cards, EPUB page, print HTML), each remembered value is still equal to a fresh
    read from the folder (written when the value was made)."""
    from qabook.render import RenderContext, preview
    from qabook.render.print_html import Selection, page_data

    book = assemble(BOOKS / "feature-noxref", tmp_path / "books")
    folder, memory = tmp_path / "cache", {}
    for _ in range(2):
        diags = Diagnostics()
        resolved = pipeline.check(book, diags, Cache(folder, memory=memory))
        assert resolved is not None and not diags.has_errors()
    assert {kind for kind, _ in memory} == {"model", "bibliography", "tex"}
    out = tmp_path / "out"
    out.mkdir()
    ctx = RenderContext(resolved, book, out, {}, folder)
    mathml = preview.MathCache()
    for question in resolved.book.questions:
        assert preview.cards(ctx, question.number, mathml).cards
    anchors = [q.anchor for q in resolved.book.questions]
    assert set(preview.epub_pages(ctx, anchors)) == set(anchors)
    assert page_data(ctx, Selection(), Cache(folder))
    for (kind, ident), value in memory.items():
        assert value == Cache(folder).get(kind, ident), (kind, ident)
