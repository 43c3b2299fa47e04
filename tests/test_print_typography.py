"""Typography of the print PDF (issue 18, typography), measured on the real book's PDF with
pdfplumber: the measure, loose justified lines, the front matter's folios and copyright page,
the contents' number column; and the math drawings' digits against the text face's own
outlines (fontTools). The PDF comes from the session's build (fixture real_pdf)."""

from __future__ import annotations

import base64
import re
import statistics
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pdfplumber = pytest.importorskip("pdfplumber")

from fontTools.pens.boundsPen import BoundsPen  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402

from conftest import REPO  # noqa: E402

FONTS = REPO / "templates" / "fonts"
BODY = 10.5  #: A4's body size (render/pdf_layout.PAPERS)
PATH_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)")


def _body_lines(page) -> list[list[dict]]:
    """The page's lines of body text (Source Serif 4 at the body size), each its characters
    left to right."""
    rows: dict[int, list[dict]] = {}
    for char in page.chars:
        if "SourceSerif4" in char["fontname"].replace("-", "") and \
                abs(char["size"] - BODY) < 0.05 and char["text"].strip():
            rows.setdefault(round(char["bottom"]), []).append(char)
    return [sorted(row, key=lambda c: c["x0"]) for _, row in sorted(rows.items())]


def _text(row: list[dict]) -> str:
    out, last = "", None
    for char in row:
        if last is not None and char["x0"] - last["x1"] > 0.15 * BODY:
            out += " "
        out += char["text"]
        last = char
    return out


SAMPLE = 3  #: the body is read every third page (pdfplumber takes ~0.2 CPU-s a page)


@pytest.fixture(scope="module")
def book(real_pdf):
    """The front matter's pages, then every SAMPLE-th page after them."""
    with pdfplumber.open(real_pdf) as pdf:
        pages = []
        for index, page in enumerate(pdf.pages):
            if index >= 8 and index % SAMPLE:
                continue
            pages.append({"height": float(page.height), "width": float(page.width),
                          "lines": _body_lines(page),
                          "words": page.extract_words(),
                          "chars": [(c["x0"], c["top"], c["x1"], c["bottom"])
                                    for c in page.chars if c["text"].strip()],
                          "curves": [(c["x0"], c["top"], c["x1"], c["bottom"])
                                     for c in page.curves]})
        yield pages


def _full_lines(book):
    """Body lines that run the full measure (the widest lines of the book, less 2 pt)."""
    lines = [(page, row) for page in book for row in page["lines"] if len(row) > 20]
    measure = max(row[-1]["x1"] - row[0]["x0"] for _, row in lines)
    return [(page, row) for page, row in lines if row[-1]["x1"] - row[0]["x0"] >= measure - 2]


def test_body_lines_hold_65_to_80_characters(book):
    full = _full_lines(book)
    assert len(full) > 400
    median = statistics.median(len(_text(row)) for _, row in full)
    assert 65 <= median <= 80, median


def test_justified_lines_have_word_spaces_under_half_an_em(book):
    """Full lines without inline math (no drawing on the line): the mean gap between words
    of the text face (a gap with inline code in it is the code's, not a word space)."""
    loose = []
    for page, row in _full_lines(book):
        top, bottom = min(c["top"] for c in row), max(c["bottom"] for c in row)
        if any(t < bottom and b > top for _, t, _, b in page["curves"]):
            continue  # a formula on the line: its gap is the formula, not a word space

        def between(a, b):
            return any(x0 >= a["x1"] - 0.1 and x1 <= b["x0"] + 0.1 and t < bottom and bt > top
                       for x0, t, x1, bt in page["chars"])

        gaps = [b["x0"] - a["x1"] for a, b in zip(row, row[1:])
                if b["x0"] - a["x1"] > 0.15 * BODY and not between(a, b)]
        if gaps and statistics.mean(gaps) / BODY > 0.5:
            loose.append(_text(row)[:50])
    assert len(loose) <= 2, loose


def test_no_folio_on_half_title_blank_title_and_copyright_pages(book):
    def foot_words(page):  # below the lowest body line: where the folio stands
        return [w["text"] for w in page["words"] if w["top"] > page["height"] - 72]

    assert [foot_words(page) for page in book[:4]] == [[], [], [], []]
    # the contents page (v) and the pages of the book do carry one: the test can see folios
    assert foot_words(book[4]) == ["v"]
    assert sum(len(foot_words(page)) == 1 and foot_words(page)[0].isdigit()
               for page in book[8:30]) >= 15


def test_copyright_stands_at_the_foot_of_its_page(book):
    page = next(p for p in book[:6] if any(w["text"] == "Copyright" for w in p["words"]))
    top = min(w["top"] for w in page["words"])
    assert top > page["height"] * 2 / 3


def test_contents_question_titles_start_at_one_x(book):
    page = next(p for p in book[:8] if any(w["text"] == "Contents" for w in p["words"]))
    starts = {}
    for word in page["words"]:
        if re.fullmatch(r"Q\d+", word["text"]):
            following = [w for w in page["words"] if abs(w["bottom"] - word["bottom"]) < 1
                         and w["x0"] > word["x1"]]
            starts[word["text"]] = min(w["x0"] for w in following)
    assert {"Q1", "Q9", "Q10", "Q27"} <= set(starts)
    assert max(starts.values()) - min(starts.values()) < 0.5, starts


def _bounds(font: Path, char: str) -> tuple[float, float]:
    """Width and height of a glyph's outline, in em."""
    tt = TTFont(font)
    glyphs = tt.getGlyphSet()
    pen = BoundsPen(glyphs)
    glyphs[tt.getBestCmap()[ord(char)]].draw(pen)
    x0, y0, x1, y1 = pen.bounds
    return (x1 - x0) / tt["head"].unitsPerEm, (y1 - y0) / tt["head"].unitsPerEm


def _drawn(tex: str) -> tuple[float, float]:
    """Width and height of the ink of a formula drawn for print, in em of the text."""
    from qabook.tex import draw
    image = draw.render(tex, False)
    svg = ET.fromstring(base64.b64decode(image.uri.split(",", 1)[1]))
    _, _, width, _ = (float(v) for v in svg.get("viewBox").split())
    em = width / image.width  # drawing units per em of the text
    svg_ns = "{http://www.w3.org/2000/svg}"
    symbols = {symbol.get("id"): symbol for symbol in svg.iter(f"{svg_ns}symbol")}
    xs, ys = [], []
    for use in svg.iter(f"{svg_ns}use"):  # each glyph: a symbol, scaled into the use's box
        symbol = symbols[use.get("href")[1:]]
        scale = float(use.get("width")) / float(symbol.get("viewBox").split()[2])
        for path in symbol.iter(f"{svg_ns}path"):
            numbers = [float(n) * scale for n in PATH_NUMBER.findall(path.get("d"))]
            xs += numbers[0::2]
            ys += numbers[1::2]
    assert xs, tex
    return (max(xs) - min(xs)) / em, (max(ys) - min(ys)) / em


@pytest.mark.parametrize("digit", ["0", "4", "7"])
def test_math_digits_are_the_text_faces_at_the_text_size(digit):
    """A digit in a formula has the outline box of Source Serif 4's digit at the text's size
    (control points are on or near the box for these digits), not that of STIX Two Math's
    digit as formulas draw STIX (at draw.SCALE of the text's size)."""
    import ziamath
    from qabook.tex import draw
    stix = Path(ziamath.__file__).parent / "fonts" / "STIXTwoMath-Regular.ttf"
    serif = _bounds(FONTS / "SourceSerif4-Regular.otf", digit)
    other = tuple(v * draw.SCALE for v in _bounds(stix, digit))
    drawn = _drawn(digit)
    assert drawn == pytest.approx(serif, rel=0.02)
    assert drawn != pytest.approx(other, rel=0.02)  # the faces differ enough to tell apart
