"""The EPUB's last check before it is written: every XHTML and SVG file, read by an XML
parser, holds only the elements, attributes and values on the reviewed lists below.

It is the second layer behind the model's attribute allow-list (model/attributes.py): if
anything the source says still reached the package as markup (a script, an event handler, a
style that fetches, a link out of the book), the build fails here, naming the file, the line
and the element, instead of shipping it. pandoc writes XHTML, not HTML, so it is checked as it
is rather than rewritten by an HTML sanitiser.

The lists were taken from the real book's EPUB (every element and attribute it holds) and
widened only to what pandoc writes for the rest of the markup the model admits (quotes,
definition lists, strikeout, subscripts, line breaks, table feet) and to the presentation
MathML that texmath writes; every URL must stay inside the package or be a web address.
"""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit
from xml.parsers import expat

import tinycss2

from qabook.diagnostics import NOWHERE, Diagnostic, Location

NAMESPACES = {
    "xhtml": "http://www.w3.org/1999/xhtml", "svg": "http://www.w3.org/2000/svg",
    "m": "http://www.w3.org/1998/Math/MathML", "epub": "http://www.idpf.org/2007/ops",
    "xlink": "http://www.w3.org/1999/xlink", "xml": "http://www.w3.org/XML/1998/namespace",
}
SVG_PAINT = (
    "fill fill-opacity fill-rule stroke stroke-width stroke-dasharray stroke-dashoffset "
    "stroke-linecap stroke-linejoin stroke-miterlimit stroke-opacity opacity paint-order "
    "font-family font-size font-style font-weight text-anchor dominant-baseline "
    "baseline-shift letter-spacing transform clip-path marker-start marker-mid marker-end "
    "visibility display")
SVG_SHAPE = "x y width height"
MATHML_SCRIPT = "accent accentunder"
#: per namespace: the attributes every element may carry, then each element with its own
ALLOWED = {
    "xhtml": ("id class lang xml:lang role epub:type title", {
        "html": "", "head": "", "title": "", "meta": "charset name content",
        "link": "rel href type", "style": "type", "body": "", "section": "", "nav": "hidden",
        "aside": "", "div": "", "span": "data-cites data-number", "p": "",
        "h1": "", "h2": "", "h3": "", "h4": "", "h5": "", "h6": "",
        "a": "href data-ref-kind aria-hidden tabindex", "em": "", "strong": "", "del": "",
        "sub": "", "sup": "", "code": "", "pre": "", "br": "", "hr": "", "blockquote": "",
        "ul": "", "ol": "type start", "li": "", "dl": "", "dt": "", "dd": "",
        "figure": "data-number", "figcaption": "", "img": "src alt",
        "table": "data-number", "caption": "", "colgroup": "", "col": "style span",
        "thead": "", "tbody": "", "tfoot": "", "tr": "",
        "th": "style colspan rowspan", "td": "style colspan rowspan",
    }),
    "svg": (f"id {SVG_PAINT}", {  # the figures, and the cover page's frame of its image
        "svg": f"{SVG_SHAPE} viewBox preserveAspectRatio version", "g": "", "defs": "",
        "title": "", "desc": "", "rect": f"{SVG_SHAPE} rx ry", "circle": "cx cy r",
        "ellipse": "cx cy rx ry", "line": "x1 y1 x2 y2", "path": "d", "polygon": "points",
        "polyline": "points", "text": "x y dx dy rotate textLength lengthAdjust",
        "tspan": "x y dx dy rotate", "clipPath": "clipPathUnits",
        "marker": "viewBox markerWidth markerHeight markerUnits refX refY orient",
        "linearGradient": "x1 y1 x2 y2 gradientUnits gradientTransform",
        "radialGradient": "cx cy r fx fy gradientUnits gradientTransform",
        "stop": "offset stop-color stop-opacity", "image": f"{SVG_SHAPE} xlink:href",
    }),
    "m": ("id class mathvariant mathsize mathcolor displaystyle scriptlevel", {
        "math": "display alttext", "semantics": "", "annotation": "encoding",
        "mrow": "", "mi": "", "mn": "", "mtext": "", "ms": "",
        "mo": "form stretchy fence separator lspace rspace largeop movablelimits symmetric "
              "minsize maxsize accent",
        "mspace": "width height depth", "mpadded": "width height depth lspace voffset",
        "mphantom": "", "menclose": "notation", "merror": "", "mstyle": "",
        "msub": "", "msup": "", "msubsup": "", "mmultiscripts": "", "mprescripts": "",
        "none": "", "munder": MATHML_SCRIPT, "mover": MATHML_SCRIPT,
        "munderover": MATHML_SCRIPT, "mfrac": "linethickness", "msqrt": "", "mroot": "",
        "mtable": "columnalign rowalign columnspacing rowspacing columnlines rowlines",
        "mtr": "columnalign rowalign", "mtd": "columnalign rowalign style columnspan rowspan",
    }),
}
#: expat's "namespace-URI local-name" of each listed element -> (prefix, name, attributes)
_ELEMENTS = {f"{NAMESPACES[prefix]} {element}":
             (prefix, element, frozenset(common.split()) | frozenset(own.split()))
             for prefix, (common, elements) in ALLOWED.items()
             for element, own in elements.items()}
URL_ATTRIBUTES = {"href", "src", "xlink:href"}
WEB = {"http", "https", "mailto"}  #: where a link in the text may go
#: the declarations pandoc writes in style attributes (table and matrix alignment, widths)
STYLE_PROPERTIES = {"text-align", "width", "padding-left", "padding-right"}
#: functions in SVG values and stylesheets (pandoc numbers code lines with counter());
#: url() only to a fragment of the same file
FUNCTIONS = {"url", "rgb", "rgba", "hsl", "hsla", "translate", "rotate", "scale", "matrix",
             "skewx", "skewy", "counter"}


@dataclass(frozen=True)
class Unsafe:
    """Something in one file of the package that is not on the lists."""

    name: str  #: the file in the package
    line: int
    what: str
    anchor: str  #: the first id of the file, to find the source file it was made from


def problems(entries: list[tuple[str, bytes]],
             locate: Callable[[str], Location] = lambda anchor: NOWHERE) -> list[Diagnostic]:
    """A diagnostic for each file of the package that holds anything off the lists."""
    names = {name for name, _ in entries}
    found = []
    for name, data in entries:
        if name.endswith((".xhtml", ".svg")):
            unsafe = check_file(name, data, names)
            if unsafe is not None:
                found.append(_diagnostic(unsafe, locate))
    return found


def check_file(name: str, data: bytes, names: set[str]) -> Unsafe | None:
    """The first thing in one XHTML or SVG file that is not on the lists, or None."""
    reader = _Reader(name, names)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    parser.StartDoctypeDeclHandler = reader.doctype
    parser.EntityDeclHandler = reader.entity
    parser.ProcessingInstructionHandler = reader.instruction
    reader.parser = parser
    try:
        parser.Parse(data, True)
    except _Stop:
        pass
    except expat.ExpatError as exc:
        return Unsafe(name, exc.lineno, f"XML that is not well-formed ({exc})", reader.anchor)
    return reader.unsafe


class _Reader:
    """expat's handlers for one file: the first problem stops the file's reading."""

    def __init__(self, name: str, names: set[str]):
        self.name, self.names = name, names
        self.unsafe: Unsafe | None = None
        self.anchor = ""
        self.styles: list[str] | None = None  #: the text of a <style> being read
        self.parser = None

    def refuse(self, what: str) -> None:
        line = self.parser.CurrentLineNumber if self.parser else 0
        self.unsafe = Unsafe(self.name, line, what, self.anchor)
        raise _Stop

    def doctype(self, name, system, public, internal_subset) -> None:
        if self.name.endswith(".svg") or name != "html" or system or public or internal_subset:
            self.refuse(f"a document type declaration <!DOCTYPE {name} …>")

    def entity(self, name, *_) -> None:
        self.refuse(f"an entity declaration ({name})")

    def instruction(self, target, data) -> None:
        self.refuse(f"a processing instruction <?{target} …?>")

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        listed = _ELEMENTS.get(tag)
        if listed is None:
            self.refuse("the element <{}:{}>".format(*_name(tag)))
        prefix, element, allowed = listed
        for key, value in attributes.items():
            attribute = _attribute(key)
            if attribute not in allowed:
                self.refuse(f"the attribute {attribute}=\"{value[:40]}\" on <{element}>")
            problem = _value(attribute, value, prefix, self.name, self.names)
            if problem:
                self.refuse(f"{attribute}=\"{value[:60]}\" on <{element}>: {problem}")
        if not self.anchor and "id" in attributes:
            self.anchor = attributes["id"]
        if element == "style":
            self.styles = []

    def text(self, data: str) -> None:
        if self.styles is not None:
            self.styles.append(data)

    def end(self, tag: str) -> None:
        if self.styles is not None:
            problem = _stylesheet("".join(self.styles))
            self.styles = None
            if problem:
                self.refuse(f"a <style> that {problem}")


class _Stop(Exception):
    """Raised by a handler to stop reading a file at its first problem."""


@functools.cache
def _attribute(expanded: str) -> str:
    """"epub:type" for expat's "http://www.idpf.org/2007/ops type"; "href" for "href"."""
    return ":".join(part for part in _name(expanded) if part)


def _name(expanded: str) -> tuple[str, str]:
    """("svg", "rect") for expat's "http://www.w3.org/2000/svg rect"; ("", "href")."""
    uri, _, local = expanded.rpartition(" ")
    if not uri:
        return "", local
    prefix = next((p for p, u in NAMESPACES.items() if u == uri), uri)
    return prefix, local


def _value(attribute: str, value: str, prefix: str, name: str, names: set[str]) -> str:
    """Why the value cannot stand, or ""."""
    if attribute in URL_ATTRIBUTES:
        return _url(value, attribute == "href" and prefix == "xhtml", name, names)
    if attribute == "style":
        return _declarations(value)
    if prefix == "svg" and "(" in value:  # no "(": no function, so no url() either
        return _tokens(tinycss2.parse_component_value_list(value))
    return ""


def _url(value: str, web: bool, name: str, names: set[str]) -> str:
    """A fragment, a file of the package, or (for a link in the text) a web address."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return "not a URL"
    if parts.scheme or parts.netloc:
        scheme = parts.scheme.lower()
        address = scheme == "mailto" or bool(parts.netloc) and scheme in WEB
        return "" if web and address else "a URL outside the book"
    if not parts.path:
        return "" if parts.fragment else "an empty URL"
    target = posixpath.normpath(posixpath.join(posixpath.dirname(name), parts.path))
    return "" if target in names else "not a file of the book"


def _declarations(value: str) -> str:
    for item in tinycss2.parse_blocks_contents(value, skip_comments=True,
                                               skip_whitespace=True):
        if item.type != "declaration" or item.lower_name not in STYLE_PROPERTIES:
            return f"the style '{getattr(item, 'name', item.type)}' is not allowed"
        problem = _tokens(item.value, functions=False)
        if problem:
            return problem
    return ""


def _tokens(tokens: list, functions: bool = True) -> str:
    """Why a CSS value cannot stand: a url() out of the file, a function not listed."""
    for token in tokens:
        if token.type == "url":
            if not token.value.startswith("#"):
                return "a url() outside the file"
        elif token.type == "function":
            if not functions or token.lower_name not in FUNCTIONS:
                return f"the function {token.name}()"
            if token.lower_name == "url":
                return "a url() that is not a plain fragment"
            problem = _tokens(token.arguments)
            if problem:
                return problem
        elif token.type in ("() block", "[] block", "{} block"):
            problem = _tokens(token.content, functions)
            if problem:
                return problem
        elif token.type == "at-keyword":
            return f"@{token.value}"
    return ""


def _stylesheet(text: str) -> str:
    """What in a <style> element fetches or imports, or ""."""
    for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule" and rule.lower_at_keyword != "media":
            return f"has an @{rule.at_keyword} rule"
        for part in (rule.prelude or []) + (rule.content or []):
            problem = _tokens([part])
            if problem:
                return f"has {problem}"
    return ""


def _diagnostic(unsafe: Unsafe, locate: Callable[[str], Location]) -> Diagnostic:
    where = locate(unsafe.anchor) if unsafe.anchor else NOWHERE
    return Diagnostic(where, "error", "epub.unsafe",
                      f"the EPUB would carry {unsafe.what} ({unsafe.name}, line {unsafe.line}), "
                      "which is not on qabook's list of what an EPUB may hold",
                      "the source was checked and should not be able to put this there: "
                      "report it as a bug of qabook; the EPUB was not written")
