"""`qabook new DIR`: a starter book that checks clean, builds all three formats at once, uses
every feature of the format, gets its own identifier, and never overwrites anything."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

import pytest
import yaml
from lxml import etree
from pypdf import PdfReader

from conftest import artifacts, run
from qabook import ast, pipeline, starter
from qabook.config import KNOWN_KEYS
from qabook.diagnostics import Diagnostics

NS = {"h": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "m": "http://www.w3.org/1998/Math/MathML"}


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under root with its bytes (None for a folder), hidden ones included."""
    return {str(p.relative_to(root)): None if p.is_dir() else p.read_bytes()
            for p in sorted(root.rglob("*"))}


def new(folder: Path) -> str:
    code, out, err = run("new", str(folder))
    assert code == 0, err
    return out


def book_yaml(folder: Path) -> dict:
    return yaml.safe_load((folder / "book.yaml").read_text("utf-8"))


def test_a_new_book_checks_clean_and_builds_all_three_formats_at_once(tmp_path: Path) -> None:
    book = tmp_path / "mybook"
    out = new(book)
    assert f"qabook check --source {book} --strict" in out
    assert f"qabook build --source {book} --out {book / 'build'}" in out
    assert f"  {book / 'book.yaml'}" in out.splitlines()

    code, out, err = run("check", "--source", str(book), "--strict")
    assert (code, err) == (0, ""), err
    assert "no problems" in out

    code, out, err = run("build", "--source", str(book), "--out", str(book / "build"),
                         "--strict")
    assert code == 0, err
    assert artifacts(book / "build") == ["my-question-book.apkg", "my-question-book.epub",
                                         "my-question-book.pdf"], out + err
    assert (book / "anki-history.json").is_file()  # the deck's lock file, beside book.yaml

    pages = _epub_pages(book / "build" / "my-question-book.epub")
    question = next(p for p in pages if p.xpath("//h:section[@id='q1']", namespaces=NS))
    appendix = "".join(etree.tostring(p, encoding="unicode") for p in pages)
    find = lambda path: question.xpath(path, namespaces=NS)  # noqa: E731
    figure = find("//h:figure[@id='fig-forgetting']")[0]
    assert figure.xpath("h:img/@alt", namespaces=NS)[0].startswith("A chart")
    assert "Figure 1.1." in "".join(figure.xpath("h:figcaption//text()", namespaces=NS))
    assert "Table 1.1." in "".join(find("//h:table[@id='tbl-schedule']/h:caption//text()"))
    assert find("//h:span[@id='eq-forgetting']//m:math[@display='block']")
    assert find("//m:math[@display='inline']")
    assert find("//h:a[@epub:type='noteref']") and find("//h:aside[@epub:type='footnote']")
    assert find("//h:span[@class='citation'][@data-cites='ebbinghaus1913memory']")
    assert find("//h:pre[contains(@class, 'python')]//h:code")
    assert set(find("//h:a[@class='xref']/@data-ref-kind")) == {
        "figure", "table", "equation", "exercise"}
    assert len(find("//h:div[@class='exercise']")) == 2
    assert appendix.count('class="level3 unnumbered solution"') == 2

    text = "".join(page.extract_text() for page in
                   PdfReader(book / "build" / "my-question-book.pdf").pages)
    assert "Why Spread Out Your Reviews?" in text and "Appendix A" in text
    with zipfile.ZipFile(book / "build" / "my-question-book.apkg") as deck:
        assert "collection.anki2" in deck.namelist()


def _epub_pages(epub: Path) -> list[etree._Element]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    with zipfile.ZipFile(epub) as archive:
        return [etree.fromstring(archive.read(name), parser) for name in archive.namelist()
                if name.endswith(".xhtml")]


def test_the_starter_question_uses_every_feature_of_the_format(tmp_path: Path) -> None:
    new(tmp_path / "mybook")
    diags = Diagnostics()
    resolved = pipeline.check(tmp_path / "mybook", diags)
    assert not diags.items, [d.headline() for d in diags.items]
    (question,) = resolved.book.questions
    doc = question.doc
    assert question.summary and question.tags and question.ident
    assert len(question.clozes) == 2  # key terms: a cloze card each
    assert [(f.label, f.number, bool(f.alt)) for f in doc.figures] == [
        ("fig-forgetting", "1.1", True)]
    assert [(t.label, t.number) for t in doc.tables] == [("tbl-schedule", "1.1")]
    assert [(e.label, e.number) for e in doc.equations] == [("eq-forgetting", "1.1")]
    assert len(doc.formulas) > len(doc.equations)  # inline formulas too
    assert doc.footnotes == 1
    assert {c.key for c in doc.citations} == set(resolved.book.bibliography.keys) == {
        "ebbinghaus1913memory"}
    assert any(node.get("t") == "CodeBlock" for node in ast.iter_nodes(question.body))
    assert {r.target for r in doc.refs} == {"fig-forgetting", "tbl-schedule",
                                            "eq-forgetting", "ex-cramming"}
    assert [(e.number, e.label, bool(e.solution)) for e in question.exercises] == [
        ("1-A", "ex-cramming", True), ("1-B", "ex-target", True)]


def test_book_yaml_explains_every_key_qabook_knows(tmp_path: Path) -> None:
    new(tmp_path / "mybook")
    lines = (tmp_path / "mybook" / "book.yaml").read_text("utf-8").splitlines()
    written = {line.lstrip("# ").split(":")[0] for line in lines if ":" in line}
    assert set(KNOWN_KEYS) <= written, set(KNOWN_KEYS) - written
    comments = [line for line in lines if line.startswith("#")]
    assert len(comments) > len(KNOWN_KEYS)
    # every key that is set is explained by the comment above it (or above its group)
    for index, line in enumerate(lines):
        if line and line[0] not in "# ":
            above = index - 1
            while above >= 0 and lines[above] and lines[above][0] not in "#":
                above -= 1
            assert above >= 0 and lines[above].startswith("#"), line


def test_each_new_book_gets_its_own_identifier_and_todays_date(tmp_path: Path) -> None:
    new(tmp_path / "one")
    new(tmp_path / "two")
    one, two = book_yaml(tmp_path / "one"), book_yaml(tmp_path / "two")
    assert one["identifier"] != two["identifier"]
    for config in (one, two):
        assert config["identifier"].startswith("urn:uuid:")
        assert config["date"] in (dt.date.today(), dt.date.today() - dt.timedelta(days=1))
        assert str(config["date"].year) in config["rights"]
    assert (tmp_path / "one" / "figures" / "q01-forgetting.svg").read_bytes() == \
        (starter.STARTER / "figures" / "q01-forgetting.svg").read_bytes()


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    book = tmp_path / "mybook"
    book.mkdir()
    (book / "notes.txt").write_text("mine")
    before = tree(tmp_path)
    code, out, err = run("new", str(book))
    assert code == 1
    assert f"qabook: error: {book} is not empty (it holds notes.txt)" in err
    assert "[new.not-empty]" in err and "hint:" in err and "Traceback" not in err
    assert tree(tmp_path) == before  # nothing written, nothing left beside it


def test_new_fills_an_empty_folder_in_place(tmp_path: Path) -> None:
    book = tmp_path / "mybook"
    book.mkdir()
    inode = book.stat().st_ino
    new(book)
    assert book.stat().st_ino == inode  # the same folder: a shell standing in it sees the book
    assert sorted(p.name for p in book.iterdir()) == [
        ".gitignore", "README.md", "book.yaml", "chapters", "figures", "references.bib"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mybook"]


def test_new_in_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "here").mkdir()
    os.chdir(tmp_path / "here")
    out = new(Path("."))
    assert "qabook check --source . --strict" in out
    assert (tmp_path / "here" / "book.yaml").is_file()


@pytest.mark.parametrize("make, name, message, code", [
    (None, "missing/mybook", "the folder {tmp}/missing does not exist", "new.parent"),
    ("file", "mybook", "{tmp}/mybook exists and is not a folder", "new.exists"),
    ("file", "mybook/inner", "{tmp}/mybook is not a folder", "new.parent"),
])
def test_new_names_a_place_it_cannot_write(tmp_path: Path, make, name, message, code) -> None:
    if make:
        (tmp_path / "mybook").write_text("a file")
    before = tree(tmp_path)
    status, _, err = run("new", str(tmp_path / name))
    assert status == 1
    assert message.format(tmp=tmp_path) in err and f"[{code}]" in err and "hint:" in err
    assert tree(tmp_path) == before


@pytest.mark.parametrize("existing", [False, True])
def test_a_failure_part_way_leaves_no_half_book(tmp_path: Path, monkeypatch,
                                                existing: bool) -> None:
    """A write that fails after some files (a full disk, say) leaves the place as it was."""
    book = tmp_path / "mybook"
    if existing:
        book.mkdir()
    before = tree(tmp_path)
    written = []
    real_write = starter._write

    def failing(path, relative, values):
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        written.append(relative)
        real_write(path, relative, values)

    monkeypatch.setattr(starter, "_write", failing)
    code, _, err = run("new", str(book))
    assert code == 1 and len(written) == 3
    assert f"could not write the book into {book}: No space left on device" in err
    assert tree(tmp_path) == before
