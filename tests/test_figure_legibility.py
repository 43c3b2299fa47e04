"""Every figure of the book stays legible where it is read (scripts/figure_legibility.py):
labels at least 9 CSS px when a phone card shows the figure 350 px wide, at least 7 pt on A4
and 6.5 pt on 6x9 in. Parses the SVGs only; no build."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from conftest import REPO

spec = importlib.util.spec_from_file_location("figure_legibility",
                                              REPO / "scripts/figure_legibility.py")
legibility = importlib.util.module_from_spec(spec)
sys.modules.setdefault("figure_legibility", legibility)
spec.loader.exec_module(legibility)

SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} 100" width="{w}">'


def test_every_book_figure_is_legible_on_a_phone_and_in_print():
    paths = sorted(legibility.FIGURES.glob("*.svg"))
    assert len(paths) >= 69
    short = {}
    for path in paths:
        figure = legibility.measure(path.read_bytes(), path.name)
        if figure.shortfalls():
            short[path.name] = figure.shortfalls()
    assert not short, "redraw these figures (scripts/figure_legibility.py --check):\n" + \
        "\n".join(f"{name}: {'; '.join(why)}" for name, why in short.items())


def test_print_geometry_is_the_pdf_layouts():
    """The text column and page height the script assumes are those of pdf_layout.PAPERS."""
    pytest.importorskip("weasyprint")
    from qabook.render.pdf_layout import PAPERS
    mm = {"mm": 72 / 25.4, "in": 72.0}
    length = lambda v: float(v[:-2]) * mm[v[-2:]]
    for paper, (column, page) in legibility.PAGES.items():
        size, (_top, _bottom, inner, outer), _font = PAPERS[paper]
        width, height = (210 * mm["mm"], 297 * mm["mm"]) if size == "A4" else \
            tuple(length(v) for v in size.split())
        assert column == pytest.approx(width - length(inner) - length(outer))
        assert page == pytest.approx(height)


@pytest.mark.parametrize("svg, size", [
    ('<text font-size="18">a</text>', 18),
    ('<g font-size="20"><text>a<tspan font-size="12">b</tspan></text></g>', 12),
    ('<g style="font-size: 30px"><text font-size="50%">a</text></g>', 15),
    ('<g transform="translate(5,5) scale(0.5)"><text font-size="40">a</text></g>', 20),
    ('<text font-size="12pt">a</text>', 16),
    ('<text font-size="1.5em">a</text>', 24),  # of the default 16
    ('<text font-size="10"> </text><text font-size="22">a</text>', 22),  # blank text draws nothing
    ('<style>text { font-size: 14px }</style><text>a</text>', 14),
])
def test_sizes_are_read_from_attributes_styles_inheritance_and_transforms(svg, size):
    figure = legibility.measure((SVG_HEAD.format(w=350) + svg + "</svg>").encode())
    assert figure.smallest.size == pytest.approx(size)


def test_the_rule_scales_with_the_figure_width():
    assert not legibility.measure(
        (SVG_HEAD.format(w=700) + '<text font-size="18">a</text></svg>').encode()).shortfalls()
    short = legibility.measure(
        (SVG_HEAD.format(w=700) + '<text font-size="17">a</text></svg>').encode()).shortfalls()
    assert short and "8.5 px" in short[0] and "at least 18 units" in short[0]


@pytest.mark.parametrize("svg, code", [
    ('<text font-size="large">a</text>', "[figure.font-size]"),
    ('<text transform="perspective(2)">a</text>', "[figure.transform]"),
    ('<!DOCTYPE svg><text>a</text>', "[image.unsupported]"),
])
def test_unreadable_figures_get_a_located_message(svg, code):
    data = (SVG_HEAD.format(w=350) + svg + "</svg>").encode()
    if svg.startswith("<!DOCTYPE"):
        data = (svg.split("<text")[0] + SVG_HEAD.format(w=350) + "<text>a</text></svg>").encode()
    with pytest.raises(legibility.Unreadable) as caught:
        legibility.measure(data, "f.svg")
    assert str(caught.value).startswith("f.svg") and code in str(caught.value)
