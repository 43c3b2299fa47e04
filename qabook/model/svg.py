"""SVG figures, accepted by allow-list: static SVG 1.1 drawing that refers only to itself.

Figures go to every reader: the EPUB and the deck carry them as files that e-readers and
Anki's web view open as they like. So an SVG is parsed first, by expat in whatever encoding
it declares, with document type declarations, entities and processing instructions refused
by the parser itself (not by looking for text); then every element, attribute and CSS value
must be on the lists below. CSS, in `style` attributes, presentation attributes and
`<style>` sheets, is read by a real CSS tokenizer (tinycss2), so escapes such as `u\\72l(`
are decoded before anything is judged. Both readers are qabook.xmlcss, which the EPUB's
check of its XHTML uses too.

This is the one SVG policy of qabook: `check` runs it on every figure, and the EPUB's last
check (render/epub_safety.py) runs it again on the figure files the package carries, which
are the checked bytes, copied by pandoc unchanged. Limits bound what a renderer is asked to draw:
elements, nesting, and the expanded size once `<use>`, patterns, markers, clip paths and
masks are followed (references that multiply are how a small SVG becomes a bomb).

The lists are what the book's own figures use (see source/figures) plus the rest of static
SVG 1.1 drawing: shapes, paths, text, gradients, patterns, markers, clipping, masking,
`<defs>`/`<use>`/`<symbol>`, `<title>`/`<desc>` and styles. No scripts, animation, links,
images, filters, fonts or foreign content: change the lists only after reviewing what a
reader's application would do with the addition.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Iterable, NoReturn

from qabook import xmlcss

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"

MAX_ELEMENTS = 10_000  #: elements, also once references are expanded (the book's largest: 347)
MAX_DEPTH = 32  #: nesting of elements (the book's figures nest 5 deep)

ELEMENTS = frozenset({
    "svg", "g", "defs", "symbol", "use", "title", "desc", "style",
    "rect", "circle", "ellipse", "line", "polyline", "polygon", "path",
    "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "pattern", "marker", "clipPath", "mask",
})

#: CSS properties of static drawing: allowed as presentation attributes and in styles
PROPERTIES = frozenset({
    "alignment-baseline", "baseline-shift", "clip", "clip-path", "clip-rule", "color",
    "color-interpolation", "color-rendering", "direction", "display", "dominant-baseline",
    "fill", "fill-opacity", "fill-rule", "font", "font-family", "font-size",
    "font-size-adjust", "font-stretch", "font-style", "font-variant", "font-weight",
    "glyph-orientation-horizontal", "glyph-orientation-vertical", "image-rendering",
    "kerning", "letter-spacing", "marker", "marker-end", "marker-mid", "marker-start", "mask",
    "opacity", "overflow", "paint-order", "shape-rendering", "stop-color", "stop-opacity",
    "stroke", "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin",
    "stroke-miterlimit", "stroke-opacity", "stroke-width", "text-anchor", "text-decoration",
    "text-rendering", "unicode-bidi", "vector-effect", "visibility", "word-spacing",
    "writing-mode",
})

#: attributes that are not CSS: geometry, structure, units, accessibility
ATTRIBUTES = frozenset({
    "id", "class", "style", "lang", "version", "baseProfile", "width", "height", "viewBox",
    "preserveAspectRatio", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry",
    "fx", "fy", "fr", "d", "points", "pathLength", "transform", "dx", "dy", "rotate",
    "textLength", "lengthAdjust", "startOffset", "method", "spacing", "href",
    "gradientUnits", "gradientTransform", "spreadMethod", "offset", "patternUnits",
    "patternContentUnits", "patternTransform", "refX", "refY", "markerWidth", "markerHeight",
    "markerUnits", "orient", "clipPathUnits", "maskUnits", "maskContentUnits", "type",
    "role", "aria-label", "aria-labelledby", "aria-describedby", "aria-hidden",
    f"{{{XLINK}}}href", f"{{{XML}}}space", f"{{{XML}}}lang",
})
HREFS = ("href", f"{{{XLINK}}}href")
CSS_FUNCTIONS = frozenset({"url", "rgb", "rgba", "hsl", "hsla"})
STYLE_TYPES = ("", "text/css")

NOT_STATIC = "figures may use only static SVG drawing"


class Refused(Exception):
    """Why an SVG is not accepted: a diagnostic code and the reason."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason


def check_svg(data: bytes) -> tuple[str, str] | None:
    """Why an SVG is not accepted, as (code, reason), or None."""
    try:
        root, lines = parse(data)
        _Checker(lines).check(root)
    except Refused as problem:
        return problem.code, problem.reason
    return None


def parse(data: bytes) -> tuple[ET.Element, dict[ET.Element, int]]:
    """The SVG's tree and each element's line; refuses DTDs, entities, processing
    instructions and more elements or nesting than the limits."""
    builder = ET.TreeBuilder()

    def refuse(what: str, line: int) -> NoReturn:
        raise Refused("image.unsupported", f"{what} (SVG line {line}), which figures may not "
                                           "have")

    parser = xmlcss.parser(refuse)
    lines: dict[ET.Element, int] = {}
    depth = [0]

    def start(name: str, attributes: dict[str, str]) -> None:
        depth[0] += 1
        if len(lines) >= MAX_ELEMENTS:
            raise Refused("image.too-large", f"has more than {MAX_ELEMENTS:,} elements")
        if depth[0] > MAX_DEPTH:
            raise Refused("image.too-large", f"nests elements more than {MAX_DEPTH} deep "
                                             f"(SVG line {parser.CurrentLineNumber})")
        element = builder.start(_name(name), {_name(k): v for k, v in attributes.items()})
        lines[element] = parser.CurrentLineNumber

    def end(name: str) -> None:
        depth[0] -= 1
        builder.end(_name(name))

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except (xmlcss.XMLError, ValueError) as exc:
        raise Refused("image.invalid", f"is not a valid SVG file ({exc})") from None
    return builder.close(), lines


def _name(expat_name: str) -> str:
    """ElementTree's form of a name expat gives as "namespace local"."""
    namespace, _, local = expat_name.rpartition(" ")
    return f"{{{namespace}}}{local}" if namespace else local


def _shown(name: str) -> str:
    """A name as a message shows it: `rect`, `xlink:href`, `label (its namespace)`."""
    if not name.startswith("{"):
        return name
    namespace, _, local = name[1:].partition("}")
    prefix = {XLINK: "xlink:", XML: "xml:", SVG: ""}.get(namespace)
    return f"{local} ({namespace})" if prefix is None else prefix + local


class _Checker:
    """Walks the tree once: the allow-lists, then the size once references are followed."""

    def __init__(self, lines: dict[ET.Element, int]):
        self.lines = lines
        self.refs: dict[ET.Element, list[str]] = {}  #: fragment ids each element refers to
        self.sheet_refs: list[str] = []  #: fragment ids <style> rules refer to

    def check(self, root: ET.Element) -> None:
        if root.tag != f"{{{SVG}}}svg":
            raise Refused("image.invalid", "is not an SVG file (its root element is not <svg>)")
        for element in root.iter():
            self._element(element)
        _expansion(root, self.refs, self.sheet_refs)

    def _where(self, element: ET.Element) -> str:
        return f"SVG line {self.lines.get(element, 1)}"

    def _element(self, element: ET.Element) -> None:
        tag = element.tag
        if not tag.startswith(f"{{{SVG}}}") or tag[len(SVG) + 2:] not in ELEMENTS:
            raise Refused("image.unsupported", f"has <{_shown(tag)}> ({self._where(element)}); "
                                               f"{NOT_STATIC}")
        where = f"on <{_shown(tag)}> ({self._where(element)})"
        for key, value in element.attrib.items():
            self._attribute(element, key, value, where)
        if tag == f"{{{SVG}}}style":
            self._sheet(element)

    def _attribute(self, element: ET.Element, key: str, value: str, where: str) -> None:
        if key in HREFS:
            if not xmlcss.fragment(value):
                raise Refused("image.unsupported", f"refers to '{value[:60]}' {where}; figures "
                                                   "may refer only to their own parts (#id)")
            self.refs.setdefault(element, []).append(value[1:])
        elif key == "style":
            self._declarations(xmlcss.declarations(value), element, where)
        elif key in PROPERTIES:
            # Only a function or url() can fetch or refer, and in CSS both start at a literal
            # "(" (an escape never makes one): a value without it is a list of plain tokens.
            if "(" in value:
                self.refs.setdefault(element, []).extend(_css_refs(xmlcss.values(value), where))
        elif key not in ATTRIBUTES:
            raise Refused("image.unsupported", f"has attribute '{_shown(key)}' {where}; "
                                               f"{NOT_STATIC}")

    def _declarations(self, nodes: Iterable, element: ET.Element | None, where: str) -> None:
        """Declarations of a style attribute or a rule: known properties, safe values."""
        for node in nodes:
            if node.type != "declaration":
                raise Refused("image.unsupported", f"has CSS '{_css(node)}' {where}; "
                                                   "styles may only set drawing properties")
            if node.lower_name not in PROPERTIES:
                raise Refused("image.unsupported", f"sets CSS property '{node.name}' {where}; "
                                                   "styles may only set drawing properties")
            found = _css_refs(node.value, where)
            if element is None:
                self.sheet_refs.extend(found)
            else:
                self.refs.setdefault(element, []).extend(found)

    def _sheet(self, element: ET.Element) -> None:
        where = f"in <style> ({self._where(element)})"
        if element.get("type", "") not in STYLE_TYPES or len(element):
            raise Refused("image.unsupported", f"has a <style> that is not plain CSS {where}")
        for rule in xmlcss.rules(element.text or ""):
            if rule.type != "qualified-rule":
                raise Refused("image.unsupported", f"has CSS '{_css(rule)}' {where}; a sheet "
                                                   "may only hold rules that set drawing "
                                                   "properties")
            self._declarations(xmlcss.declarations(rule.content), None, where)


def _css(node) -> str:
    """A short excerpt of a CSS node, for a message."""
    text = " ".join(node.serialize().split())
    return text if len(text) <= 40 else text[:39] + "…"


def _css_refs(values: Iterable, where: str) -> list[str]:
    """The fragment ids a CSS value refers to by url(#id); refuses any other url(), any
    function not on the list and anything the tokenizer could not read."""
    found = []
    for token in xmlcss.walk(values):
        if token.type == "error":
            raise Refused("image.invalid", f"has CSS the tokenizer cannot read {where} "
                                           f"({token.message})")
        if token.type == "function" and token.lower_name not in CSS_FUNCTIONS:
            raise Refused("image.unsupported", f"uses the CSS function {token.name}() {where}; "
                                               "styles may use only url(#id), rgb() and hsl()")
        target = xmlcss.url(token)
        if target is None:
            continue
        if not xmlcss.fragment(target):
            raise Refused("image.unsupported", f"refers to '{target[:60]}' in CSS {where}; "
                                               "figures may refer only to their own parts "
                                               "(url(#id))")
        found.append(target[1:])
    return found


def _expansion(root: ET.Element, refs: dict[ET.Element, list[str]],
               sheet_refs: list[str]) -> None:
    """Refuse an SVG that draws more than MAX_ELEMENTS once each reference is replaced by
    what it refers to (as `<use>` is, and as a pattern, marker, clip path or mask is drawn
    wherever it is used), or that refers to itself.

    A reference from a <style> rule may apply to every element, so it counts once per
    element. Sizes are computed once per element (depth first, without recursion), so a
    chain of references that doubles at each step is measured, not expanded.
    """
    ids = {element.get("id"): element for element in root.iter() if element.get("id")}
    count = sum(1 for _ in root.iter())

    def needs(element: ET.Element) -> list[tuple[ET.Element, int]]:
        found = [(child, 1) for child in element]
        found += [(ids[i], 1) for i in refs.get(element, []) if i in ids]
        if element is root:
            found += [(ids[i], count) for i in sheet_refs if i in ids]
        return found

    size: dict[ET.Element, int] = {}
    open_: set[ET.Element] = set()
    stack: list[tuple[ET.Element, bool]] = [(root, False)]
    while stack:
        element, finished = stack.pop()
        if finished:
            open_.discard(element)
            total = 1 + sum(size[e] * n for e, n in needs(element))
            size[element] = min(total, MAX_ELEMENTS + 1)
            continue
        if element in size:
            continue
        open_.add(element)
        stack.append((element, True))
        for target, _ in needs(element):
            if target in open_:
                raise Refused("image.invalid", f"refers to itself through "
                                               f"#{target.get('id')}; a figure's references "
                                               "must not loop")
            if target not in size:
                stack.append((target, False))
    if size[root] > MAX_ELEMENTS:
        raise Refused("image.too-large", f"draws more than {MAX_ELEMENTS:,} elements once its "
                                         "references (<use>, patterns, markers) are followed")
