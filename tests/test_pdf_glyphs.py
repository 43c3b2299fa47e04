"""A formula's glyphs drawn once (render/pdf_glyphs.py), and one copy of each in the book.

On formulas drawn by the print engine: WeasyPrint with the glyph forms paints the pixels of
the same formulas drawn as plain paths, drawing each distinct glyph once. On the real book
(the session's real_pdf): each glyph form is one object that every page shares, and no two
hold the same drawing.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from pathlib import Path

import pikepdf
import pytest
from conftest import page_images, plain_drawing
from PIL import Image, ImageChops, ImageFilter
from weasyprint import HTML
from weasyprint.svg import TAGS, defs

from qabook.render import pdf_layout  # noqa: F401 - installs the glyph forms
from qabook.render.pdf_glyphs import GLYPH
from qabook.tex.draw import render

#: formulas with repeated glyphs, a delimiter built of pieces, a radical, a fraction bar,
#: a colour and a text-face digit
FORMULAS = [
    (r"x_i^2 + x_j^2 = \sum_{k=1}^{n} x_k", False),
    (r"\left\| \begin{pmatrix} a \\ b \\ c \\ d \end{pmatrix} \right\|_2", True),
    (r"\sqrt{\frac{1}{n} \sum_{i=1}^{n} (y_i - \hat y_i)^2}", True),
    (r"\color{red}{\theta} + \theta_0 = 0.5", False),
]


def _write(path: Path, glyphs: bool) -> None:
    """The formulas, each shown twice, drawn as glyphs placed by <use> (through the forms)
    or else as plain paths (what WeasyPrint drew before the forms)."""
    images = ""
    for tex, display in FORMULAS:
        image = render(tex, display)
        if not glyphs:
            image = replace(image, uri=_uri(plain_drawing(tex, display).decode()))
        images += f"<p>{image.img(tex, 'math')} and again {image.img(tex, 'math')}</p>"
    HTML(string="<html><head><style>@page { size: 12cm 16cm; margin: 1cm } "
                f"body {{ font-size: 14pt }}</style></head><body>{images}</body></html>"
         ).write_pdf(path)


def _forms(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    """Every glyph form the pages draw, by resource name."""
    found = {}
    for page in pdf.pages:
        for name, form in page.obj.Resources.get("/XObject", {}).items():
            if name.startswith("/" + GLYPH):
                found.setdefault(name, []).append(form)
    return found


def _outline_operators(path: Path) -> int:
    """How many path segments a PDF draws: in its pages' content and in its forms'."""
    pdf = pikepdf.open(path)
    streams = [page.obj for page in pdf.pages] + [
        o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Form"]
    return sum(1 for stream in streams
               for _ in pikepdf.parse_content_stream(stream, "m l c"))


def test_glyph_forms_paint_what_plain_paths_paint(tmp_path):
    plain, forms = tmp_path / "plain.pdf", tmp_path / "forms.pdf"
    _write(plain, False)
    _write(forms, True)
    assert _forms(pikepdf.open(plain)) == {}
    drawn = _forms(pikepdf.open(forms))
    assert len(drawn) > 20  # the glyphs of the formulas, each a form
    # every formula is shown twice, and most glyphs more often: far fewer outlines are drawn
    assert _outline_operators(forms) < 0.4 * _outline_operators(plain)
    # each distinct glyph once: the four formulas twice, and x, i, 2 … many times
    uses = sum(1 for page in pikepdf.open(forms).pages
               for _, op in pikepdf.parse_content_stream(page, "Do"))
    assert uses > 2 * len(drawn)
    pages = page_images(plain, 300)
    assert pages and len(page_images(forms, 300)) == len(pages)
    for page in pages:
        one = Image.open(page)
        two = Image.open(tmp_path / page.name.replace("plain", "forms"))
        # the same glyphs at the same places: every inked pixel of either is within a pixel
        # of ink in the other (a form's outline is placed by a matrix, not written in place:
        # an edge may fall on the next pixel), and a missing or extra glyph is thousands
        ink = sum(1 for value in one.tobytes() if value < 128)
        assert ink > 10_000
        assert (_stray(one, two), _stray(two, one)) == (0, 0), page.name


def _stray(one: Image.Image, two: Image.Image) -> int:
    """The inked pixels of one with no ink in two within a pixel."""
    near = two.filter(ImageFilter.MinFilter(3))
    return sum(1 for a, b in zip(one.tobytes(), near.tobytes()) if a < 128 and b >= 128)


def _uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def _glyph_svg(use: str) -> str:
    """A drawing of one glyph (a triangle) placed twice, as tex/draw.py writes formulas."""
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" '
            'viewBox="0 0 40 40"><symbol id="s" viewBox="0 0 10 10">'
            '<path d="M 0 0 L 10 0 L 10 10 Z M 2 1 L 8 1 L 8 7 Z"/></symbol>'
            f'<use href="#s" x="2" y="2" width="20" height="20" {use}/>'
            f'<use href="#s" x="20" y="20" width="16" height="16" {use}/></svg>')


FILL = 'fill="black"'


@pytest.mark.parametrize("extra", ["", 'transform="rotate(10)"', 'stroke="blue"',
                                   'opacity="0.5"', 'fill="url(#paint)"', 'clip-path="url(#c)"'])
def test_only_a_use_that_is_a_glyph_becomes_a_form(tmp_path, extra):
    """A <use> with a transform, a stroke, an opacity, a paint server or a clip is drawn by
    WeasyPrint as it would be, not through a form."""
    path = tmp_path / "formula.pdf"
    HTML(string=f'<p><img src="{_uri(_glyph_svg(extra or FILL))}"></p>').write_pdf(path)
    assert len(_forms(pikepdf.open(path))) == (1 if not extra else 0)


def test_an_authors_figure_is_drawn_by_weasyprint(tmp_path):
    """The same glyphs in a figure file of the book (whose symbols may be clipped, reused
    under one id or used in a clip path) are not turned into forms: formulas only."""
    (tmp_path / "figure.svg").write_text(_glyph_svg(FILL))
    path = tmp_path / "figure.pdf"
    HTML(string='<p><img src="figure.svg"></p>', base_url=str(tmp_path)).write_pdf(path)
    assert _forms(pikepdf.open(path)) == {}


@pytest.mark.parametrize("fill", ['fill="black"', 'fill="rgba(0,0,0,0.5)"', 'fill="#c03020"',
                                  'fill="black" fill-rule="evenodd"'])
def test_a_form_paints_what_weasyprints_use_paints(tmp_path, monkeypatch, fill):
    """Colour, alpha and fill rule as WeasyPrint's own <use> paints them (a form has its own
    resources: its alpha state does not depend on the page's)."""
    html = f'<p><img src="{_uri(_glyph_svg(fill))}" style="width: 8cm"></p>'
    forms, plain = tmp_path / "forms.pdf", tmp_path / "plain.pdf"
    HTML(string=html).write_pdf(forms)
    with monkeypatch.context() as patch:
        patch.setitem(TAGS, "use", defs.use)  # WeasyPrint's own
        HTML(string=html).write_pdf(plain)
    assert len(_forms(pikepdf.open(forms))) == 1 and _forms(pikepdf.open(plain)) == {}
    one, two = Image.open(page_images(plain, 150)[0]), Image.open(page_images(forms, 150)[0])
    difference = ImageChops.difference(one, two).histogram()
    assert sum(difference[8:]) < 50, sum(difference[8:])  # (edges: anti-aliasing)
    assert sum(1 for value in one.tobytes() if value < 250) > 2000  # it drew something


def test_each_glyph_is_one_object_in_the_book(real_pdf):
    pdf = pikepdf.open(real_pdf)
    drawn = _forms(pdf)
    assert len(drawn) > 100  # the book's formulas' glyphs
    assert {name: len({form.objgen for form in forms}) for name, forms in drawn.items()
            if len({form.objgen for form in forms}) != 1} == {}
    digests = {}
    for name, forms in drawn.items():
        digests.setdefault(hashlib.sha256(forms[0].read_bytes()).hexdigest(), []).append(name)
    assert [names for names in digests.values() if len(names) > 1] == []
    # pages of every chapter share them: the forms are the chunks' own, merged
    assert sum(len(forms) for forms in drawn.values()) > 3 * len(drawn)
