"""Merge chunk PDFs into the book: pages, links, outline, labels, metadata, shared fonts.

Links between chunks arrive as `qabook:<anchor>` URIs and leave as destinations; every anchor
of every chunk becomes a named destination of the book; the outline, the page labels
(i, ii, … then 1, 2, …) and the document information are written here. qpdf (under pikepdf)
copies pages without re-parsing their content, and writes a deterministic file.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from qabook.cache import NO_CACHE, Cache
from qabook.render.pdf_fonts import share_fonts
from qabook.render.pdf_glyphs import GLYPH
from qabook.render.pdf_plan import roman
from qabook.render.pdf_tags import tag_book
from qabook.words import Words, words

SCHEME = "qabook:"


@dataclass(frozen=True)
class Part:
    """A chunk's PDF and how it is placed."""

    pdf: bytes
    blank_before: bool  #: a blank page goes before it (it must start on a right-hand page)
    pad: bool  #: its first page is a pad page, laid out only to make the next one a left page


def merge(parts: list[Part], anchors: dict[str, tuple[int, float, float]],
          outline: list[tuple[int, str, str]], front_pages: int, metadata: dict[str, str],
          language: str, cache: Cache = NO_CACHE) -> bytes:
    """The book PDF.

    anchors: every anchor with (page index in the book, left, top) in PDF points;
    outline: (level, title, anchor) in reading order; cache keeps the book's font subsets
    (see pdf_fonts).
    """
    book = pikepdf.new()
    sources = []
    placed = []  # each chunk, where its first page kept lands, and whether it has a pad
    for part in parts:
        source = pikepdf.open(io.BytesIO(part.pdf))
        sources.append(source)  # pages stay linked to their source until the book is saved
        if part.blank_before:
            box = source.pages[0].mediabox
            book.add_blank_page(page_size=(float(box[2]), float(box[3])))
        placed.append((source, len(book.pages), part.pad))
        with warnings.catch_warnings():  # named destinations are rebuilt below, for the book
            warnings.filterwarnings("ignore", message="Copying pages from another Pdf")
            book.pages.extend(source.pages[1:] if part.pad else source.pages)
    pages = [page.obj for page in book.pages]
    share_fonts(book, cache)  # one copy of each face, not one per chunk
    share_glyphs(book)  # one copy of each formula glyph, not one per chunk

    def destination(anchor: str) -> Array:
        index, left, top = anchors[anchor]
        return Array([pages[index], Name.XYZ, left, top, 0])

    # One Array from a list: extending a pikepdf Array item by item is quadratic.
    names = Array([item for anchor in sorted(anchors)
                   for item in (String(anchor), destination(anchor))])
    book.Root.Names = Dictionary(Dests=book.make_indirect(Dictionary(Names=names)))
    for page in book.pages:
        _relink(page, anchors)
    _outline(book, outline, anchors)
    labels = Array()
    if front_pages:
        labels.extend([0, Dictionary(S=Name.r)])
    if front_pages < len(pages):
        labels.extend([front_pages, Dictionary(S=Name.D, St=1)])
    book.Root.PageLabels = Dictionary(Nums=labels)
    for field, value in metadata.items():
        book.docinfo[Name(field)] = value
    book.Root.Lang = String(language)
    book.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    tag_book(book, placed, _describe(anchors, outline, front_pages, words(language)), metadata,
             language)
    out = io.BytesIO()
    book.save(out, deterministic_id=True, compress_streams=True,
              object_stream_mode=pikepdf.ObjectStreamMode.generate)
    for source in sources:
        source.close()
    return out.getvalue()


def share_glyphs(book: pikepdf.Pdf) -> None:
    """Every page draws a formula glyph's form from one copy (render/pdf_glyphs.py: each
    chunk has its own, named by what it paints); qpdf writes only that one."""
    kept: dict[str, pikepdf.Object] = {}
    seen: set[tuple[int, int]] = set()
    for page in book.pages:
        resources = page.obj.get("/Resources")
        forms = resources.get("/XObject") if isinstance(resources, Dictionary) else None
        if not isinstance(forms, Dictionary) or (forms.is_indirect and forms.objgen in seen):
            continue
        if forms.is_indirect:
            seen.add(forms.objgen)
        for name in forms.keys():
            if name.startswith("/" + GLYPH):
                form = kept.setdefault(name, forms[name])
                if form.objgen != forms[name].objgen:
                    forms[name] = form


def _describe(anchors: dict, outline: list[tuple[int, str, str]], front_pages: int,
              say: Words) -> dict[str, str]:
    """Where each anchor is, in words: its outline title if it has one, and its page."""
    titles = {anchor: title for _, title, anchor in outline}
    out = {}
    for anchor, (index, _, _) in anchors.items():
        page = roman(index + 1) if index < front_pages else str(index - front_pages + 1)
        out[anchor] = say.say("{title}, page {page}", title=titles[anchor], page=page) \
            if anchor in titles else say.say("page {page}", page=page)
    return out


def _relink(page, anchors: dict) -> None:
    """Links to other chunks (qabook: URIs) become links to their destination."""
    for annotation in page.obj.get("/Annots", Array()):
        action = annotation.get("/A")
        if action is None or action.get("/S") != Name.URI:
            continue
        uri = str(action.get("/URI", ""))
        if uri.startswith(SCHEME) and uri[len(SCHEME):] in anchors:
            del annotation.A
            annotation.Dest = String(uri[len(SCHEME):])  # named, like links inside a chunk


def _outline(book, outline: list[tuple[int, str, str]], anchors: dict) -> None:
    with book.open_outline() as tree:
        parents: dict[int, pikepdf.OutlineItem] = {}
        for level, title, anchor in outline:
            if anchor not in anchors:
                continue
            index, left, top = anchors[anchor]
            item = pikepdf.OutlineItem(title, index, "XYZ", left=left, top=top)
            siblings = parents[level - 1].children if level > 1 and level - 1 in parents \
                else tree.root
            siblings.append(item)
            parents[level] = item
