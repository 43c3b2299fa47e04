"""A formula's glyphs drawn once per chunk, not once per use (issue 18: one copy of what
repeats).

tex/draw.py draws a formula as SVG: each glyph a <symbol> holding its outline, placed by a
<use>. WeasyPrint 70 draws every <use> anew, parsing the outline again and writing it into
the page: half of the book's page content was formula outlines. `install` makes a <use>
of such a glyph paint a Form XObject, drawn the first time the chunk's PDF needs that glyph
(outline, fill and fill rule alike) and placed by a matrix after that; the merge
(render/pdf_merge.py) then keeps one copy of identical forms across the chunks. The pages
look the same: a form paints exactly the path and fill the <use> would.
"""

from __future__ import annotations

import hashlib

from qabook.tex.draw import placed

#: a glyph form's resource name: GLYPH and a digest of what it paints (the merge keeps one
#: form of each name)
GLYPH = "qg"

#: attributes a glyph's <use> may have; any other (a transform, a clip, an opacity, a
#: stroke) is drawn by WeasyPrint as before
USE = frozenset({"href", "x", "y", "width", "height", "fill", "fill-rule"})
#: attributes of a glyph's <symbol> and <path> drawn through a form
SYMBOL = frozenset({"id", "viewBox"})
PATH = frozenset({"d"})


def install() -> None:
    """Draw glyph <use>s through shared forms (once per process)."""
    from weasyprint.svg import TAGS

    if getattr(TAGS["use"], "glyphs", False):
        return
    plain = TAGS["use"]

    def use(svg, node, font_size):
        glyph = _glyph(svg, node)
        if glyph is None:
            return plain(svg, node, font_size)
        _place(svg, node, font_size, *glyph)

    use.glyphs = True
    TAGS["use"] = use


def _glyph(svg, node):
    """The glyph a <use> places: its viewBox and outlines, when the drawing is a formula
    (tex/draw.py writes them as data: URIs), the symbol has a viewBox and plain paths (alone
    or in plain groups: a delimiter built of pieces) and the <use> has nothing but a place,
    a size and a plain fill; else None.

    Formulas only: an author's figure may use symbols in ways a form would draw otherwise
    (a <use> in a <clipPath>, an outline past its viewBox, which the <use>'s box clips, two
    symbols of one id, children of a <use>), and it is drawn once per chunk anyway."""
    href = node.get("href")
    if not str(svg.url or "").startswith("data:"):
        return None  # an author's figure (a file of the book): drawn by WeasyPrint
    if not href or not href.startswith("#") or set(node.attrib) - USE or \
            node.get("width") is None or node.get("height") is None or \
            not _plain_fill(node.get("fill", "black")):
        return None
    symbols = getattr(svg, "_qabook_symbols", None)
    if symbols is None:  # (the formula's own top-level symbols, found once)
        symbols = svg._qabook_symbols = {child.get("id"): child for child in svg.tree
                                         if child.tag == "symbol" and child.get("id")}
    symbol = symbols.get(href[1:])
    if symbol is None or set(symbol.attrib) - SYMBOL:
        return None
    outlines = []
    stack = list(reversed(list(symbol)))
    while stack:
        child = stack.pop()
        if child.tag == "path" and not set(child.attrib) - PATH:
            outlines.append(child)
        elif child.tag == "g" and not child.attrib:
            stack.extend(reversed(list(child)))
        else:
            return None
    try:
        box = tuple(float(v) for v in symbol.get("viewBox", "").replace(",", " ").split())
    except ValueError:
        return None
    if not outlines or len(box) != 4 or box[2] <= 0 or box[3] <= 0:
        return None
    return tuple(outlines), box


def _plain_fill(fill: str) -> bool:
    """Whether a fill is a colour of its own (not a paint server, none or the context's)."""
    return not any(word in fill.lower() for word in ("url(", "none", "current", "context"))


def _place(svg, node, font_size, outlines, box) -> None:
    """Paint the glyph's form (made on first use) where the <use> puts the symbol: its
    viewBox scaled into the <use>'s width and height (preserveAspectRatio's default,
    xMidYMid meet)."""
    from weasyprint.svg.utils import size

    x, y = svg.point(node.get("x"), node.get("y"), font_size)
    width = size(node.get("width"), font_size, svg.inner_width)
    height = size(node.get("height"), font_size, svg.inner_height)
    if width <= 0 or height <= 0:
        return
    scale, dx, dy = placed(x, y, width, height, box)
    name = _form(svg, node, font_size, outlines, box)
    stream = svg.stream
    stream.push_state()
    stream.transform(a=scale, d=scale, e=dx, f=dy)
    stream.draw_x_object(name)
    stream.pop_state()


def _form(svg, node, font_size, outlines, box) -> str:
    """The name of the form that fills these outlines (each on its own, as their paths
    would be) with the <use>'s fill; made now if the stream's resources have none yet."""
    import pydyf
    from weasyprint.svg.path import path
    from weasyprint.svg.utils import color

    fill = node.get("fill", "black")
    even_odd = node.get("fill-rule") == "evenodd"
    what = repr(([outline.get("d") for outline in outlines], fill, even_odd, box)).encode()
    name = GLYPH + hashlib.sha256(what).hexdigest()[:12]
    forms = svg.stream._resources["XObject"]
    if name in forms:
        return name
    left, top, width, height = box
    # the form's box clips what it paints: an outline may reach past its advance and the
    # face's height (an italic's overhang, a big operator), never by that much
    margin = max(width, height)
    resources = pydyf.Dictionary({"ExtGState": pydyf.Dictionary()})  # (its fill's alpha)
    form = svg.stream.clone(
        resources=resources,
        extra=pydyf.Dictionary({"Type": "/XObject", "Subtype": "/Form", "Resources": resources,
                                "BBox": pydyf.Array((left - margin, top - margin,
                                                     left + width + margin,
                                                     top + height + margin))}))
    page = svg.stream
    svg.stream = form
    try:
        form.set_color(color(fill))
        for outline in outlines:
            path(svg, outline, font_size)
            outline.vertices.clear()  # (kept by WeasyPrint for markers, which glyphs have not)
            form.fill(even_odd)
    finally:
        svg.stream = page
    forms[name] = form
    return name
