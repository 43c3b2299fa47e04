"""The EPUB 3: pandoc writes it a file at a time, then the package is finished here.

pandoc (3.9) makes the XHTML, navigation, footnotes (EPUB 3 notes with back-links), MathML and
citations. The book is split where its files begin (every heading of level 1 or 2: front
matter, chapter openers, questions, appendix parts), and pandoc's EPUB writer runs twice over:
once on the skeleton (the headings alone), which gives the package, navigation, cover and
title page, and once per file on that file's content, which gives the file that goes in.
Both are cached by their input, so after an edit only the edited file is written again, and
the result is the same bytes a clean build gives. Afterwards qabook adds what pandoc leaves
out — accessibility metadata, MathML alt text, real titles for the files, links between files
— and re-zips with fixed metadata so two builds give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from pathlib import Path
from typing import Any, Callable, Collection

from qabook import ast, pandoc, resources
from qabook.cache import Cache, key
from qabook.words import words
from qabook.render import RenderContext, RenderError, epub_safety
from qabook.render.cover import cover_png
from qabook.render.html import format_citations
from qabook.render.epub_ast import SPLIT_LEVEL, book_cites, book_document
from qabook.render.epub_finish import finish
from qabook.render.epub_package import Package, h, has_content, ids, parse, serialise
from qabook.render.output import atomic_write, read_zip, write_zip

TEMPLATES = resources.TEMPLATES / "epub"


def prepare(source: Path, options: dict, formats: tuple[str, ...]) -> None:
    """Load WeasyPrint now, while the book is checked, when the print edition's page numbers
    may have to be laid out here (render/pdf.py's edition_pages). A build that makes the PDF
    too leaves that to the PDF's process (the two share the map): loading it here would
    only take a CPU from the check and the PDF."""
    if "pdf" not in formats:
        from qabook.render import pdf_layout  # noqa: F401


def render(ctx: RenderContext) -> Path:
    """Write build/<slug>.epub."""
    from qabook.render.pdf import edition_pages  # the print edition's page numbers

    target = ctx.out / f"{ctx.config.slug}.epub"
    entries = entries_of(ctx, lambda: edition_pages(ctx))
    atomic_write(target, lambda tmp: write_zip(
        tmp, ((name, data, name != "mimetype") for name, data in entries)))
    return target


def entries_of(ctx: RenderContext, pages: Callable[[], list[tuple[str, str | None]]],
               only: Collection[str] | None = None) -> list[tuple[str, bytes]]:
    """The EPUB's files, finished and checked (what render zips): pages gives the print
    edition's (edition_pages), asked for once the EPUB's own files are made (and its
    figures found to be the bytes the check read: a swapped figure is refused as changed
    before the print edition would lay it out).

    `qabook serve` shows a question's file: it asks for no pages (no page markers: the
    print edition is not laid out for a preview) and `only` the files that start with these
    anchors, which are finished (and checked) alone, with the level-1 file each is part of:
    a link to a file left out keeps the `#id` pandoc gave it."""
    cache = Cache(ctx.cache)
    document = book_document(ctx.resolved, _meta(ctx), only)
    files = split(document["blocks"])
    skeleton = _skeleton(ctx, document, files, cache)
    kept = range(len(files)) if only is None else _kept(files, set(only))
    cited = _cite(document["meta"], book_cites(ctx.resolved), [files[i] for i in kept], cache)
    bodies = _bodies(ctx, cited, cache)
    package = _assemble(skeleton, files, dict(zip(kept, bodies)))
    # a preview's navigation links to the files left out go nowhere: not shown
    nav = None if only is None else package.nav_name
    entries = finish(package, ctx.config, a11y_summary(ctx.config), pages(), cache)
    unsafe = epub_safety.problems([e for e in entries if e[0] != nav], ctx.source_of, cache)
    if unsafe:
        raise RenderError(unsafe[0].message, diagnostics=unsafe)
    return entries


def a11y_summary(config) -> str:
    """The book's accessibility summary (schema:accessibilitySummary), in its language."""
    return words(config.language).say(
        "Every figure has a text alternative and a caption; every formula is MathML with a "
        "text alternative in words and a fallback image; the book has a navigable table of "
        "contents, landmarks, the print edition's page numbers, headings for every question "
        "and section, and footnotes and quiz solutions linked in both directions. No known "
        "hazards.")


def split(blocks: list[Any]) -> list[list[Any]]:
    """The book's blocks cut where pandoc starts a new file: before each top-level heading of
    level SPLIT_LEVEL or less (the document starts with one)."""
    files: list[list[Any]] = []
    for block in blocks:
        if block["t"] == "Header" and block["c"][0] <= SPLIT_LEVEL:
            files.append([])
        if not files:
            raise _broken("the EPUB document does not start with a heading")
        files[-1].append(block)
    return files


def _skeleton(ctx: RenderContext, document: dict, files: list[list[Any]],
              cache: Cache) -> list[tuple[str, bytes]]:
    """pandoc's EPUB of the headings alone: package, navigation, cover, title page."""
    config = ctx.config
    meta = {k: v for k, v in document["meta"].items() if k != "references"}
    blocks = [blocks[0] for blocks in files]
    doc = {**document, "meta": meta, "blocks": blocks}
    css = (TEMPLATES / "epub.css").read_bytes()
    ident = key("epub-skeleton", json.dumps(doc, sort_keys=True), css, config.timestamp,
                config.title, config.subtitle, config.authors)
    hit = cache.get("epub", ident)
    if hit is not None:
        return hit
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "cover.png").write_bytes(cover_png(config.title, config.subtitle, config.authors))
        (work / "epub.css").write_bytes(css)
        raw = work / "raw.epub"
        pandoc.write_file(doc, raw, [
            "--to=epub3", "--mathml", "--toc", "--toc-depth=2", f"--split-level={SPLIT_LEVEL}",
            "--epub-cover-image=cover.png", "--css=epub.css", "--epub-title-page=true",
        ], cwd=work, env={"SOURCE_DATE_EPOCH": str(config.timestamp)})
        entries = read_zip(raw)
    cache.put("epub", ident, entries)
    return entries


def _bodies(ctx: RenderContext, files: list[list[Any]],
            cache: Cache) -> list[tuple[bytes, dict[str, tuple[bytes, str]]]]:
    """Each file's XHTML as pandoc's EPUB writer makes it from that file's content alone (so
    its head holds the styles its own code needs), with the media it uses.

    pandoc never reads the book's folder: each image is handed to it as the bytes the model
    checked, in a folder of its own, under a name made of their digest."""
    meta = {"lang": {"t": "MetaString", "c": ctx.config.language}}
    media: dict[str, str] = {}  # name pandoc is given -> the figure's src
    docs = [{"pandoc-api-version": pandoc.API_VERSION, "meta": meta,
             "blocks": _media_names(ctx, blocks, media)} for blocks in files]
    keys = [key("epub-file", json.dumps(doc, sort_keys=True)) for doc in docs]
    out: list[Any] = [cache.get("epub", k) for k in keys]
    todo = [i for i, hit in enumerate(out) if hit is None]
    with tempfile.TemporaryDirectory() as scratch:
        for name in sorted({n for i in todo for n in _images(docs[i]["blocks"])}):
            (Path(scratch) / name).write_bytes(ctx.figure_bytes(media[name]))
        jobs = [{"epub": docs[i], "root": scratch, "output": f"{scratch}/{i}.epub",
                 "options": {"html_math_method": "mathml", "split_level": SPLIT_LEVEL,
                             "epub_title_page": False}} for i in todo]
        for i, result in zip(todo, pandoc.run_batch(jobs)):
            complaint = result.get("error") or "; ".join(result.get("warnings") or [])
            if complaint:  # about this file's content: name the file it comes from
                raise RenderError(f"pandoc could not write this content into the EPUB: "
                                  f"{complaint}", ctx.source_of(_ident(files[i][0])),
                                  "pandoc.failed",
                                  "simplify the markup around what the message names")
            out[i] = _body(read_zip(Path(f"{scratch}/{i}.epub")), _ident(files[i][0]))
            cache.put("epub", keys[i], out[i])
    return out


def _media_names(ctx: RenderContext, blocks: list[Any], media: dict[str, str]) -> list[Any]:
    """The blocks with each image's path replaced by the name of its checked bytes (digest and
    type), recorded in media."""
    def visit(node: dict) -> Any:
        if node["t"] != "Image":
            return None
        src = node["c"][2][0]
        name = ctx.figure_digest(src) + Path(src).suffix.lower()
        media[name] = src
        return {"t": "Image", "c": [node["c"][0], node["c"][1], [name, node["c"][2][1]]]}
    return ast.walk(blocks, visit)


def _images(blocks: list[Any]) -> list[str]:
    return sorted({node["c"][2][0] for node in ast.iter_nodes(blocks) if node["t"] == "Image"})


def _ident(header: dict) -> str:
    return header["c"][1][0]


def _body(entries: list[tuple[str, bytes]],
          ident: str) -> tuple[bytes, dict[str, tuple[bytes, str]]]:
    """The one text file of a file's own EPUB that holds its heading, and its media (a file
    that starts at level 2 comes after an empty level-1 file pandoc adds)."""
    package = Package(entries)
    texts = [(name, tree, ident in ids(tree)) for name, tree in package.trees.items()
             if TEXT.fullmatch(name)]
    found = [(name, tree) for name, tree, holds in texts if holds]
    others = [name for name, tree, holds in texts if not holds and has_content(tree)]
    if len(found) != 1 or others:
        raise _broken(f"pandoc did not write the EPUB file of #{ident} as one file")
    name, tree = found[0]
    # pandoc points links to its own file by that EPUB's file name; the book's name differs
    own = name.rsplit("/", 1)[1] + "#"
    for link in tree.getroot().iter(h("a")):
        if (link.get("href") or "").startswith(own):
            link.set("href", link.get("href").removeprefix(own[:-1]))
    types = package.media_types()
    media = {n.rsplit("/", 1)[1]: (data, types[package.href(n)])
             for n, data in package.data.items() if n.startswith("EPUB/media/")}
    return serialise(tree), media


TEXT = re.compile(r"EPUB/text/ch(\d+)\.xhtml")  # a file name, not markup
MEDIA = "../media/"


def _assemble(skeleton: list[tuple[str, bytes]], files: list[list[Any]],
              bodies: dict[int, tuple[bytes, dict[str, tuple[bytes, str]]]]) -> Package:
    """The skeleton's package with each file of bodies (by its index in files) and its media
    put in (each medium once, under a book-wide name); the files bodies lacks are left
    out."""
    package = Package(skeleton)
    texts = sorted((name for name in package.trees if TEXT.fullmatch(name)),
                   key=lambda name: int(TEXT.fullmatch(name).group(1)))
    if len(texts) != len(files):
        raise _broken(f"pandoc split the EPUB into {len(texts)} files, not {len(files)}")
    media: dict[str, str] = {}  # digest -> book-wide name
    for index, (name, blocks) in enumerate(zip(texts, files)):
        if _ident(blocks[0]) not in ids(package.trees[name]):
            raise _broken(f"{name} of pandoc's EPUB is not the file of #{_ident(blocks[0])}")
        if index not in bodies:
            del package.trees[name]
            package.names.remove(name)
            continue
        body, own_media = bodies[index]
        names = {}
        for local_name, (data, media_type) in sorted(own_media.items()):
            digest = hashlib.sha256(data).hexdigest()
            if digest not in media:
                media[digest] = f"file{len(media) + 1}{Path(local_name).suffix}"
                package.add(f"EPUB/media/{media[digest]}", data, media_type)
            names[local_name] = media[digest]
        tree = parse(body)
        for element in tree.getroot().iter():
            for attribute in ("src", "href"):
                value = element.get(attribute) or ""
                if value.startswith(MEDIA) and value[len(MEDIA):] in names:
                    element.set(attribute, MEDIA + names[value[len(MEDIA):]])
        package.trees[name] = tree
    return package


def _kept(files: list[list[Any]], anchors: set[str]) -> list[int]:
    """The files (by index) that start with one of the anchors, and the level-1 files they
    belong to (see entries_of)."""
    kept, parent = set(), None
    for index, blocks in enumerate(files):
        if blocks[0]["c"][0] == 1:
            parent = index
        if _ident(blocks[0]) in anchors:
            kept.update(i for i in (index, parent) if i is not None)
    return sorted(kept)


def _broken(message: str) -> RenderError:
    return RenderError(message, code="epub.failed", hint="report a bug")


def _cite(meta: dict[str, Any], cites: dict[str, Any], files: list[list[Any]],
          cache: Cache) -> list[list[Any]]:
    """The files (runs of the document's blocks) with their citations formatted and the
    reference list put in, by citeproc on each distinct citation of the book once, in order
    (epub_ast.book_cites; html.format_citations: cached, so an edit that changes no citation
    does not run it again)."""
    ((formatted, refs),) = format_citations([(meta, cites)], cache)

    def visit(node: dict) -> Any:
        if node["t"] == "Cite":
            return formatted[json.dumps(node, sort_keys=True)]
        if node["t"] == "Div" and node["c"][0][0] == "refs":
            return refs
        return None

    return [ast.walk(blocks, visit) for blocks in files]


def _meta(ctx: RenderContext) -> dict[str, Any]:
    config = ctx.config
    text = lambda value: {"t": "MetaInlines", "c": ast.text_inlines(value)}  # noqa: E731
    meta = {
        "title": text(config.title),
        "subtitle": text(config.subtitle),
        "author": {"t": "MetaList", "c": [text(a) for a in config.authors]},
        "lang": {"t": "MetaString", "c": config.language},
        "identifier": {"t": "MetaString", "c": config.identifier},
        "date": {"t": "MetaString", "c": config.date.isoformat()},
        "description": text(config.description),
        "rights": text(config.rights),
        "subject": {"t": "MetaList", "c": [text(s) for s in config.subjects]},
        "toc-title": text(words(config.language).say("Contents")),
        "link-citations": {"t": "MetaBool", "c": True},
        "link-bibliography": {"t": "MetaBool", "c": True},
    }
    if ctx.book.bibliography is not None:
        meta["references"] = ctx.book.bibliography.references
    return meta
