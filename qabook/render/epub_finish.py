"""What qabook adds to pandoc's EPUB, one step per function, each on the package's trees.

`finish` runs them in order; each says in its name what it changes. None of them reads the
source: they see the package (epub_package.Package) and the book's settings.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date

from lxml import etree

from qabook.cache import NO_CACHE, Cache
from qabook.render import epub_math, epub_pages, epub_style
from qabook.render.epub_package import (EPUB_TYPE, NS, OPF, XML_LANG, Package, PackageError,
                                        h, ids, local, serialise, text_of)
from qabook.tex import mathml
from qabook.words import Words, words



def finish(package: Package, config, summary: str, pages: list[tuple[str, str | None]],
           cache: Cache = NO_CACHE) -> list[tuple[str, bytes]]:
    """Every step, in order; the finished package's entries. pages: the print edition's
    (label, marker) for every page (render/pdf.py's edition_pages)."""
    metadata(package, config, summary)
    cover(package, config)
    title_page(package, config)
    sections(package)
    say = words(config.language)
    titles(package, say)
    footnote_backlinks(package)
    styles(package)
    math(package, cache)
    languages(package)
    cross_file_links(package)
    landmarks(package, say)
    page_list(package, config, pages)
    return stamped(package, config.date)  # last: it fingerprints everything else


# --- the package document ----------------------------------------------------------------

#: EPUB Accessibility 1.1 metadata true of every qabook EPUB (schema.org, in the package's
#: default vocabulary); the summary is the book's
A11Y = [
    ("schema:accessMode", "textual"), ("schema:accessMode", "visual"),
    ("schema:accessModeSufficient", "textual"),
    ("schema:accessModeSufficient", "textual,visual"),
    ("schema:accessibilityFeature", "alternativeText"),
    ("schema:accessibilityFeature", "MathML"),
    ("schema:accessibilityFeature", "describedMath"),  # alttext in words (mathml.speech)
    ("schema:accessibilityFeature", "tableOfContents"),
    ("schema:accessibilityFeature", "structuralNavigation"),
    ("schema:accessibilityFeature", "readingOrder"),
    ("schema:accessibilityFeature", "displayTransformability"),
    ("schema:accessibilityHazard", "none"),
]


#: features only a book with formulas has
MATH_FEATURES = {"MathML", "describedMath"}

CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


def metadata(package: Package, config, summary: str) -> None:
    """The subtitle and the accessibility metadata, instead of pandoc's defaults."""
    meta = package.metadata
    for element in meta.findall("opf:meta", NS):
        if (element.get("property") or "").startswith("schema:"):
            meta.remove(element)
    if config.subtitle:
        main = meta.find("dc:title", NS)
        subtitle = etree.SubElement(meta, f"{{{NS['dc']}}}title", id="epub-subtitle")
        subtitle.text = config.subtitle
        _meta(meta, "title-type", "main", refines=f"#{main.get('id')}")
        _meta(meta, "title-type", "subtitle", refines="#epub-subtitle")
    has_math = any(tree.getroot().find(".//m:math", NS) is not None
                   for _, tree in package.text_files())
    for prop, value in A11Y:
        if has_math or value not in MATH_FEATURES:  # claim only what the book has
            _meta(meta, prop, value)
    _meta(meta, "schema:accessibilitySummary", summary)
    # what the tests verify of every build (epubcheck, DAISY Ace, the reading-system tests),
    # claimed by the book's own publisher
    _meta(meta, "dcterms:conformsTo", CONFORMANCE)
    _meta(meta, "a11y:certifiedBy", ", ".join(config.authors) or config.title)


def page_list(package: Package, config, pages: list[tuple[str, str | None]]) -> None:
    """The print edition's page numbers (render/epub_pages.py): a page-break marker where
    each printed page starts, the page list in the navigation document, and the metadata
    that names the print edition they come from."""
    nav_dir = package.nav_name.rsplit("/", 1)[0]
    files = {name.removeprefix(nav_dir + "/"): tree.getroot()
             for name, tree in package.text_files() if name != package.nav_name}
    try:
        listed = epub_pages.insert(files, pages)
    except ValueError as exc:
        raise PackageError(str(exc)) from None
    package.trees[package.nav_name].getroot().find(h("body")).append(
        epub_pages.page_list_nav(listed))
    for element in epub_pages.metadata(config):
        package.metadata.append(element)


def stamped(package: Package, day: date) -> list[tuple[str, bytes]]:
    """The package's entries, with dcterms:modified on the book's date, its time of day a
    fingerprint of the content (the digest of every other byte of the package, as seconds):
    a changed book is a new release to a reading system, and the same source still gives the
    same bytes. Which of two releases is newer is the book's `date`, not this time. Every
    file is serialised once; only the package document again, with its stamp."""
    element = next((e for e in package.metadata.iterfind("opf:meta", NS)
                    if e.get("property") == "dcterms:modified"), None)
    if element is None:
        raise PackageError("pandoc's package document has no dcterms:modified")
    element.text = f"{day.isoformat()}T00:00:00Z"
    entries = package.entries()
    digest = hashlib.sha256()
    for name, data in entries:
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    seconds = int.from_bytes(digest.digest()[:8], "big") % 86400
    element.text = (f"{day.isoformat()}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:"
                    f"{seconds % 60:02d}Z")
    opf = serialise(package.trees[package.opf_name])
    return [(name, opf if name == package.opf_name else data) for name, data in entries]


def _meta(parent: etree._Element, prop: str, value: str, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{OPF}}}meta", {**attributes, "property": prop})
    element.text = value
    return element


# --- front matter ------------------------------------------------------------------------

def cover(package: Package, config) -> None:
    """The cover as an image with a text alternative (pandoc draws it in an SVG <image>
    that has none)."""
    name = next((n for n, tree in package.text_files()
                 if tree.getroot().find(h("body")).get("id") == "cover"), None)
    if name is None:
        return
    body = package.trees[name].getroot().find(h("body"))
    image = body.find(".//svg:image", NS)
    src = image.get("{http://www.w3.org/1999/xlink}href") if image is not None else None
    if src is None:
        return
    for child in list(body):
        body.remove(child)
    section = etree.SubElement(body, h("section"), {EPUB_TYPE: "cover", "class": "cover"})
    say = words(config.language)
    alt = say.say("Cover: {title}", title=config.title) + (
        f". {config.subtitle}" if config.subtitle else "") + (
        ". " + say.say("By {authors}.", authors=say.names(config.authors))
        if config.authors else ".")
    etree.SubElement(section, h("img"), src=src, alt=alt, role="doc-cover")


def title_page(package: Package, config) -> None:
    """The date on the title page as words ("26 November 2026"), not as ISO."""
    for _, tree in package.text_files():
        for p in tree.getroot().iterfind(".//h:p[@class='date']", NS):
            p.text = words(config.language).date(config.date)


# --- files -------------------------------------------------------------------------------

def _first_heading(tree: etree._ElementTree) -> etree._Element | None:
    body = tree.getroot().find(h("body"))
    for element in body.iter(h("h1"), h("h2")):
        return element
    return None


def sections(package: Package) -> None:
    """A file that starts at a level-2 heading is part of the level-1 file before it: it
    takes that file's place in the book (its body's epub:type), so the parts of an appendix
    are back matter as the appendix is."""
    parent = None
    for _, tree in package.text_files():
        heading = _first_heading(tree)
        body = tree.getroot().find(h("body"))
        if heading is None:
            continue
        if local(heading) == "h1":
            parent = body.get(EPUB_TYPE)
        elif parent:
            body.set(EPUB_TYPE, parent)


def titles(package: Package, say: Words) -> None:
    """Each file titled by its heading; a heading that repeats (the chapter's title heads
    its part of each appendix) is titled with its level-1 parent's heading before it, so
    that no two files share a title."""
    found: list[tuple[etree._Element, str, str]] = []  # (title element, own, parent heading)
    parent = ""
    for name, tree in package.text_files():
        title = tree.getroot().find(f"{h('head')}/{h('title')}")
        if title is None:
            continue
        body = tree.getroot().find(h("body"))
        heading = _first_heading(tree)
        if name == package.nav_name:
            own = say.say("Contents")
        elif body.get("id") == "cover":
            own = say.say("Cover")
        elif body.find(".//h:section[@class='titlepage']", NS) is not None:
            own = say.say("Title Page")
        elif heading is not None:
            own = text_of(heading)
            if local(heading) == "h1":
                parent = own
        else:
            continue
        found.append((title, own, "" if heading is None or local(heading) == "h1" else parent))
    counts: dict[str, int] = {}
    for _, own, _ in found:
        counts[own] = counts.get(own, 0) + 1
    for title, own, parent in found:
        title.text = f"{parent} — {own}" if counts[own] > 1 and parent else own


NOTE = re.compile(r"fn(\d+)")


def footnote_backlinks(package: Package) -> None:
    """Each footnote starts with its number, a link back to where it is called."""
    for _, tree in package.text_files():
        for aside in tree.getroot().iterfind(".//h:aside", NS):
            number = NOTE.fullmatch(aside.get("id") or "")
            first = aside.find(h("p"))
            if aside.get(EPUB_TYPE) != "footnote" or number is None or first is None:
                continue
            back = etree.Element(h("a"), href=f"#fnref{number.group(1)}",
                                 attrib={"class": "footnote-back", "role": "doc-backlink"})
            back.text = f"{number.group(1)}."
            back.tail = " " + (first.text or "")
            first.text = None
            first.insert(0, back)


def styles(package: Package) -> None:
    """The markup the stylesheet relies on (render/epub_style.py), in every XHTML file: no
    <style> elements, noterefs as superscripts, code lines marked with their indentation,
    display formulas in a box of their own."""
    for _, tree in package.text_files():
        epub_style.style(tree.getroot())


def math(package: Package, cache: Cache) -> None:
    """Each formula for every reader (tex/mathml.py, render/epub_math.py): MathML without
    its TeX, the formula in words as its text alternative, the print engine's drawing as its
    fallback image (one file per distinct drawing)."""
    shipped: set[str] = set()
    for _, tree in package.text_files():
        for formula in tree.getroot().iter(f"{{{NS['m']}}}math"):
            tex = mathml.tex_of(formula)
            if tex is None:
                raise PackageError("pandoc wrote a formula without its TeX annotation")
            image = epub_math.fallback(tex, formula.get("display") == "block", cache)
            if image.name not in shipped:
                shipped.add(image.name)
                package.add(f"EPUB/media/{image.name}", image.data, "image/svg+xml")
            mathml.finish(formula, tex, f"../media/{image.name}", image.box)


def languages(package: Package) -> None:
    """A passage in another language carries xml:lang too (XHTML reading systems read that
    one), with the same tag as its lang."""
    for _, tree in package.text_files():
        for element in tree.getroot().iter():
            if isinstance(element.tag, str) and element.get("lang") and \
                    element.get(XML_LANG) is None:
                element.set(XML_LANG, element.get("lang"))


def cross_file_links(package: Package) -> None:
    """A same-file link whose target lives in another file points to that file (pandoc
    rewrites cross-file links for headings and tables, not for figures)."""
    home: dict[str, str] = {}
    files = [(name, tree, ids(tree)) for name, tree in package.text_files()]
    for name, _, idents in files:
        for ident in idents:
            home.setdefault(ident, name.rsplit("/", 1)[1])
    for name, tree, here in files:
        own = name.rsplit("/", 1)[1]
        for link in tree.getroot().iter(h("a")):
            href = link.get("href") or ""
            if href.startswith("#") and href[1:] not in here and \
                    home.get(href[1:], own) != own:
                link.set("href", f"{home[href[1:]]}{href}")


def landmarks(package: Package, say: Words) -> None:
    """Landmarks for where the body of the book starts (the first file that is body
    matter) and for the references, besides pandoc's cover, title page and contents."""
    nav = package.trees[package.nav_name].getroot()
    found = nav.find(".//h:nav[@epub:type='landmarks']/h:ol", NS)
    if found is None:
        return
    # pandoc names its own landmarks in English whatever the book's language
    own = {"titlepage": say.say("Title Page"), "cover": say.say("Cover"),
           "toc": say.say("Contents")}
    for link in found.iterfind("h:li/h:a", NS):
        if link.get(EPUB_TYPE) in own:
            link.text = own[link.get(EPUB_TYPE)]
    nav_dir = package.nav_name.rsplit("/", 1)[0]
    extra = []
    for name, tree in package.text_files():
        body = tree.getroot().find(h("body"))
        heading = _first_heading(tree)
        section = heading.getparent() if heading is not None else None
        if section is None or local(section) != "section" or section.get("id") is None:
            continue
        href = f"{name.removeprefix(nav_dir + '/')}#{section.get('id')}"
        if body.get(EPUB_TYPE) == "bodymatter" and not any(t == "bodymatter" for t, *_ in extra):
            extra.append(("bodymatter", say.say("Start of Content"), href))
        if section.get(EPUB_TYPE) == "bibliography":
            extra.append(("bibliography", say.say("References"), href))
    for index, (kind, words, href) in enumerate(extra):
        item = etree.Element(h("li"))
        item.tail = "\n    "
        link = etree.SubElement(item, h("a"), {"href": href, EPUB_TYPE: kind})
        link.text = words
        found.insert(index, item)
