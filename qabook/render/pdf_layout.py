"""Lay out one chunk with WeasyPrint (the one WeasyPrint user), in a worker process.

Fonts and the stylesheet are loaded once per worker. Any WeasyPrint warning or error fails
the chunk; each message is classified by where it comes from: WeasyPrint's font engine (the
machine), a file of the book it names (a figure), or else the chunk's own content.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import unquote, urlparse

import lxml.html
import tinyhtml5.inputstream
import weasyprint.pdf.fonts
from weasyprint import CSS, HTML
from weasyprint.formatting_structure import boxes
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from qabook.children import OverLimit, limited
from qabook.regular import NotRegular, TooLarge, read_regular
from qabook.model.images import MAX_BYTES as MAX_FIGURE_BYTES
from qabook.render import ENGINE, LIMIT, MACHINE, pdf_checks, pdf_glyphs, pdf_tags, pdf_type
from qabook.render.pages import ATTRIBUTE as MARK
from qabook.render.pdf_flow import (BLOCKS, HEADINGS, MAX_LAYOUTS as MAX_FLOW_LAYOUTS, Flow,
                                    add_style, replay, serialise)
from qabook.render.source_lines import LINE_CLASS
from qabook.resources import TEMPLATES

#: size, margins (top, bottom, inner, outer), base font size. The measure holds about 75
#: characters of Source Serif 4 (0.46 em each, spaces counted): 130 mm at 10.5 pt on A4,
#: 5.2 in on Letter, 4.6 in at 9.5 pt on 6x9 in; the big papers give the rest to a wide
#: outer margin, as books set on large trims do
PAPERS = {
    "a4": ("A4", ("22mm", "24mm", "29mm", "51mm"), "10.5pt"),
    "letter": ("letter", ("0.85in", "0.95in", "1.15in", "2.15in"), "10.5pt"),
    "6x9in": ("6in 9in", ("0.7in", "0.8in", "0.8in", "0.6in"), "9.5pt"),
}


@dataclass(frozen=True)
class Laid:
    """A laid-out chunk: its pages, where its anchors are, and its PDF when it was written."""

    pages: int  #: including the pad page, if the chunk has one
    anchors: dict[str, tuple[int, float, float]]  #: anchor -> (page index, left, top) in points
    pdf: bytes | None
    #: WeasyPrint's messages, each with its origin: MACHINE, ENGINE, a book file it names,
    #: or "" (the chunk's own content)
    errors: tuple[tuple[str, str], ...] = ()
    #: for each page, the name of the block its first line of content is in (a page marker
    #: or an id, see render/pages.py), None for a page without content
    marks: tuple[str | None, ...] = ()
    #: what the layout checks found (render/pdf_checks.py): (code, where, message)
    findings: tuple[tuple[str, str, str], ...] = ()
    #: the page flow's moves it was laid out with (render/pdf_flow.py)
    moves: tuple = ()


class _SizedArrays:
    """WeasyPrint's cffi FFI for font subsetting, with arrays sized by their initializer.

    WeasyPrint 70 asks for `hb_codepoint_t[N]` with a new N for nearly every font it
    subsets, and cffi parses every new type string with pycparser (3 to 6 ms each): a tenth
    of a cold build's writing time. `hb_codepoint_t[]` with the same initializer is the same
    array, and its type is parsed once.
    """

    SIZED = re.compile(r"(\w+)\[(\d+)\]")

    def __init__(self, ffi):
        self._ffi = ffi

    def __getattr__(self, name):
        return getattr(self._ffi, name)

    def new(self, cdecl, init=None):
        sized = self.SIZED.fullmatch(cdecl)
        if sized and init is not None and len(init) == int(sized.group(2)):
            return self._ffi.new(f"{sized.group(1)}[]", init)
        return self._ffi.new(cdecl, init)


class _RunPatterns(dict):
    """tinyhtml5's cache of the patterns that find a run of text (`chars_until`), by the
    characters that end the run, made when first asked for.

    tinyhtml5 2.1 stores each pattern under the wrong key (the pattern itself, not the
    characters), so it never finds one and builds it again for every run of text it reads:
    half of its time parsing a chunk, a twentieth of a layout. Here the lookup never misses.
    The patterns are the ones it builds.
    """

    def __missing__(self, key):
        characters, opposite = key
        pattern = self[key] = re.compile(
            f"[{'' if opposite else '^'}{''.join(re.escape(c) for c in characters)}]+")
        return pattern


if not isinstance(tinyhtml5.inputstream.characters_until_regex, _RunPatterns):
    tinyhtml5.inputstream.characters_until_regex = _RunPatterns()
if not isinstance(weasyprint.pdf.fonts.ffi, _SizedArrays):
    weasyprint.pdf.fonts.ffi = _SizedArrays(weasyprint.pdf.fonts.ffi)
pdf_type.install()  # justified lines never get word spaces over MAX_WORD_SPACE
pdf_glyphs.install()  # a formula's glyphs drawn once per chunk (render/pdf_glyphs.py)
pdf_tags.install()  # qabook's roles in WeasyPrint's structure tree (render/pdf_tags.py)

_WORKER: dict = {}
MAX_PUSHES = 4  #: layouts of one chunk spent on stranded footnotes before giving up
#: a chunk's budget of CPU time, all its layouts included: the largest question of the book
#: takes about 3 s; 1,000 footnotes in one question take over a minute
SECONDS = 60
MEMORY = 2 << 30  #: what a layout worker may grow by (a worker of the book grows by 0.2 GiB)


def lay_out(html: str, root: str, paper: str, write: bool,
            figures: tuple[tuple[str, str], ...] = (), moves: tuple | None = None) -> Laid:
    """Lay the chunk out (and write its PDF when asked); never raises for WeasyPrint.

    figures are the only files of the book it may show, each as (src, digest of the bytes
    the model checked). moves are the page flow's moves to make (found on the chunk's
    canonical form, render/pdf_flow.py); None searches them on this HTML (the Laid says
    which it chose).

    WeasyPrint 70 sometimes sets a footnote on the page after its call (issue #1564). The
    call and its note always sit in the same chunk, so this is fixed here, before anyone
    sees the page count: the paragraph of the call is made to end its page and the chunk is
    laid out again. The result is a pure function of the HTML.
    """
    _, fonts, stylesheets = _setup(Path(root), paper)
    fetcher = BookFetcher([TEMPLATES], Path(root), dict(figures))
    # not the book's real folder: WeasyPrint names a PNG in the PDF by the MD5 of its URL, so
    # the bytes would depend on where the book lies (the fetcher maps BOOK_URI to the root)
    with _Warnings() as warnings, limited(SECONDS):
        try:
            pushes: tuple[str, ...] = ()
            rounds = 0  # of pushes
            # page flow: floats and runts (render/pdf_flow.py), searched or made
            flow = Flow(html) if moves is None else None
            made = replay(html, moves) if moves else html
            for _ in range(MAX_PUSHES + MAX_FLOW_LAYOUTS + 1):
                document = HTML(string=push(flow.html if flow else made, pushes),
                                base_url=BOOK_URI,
                                url_fetcher=fetcher).render(font_config=fonts,
                                                            stylesheets=stylesheets)
                if warnings.messages:
                    break
                anchors = _anchors(document)
                stray = stray_notes(anchors) - set(pushes)
                if flow and flow.floats(document,
                                        frozenset(anchors[f"fnc-{n}"][0] for n in stray)):
                    continue
                if stray and flow and flow.undo():
                    continue
                if stray and not (flow and flow.trying) and rounds < MAX_PUSHES:
                    pushes, rounds = tuple(sorted(set(pushes) | stray)), rounds + 1
                    continue
                if not flow or not flow.runt(document, clean=not stray):
                    break
            chosen = flow.chosen(document) if flow else document
            if chosen is not document:  # (the anchors of the last layout are at hand)
                document, anchors = chosen, _anchors(chosen)
            pdf = None
            if write:
                out = io.BytesIO()
                with pdf_tags.tagging(html):
                    document.write_pdf(out, pdf_tags=True)
                pdf = out.getvalue()
        except FatalURLFetchingError as exc:
            warnings.add(str(exc), "")
        except (OverLimit, MemoryError) as exc:
            warnings.add(str(exc) if isinstance(exc, OverLimit) else "the memory it may use",
                         LIMIT)
        except Exception as exc:  # noqa: BLE001 - an engine crash is reported, not raised
            warnings.add(f"{type(exc).__name__}: {exc}", ENGINE)
    if warnings.messages:
        return Laid(0, {}, None, tuple((text, where or named_file(text, BOOK_URI))
                                       for text, where in warnings.messages))
    return Laid(len(document.pages), anchors, pdf, marks=first_marks(document),
                findings=pdf_checks.check(document, paper),
                moves=flow.moves if flow else tuple(moves))


def _anchors(document) -> dict[str, tuple[int, float, float]]:
    """Every anchor's (page index, left, top), first place first."""
    anchors: dict[str, tuple[int, float, float]] = {}
    for index, page in enumerate(document.pages):
        for anchor, (x, y, *_) in sorted(page.anchors.items()):
            # CSS pixels from the top left -> PDF points from the bottom left
            anchors.setdefault(anchor, (index, round(x * 0.75, 3),
                                        round((page.height - y) * 0.75, 3)))
    return anchors


def first_marks(document) -> tuple[str | None, ...]:
    """For each page, the name of the block that holds its first line of content (see
    render/pages.py): of the blocks around the page's first text or image that carry a page
    marker (their own `data-pg`, or as the empty span they start with) or else an id, the
    outermost that begins on this page (a table, not its first cell; a question, not its
    title), or, when all of them began on an earlier page, the innermost (a paragraph
    continued from the previous page). The running heads, page numbers and footnotes are not
    the page's content; a page with no content (a blank, a pad) has None."""
    marks: list[str | None] = []
    continued: set = set()  # the elements the previous page ends inside
    for page in document.pages:
        named = [(box.element, name) for box in _first_content(page._page_box)
                 if box.element is not None and not isinstance(box, INLINE)
                 and (name := _name(box.element))]
        starting = [name for element, name in named if element not in continued]
        marks.append(starting[0] if starting else named[-1][1] if named else None)
        continued = {box.element for box in _last_content(page._page_box)}
    return tuple(marks)


def _name(element) -> str | None:
    if LINE_CLASS in (element.get("class") or "").split():
        # a code line (a block of its own, render/source_lines.py) names no page start: its
        # id is pandoc's numbering of this chunk's code (cb1-23), not one the EPUB shares; a
        # page starting inside a code block starts in the block
        return None
    return element.get(MARK) or _starting_marker(element) or element.get("id")


#: boxes that are not blocks: their ids (a link's, an equation's) do not name a block
INLINE = (boxes.InlineLevelBox, boxes.LineBox)
#: what is on a page without being its content
APART = (boxes.MarginBox, boxes.FootnoteAreaBox)


def _first_content(page_box) -> list:
    """The boxes from the page down to its first text or image (in document order), or []."""
    stack = [(page_box, ())]
    while stack:
        box, above = stack.pop()
        if isinstance(box, APART):
            continue
        chain = (*above, box)
        if (isinstance(box, boxes.TextBox) and box.text.strip()) or \
                isinstance(box, boxes.ReplacedBox):
            return list(chain)
        stack.extend((child, chain) for child in reversed(getattr(box, "children", ())))
    return []


def _last_content(page_box) -> list:
    """The boxes from the page down to its last box of content: every element a page break
    after this page splits is among them."""
    chain, box = [], page_box
    while True:
        children = [c for c in getattr(box, "children", ()) if not isinstance(c, APART)]
        if not children:
            return chain
        box = children[-1]
        chain.append(box)


def _starting_marker(element) -> str | None:
    """The marker a block starts with: an empty span with the marker attribute, first."""
    if (element.text or "").strip() or len(element) == 0:
        return None
    first = element[0]
    return first.get(MARK) if first.tag == "span" else None


def stray_notes(anchors: dict[str, tuple[int, float, float]]) -> set[str]:
    """Footnotes laid out on another page than their call."""
    return {name[3:] for name, (page, *_) in anchors.items()
            if name.startswith("fn-") and page != anchors.get("fnc-" + name[3:], (page,))[0]}


def push(html: str, pushes: tuple[str, ...]) -> str:
    """End the page after the innermost block that calls each pushed footnote (its
    paragraph, list item, table, definition): the note then has room on the call's page.
    A call in a heading starts a page with the heading instead (a heading left at a page's
    foot is stranded from its text)."""
    if not pushes:
        return html
    tree = lxml.html.document_fromstring(html)
    for note in pushes:
        call = tree.get_element_by_id(f"fnc-{note}", None)
        block = None if call is None else \
            next((el for el in call.iterancestors() if el.tag in PUSHED), None)
        if block is not None:
            add_style(block, "break-before: page" if block.tag in HEADINGS
                      else "break-after: page")
    return serialise(tree)


#: the blocks a footnote push breaks the page at: not a section or division (a whole
#: question, an answer), which would carry far more than the call over
PUSHED = (BLOCKS | {"dt", "dd"}) - {"section", "div"}


WARM_UP = ('<html lang="{lang}"><head><title>-</title></head><body><section class="question">'
           '<h2 class="question-title"><span class="qnum">Q1</span> <em>-</em></h2>'
           '<div class="prompt"><p>Warm <em>up</em> <strong>the</strong> <code>fonts</code>'
           '<span class="fn" id="fn-warm-1">-</span></p></div><div class="summary"><p>{words}'
           '</p></div><pre class="sourceCode"><code>f = 1</code></pre></section></body></html>')
#: long words, so that the warm-up breaks lines inside them (loading the hyphenation patterns)
WARM_WORDS = " ".join(["characterization", "regularization", "representations"] * 12)


def warm_up(root: Path, paper: str, language: str, write: bool = True) -> None:
    """Lay out and write (when asked) a few lines in the book's faces and language once, so
    that the first real chunk does not pay for loading fonts, hyphenation patterns and
    libraries (each worker does it as it starts, while the PDF process writes the print
    HTML)."""
    lay_out(WARM_UP.format(lang=escape(language), words=WARM_WORDS),
            str(root), paper, write)


def _setup(root: Path, paper: str):
    """This worker's fetcher, fonts and stylesheets (made once, reused for every chunk)."""
    ident = (str(root), paper)
    if _WORKER.get("ident") != ident:
        fetcher = BookFetcher([TEMPLATES])
        fonts = FontConfiguration()
        with _Warnings() as warnings:
            stylesheets = [CSS(filename=str(TEMPLATES / "pdf" / "book.css"), url_fetcher=fetcher,
                               font_config=fonts),
                           CSS(string=page_css(paper), font_config=fonts)]
        if warnings.messages:
            raise RuntimeError("; ".join(text for text, _ in warnings.messages))
        _WORKER.update(ident=ident, value=(fetcher, fonts, stylesheets))
    return _WORKER["value"]


def page_css(paper: str) -> str:
    size, (top, bottom, inner, outer), font = PAPERS[paper]
    return (f"@page {{ size: {size}; margin: {top} {outer} {bottom} {inner}; }}\n"
            f"@page :left {{ margin-left: {outer}; margin-right: {inner}; }}\n"
            f"@page :right {{ margin-left: {inner}; margin-right: {outer}; }}\n"
            f"html {{ font-size: {font}; }}\n" + pdf_type.page_rules(size, top, bottom))


#: WeasyPrint's modules that speak for the machine's font and text libraries (HarfBuzz,
#: fontTools, Pango, fontconfig), not for what they lay out
FONT_ENGINE = ("pdf/fonts.py", "text/fonts.py", "text/ffi.py")


def origin(record: logging.LogRecord) -> str:
    """MACHINE for a message of WeasyPrint's font engine, else "" (decided later)."""
    where = Path(record.pathname).as_posix()
    return MACHINE if any(where.endswith(f"/weasyprint/{m}") for m in FONT_ENGINE) else ""


def named_file(message: str, root_uri: str) -> str:
    """The book file a WeasyPrint message names by its URL (a figure), relative to the root."""
    found = re.search(re.escape(root_uri) + r"([^\s'\",)]+)", message)
    return unquote(found.group(1)) if found else ""


#: the base URL of a chunk's HTML: the book's figures are fetched as BOOK_URI + src, whatever
#: folder the book is in (a PNG's name in the PDF is the MD5 of its URL)
BOOK_URI = "file:///qabook-book/"


class BookFetcher(URLFetcher):
    """Serves data: URLs, files inside the allowed folders (qabook's templates and fonts) and
    the book's checked figures (at BOOK_URI + src), each only as the bytes the model checked;
    anything else stops the build."""

    TYPES = {".svg": "image/svg+xml", ".png": "image/png"}

    def __init__(self, roots: list[Path], book: Path | None = None,
                 figures: dict[str, str] | None = None):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False,
                         fail_on_errors=True, timeout=5)
        self.roots = [root.resolve() for root in roots]
        book = book.resolve() if book else None
        virtual = Path(unquote(urlparse(BOOK_URI).path))
        #: the path a figure is asked for at -> (its file, the digest of its checked bytes)
        self.figures = {virtual / src: (book / src, digest)
                        for src, digest in (figures or {}).items()} if book else {}

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file:"):
            path = Path(unquote(urlparse(url).path))
            if path in self.figures:
                return URLFetcherResponse(url, self._checked(*self.figures[path], url),
                                          {"Content-Type": self.TYPES.get(path.suffix, "")})
            path = path.resolve()
            if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
                return super().fetch(url, headers)
        raise FatalURLFetchingError(f"refused to fetch {url}: only files of the book are used")

    def _checked(self, path: Path, digest: str, url: str) -> bytes:
        """The figure's bytes if they are still those the model checked."""
        try:
            data = read_regular(path, MAX_FIGURE_BYTES)
        except (OSError, NotRegular, TooLarge):
            data = b""
        if hashlib.sha256(data).hexdigest() != digest:
            raise FatalURLFetchingError(f"refused to fetch {url}: it changed after the book "
                                        "was checked")
        return data


class _Warnings(logging.Handler):
    """Collects WeasyPrint's warnings and errors while it works: any of them fails the chunk."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[tuple[str, str]] = []  #: (message, origin)

    def add(self, message: str, where: str) -> None:
        self.messages.append((message, where))

    def emit(self, record: logging.LogRecord) -> None:
        self.add(record.getMessage(), origin(record))

    def __enter__(self):
        logger = logging.getLogger("weasyprint")
        logger.addHandler(self)
        self._propagate, logger.propagate = logger.propagate, False
        return self

    def __exit__(self, *exc):
        logger = logging.getLogger("weasyprint")
        logger.removeHandler(self)
        logger.propagate = self._propagate
