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
masks are followed (references that multiply are how a small SVG becomes a bomb): a marker
counts once per vertex it is drawn at, an inherited fill or stroke once per shape it paints,
and no marker, pattern, mask or clip path may draw another, so nothing multiplies twice. A
`<style>` sheet may not refer (a rule applies wherever its selector matches, which the size
check would have to follow), and CSS tinycss2 cannot read is refused with its message.

The lists are what the book's own figures use (see source/figures) plus the rest of static
SVG 1.1 drawing: shapes, paths, text, gradients, patterns, markers, clipping, masking,
`<defs>`/`<use>`/`<symbol>`, `<title>`/`<desc>` and styles. No scripts, animation, links,
images, filters, fonts or foreign content: change the lists only after reviewing what a
reader's application would do with the addition.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from typing import Iterable, NoReturn

from qabook import characters, xmlcss

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"

MAX_ELEMENTS = 10_000  #: elements, also once references are expanded (the book's largest: 347)
MAX_DEPTH = 32  #: nesting of elements (the book's figures nest 5 deep)
MAX_REFERENCES = 16  #: references on one element (the book's figures make at most 2)

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
    "opacity", "overflow", "shape-rendering", "stop-color", "stop-opacity",
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
#: properties screens draw but the print PDF's engine (WeasyPrint 70) ignores: allowed, and
#: reported as a warning, as the figure would print otherwise than it shows
IGNORED_IN_PRINT = {"baseline-shift": "raise or lower the text with dy on its <tspan>, and "
                                      "undo the shift with dy on the text after it"}

#: elements whose content is drawn wherever they are used: none may draw another
DRAWN_WHERE_USED = frozenset({"marker", "pattern", "mask", "clipPath"})
#: the elements whose character data is drawn
DRAWN_TEXT = frozenset({"text", "tspan", "textPath"})
#: properties whose url() is inherited by descendants (and by what a <use> copies)
PAINT = frozenset({"fill", "stroke"})
MARKERS = frozenset({"marker", "marker-start", "marker-mid", "marker-end"})
#: elements a fill or stroke paints, and those markers are drawn on
PAINTED = frozenset({"rect", "circle", "ellipse", "line", "polyline", "polygon", "path",
                     "text", "tspan", "textPath"})
MARKED = frozenset({"line", "polyline", "polygon", "path"})


class Refused(Exception):
    """Why an SVG is not accepted: a diagnostic code and the reason."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason


def check_svg(data: bytes) -> tuple[str, str] | None:
    """Why an SVG is not accepted, as (code, reason), or None."""
    return read_svg(data)[0]


def read_svg(data: bytes) -> tuple[tuple[str, str] | None, tuple[tuple[str, str], ...]]:
    """(why the SVG is not accepted or None, the advice on an accepted one): each piece of
    advice is (what it does, hint), for a property print ignores (IGNORED_IN_PRINT)."""
    try:
        root, lines = parse(data)
        checker = _Checker(lines)
        checker.check(root)
    except Refused as problem:
        return (problem.code, problem.reason), ()
    return None, tuple(checker.advice.values())


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
        #: what each element refers to: (attribute or CSS property, fragment id)
        self.refs: dict[ET.Element, list[tuple[str, str]]] = {}
        #: property print ignores -> (where it is first set, hint)
        self.advice: dict[str, tuple[str, str]] = {}

    def check(self, root: ET.Element) -> None:
        if root.tag != f"{{{SVG}}}svg":
            raise Refused("image.invalid", "is not an SVG file (its root element is not <svg>)")
        for element in root.iter():
            self._element(element)
        _expansion(root, self.refs, self.lines)

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
        if len(self.refs.get(element, ())) > MAX_REFERENCES:
            raise Refused("image.too-large", f"makes more than {MAX_REFERENCES} references "
                                             f"{where}")
        if tag == f"{{{SVG}}}style":
            self._sheet(element)
        if tag[len(SVG) + 2:] in DRAWN_TEXT:
            # what the element draws: its text, and for a span the text after it (drawn by
            # the text element around it); none may need a font the book does not ship
            for text in (element.text, None if tag == f"{{{SVG}}}text" else element.tail):
                index = characters.unprintable(text or "")
                if index is not None:
                    char = text[index]
                    raise Refused("image.glyph", f"draws U+{ord(char):04X} "
                                  f"({characters.describe(char)}) {where}, which none of the "
                                  "book's fonts has (the print PDF would take it from a "
                                  "system font)")

    def _attribute(self, element: ET.Element, key: str, value: str, where: str) -> None:
        if key in HREFS:
            if not xmlcss.fragment(value):
                raise Refused("image.unsupported", f"refers to '{value[:60]}' {where}; figures "
                                                   "may refer only to their own parts (#id)")
            self.refs.setdefault(element, []).append(("href", value[1:]))
        elif key == "style":
            self._declarations(xmlcss.declarations(value), element, where)
        elif key in PROPERTIES:
            self._printed(key, where)
            # Only a function or url() can fetch or refer, and in CSS both start at a literal
            # "(" (an escape never makes one): a value without it is a list of plain tokens.
            if "(" in value:
                self.refs.setdefault(element, []).extend(
                    (key, target) for target in _css_refs(xmlcss.values(value), where))
        elif key not in ATTRIBUTES:
            raise Refused("image.unsupported", f"has attribute '{_shown(key)}' {where}; "
                                               f"{NOT_STATIC}")

    def _declarations(self, nodes: Iterable, element: ET.Element | None, where: str) -> None:
        """Declarations of a style attribute (element) or a rule of a sheet (element None):
        known properties, safe values, and url(#id) only in a style attribute."""
        for node in nodes:
            if node.type == "error":
                raise Refused("image.invalid", f"has CSS tinycss2 cannot read {where} "
                                               f"({node.message})")
            if node.type != "declaration":
                raise Refused("image.unsupported", f"has CSS '{_css(node)}' {where}; "
                                                   "styles may only set drawing properties")
            if node.lower_name not in PROPERTIES:
                raise Refused("image.unsupported", f"sets CSS property '{node.name}' {where}; "
                                                   "styles may only set drawing properties")
            self._printed(node.lower_name, where)
            found = _css_refs(node.value, where)
            if element is not None:
                self.refs.setdefault(element, []).extend((node.lower_name, i) for i in found)
            elif found:
                # A rule may apply to any element, where the size check could not follow it.
                raise Refused("image.unsupported", f"uses url(#{found[0]}) {where}; a "
                                                   "<style> sheet may not refer to parts of "
                                                   "the figure: set the property on the "
                                                   "element, as an attribute or in its style "
                                                   "attribute")

    def _printed(self, prop: str, where: str) -> None:
        if prop in IGNORED_IN_PRINT and prop not in self.advice:
            self.advice[prop] = (f"sets {prop} {where}, which the print PDF ignores (the "
                                 "text prints without it)", IGNORED_IN_PRINT[prop])

    def _sheet(self, element: ET.Element) -> None:
        where = f"in <style> ({self._where(element)})"
        if element.get("type", "") not in STYLE_TYPES or len(element):
            raise Refused("image.unsupported", f"has a <style> that is not plain CSS {where}")
        for rule in xmlcss.rules(element.text or ""):
            if rule.type == "error":
                raise Refused("image.invalid", f"has CSS tinycss2 cannot read {where} "
                                               f"({rule.message})")
            if rule.type != "qualified-rule":
                raise Refused("image.unsupported", f"has CSS '{_css(rule)}' {where}; a sheet "
                                                   "may only hold rules that set drawing "
                                                   "properties")
            self._declarations(xmlcss.declarations(rule.content), None, where)


def _css(node) -> str:
    """A short excerpt of a CSS node, for a message."""
    if node.type == "error":
        return f"{node.message}"
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


def _expansion(root: ET.Element, refs: dict[ET.Element, list[tuple[str, str]]],
               lines: dict[ET.Element, int]) -> None:
    """Refuse an SVG that draws more than MAX_ELEMENTS once each reference is replaced by
    what it draws, that refers to itself, or in which a marker, pattern, mask or clip path
    draws another (how a few elements multiply into billions of drawings).

    What an element draws depends on what it inherits: a fill or stroke url() of an
    ancestor (or of the <use> that copies it) paints every shape and text beneath, and a
    marker is drawn at vertices of every path, line, polyline and polygon beneath, once
    per vertex for marker-mid. So the walk visits states (element, inherited references,
    the marker/pattern/mask/clip path it is inside), each once (depth first, without
    recursion), and multiplies a marker's size by its drawings. Content of a marker,
    pattern, mask or clip path inherits from its own ancestors, not from where it is used.
    Every state is at least one element drawn, so the walk stops after MAX_ELEMENTS steps.
    """
    ids = {element.get("id"): element for element in root.iter() if element.get("id")}
    inherits: dict[ET.Element, frozenset] = {root: frozenset()}  #: from tree ancestors
    for parent in root.iter():
        passed = _passed_on(parent, refs, ids, inherits[parent])
        for child in parent:
            inherits[child] = passed
    State = tuple  # (element, inherited (property, id) pairs, container it is inside)

    def enter(source: ET.Element, target: ET.Element, inherited: frozenset,
              inside: ET.Element | None) -> State:
        if _local(target) not in DRAWN_WHERE_USED:
            return target, inherited, inside
        if inside is target:
            raise Refused("image.invalid", f"refers to itself through #{target.get('id')} "
                                           f"(SVG line {lines.get(source, 1)}); a figure's "
                                           "references must not loop")
        if inside is not None:
            raise Refused("image.unsupported",
                          f"draws <{_local(target)}> {_named(target)}inside <{_local(inside)}>"
                          f" {_named(inside)}(SVG line {lines.get(source, 1)}); markers, "
                          "patterns, masks and clip paths may not draw one another")
        return target, inherited, target

    def needs(state: State) -> list[tuple[State, int]]:
        element, inherited, inside = state
        tag = _local(element)
        passed = _passed_on(element, refs, ids, inherited)
        found = [(enter(element, child, passed, inside), 1) for child in element]
        for kind, i in refs.get(element, []):
            target = ids.get(i)
            if target is None or kind in PAINT or kind in MARKERS:
                continue
            if kind == "href" and tag == "use":  # the copy inherits from the <use>
                found.append((enter(element, target, passed, inside), 1))
            elif kind == "href" and tag in DRAWN_WHERE_USED and _local(target) == tag:
                found.append(((target, inherits[target], target), 1))  # a template
            else:
                found.append((enter(element, target, inherits[target], inside), 1))
        for kind, i in passed:
            target = ids[i]
            if kind in PAINT and tag in PAINTED:
                found.append((enter(element, target, inherits[target], inside), 1))
            elif kind in MARKERS and tag in MARKED:
                if element not in shapes:
                    shapes[element] = _vertices(element)
                found.append((enter(element, target, inherits[target], inside),
                              _drawings(kind, *shapes[element])))
        return found

    shapes: dict[ET.Element, tuple[int, int]] = {}  #: vertices and subpaths of each shape
    size: dict[State, int] = {}
    edges: dict[State, list[tuple[State, int]]] = {}
    open_: set[State] = set()
    start: State = (root, inherits[root], None)
    stack: list[tuple[State, bool]] = [(start, False)]
    steps = 0
    while stack:
        state, finished = stack.pop()
        if finished:
            open_.discard(state)
            total = 1 + sum(size[s] * n for s, n in edges.pop(state))
            size[state] = min(total, MAX_ELEMENTS + 1)
            continue
        if state in size:
            continue
        open_.add(state)
        stack.append((state, True))
        edges[state] = needs(state)
        steps += len(edges[state])
        if steps > MAX_ELEMENTS:  # each step is one more element drawn
            size[start] = MAX_ELEMENTS + 1
            break
        for target, _ in edges[state]:
            if target in open_:
                raise Refused("image.invalid", f"refers to itself through "
                                               f"#{target[0].get('id')}; a figure's "
                                               "references must not loop")
            if target not in size:
                stack.append((target, False))
    if size[start] > MAX_ELEMENTS:
        raise Refused("image.too-large", f"draws more than {MAX_ELEMENTS:,} elements once its "
                                         "references (<use>, patterns, markers) are followed")


def _local(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def _named(element: ET.Element) -> str:
    return f"#{element.get('id')} " if element.get("id") else ""


def _passed_on(element: ET.Element, refs: dict[ET.Element, list[tuple[str, str]]],
               ids: dict[str, ET.Element], inherited: frozenset) -> frozenset:
    """The fill, stroke and marker references an element's content inherits: its own added
    to its inheritance (all of them, even where a later one overrides: an upper bound)."""
    own = {(kind, i) for kind, i in refs.get(element, [])
           if (kind in PAINT or kind in MARKERS) and i in ids}
    return inherited | own if own - inherited else inherited


_PATH_TOKEN = re.compile(r"[MmZzLlHhVvCcSsQqTtAa]|[+-]?(?:\d+\.?\d*|\.\d+)"
                         r"(?:[eE][+-]?\d+)?")
#: the fewest numbers a segment of each path command takes (an arc's flags may run into
#: its x and y, as in "1 1 0 1110.5", so an arc is counted as 4 numbers: an upper bound)
_ARITY = {"m": 2, "l": 2, "t": 2, "h": 1, "v": 1, "c": 6, "s": 4, "q": 4, "a": 4}


def _drawings(kind: str, vertices: int, subpaths: int) -> int:
    """How many times a marker property draws its marker on a shape (at least 1): once per
    subpath for marker-start and marker-end, once per vertex for marker-mid, both for the
    `marker` shorthand."""
    if kind == "marker-mid":
        return max(vertices, 1)
    if kind == "marker":
        return max(vertices, 1) + 2 * max(subpaths, 1)
    return max(subpaths, 1)


def _vertices(element: ET.Element) -> tuple[int, int]:
    """A shape's vertices and subpaths, upper bounds counted from its path data or points."""
    tag = _local(element)
    if tag == "path":
        vertices = subpaths = numbers = 0
        command = ""
        for token in _PATH_TOKEN.findall(element.get("d", "")) + ["end"]:
            if token.isalpha():
                vertices += math.ceil(numbers / _ARITY.get(command, 1))
                command, numbers = token.lower(), 0
                vertices += command == "z"
                subpaths += command == "m"
            else:
                numbers += 1
    elif tag in ("polyline", "polygon"):
        numbers = sum(not t.isalpha() for t in _PATH_TOKEN.findall(element.get("points", "")))
        vertices, subpaths = math.ceil(numbers / 2) + (tag == "polygon"), 1
    else:
        vertices, subpaths = 2, 1
    return vertices, subpaths
