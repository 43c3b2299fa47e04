"""The print PDF and handouts: Jinja2 HTML laid out by WeasyPrint (the one WeasyPrint user).

Layout runs in passes, like LaTeX: every page reference is a CSS target-counter, so page
numbers are always right; after a pass, cross-references whose target landed on their own
page lose their ", p. N" and the book is laid out again, until nothing changes.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import jinja2
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from qabook.render import RenderContext, RenderError
from qabook.render.options import PAPER_SIZES, PrintOptions
from qabook.render.output import atomic_write
from qabook.render.print_html import Selection, page_data

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
PAPERS = {  # size, margins (top, bottom, inner, outer), base font size
    "a4": ("A4", ("22mm", "24mm", "27mm", "20mm"), "10.5pt"),
    "letter": ("letter", ("0.85in", "0.95in", "1.05in", "0.8in"), "10.5pt"),
    "6x9in": ("6in 9in", ("0.7in", "0.8in", "0.8in", "0.6in"), "9.5pt"),
}
assert set(PAPERS) == set(PAPER_SIZES)
MAX_PASSES = 4


class PrintFailed(RenderError):
    """WeasyPrint could not lay the book out, or warned; the message says why."""

    def __init__(self, messages: list[str], root: Path | None = None):
        super().__init__("WeasyPrint: " + "; ".join(messages[:5]), _source_of(messages, root),
                         "pdf.failed", "any WeasyPrint warning fails the build; fix its cause")


def _source_of(messages: list[str], root: Path | None) -> str:
    """The book file a WeasyPrint message names (an image, usually), relative to the root."""
    if root is None:
        return ""
    base = root.resolve().as_uri() + "/"
    for message in messages:
        found = re.search(re.escape(base) + r"([^\s'\",)]+)", message)
        if found:
            return unquote(found.group(1))
    return ""


def render(ctx: RenderContext) -> Path:
    """Write build/<slug>[-selection].pdf."""
    options: PrintOptions = ctx.options.get("pdf", PrintOptions())
    _check_selection(ctx, options)
    selection = Selection(options.chapters, options.questions, options.solutions)
    html = book_html(ctx, selection, options)
    document = layout(html, ctx.root, options.paper)
    target = ctx.out / options.filename(ctx.config.slug)
    atomic_write(target, lambda handle: _write(document, handle, ctx.root))
    return target


def _write(document, handle, root: Path) -> None:
    with _WarningsFail() as warnings:
        try:
            document.write_pdf(handle, pdf_tags=True)
        except Exception as exc:  # noqa: BLE001 - an engine crash is reported, not raised
            raise PrintFailed([f"{type(exc).__name__}: {exc}"], root) from None
    if warnings.messages:
        raise PrintFailed(warnings.messages, root)


def _check_selection(ctx: RenderContext, options: PrintOptions) -> None:
    chapters = [c.number for c in ctx.book.chapters]
    questions = [q.number for q in ctx.book.questions]
    for number in options.chapters:
        if number not in chapters:
            raise RenderError(f"the book has no chapter {number}", code="build.selection",
                              hint=f"chapters are {chapters[0]}–{chapters[-1]}")
    for number in options.questions:
        if number not in questions:
            raise RenderError(f"the book has no question {number}", code="build.selection",
                              hint="questions are " + ", ".join(map(str, questions)))


def book_html(ctx: RenderContext, selection: Selection, options: PrintOptions) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES / "pdf"), autoescape=True,
        undefined=jinja2.StrictUndefined)
    data = page_data(ctx, selection)
    data["handout"] = _handout_title(ctx, selection)
    data["title"] = ctx.config.title + (f" — {data['handout']}" if data["handout"] else "")
    return environment.get_template("book.html").render(**data)


def _handout_title(ctx: RenderContext, selection: Selection) -> str:
    if selection.whole:
        return ""
    parts = [f"Chapter {c.number}: {c.title}" for c in ctx.book.chapters
             if c.number in selection.chapters]
    parts += [f"Q{n}" for n in selection.questions]
    kind = "Worksheet" if not selection.solutions else "Handout"
    return f"{kind} · " + ", ".join(parts)


def layout(html: str, root: Path, paper: str):
    """Lay the HTML out, in passes until same-page references are stable."""
    fetcher = BookFetcher([root, TEMPLATES])
    fonts = FontConfiguration()
    with _WarningsFail() as warnings:
        stylesheets = [CSS(filename=str(TEMPLATES / "pdf" / "book.css"), url_fetcher=fetcher,
                           font_config=fonts),
                       CSS(string=page_css(paper), font_config=fonts)]
    if warnings.messages:
        raise PrintFailed(warnings.messages)
    targets = xref_targets(html)
    same: set[str] = set()
    for _ in range(MAX_PASSES):
        document = _render(_mark_same_page(html, same), root, fetcher, fonts, stylesheets)
        now = same_page_links(document, targets)
        if now == same:
            return document
        same = now
    return document


def _render(html: str, root: Path, fetcher, fonts, stylesheets):
    with _WarningsFail() as warnings:
        try:
            document = HTML(string=html, base_url=root.resolve().as_uri() + "/",
                            url_fetcher=fetcher).render(
                font_config=fonts, stylesheets=stylesheets, optimize_images=False)
        except FatalURLFetchingError as exc:
            raise PrintFailed([str(exc)], root) from None
        except Exception as exc:  # noqa: BLE001 - an engine crash is reported, not raised
            raise PrintFailed([f"{type(exc).__name__}: {exc}"], root) from None
    if warnings.messages:
        raise PrintFailed(warnings.messages, root)
    return document


def page_css(paper: str) -> str:
    size, (top, bottom, inner, outer), font = PAPERS[paper]
    return (f"@page {{ size: {size}; margin: {top} {outer} {bottom} {inner}; }}\n"
            f"@page :left {{ margin-left: {outer}; margin-right: {inner}; }}\n"
            f"@page :right {{ margin-left: {inner}; margin-right: {outer}; }}\n"
            f"html {{ font-size: {font}; }}\n")


def anchor_pages(document) -> dict[str, int]:
    """The page (1-based, physical) where each anchor is."""
    pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for anchor in page.anchors:
            pages.setdefault(anchor, number)
    return pages


TAG = re.compile(r"<a ([^>]*)>")
ATTR = re.compile(r'([\w-]+)="([^"]*)"')


def xref_targets(html: str) -> dict[str, str]:
    """Each cross-reference link's id and the anchor it points at."""
    targets = {}
    for tag in TAG.finditer(html):
        attrs = dict(ATTR.findall(tag.group(1)))
        if attrs.get("id", "").startswith("xr-") and attrs.get("href", "").startswith("#"):
            targets[attrs["id"]] = attrs["href"][1:]
    return targets


def same_page_links(document, targets: dict[str, str]) -> set[str]:
    """Ids of cross-reference links that sit on the same page as their target."""
    pages = anchor_pages(document)
    return {link for link, target in targets.items()
            if link in pages and pages[link] == pages.get(target)}


def _mark_same_page(html: str, same: set[str]) -> str:
    """Add the class same-page to the links in `same` (their ", p. N" is then not printed)."""
    if not same:
        return html

    def mark(match: re.Match) -> str:
        attrs = match.group(1)
        ident = re.search(r'id="(xr-\d+)"', attrs)
        if ident is None or ident.group(1) not in same:
            return match.group(0)
        return "<a " + attrs.replace('class="xref', 'class="xref same-page', 1) + ">"

    return TAG.sub(mark, html)


class BookFetcher(URLFetcher):
    """Serves data: URLs and files inside the allowed folders; anything else stops the build."""

    def __init__(self, roots: list[Path]):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False,
                         fail_on_errors=True, timeout=5)
        self.roots = [root.resolve() for root in roots]

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file:"):
            path = Path(unquote(urlparse(url).path)).resolve()
            if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
                return super().fetch(url, headers)
        raise FatalURLFetchingError(f"refused to fetch {url}: only files of the book are used")


class _WarningsFail(logging.Handler):
    """Collects WeasyPrint's warnings and errors while it works: any of them fails the build."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self):
        logger = logging.getLogger("weasyprint")
        logger.addHandler(self)
        self._propagate, logger.propagate = logger.propagate, False
        return self

    def __exit__(self, *exc):
        logger = logging.getLogger("weasyprint")
        logger.removeHandler(self)
        logger.propagate = self._propagate
