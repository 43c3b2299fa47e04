"""The EPUB's last check before it is written: every XHTML file, read by an XML parser,
holds only the elements, attributes and values on the reviewed lists below, and every SVG
file passes the figure check.

It is the second layer behind the model's checks (model/attributes.py, model/svg.py): if
anything the source says still reached the package as markup (a script, an event handler, a
style that fetches, a link out of the book), the build fails here, naming the file, the line
and the element, instead of shipping it. pandoc writes XHTML, not HTML, so it is checked as it
is rather than rewritten by an HTML sanitiser.

The SVG files of the package are the book's figures: the bytes `check` accepted, which pandoc
copies into EPUB/media/ unchanged. So they are judged by the very code that accepted them
(model.svg.check_svg), not by a second SVG list that could disagree with it. No SVG is
inline in the XHTML (the cover page shows its image with an <img>), so no SVG element is on
the XHTML lists.

The lists were taken from the real book's EPUB (every element and attribute it holds) and
widened only to what pandoc writes for the rest of the markup the model admits (quotes,
definition lists, strikeout, subscripts, line breaks, table feet) and to the presentation
MathML that texmath writes; every URL must stay inside the package or be a web address. The
XML and the CSS are read as model.svg reads them, through qabook.xmlcss.

No file holds a <style> element: pandoc's are removed (render/epub_style.py) and the rules
live in the package's stylesheet, which is qabook's own (templates/epub/epub.css). So <style>
is off the list, and CSS reaches an XHTML file only as the few declarations pandoc writes in
style attributes (alignment and widths, STYLE_PROPERTIES). The markup epub_style adds is on
the lists already: a <sup> in a noteref, <span class="indent-N"> code lines and <span
class="display-math"> boxes.
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
from dataclasses import dataclass
from typing import Callable, NoReturn
from urllib.parse import urlsplit

from qabook import xmlcss
from qabook.cache import NO_CACHE, Cache, key
from qabook.diagnostics import NOWHERE, Diagnostic, Location
from qabook.model.svg import check_svg

NAMESPACES = {
    "xhtml": "http://www.w3.org/1999/xhtml", "svg": "http://www.w3.org/2000/svg",
    "m": "http://www.w3.org/1998/Math/MathML", "epub": "http://www.idpf.org/2007/ops",
    "xlink": "http://www.w3.org/1999/xlink", "xml": "http://www.w3.org/XML/1998/namespace",
}
MATHML_SCRIPT = "accent accentunder"
#: per namespace: the attributes every element may carry, then each element with its own
ALLOWED = {
    "xhtml": ("id class lang xml:lang role epub:type title", {
        "html": "", "head": "", "title": "", "meta": "charset name content",
        "link": "rel href type", "body": "", "section": "", "nav": "hidden",
        "aside": "", "div": "", "span": "data-cites data-number aria-label", "p": "",
        "h1": "", "h2": "", "h3": "", "h4": "", "h5": "", "h6": "",
        "a": "href data-ref-kind aria-hidden tabindex", "em": "", "strong": "", "del": "",
        "sub": "", "sup": "", "code": "", "pre": "", "br": "", "hr": "", "blockquote": "",
        "ul": "", "ol": "type start", "li": "", "dl": "", "dt": "", "dd": "",
        "figure": "data-number", "figcaption": "", "img": "src alt",  # and role (doc-cover)
        "table": "data-number", "caption": "", "colgroup": "", "col": "style span",
        "thead": "", "tbody": "", "tfoot": "", "tr": "",
        "th": "style colspan rowspan", "td": "style colspan rowspan",
    }),
    "m": ("id class mathvariant mathsize mathcolor displaystyle scriptlevel", {
        # the TeX annotation is dropped (tex/mathml.py): no <semantics> is written
        "math": "display alttext altimg altimg-width altimg-height altimg-valign",
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
URL_ATTRIBUTES = {"href", "src", "altimg"}
WEB = {"http", "https", "mailto"}  #: where a link in the text may go
#: the declarations pandoc writes in style attributes (table and matrix alignment, widths)
STYLE_PROPERTIES = {"text-align", "width", "padding-left", "padding-right"}
#: functions in SVG values; url() only to a fragment of the same file
FUNCTIONS = {"url", "rgb", "rgba", "hsl", "hsla"}


@dataclass(frozen=True)
class Unsafe:
    """Something in one file of the package that is not on the lists."""

    name: str  #: the file in the package
    line: int
    what: str
    anchor: str  #: the first id of the file, to find the source file it was made from
    figure: bool = False  #: an SVG file the figure check refuses; `what` is its reason


def problems(entries: list[tuple[str, bytes]],
             locate: Callable[[str], Location] = lambda anchor: NOWHERE,
             cache: Cache = NO_CACHE) -> list[Diagnostic]:
    """A diagnostic for each file of the package that holds anything off the lists. The
    digests of the SVG files found safe are kept in the cache, one entry for the book: a
    build after an edit parses only the figures and formula images it has not seen."""
    names = {name for name, _ in entries}
    ident = key("svg-safe", "epub")
    known = cache.get("svg-safe", ident) or frozenset()
    _SAFE.update(known)
    found, digests = [], set()
    for name, data in entries:
        digest = hashlib.sha256(data).digest() if name.endswith(".svg") else None
        if digest is not None:
            digests.add(digest)
        if name.endswith((".xhtml", ".svg")):
            unsafe = check_file(name, data, names, digest)
            if unsafe is not None:
                found.append(_diagnostic(unsafe, locate))
    seen = frozenset(digests & _SAFE)
    if seen != known:
        cache.put("svg-safe", ident, seen)
    return found


#: the digests of SVG files check_svg found safe in this process (`qabook serve` checks a
#: page's EPUB files after every save; its figures rarely change)
_SAFE: set[bytes] = set()
MAX_SAFE = 65536


def _svg_verdict(digest: bytes, data: bytes) -> tuple[str, str] | None:
    """check_svg's verdict on these bytes; bytes found safe before are not parsed again."""
    if digest in _SAFE:
        return None
    problem = check_svg(data)
    if problem is None:
        if len(_SAFE) >= MAX_SAFE:
            _SAFE.clear()
        _SAFE.add(digest)
    return problem


def check_file(name: str, data: bytes, names: set[str],
               digest: bytes | None = None) -> Unsafe | None:
    """The first thing in one XHTML or SVG file that is not on the lists, or None (digest:
    an SVG file's SHA-256, when the caller has it)."""
    if name.endswith(".svg"):
        problem = _svg_verdict(digest or hashlib.sha256(data).digest(), data)
        return None if problem is None else Unsafe(name, 0, problem[1], "", figure=True)
    reader = _Reader(name, names)
    parser = xmlcss.parser(reader.declared, doctype="html")
    parser.StartElementHandler = reader.start
    reader.parser = parser
    try:
        parser.Parse(data, True)
    except _Stop:
        pass
    except xmlcss.XMLError as exc:
        return Unsafe(name, exc.lineno, f"XML that is not well-formed ({exc})", reader.anchor)
    return reader.unsafe


class _Reader:
    """expat's handlers for one XHTML file: the first problem stops the file's reading."""

    def __init__(self, name: str, names: set[str]):
        self.name, self.names = name, names
        self.unsafe: Unsafe | None = None
        self.anchor = ""
        self.parser = None

    def refuse(self, what: str) -> None:
        line = self.parser.CurrentLineNumber if self.parser else 0
        self.unsafe = Unsafe(self.name, line, what, self.anchor)
        raise _Stop

    def declared(self, what: str, line: int) -> NoReturn:
        """What the parser refuses itself: a DOCTYPE but `<!DOCTYPE html>`, entities,
        processing instructions."""
        self.unsafe = Unsafe(self.name, line, f"XML that {what}", self.anchor)
        raise _Stop

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
        return _address(value, attribute == "href" and prefix == "xhtml", name, names)
    if attribute == "style":
        return _declarations(value)
    return ""


def _address(value: str, web: bool, name: str, names: set[str]) -> str:
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
    for item in xmlcss.declarations(value):
        if item.type != "declaration" or item.lower_name not in STYLE_PROPERTIES:
            return f"the style '{getattr(item, 'name', item.type)}' is not allowed"
        problem = _css(item.value, functions=False)
        if problem:
            return problem
    return ""


def _css(values: list, functions: bool = True) -> str:
    """Why CSS cannot stand: a url() out of the file, a function not listed (or any
    function, unless functions), an at-keyword."""
    for token in xmlcss.walk(values):
        if token.type == "function" and (not functions or token.lower_name not in FUNCTIONS):
            return f"the function {token.name}()"
        address = xmlcss.url(token)
        if address is not None and not xmlcss.fragment(address):
            return "a url() outside the file"
        if token.type == "at-keyword":
            return f"@{token.value}"
    return ""


def _diagnostic(unsafe: Unsafe, locate: Callable[[str], Location]) -> Diagnostic:
    where = locate(unsafe.anchor) if unsafe.anchor else NOWHERE
    if unsafe.figure:
        message = (f"the EPUB would carry the figure {unsafe.name}, which the figure check "
                   f"refuses: it {unsafe.what}")
    else:
        message = (f"the EPUB would carry {unsafe.what} ({unsafe.name}, line {unsafe.line}), "
                   "which is not on qabook's list of what an EPUB may hold")
    return Diagnostic(where, "error", "epub.unsafe", message,
                      "the source was checked and should not be able to put this there: "
                      "report it as a bug of qabook; the EPUB was not written")
