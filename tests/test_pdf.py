"""The print PDF of the real book and its handouts, read back with pypdf, pdfium and poppler."""

from __future__ import annotations

import re
from pathlib import Path
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from pypdf import PdfReader

from conftest import build_pdf, page_texts

MM = 72 / 25.4
SHIPPED = ("Source-Serif-4", "Source-Sans-3", "Source-Code-Pro")


@pytest.fixture(scope="module")
def reader(real_pdf) -> PdfReader:
    return PdfReader(real_pdf)


@pytest.fixture(scope="module")
def dests(reader) -> dict[str, int]:
    """Named destination (an HTML id) -> physical page, 1-based."""
    return {name: reader.get_destination_page_number(d) + 1
            for name, d in reader.named_destinations.items()}


@pytest.fixture(scope="module")
def texts(real_pdf) -> list[str]:
    return page_texts(real_pdf)


@pytest.fixture(scope="module")
def book(checked_book):
    return checked_book


@pytest.fixture(scope="module")
def checked(real_pdf) -> Path:
    """The session's build's cache: a handout's build starts with its check's entries."""
    return real_pdf.parent / ".cache"


def printed(dests: dict[str, int], physical: int) -> int:
    """The page number printed on a main-matter page."""
    return physical - dests["chapter-1"] + 1


def outline(reader: PdfReader, items=None) -> list:
    """The bookmarks as (title, page, children)."""
    out: list = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            out[-1][2].extend(outline(reader, item))
        else:
            out.append((item.title, reader.get_destination_page_number(item) + 1, []))
    return out


def test_outline_holds_chapters_questions_and_appendices_in_order(reader, dests, book) -> None:
    tree = outline(reader)
    titles = [title for title, _, _ in tree]
    assert titles == ([m.title for m in book.front]
                      + [f"Chapter {c.number}: {c.title}" for c in book.chapters]
                      + [m.title for m in book.back]
                      + ["Appendix A: Quiz Solutions", "Appendix B: List of Questions",
                         "References"])
    for chapter, (title, page, children) in zip(book.chapters, tree[len(book.front):]):
        assert page == dests[chapter.anchor]
        assert [(t, p) for t, p, _ in children] == [
            (f"{q.label} {q.title}", dests[q.anchor]) for q in chapter.questions]
    assert tree[-3][1] == dests["appendix-a"] and tree[-2][1] == dests["appendix-b"]


def test_question_links_land_on_the_page_with_the_heading(reader, dests, texts, book) -> None:
    headings = {q.anchor: f"{q.label} {q.title}" for q in book.questions}
    count = 0
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            link = annot.get_object()
            if link.get("/Subtype") != "/Link" or "/Dest" not in link:
                continue
            name = str(link["/Dest"])
            assert name in dests, name
            if name in headings:
                assert headings[name] in " ".join(texts[dests[name] - 1].split()), name
            count += 1
    assert count > 500


def test_contents_and_question_list_give_the_real_pages(dests, texts, book) -> None:
    pattern = re.compile(r"^(Q\d+) .*?(\d+)$")
    toc = "\n".join(texts[dests["contents"] - 1: dests["preface"] - 1])
    listing = "\n".join(texts[dests["appendix-b"] - 1: dests["references"] - 1])
    for text in (toc, listing):
        found = {}
        for line in text.splitlines():
            match = pattern.match(line.strip())
            if match:
                found[match.group(1)] = int(match.group(2))
        assert found == {q.label: printed(dests, dests[q.anchor]) for q in book.questions}
    everything = "\n".join(texts)
    assert not re.search(r"p\.\s0\b", everything)
    assert "p.\xa0" in everything or "p. " in everything


def test_footnotes_sit_on_the_page_of_their_call(dests) -> None:
    notes = [name for name in dests if re.fullmatch(r"fn-[\w-]+-\d+", name)]
    assert len(notes) >= 27
    for note in notes:
        assert dests[note] == dests["fnc-" + note[3:]], note


def test_appendix_a_holds_every_solution_in_order(dests, book) -> None:
    pages = [dests[e.solution_anchor] for q in book.questions for e in q.exercises]
    assert pages == sorted(pages)
    assert dests["appendix-a"] <= pages[0] and pages[-1] < dests["appendix-b"]


def test_chapter_openers_are_on_odd_pages(dests, book) -> None:
    for chapter in book.chapters:
        assert dests[chapter.anchor] % 2 == 1  # a right-hand page of the printed sheet
        assert printed(dests, dests[chapter.anchor]) % 2 == 1


def test_fonts_are_embedded_and_shipped(reader) -> None:
    fonts = {}
    for page in reader.pages:
        for font in ((page.get("/Resources") or {}).get("/Font") or {}).values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    assert fonts
    for name, font in fonts.items():
        assert any(family in name for family in SHIPPED), name
        descriptor = (font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                      if "/DescendantFonts" in font else font["/FontDescriptor"])
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.get_object()), name


def test_no_text_or_image_outside_the_margins(real_pdf) -> None:
    """Every character's ink (pdfium's box of its glyph) and every image lies between the
    page's margins, give or take two points (the ink of a line's last letter may overhang
    its advance: the hook of an f by a point)."""
    from qabook.render.pdf_layout import PAPERS
    _, (_, _, inner, outer), _ = PAPERS["a4"]
    inner, outer = float(inner.removesuffix("mm")) * MM, float(outer.removesuffix("mm")) * MM
    document = pdfium.PdfDocument(real_pdf)
    chars = 0
    for number, page in enumerate(document, 1):
        left, right = (inner, outer) if number % 2 else (outer, inner)
        low, high = left - 2, page.get_width() - right + 2
        text = page.get_textpage()
        for index in range(text.count_chars()):
            char = chr(pdfium_c.FPDFText_GetUnicode(text.raw, index))
            # a trailing space may hang in the margin; pdfium's own line ends are not drawn
            if char.isspace() or pdfium_c.FPDFText_IsGenerated(text.raw, index):
                continue
            x0, _, x1, _ = text.get_charbox(index)
            assert low <= x0 and x1 <= high, (number, char)
            chars += 1
        for image in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=16):
            x0, _, x1, _ = image.get_pos()
            assert low <= x0 and x1 <= high, (number, "image")
    assert chars > 300_000


def test_document_metadata(reader, book) -> None:
    meta = reader.metadata
    config = book.config
    assert meta.title == config.title and meta.author == ", ".join(config.authors)
    assert meta.subject == config.description
    assert reader.trailer["/Root"]["/Lang"] == config.language


def test_chapter_handout_holds_exactly_that_chapter(tmp_path, book, checked) -> None:
    pdf = build_pdf(tmp_path, "--chapter", "3", checked=checked)
    assert pdf.name.endswith("-ch3.pdf")
    reader = PdfReader(pdf)
    text = " ".join(" ".join(page_texts(pdf)).split())
    names = set(reader.named_destinations)
    for q in book.questions:
        inside = q.chapter == 3
        assert (q.anchor in names) == inside
        assert all((e.solution_anchor in names) == inside for e in q.exercises)
    # a handout's solutions follow its questions: it has no appendices to letter
    assert "Quiz Solutions" in text and "Appendix" not in text
    assert [t for t, _, _ in outline(reader)][0].startswith("Chapter 3")


def test_worksheet_has_no_solutions(tmp_path, book, checked) -> None:
    pdf = build_pdf(tmp_path, "--question", "17", "--question", "18", "--no-solutions",
                    checked=checked)
    assert pdf.name.endswith("-q17-q18-worksheet.pdf")
    reader = PdfReader(pdf)
    text = " ".join(" ".join(page_texts(pdf)).split())
    names = set(reader.named_destinations)
    assert {"q17", "q18"} <= names and "q19" not in names
    assert not any(name.startswith("sol-") for name in names)
    assert "Appendix A" not in text and "Solution on" not in text


@pytest.mark.parametrize("paper, size", [("letter", (612, 792)), ("6x9in", (432, 648))])
def test_paper_sizes(tmp_path, paper, size, checked) -> None:
    pdf = build_pdf(tmp_path, "--question", "17", "--paper", paper, checked=checked)
    box = PdfReader(pdf).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size
