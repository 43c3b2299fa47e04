"""The print edition's page numbers in the EPUB: a page list and page-break markers that say
where each page of the PDF starts, whether or not the PDF is built in the same run.

The tiny book `feature-pages` has a question that fills many pages (paragraphs that run over
a page, lists, a quote, code, formulas, a table, a figure, solutions that run over pages).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import pdfplumber
import pytest
from lxml import etree
from pypdf import PdfReader

from conftest import BOOKS, REPO, assemble, run
from qabook.render import pages

XHTML = "http://www.w3.org/1999/xhtml"
OPS = "http://www.idpf.org/2007/ops"
NS = {"x": XHTML, "epub": OPS, "opf": "http://www.idpf.org/2007/opf"}
MM = 72 / 25.4
TOP, BOTTOM = 22 * MM, 24 * MM  # the A4 edition's margins: running heads and folios lie outside


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The tiny book built three ways: EPUB and PDF in one build, the EPUB alone, the EPUB
    alone without a cache."""
    root = tmp_path_factory.mktemp("pages")
    book = assemble(BOOKS / "feature-pages", root)
    out = {}
    for name, args in {"both": ["-f", "epub", "-f", "pdf"], "alone": ["-f", "epub"],
                       "bare": ["-f", "epub", "--no-cache"]}.items():
        code, _, err = run("build", "--source", str(book), "--out", str(root / name), *args)
        assert code == 0, err
        out[name] = root / name
    out["book"] = book
    return out


def epub_of(folder: Path) -> Path:
    return next(folder.glob("*.epub"))


def test_the_epub_is_the_same_with_or_without_the_pdf_and_the_cache(built) -> None:
    both = epub_of(built["both"]).read_bytes()
    assert epub_of(built["alone"]).read_bytes() == both
    assert epub_of(built["bare"]).read_bytes() == both


class Epub:
    """The EPUB's content documents in reading order, its page list and its metadata."""

    def __init__(self, path: Path):
        with zipfile.ZipFile(path) as archive:
            opf = etree.fromstring(archive.read("EPUB/content.opf"))
            hrefs = {item.get("id"): item.get("href")
                     for item in opf.iterfind("opf:manifest/opf:item", NS)}
            self.spine = [hrefs[ref.get("idref")]
                          for ref in opf.iterfind("opf:spine/opf:itemref", NS)]
            self.docs = {href: etree.fromstring(archive.read(f"EPUB/{href}"))
                         for href in self.spine if href.startswith("text/")}
            nav = etree.fromstring(archive.read("EPUB/nav.xhtml"))
        self.metadata = [(meta.get("property"), meta.text)
                         for meta in opf.iterfind("opf:metadata/opf:meta", NS)]
        lists = nav.xpath("//x:nav[@epub:type='page-list']", namespaces=NS)
        assert len(lists) == 1
        self.page_list = [(a.text, a.get("href")) for a in lists[0].iterfind(".//x:a", NS)]

    def target(self, href: str) -> etree._Element:
        name, ident = href.split("#")
        found = self.docs[name].xpath("//*[@id=$i]", i=ident)
        assert len(found) == 1, href
        return found[0]


def pdf_labels(pdf: Path) -> list[str]:
    return list(PdfReader(pdf).page_labels)


def test_the_page_list_has_every_printed_page_once_in_reading_order(built) -> None:
    epub = Epub(epub_of(built["both"]))
    labels = pdf_labels(next(built["both"].glob("*.pdf")))
    assert [label for label, _ in epub.page_list] == labels
    assert len(set(labels)) == len(labels) > 20
    order = {}
    for number, href in enumerate(epub.spine):
        for index, element in enumerate(epub.docs.get(href, etree.Element("x")).iter()):
            order[element] = (number, index)
    places = []
    for label, href in epub.page_list:
        marker = epub.target(href)
        assert marker.get(f"{{{OPS}}}type") == "pagebreak"
        assert marker.get("role") == "doc-pagebreak"
        assert marker.get("aria-label") == label and marker.get("id") == f"page-{label}"
        assert len(marker) == 0 and not marker.text
        places.append(order[marker])
    assert places == sorted(places)
    breaks = [e for doc in epub.docs.values()
              for e in doc.xpath("//*[@epub:type='pagebreak']", namespaces=NS)]
    assert len(breaks) == len(labels)  # no marker outside the list
    source = "A Tiny Book, print edition (PDF, A4), Test Author, 2026-01-15"
    assert ("pageBreakSource", source) in epub.metadata
    features = {value for prop, value in epub.metadata if prop == "schema:accessibilityFeature"}
    assert {"pageBreakMarkers", "pageNavigation"} <= features
    for doc in epub.docs.values():  # the writers' page markers are all gone
        assert not doc.xpath(f"//@{pages.ATTRIBUTE}")


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.findall(r"\w+", text)


def contains(haystack: list[str], needle: list[str]) -> bool:
    size = len(needle)
    return any(haystack[i:i + size] == needle for i in range(len(haystack) - size + 1))


def page_starts(pdf: Path) -> list[tuple[str, str] | None]:
    """What each page starts with between the margins: ("figure", id) when a figure or table
    does (its destination is at or above the first line of text: the text drawn inside a
    figure is not the book's, and a table's caption may end the page before), else ("text",
    its first line); None for a page without text."""
    reader = PdfReader(pdf)
    placed: dict[int, list[tuple[float, str]]] = {}
    for name, destination in reader.named_destinations.items():
        if name.startswith(("fig-", "tbl-")):
            index = reader.get_destination_page_number(destination)
            height = float(reader.pages[index].mediabox.height)
            placed.setdefault(index, []).append((height - float(destination.top), name))
    out: list[tuple[str, str] | None] = []
    with pdfplumber.open(pdf) as document:
        for index, page in enumerate(document.pages):
            body = page.crop((0, TOP - 2, page.width, page.height - BOTTOM))
            lines = body.extract_text_lines()
            above = sorted(place for place in placed.get(index, [])
                           if not lines or place[0] <= lines[0]["top"] + 1)
            out.append(("figure", above[0][1]) if above else
                       ("text", lines[0]["text"]) if lines else None)
    return out


def block_at(marker: etree._Element) -> etree._Element:
    """The block a page-break marker stands at the start of: its parent when the marker
    starts the parent's content or text follows it, else the element it stands before."""
    def pagebreak(element) -> bool:
        return element is not None and element.get(f"{{{OPS}}}type") == "pagebreak"

    first = last = marker  # the markers that stand together (pages with nothing of their own)
    while pagebreak(first.getprevious()) and not (first.getprevious().tail or "").strip():
        first = first.getprevious()
    while pagebreak(last.getnext()) and not (last.tail or "").strip():
        last = last.getnext()
    parent = marker.getparent()
    at_start = first.getprevious() is None and not (parent.text or "").strip()
    block = parent if (last.tail or "").strip() or at_start or last.getnext() is None \
        else last.getnext()
    if block.tag in (f"{{{XHTML}}}td", f"{{{XHTML}}}th"):
        return block.getparent()  # a line of a table runs across the cells of its row
    return block


def test_each_page_starts_in_the_block_its_marker_stands_at(built) -> None:
    """For every page of the PDF, what it starts with is in the block where the EPUB's
    page-break marker for that page stands: its first line, words for words (but for a word
    hyphenated at either end of the line), or the figure or table it starts with. Pages whose
    first line the EPUB does not have (the print's own half-title, contents) are left out;
    they are marked where the next page is."""
    epub = Epub(epub_of(built["both"]))
    starts = page_starts(next(built["both"].glob("*.pdf")))
    everything = words(" ".join(" ".join(doc.itertext()) for doc in epub.docs.values()))
    checked = set()
    for (label, href), start in zip(epub.page_list, starts, strict=True):
        if start is None:
            continue
        block = block_at(epub.target(href))
        if start[0] == "figure":  # the block is it, holds it, or is in it (a table's row)
            assert block.xpath("ancestor-or-self::*[@id=$i] | .//*[@id=$i]", i=start[1]), \
                (label, start)
            checked.add(label)
            continue
        found = words(start[1])
        if len(found) > 3:
            found = found[1:-1]  # either end may be half a hyphenated word
        if not contains(everything, found):
            continue  # print only
        text = " ".join(block.itertext())
        assert contains(words(text), found), (label, start, text[:300])
        checked.add(label)
    assert len(checked) >= len(starts) - 8  # all but the blank and print-only pages


def test_the_markers_leave_the_print_unchanged(built, tmp_path, monkeypatch) -> None:
    """The PDF of the book without any page marker is the same bytes (a marker must neither
    move a line nor leave a destination behind)."""
    monkeypatch.setattr(pages, "mark", lambda blocks, part: list(blocks))
    code, _, err = run("build", "--source", str(built["book"]), "--out", str(tmp_path / "out"),
                       "-f", "pdf")
    assert code == 0, err
    unmarked = next((tmp_path / "out").glob("*.pdf")).read_bytes()
    assert next(built["both"].glob("*.pdf")).read_bytes() == unmarked
    names = PdfReader(next(built["both"].glob("*.pdf"))).named_destinations
    assert names and not [name for name in names if name.startswith(pages.PREFIX)]


def test_the_real_books_page_list_is_the_pdfs_page_labels(real_epub, real_pdf) -> None:
    epub = Epub(real_epub)
    assert [label for label, _ in epub.page_list] == pdf_labels(real_pdf)
    for _, href in epub.page_list:
        assert epub.target(href).get(f"{{{OPS}}}type") == "pagebreak"


def test_pages_the_epub_lacks_are_marked_where_the_next_page_starts() -> None:
    """A page that starts at nothing the EPUB has goes with the next page that does; pages
    after the last such page go at the end; every page marker of the writers is dropped, and
    the text around them stays."""
    from qabook.render import epub_pages

    doc = etree.fromstring(
        f'<html xmlns="{XHTML}" xmlns:epub="{OPS}"><body><section id="s">'
        '<h2>Title</h2><p><span data-pg="pg-a-1"></span>One <em>two</em></p>'
        '<p>Before<span data-pg="pg-a-2"></span> after</p>'
        '<figure data-pg="pg-a-3"><img src="x.svg" alt="x"/></figure></section></body></html>')
    listed = epub_pages.insert({"text/ch001.xhtml": doc}, [
        ("i", None), ("ii", "contents"), ("1", "s"), ("2", "pg-a-1"), ("3", "pg-a-3"),
        ("4", "pg-a-1"), ("5", None)])
    assert listed == [(label, f"text/ch001.xhtml#page-{label}")
                      for label in ("i", "ii", "1", "2", "3", "4", "5")]
    order = [e.get("id") for e in doc.iter() if e.get(f"{{{OPS}}}type") == "pagebreak"]
    assert order == ["page-i", "page-ii", "page-1", "page-2", "page-3", "page-4", "page-5"]
    section, body = doc.find(f".//{{{XHTML}}}section"), doc.find(f"{{{XHTML}}}body")
    assert [e.get("id") for e in section[:3]] == ["page-i", "page-ii", "page-1"]
    first = section.find(f"{{{XHTML}}}p")
    assert first[0].get("id") == "page-2" and first[0].tail == "One "
    figure = section.find(f"{{{XHTML}}}figure")
    assert figure.getprevious().get("id") == "page-3" and figure.get("data-pg") is None
    assert body[-1].get("id") == "page-5"  # after the last place: at the end
    # page 4 starts before page 3's place: not in reading order, so it goes with page 5
    assert body[-2].get("id") == "page-4"
    assert "".join(section.findall(f"{{{XHTML}}}p")[1].itertext()) == "Before after"
    assert not doc.xpath("//@data-pg")


def test_page_break_ids_never_take_an_id_the_book_has() -> None:
    """A book's own id can be page-N (a front matter titled "Page 1" gets the id page-1): the
    markers then take ids of another prefix, the same for every page, and stay unique."""
    from qabook.render import epub_pages

    def build(ids: list[str]) -> tuple[list[str], etree._Element]:
        sections = "".join(f'<section id="{i}"><p>x</p></section>' for i in ids)
        doc = etree.fromstring(f'<html xmlns="{XHTML}"><body>{sections}</body></html>')
        listed = epub_pages.insert({"a.xhtml": doc}, [("1", ids[0]), ("2", None)])
        return [href.split("#")[1] for _, href in listed], doc

    assert build(["s"])[0] == ["page-1", "page-2"]
    found, doc = build(["page-1", "print-page-2"])
    assert found == ["print-page-2-1", "print-page-2-2"]
    every = doc.xpath("//@id")
    assert len(every) == len(set(every)) == 4


def test_a_front_matter_titled_like_a_page_builds(tmp_path: Path) -> None:
    """The preface titled "Page 1" (its id: page-1) once stopped the EPUB with "report a bug"."""
    book = assemble(BOOKS / "_base", tmp_path)
    preface = book / "front" / "preface.md"
    text = preface.read_text()
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    preface.write_text(text.replace(title, "title: Page 1", 1))
    code, _, err = run("build", "--source", str(book), "--out", str(tmp_path / "out"),
                       "-f", "epub")
    assert code == 0, err
    epub = Epub(epub_of(tmp_path / "out"))
    ids = [i for doc in epub.docs.values() for i in doc.xpath("//@id")]
    assert "page-1" in ids and len(ids) == len(set(ids))
    assert epub.page_list and all(epub.target(href).get(f"{{{OPS}}}type") == "pagebreak"
                                  for _, href in epub.page_list)


@pytest.mark.parametrize("formats, loads", [(("apkg", "epub", "pdf"), False), (("epub",), True),
                                            (("apkg", "epub"), True)])
def test_the_epubs_process_loads_weasyprint_only_when_no_pdf_is_made_beside_it(
        formats: tuple[str, ...], loads: bool) -> None:
    """Beside a PDF, the EPUB's process takes the print edition's pages from the PDF's, and
    loading WeasyPrint (about a CPU-second) would only slow the check and the PDF; alone, it
    may have to lay them out, and loads it while the book is checked."""
    probe = ("import sys; from qabook.render import renderer_module; "
             f"renderer_module('epub').prepare(None, {{}}, {formats!r}); "
             "print('weasyprint' in sys.modules)")
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert found.stdout.strip() == str(loads)
