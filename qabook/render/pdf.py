"""The print PDF and handouts: chunks laid out in parallel by WeasyPrint, then merged.

Like LaTeX, layout runs in passes over a page map (where every chunk starts and where every
anchor landed): each pass lays out, on every CPU, the chunks whose HTML changed since the
map they were laid out with, until no chunk changes. Laid-out chunks are cached by their HTML,
so after an edit only the edited question (and whatever its page count moves) is laid out
again. A cold build starts from an empty map: its first pass only learns the map, the second
lays out with it and writes. Later builds start from the last map and write in their first
pass. A chunk laid out again after it was written is written again.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

import jinja2

from qabook.cache import Cache, key
from qabook.children import worker
from qabook.diagnostics import NOWHERE, Diagnostic, Location
from qabook.render import ENGINE, LIMIT, MACHINE, RenderContext, RenderError
from qabook.render.options import PrintOptions
from qabook.render.output import atomic_write
from qabook.render.pdf_merge import Part, merge
from qabook.render.pdf_plan import UNKNOWN_PAGE, Chunk, PageMap, chunk_html, chunks
from qabook.render.print_html import Selection, page_data
from qabook.resources import TEMPLATES

if TYPE_CHECKING:  # WeasyPrint loads in prepare(), beside other work
    from qabook.render.pdf_layout import Laid

MAX_PASSES = 6


def engine_problems(ctx: RenderContext, chunk: Chunk,
                    errors: tuple[tuple[str, str], ...]) -> RenderError:
    """WeasyPrint's messages about a chunk, each blamed where it belongs: the machine's font
    libraries, WeasyPrint itself, the figure a message names (where the book shows it), or
    the file the chunk prints (when it prints several, the message names them)."""
    files = [ctx.source_of(anchor) for anchor in chunk.sources]
    found = []
    for text, where in dict.fromkeys(errors):
        if where == MACHINE:
            found.append(Diagnostic(NOWHERE, "error", "environment.fonts", f"WeasyPrint: {text}",
                                    "a problem of the machine's font libraries, not of the "
                                    "book: `python -m qabook.environment pdf` names what is "
                                    "missing"))
        elif where == LIMIT:
            found.append(Diagnostic(files[0] if len(files) == 1 else NOWHERE, "error",
                                    "pdf.too-big", f"laying out {_printed(chunk, files)} needed "
                                    f"more than {text}", "make it smaller: split the question, "
                                    "or cut what makes it heavy (very many footnotes, a huge "
                                    "table, figure or formula)"))
        elif where == ENGINE:
            found.append(Diagnostic(NOWHERE, "error", "pdf.engine", f"WeasyPrint failed laying "
                                    f"out {_printed(chunk, files)}: {text}", "not something "
                                    "the book asks for: report it with QABOOK_DEBUG=1"))
        elif where:
            found.append(Diagnostic(ctx.figures.get(where, Location(where)), "error",
                                    "image.unprintable", f"WeasyPrint cannot draw '{where}': "
                                    f"{text}", "figures must be plain SVG 1.1 or PNG; open the "
                                    "file in a browser to see what is wrong"))
        else:
            one = files[0] if len(files) == 1 else None
            found.append(Diagnostic(one or NOWHERE, "error", "pdf.failed",
                                    f"WeasyPrint: {text}" if one else f"WeasyPrint, laying "
                                    f"out {_printed(chunk, files)}: {text}", "every WeasyPrint "
                                    "warning fails the build; the message names what it "
                                    "could not lay out"))
    return RenderError(found[0].message, diagnostics=found)


def _printed(chunk: Chunk, files: list[Location]) -> str:
    """What a chunk prints, for a message: its files, or its part of the book."""
    names = [str(f) for f in files if f.path]
    if names:
        return "the pages of " + ", ".join(names)
    return {"opener": "a chapter opener", "references": "the references"}.get(
        chunk.kind, chunk.name)


def prepare(source: Path, options: dict) -> None:
    """Load WeasyPrint now, while the book is checked (the layout workers inherit it)."""
    from qabook.render import pdf_layout  # noqa: F401


def render(ctx: RenderContext) -> Path:
    """Write build/<slug>[-selection].pdf."""
    try:
        return _render(ctx)
    except BrokenProcessPool:
        raise RenderError("a layout process of the PDF died (the system may have killed it)",
                          NOWHERE, "environment.killed", "the system may be out of memory; "
                          "the PDF was not written: run the build again") from None


def _render(ctx: RenderContext) -> Path:
    options: PrintOptions = ctx.options.get("pdf", PrintOptions())
    _check_selection(ctx, options)
    cache = Cache(ctx.cache)
    selection = Selection(options.chapters, options.questions, options.solutions)
    with _pool() as pool:
        # The workers fork now, before this process starts any thread or loads any font (a
        # fork after that can deadlock), and set up fonts and stylesheets while it writes
        # the print HTML.
        from qabook.render.pdf_layout import warm_up

        for _ in range(WORKERS):
            pool.submit(warm_up, ctx.root, options.paper)
        data = page_data(ctx, selection, cache)
        return _print(ctx, options, cache, pool, data, selection)


def _print(ctx, options, cache, pool, data, selection) -> Path:
    data["handout"] = _handout_title(ctx, selection)
    data["title"] = ctx.config.title + (f" — {data['handout']}" if data["handout"] else "")
    plan = chunks(data)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES / "pdf"),
                                     autoescape=True, undefined=jinja2.StrictUndefined)
    map_key = key("pdf-map", options.filename(ctx.config.slug), [c.name for c in plan])
    # Start from the last build's map: it is likely right, so the first pass is likely final.
    page_map = cache.get("pdf-map", map_key) or PageMap()
    laid, page_map = _converge(ctx, options, cache, pool, environment, data, plan, page_map)
    cache.put("pdf-map", map_key, page_map)
    starts = page_map.starts(plan)
    parts = [Part(laid[c.name].pdf, starts[c.name][1], starts[c.name][2]) for c in plan]
    outline = [mark for chunk in plan for mark in chunk.bookmarks]
    pdf = merge(parts, _anchor_places(plan, laid, starts), outline, page_map.front,
                _metadata(ctx, data), ctx.config.language)
    target = ctx.out / options.filename(ctx.config.slug)
    atomic_write(target, lambda handle: handle.write(pdf))
    return target


@dataclass
class _Done:
    """A chunk as last laid out: the key of its HTML, the result, and whether it had a pad."""

    key: str
    result: Laid
    pad: bool


def _converge(ctx, options, cache, pool, environment, data, plan, page_map):
    """Lay out until every chunk was laid out with the map it produces; written PDFs result."""
    done: dict[str, _Done] = {}
    warm = bool(page_map.pages)  # a map from an earlier build: its first pass is likely final
    for index in range(MAX_PASSES):
        starts = page_map.starts(plan)
        wanted = {}
        for chunk in plan:
            html = chunk_html(environment, data, chunk, starts[chunk.name], page_map)
            figures = _figures(ctx, html)
            wanted[chunk.name] = (key("pdf-chunk", html, options.paper, figures),
                                  html, starts[chunk.name][2], figures)
        todo = [c for c in plan if c.name not in done or done[c.name].key != wanted[c.name][0]]
        if not todo:
            break
        # Only a cold build's first pass is surely not the last: it does not write.
        _lay_out_all(ctx, options, cache, pool, todo, wanted, done, warm or index > 0)
        previous, page_map = page_map, _map(plan, done)
        if page_map == previous:  # every chunk was laid out with the map it produced
            break
    else:
        raise RenderError(f"the print book's page numbers did not settle in {MAX_PASSES} "
                          "passes", code="pdf.failed", hint="report it with QABOOK_DEBUG=1")
    for chunk in plan:  # never print the placeholder of a page the map never learnt
        if f'data-page="{UNKNOWN_PAGE}"' in wanted[chunk.name][1]:
            files = [ctx.source_of(anchor) for anchor in chunk.sources]
            raise RenderError(f"a cross-reference in {_printed(chunk, files)} points to "
                              "something the print book does not show", code="pdf.failed",
                              hint="report it with QABOOK_DEBUG=1; the EPUB and the deck "
                              "show it")
    missing = [c for c in plan if done[c.name].result.pdf is None]
    _lay_out_all(ctx, options, cache, pool, missing, wanted, done, True)
    return {name: d.result for name, d in done.items()}, page_map


ASSET = re.compile(r'\ssrc="(?!data:)([^"]+)"')


def _figures(ctx: RenderContext, html: str) -> tuple[tuple[str, str], ...]:
    """The figure files a chunk shows, each with the digest of its checked bytes: a laid-out
    chunk is only reused while they are unchanged, and its layout may fetch only these."""
    return tuple((src, ctx.figure_digest(unquote(src)))
                 for src in sorted(set(ASSET.findall(html))))


def _lay_out_all(ctx, options, cache, pool, todo: list[Chunk], wanted, done, write: bool):
    from qabook.render.pdf_layout import lay_out

    jobs = {}
    # Longest first: the pool then finishes its last chunks at about the same time.
    for chunk in sorted(todo, key=lambda c: -len(wanted[c.name][1])):
        ident, html, pad, figures = wanted[chunk.name]
        hit = cache.get("pdf-chunk", ident)
        if hit is not None:
            done[chunk.name] = _Done(ident, hit, pad)
        else:
            jobs[chunk.name] = (chunk, ident, pad, pool.submit(
                lay_out, html, str(ctx.root), options.paper, write, figures))
    for name, (chunk, ident, pad, future) in jobs.items():
        result = future.result()
        if result.errors:
            raise engine_problems(ctx, chunk, result.errors)
        done[name] = _Done(ident, result, pad)
        if result.pdf is not None:
            cache.put("pdf-chunk", ident, result)


def _anchor_places(plan: list[Chunk], laid: dict[str, Laid], starts) -> dict:
    """Every anchor's (page index in the book, left, top)."""
    return {anchor: (page - 1, left, top) for anchor, page, left, top in
            _placed(plan, laid, {c.name: starts[c.name][2] for c in plan}, starts)}


def _placed(plan: list[Chunk], laid: dict[str, Laid], pads: dict[str, bool], starts):
    """(anchor, physical page, left, top) of every anchor, first place first; anchors on a
    chunk's pad page (dropped at the merge) are left out."""
    seen = set()
    for chunk in plan:
        first, skip = starts[chunk.name][0], int(pads[chunk.name])
        for anchor, (index, left, top) in sorted(laid[chunk.name].anchors.items()):
            if index >= skip and anchor not in seen:
                seen.add(anchor)
                yield anchor, first + index - skip, left, top


def _map(plan: list[Chunk], done: dict[str, _Done]) -> PageMap:
    """Where everything landed, from the chunks as they were last laid out."""
    page_map = PageMap(pages={c.name: done[c.name].result.pages - done[c.name].pad for c in plan})
    starts = page_map.starts(plan)
    results = {name: d.result for name, d in done.items()}
    pads = {name: d.pad for name, d in done.items()}
    page_map.anchors = {anchor: page for anchor, page, _, _ in
                        _placed(plan, results, pads, starts)}
    after_front = [starts[c.name][0] for c in plan if c.kind != "front"]
    page_map.front = after_front[0] - 1 if after_front else page_map.pages[plan[0].name]
    return page_map


def _pool() -> ProcessPoolExecutor:
    from qabook.render.pdf_layout import MEMORY

    return ProcessPoolExecutor(max_workers=WORKERS, initializer=worker, initargs=(os.getpid(), MEMORY),
                               mp_context=multiprocessing.get_context("fork"))


WORKERS = max(1, min(os.cpu_count() or 1, 4))


def _metadata(ctx: RenderContext, data) -> dict[str, str]:
    config = ctx.config
    stamp = f"D:{config.date.strftime('%Y%m%d')}000000Z"
    return {"/Title": data["title"], "/Author": ", ".join(config.authors),
            "/Subject": config.description, "/Keywords": ", ".join(config.subjects),
            "/Creator": "qabook", "/Producer": "qabook (WeasyPrint, pikepdf)",
            "/CreationDate": stamp, "/ModDate": stamp}


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


def _handout_title(ctx: RenderContext, selection: Selection) -> str:
    if selection.whole:
        return ""
    parts = [f"Chapter {c.number}: {c.title}" for c in ctx.book.chapters
             if c.number in selection.chapters]
    parts += [f"Q{n}" for n in selection.questions]
    kind = "Worksheet" if not selection.solutions else "Handout"
    return f"{kind} · " + ", ".join(parts)
