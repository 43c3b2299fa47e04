"""The print edition's page numbers in the EPUB: page-break markers, the page list, metadata.

The EPUB's content documents arrive with the page markers render/pages.py put on the blocks
a print page can start with (`data-pg`), and the print edition's pages (render/pdf.py's
edition_pages: each page's printed number and the name of the block it starts in, a marker
or an id both editions share). insert() puts a page-break marker where each page starts and
drops every other marker; page_list_nav() is the navigation document's page list; metadata()
says where the page breaks come from (EPUB Accessibility 1.1's pageBreakSource, with the
accessibility features they give). All work on lxml trees.
"""

from __future__ import annotations

import itertools

from lxml import etree

from qabook.render.epub_package import EPUB_TYPE, OPF, OPS, XHTML, remove
from qabook.render.options import PrintOptions

from qabook.render.pages import ATTRIBUTE
from qabook.words import words

#: elements a page starting at them begins inside (the marker is their first child); a page
#: starting at any other element (a heading, figure, table, code block) begins just before it
CONTAINERS = {f"{{{XHTML}}}{tag}" for tag in (
    "section", "div", "article", "aside", "nav", "header", "footer", "main", "blockquote",
    "li", "dd", "dt", "td", "th", "p", "figcaption", "caption", "body")}
SPAN = f"{{{XHTML}}}span"


PAGE_PREFIXES = ("page-", "print-page-")  #: the page-break markers' ids: the first free one


def page_id(label: str, prefix: str = PAGE_PREFIXES[0]) -> str:
    return f"{prefix}{label}"


def _free_prefix(taken: set[str], labels: list[str]) -> str:
    """The first prefix that makes no page-break id the book already uses (a front matter
    titled "Page 1" has the id page-1): "page-", else "print-page-", else "print-page-2-"…"""
    candidates = itertools.chain(PAGE_PREFIXES, (f"print-page-{n}-" for n in itertools.count(2)))
    return next(prefix for prefix in candidates
                if not any(page_id(label, prefix) in taken for label in labels))


def insert(files: dict[str, etree._Element],
           pages: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """Put a page-break marker where each print page starts and drop every other page marker.

    files: the content documents in reading order, each by the href the navigation document
    links them with ("text/ch005.xhtml") and its root element, changed in place. pages: every
    printed page in order, (label, name of the block it starts in or None). A page whose block
    the EPUB does not have (the half-title, the contents, a blank page) is marked where the
    next page that has one starts, so every page is in the list once and in reading order; a
    page starting before the page listed ahead of it (never, when both editions keep the book's
    order) is treated the same way. Pages after the last that has a place are marked at the end
    of the last document. The markers' ids are page-<label>, or, when the book already has
    such an id, another prefix none of its ids starts a page id with (_free_prefix).

    Returns the page list: (label, href#page-label) in order.
    """
    places = _places(files)
    taken = {ident for root in files.values() for ident in root.xpath("//@id")}
    labels = [label for label, _ in pages]
    if len(set(labels)) != len(labels):
        raise ValueError("the print edition numbers two pages the same")
    prefix = _free_prefix(taken, labels)
    placed: list[tuple[str, str]] = []
    waiting: list[str] = []
    last = (-1, -1)
    for label, name in pages:
        waiting.append(label)
        place = places.get(name) if name else None
        if place is None or place[0] < last:
            continue
        last, href, element = place
        _put(element, [_pagebreak(label, prefix) for label in waiting])
        placed += [(label, f"{href}#{page_id(label, prefix)}") for label in waiting]
        waiting = []
    if waiting:
        href, root = list(files.items())[-1]
        body = root.find(f"{{{XHTML}}}body")
        for label in waiting:
            body.append(_pagebreak(label, prefix))
        placed += [(label, f"{href}#{page_id(label, prefix)}") for label in waiting]
    for root in files.values():
        _drop_markers(root)
    return placed


Place = tuple[tuple[int, int], str, etree._Element]  #: (order in the book, href, element)


def _places(files: dict[str, etree._Element]) -> dict[str, Place]:
    """Every name a page can start at (a marker, or an id), with its place in reading order:
    the first element that carries it."""
    places: dict[str, Place] = {}
    for number, (href, root) in enumerate(files.items()):
        for index, element in enumerate(root.iter(etree.Element)):
            for name in (element.get(ATTRIBUTE), element.get("id")):
                if name and name not in places:
                    places[name] = ((number, index), href, element)
    return places


def _pagebreak(label: str, prefix: str) -> etree._Element:
    """A page-break marker: an empty span whose accessible name is the page's number."""
    span = etree.Element(SPAN, nsmap={None: XHTML, "epub": OPS})
    span.set(EPUB_TYPE, "pagebreak")
    span.set("role", "doc-pagebreak")
    span.set("id", page_id(label, prefix))
    span.set("aria-label", label)
    span.text = ""  # written <span …></span>: a reader that parses it as HTML sees it end
    return span


def _put(element: etree._Element, breaks: list[etree._Element]) -> None:
    """The page breaks where the element starts: before a marker span or a block that is not
    a container, first inside a container."""
    if element.tag in CONTAINERS:
        breaks[-1].tail, element.text = element.text, None
        for index, mark in enumerate(breaks):
            element.insert(index, mark)
    else:
        for mark in breaks:
            element.addprevious(mark)


def _drop_markers(root: etree._Element) -> None:
    """Every page marker gone: the empty spans removed (their text after them kept), the
    attribute taken off the blocks that carried it."""
    for element in root.xpath(f"//*[@{ATTRIBUTE}]"):
        if element.tag == SPAN and len(element) == 0 and not element.text:
            remove(element)
        else:
            del element.attrib[ATTRIBUTE]


def page_list_nav(entries: list[tuple[str, str]]) -> etree._Element:
    """The navigation document's page list (hidden: reading systems offer it in their own
    "go to page" control), one link per printed page, in order."""
    nav = etree.Element(f"{{{XHTML}}}nav", nsmap={None: XHTML, "epub": OPS})
    nav.set(EPUB_TYPE, "page-list")
    nav.set("role", "doc-pagelist")
    nav.set("id", "page-list")
    nav.set("hidden", "hidden")
    items = etree.SubElement(nav, f"{{{XHTML}}}ol")
    for label, href in entries:
        link = etree.SubElement(etree.SubElement(items, f"{{{XHTML}}}li"), f"{{{XHTML}}}a")
        link.set("href", href)
        link.text = label
    return nav


def page_source(config) -> str:
    """What names the print edition the page numbers come from (it has no ISBN: title,
    authors, date, the kind of edition)."""
    paper = PAPER_NAMES[PrintOptions().paper]  # the edition pdf.edition_pages lays out
    return words(config.language).say(
        "{title}, print edition (PDF, {paper}), {authors}, {date}", title=config.title,
        paper=paper, authors=", ".join(config.authors), date=config.date.isoformat())


PAPER_NAMES = {"a4": "A4", "letter": "US Letter", "6x9in": "6 × 9 in"}


def metadata(config) -> list[etree._Element]:
    """The package metadata a page list needs: its source (EPUB Accessibility 1.1:
    `pageBreakSource`, the page-source identification property epubcheck and Ace know) and
    the accessibility features it gives (page-break markers, page navigation)."""
    rows = [("pageBreakSource", page_source(config)),
            ("schema:accessibilityFeature", "pageBreakMarkers"),
            ("schema:accessibilityFeature", "pageNavigation")]
    out = []
    for prop, value in rows:
        meta = etree.Element(f"{{{OPF}}}meta", nsmap={None: OPF})
        meta.set("property", prop)
        meta.text = value
        out.append(meta)
    return out
