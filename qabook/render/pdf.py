"""The print PDF and handouts: chunks laid out in parallel by WeasyPrint, then merged.

Like LaTeX, layout runs in passes over a page map (where every chunk starts and where every
anchor landed): each pass lays out, on every CPU, the chunks whose HTML changed since the
map they were laid out with, until no chunk changes. Laid-out chunks are cached by their HTML,
so after an edit only the edited question (and whatever its page count moves) is laid out
again. A cold build starts from an empty map: its first pass only learns the map, the second
lays out with it and writes. Later builds start from the last map and write in their first
pass. A chunk laid out again after it was written is written again.

The converged map also says where each page starts (PageMap.marks): the EPUB carries the
print edition's page numbers (edition_pages). A build that makes both lays the book out
once: the PDF renderer, printing the edition, holds a lock in the build's scratch folder
while it converges and leaves the map there; the EPUB renderer takes the lock afterwards and
reads it. An EPUB built without that PDF converges itself (laying out, writing nothing).
"""

from __future__ import annotations

from collections import defaultdict
import fcntl
import functools
import json
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

import jinja2
import markupsafe

from qabook.cache import Cache, key
from qabook.children import worker
from qabook.diagnostics import NOWHERE, Diagnostic, Location
from qabook.render import ENGINE, LIMIT, MACHINE, Made, RenderContext, RenderError, inputs
from qabook.render.options import PrintOptions
from qabook.render.output import atomic_write
from qabook.render.pdf_merge import Part, merge
from qabook.render.pdf_plan import Bodies, Chunk, PageMap, chunk_html, chunks, css_string
from qabook.render import pdf_type
from qabook.render.print_html import Selection, page_data
from qabook.resources import TEMPLATES
from qabook.words import Words, words

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


def prepare(source: Path, options: dict, formats: tuple[str, ...]) -> None:
    """Load WeasyPrint now, while the book is checked (the layout workers inherit it)."""
    from qabook.render import pdf_layout  # noqa: F401


def render(ctx: RenderContext) -> Made:
    """Write build/<slug>[-selection].pdf; what the layout checks found comes with it."""
    try:
        return _render(ctx)
    except BrokenProcessPool:
        raise RenderError("a layout process of the PDF died (the system may have killed it)",
                          NOWHERE, "environment.killed", "the system may be out of memory; "
                          "the PDF was not written: run the build again") from None


def _render(ctx: RenderContext) -> Made:
    options: PrintOptions = ctx.options.get("pdf", PrintOptions())
    _check_selection(ctx, options)
    cache = Cache(ctx.cache)
    selection = Selection(options.chapters, options.questions, options.kind)
    # The edition the EPUB's page numbers come from: its map is shared with the EPUB.
    with (_Shared(ctx.scratch) if options == EDITION else _Shared(None)) as shared, \
            _pool() as pool:
        # The workers fork now, before this process starts any thread or loads any font (a
        # fork after that can deadlock), and set up fonts and stylesheets while it writes
        # the print HTML.
        from qabook.render.pdf_layout import warm_up

        for _ in range(WORKERS):
            pool.submit(warm_up, ctx.root, options.paper, ctx.config.language)
        data = page_data(ctx, selection, cache)
        return _print(ctx, options, cache, pool, data, selection, shared)


@functools.cache
def _environment() -> jinja2.Environment:
    """The print templates' environment, made once per process: a template is compiled
    the first time it is used, not in every build or preview of a long-lived process."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES / "pdf"),
                                     autoescape=True, undefined=jinja2.StrictUndefined)
    environment.globals["balanced"] = pdf_type.balanced  # the title page's title lines
    # a string of the book's words inside the chunk's <style> (escaped for CSS, not HTML)
    environment.filters["css_string"] = lambda text: markupsafe.Markup(css_string(text))
    return environment


LISTED = 6  #: a handout of at most this many questions lists them in its title block


def _titles(ctx: RenderContext, data: dict, selection: Selection,
            options: PrintOptions) -> None:
    """What the book or handout is called: its title block, running heads and metadata."""
    config = ctx.config
    data["title"], data["subject"] = config.title, config.description
    data["handout"], data["running_head"], data["sheet_title"] = None, "", ""
    if selection.book:
        return
    say = words(config.language)
    kind = say.handout_kind(selection.kind)
    name = options.title or _handout_name(ctx, selection)
    questions = [q for ch in data["chapters"] for q in ch["questions"]]
    data["handout"] = {
        "kind": kind, "name": name,
        "source": say.say("From {book}", book=config.title) + " · " + ", ".join(config.authors),
        "date": data["date"],
        # a one-line list of its questions, when it has a few (a long one is no line)
        "list": questions if 1 < len(questions) <= LISTED else [],
    }
    data["sheet_title"] = kind
    data["running_head"] = f"{kind} · {name}"
    data["title"] = f"{config.title} — {kind} · {name}"
    numbers = ", ".join(q["label"] for q in questions)
    data["subject"] = _subject(say, selection.kind, config.title, numbers)


def _subject(say: Words, kind: str, book: str, questions: str) -> str:
    """What a handout of a kind holds, for its PDF's /Subject."""
    if kind == "handout":
        return say.say("A handout of {book}: {questions}, with their answers and quiz "
                       "solutions.", book=book, questions=questions)
    if kind == "worksheet":
        return say.say("A worksheet of {book}: the prompts and quiz items of {questions}, "
                       "with ruled space to write the answers in; no answers or solutions.",
                       book=book, questions=questions)
    return say.say("The answer key to the worksheet of {book} on {questions}: each "
                   "question's short answer and where the book answers it, and the solutions "
                   "of its quiz items.", book=book, questions=questions)


def _print(ctx, options, cache, pool, data, selection, shared: _Shared) -> Made:
    _titles(ctx, data, selection, options)
    plan = chunks(data)
    environment = _environment()
    map_key = key("pdf-map", options.filename(ctx.config.slug), [c.name for c in plan])
    # Start from the last build's map: it is likely right, so the first pass is likely final.
    page_map = shared.read() or cache.get("pdf-map", map_key) or PageMap()
    wanted, done, page_map = _converge(ctx, options, cache, pool, environment, data, plan,
                                       page_map)
    cache.put("pdf-map", map_key, page_map)
    if options == EDITION:  # for the EPUB's page list (written only when it changed)
        edition, pages = _edition_key(ctx), page_map.edition()
        if cache.get("edition", edition) != pages:
            cache.put("edition", edition, pages)
    shared.leave(page_map)  # the EPUB of this build may go on
    missing = [c for c in plan if done[c.name].result.pdf is None]
    _lay_out_all(ctx, options, cache, pool, missing, wanted, done, True)
    laid = {name: d.result for name, d in done.items()}
    starts = page_map.starts(plan)
    parts = [Part(laid[c.name].pdf, starts[c.name][1], starts[c.name][2]) for c in plan]
    outline = [mark for chunk in plan for mark in chunk.bookmarks]
    pdf = merge(parts, _anchor_places(plan, laid, starts), outline, page_map.front,
                _metadata(ctx, data), ctx.config.language, cache)
    target = ctx.out / options.filename(ctx.config.slug)
    atomic_write(target, lambda handle: handle.write(pdf))
    return Made(target, layout_warnings(ctx, plan, laid))


#: what the author can do about each finding of the layout checks (render/pdf_checks.py)
HINTS = {
    "print.code-wraps": "it is printed wrapped, with a continuation mark; to keep it on one "
                        "line, break it in the source (most languages allow a break inside "
                        "brackets) or shorten it",
    "print.equation-wide": "its number, if any, goes below it; to keep it inside the margins, "
                           "break it into lines (\\begin{aligned}…) or shorten it",
    "print.equation-number": "shorten the formula or break it into lines",
    "print.overflow": "the line cannot break inside this word, URL, inline code or inline "
                      "formula: put long code in a code block, make a long formula display "
                      "math, or shorten the long item",
}


def layout_warnings(ctx: RenderContext, plan: list[Chunk],
                    laid: dict[str, Laid]) -> tuple[Diagnostic, ...]:
    """The layout checks' findings as warnings at the line the author wrote (else the file
    the chunk prints), each once (Appendix B prints a prompt again, with the same finding)."""
    found: dict[Diagnostic, None] = {}
    for chunk in plan:
        files = [ctx.source_of(anchor) for anchor in chunk.sources]
        for code, where, message in laid[chunk.name].findings:
            location = ctx.line_of(where) or (files[0] if len(files) == 1 else NOWHERE)
            found[Diagnostic(location, "warning", code, message, HINTS.get(code, ""))] = None
    return tuple(found)


@dataclass(frozen=True)
class _Want:
    """A chunk as this pass wants it laid out: the key of its HTML, the HTML, whether it has
    a pad page, the figures it shows; and its canonical form (the same with every page
    number unknown and no pad), where the page flow's moves are searched (render/pdf_flow.py):
    its HTML, figures and key."""

    key: str
    html: str
    pad: bool
    figures: tuple[tuple[str, str], ...]
    canonical: tuple[str, tuple[tuple[str, str], ...], str]


@dataclass
class _Done:
    """A chunk as last laid out: the key of its HTML, the result, and whether it had a pad."""

    key: str
    result: Laid
    pad: bool


def _converge(ctx, options, cache, pool, environment, data, plan, page_map, write=True):
    """Lay out until every chunk was laid out with the map it produces: what each chunk's
    HTML is, how each was laid out (written when it was laid out in a pass that writes), and
    the map. Only a cold build's first pass does not write; none does unless write."""
    done: dict[str, _Done] = {}
    warm = bool(page_map.pages)  # a map from an earlier build: its first pass is likely final
    # A cross-reference on its target's page shows no page number; shorter, it may move off
    # that page, and get its number back, and move on again. A chunk whose HTML comes back
    # to one it had is in such a cycle: the cross-references it marked as on their target's
    # page keep their number from then on (every start reaches the same cycle, so cold and
    # incremental builds make the same choice).
    seen: dict[str, set[str]] = defaultdict(set)  #: each chunk's HTML keys so far
    marked: dict[str, set[str]] = defaultdict(set)  #: its xrefs ever set without a number
    keep: set[str] = set()
    #: each chunk's HTML as wanted last: the map it was made from, and its xrefs marked as
    #: on their target's page
    made: dict[str, tuple[PageMap, set[str]]] = {}
    ahead: dict[str, Future] = {}  #: layouts begun a pass early, by their key (_guess)
    bodies = Bodies(environment, data)
    canonical = {chunk.name: _canonical(ctx, options, bodies, chunk) for chunk in plan}
    try:
        for index in range(MAX_PASSES):
            starts = page_map.starts(plan)
            wanted = {}
            before: dict[str, tuple[PageMap, set[str]]] = {}  #: `made` of those laid out
            for chunk in plan:
                same: set[str] = set()
                html = chunk_html(bodies, chunk, starts[chunk.name], page_map, keep, same)
                figures = canonical[chunk.name][1]  # (a pad page shows none)
                flow = canonical[chunk.name][2]  # (the moves it is laid out with)
                ident = key("pdf-chunk", html, options.paper, figures, flow)
                if ident in seen[chunk.name] and chunk.name in done and \
                        done[chunk.name].key != ident:
                    keep |= marked[chunk.name] | same
                    html = chunk_html(bodies, chunk, starts[chunk.name], page_map, keep)
                    ident = key("pdf-chunk", html, options.paper, figures, flow)
                seen[chunk.name].add(ident)
                marked[chunk.name] |= same
                wanted[chunk.name] = _Want(ident, html, starts[chunk.name][2], figures,
                                           canonical[chunk.name])
                if chunk.name in made and chunk.name in done:
                    before[chunk.name] = made[chunk.name]
                if warm or index > 0:  # (an estimate's page numbers come back in no cycle)
                    made[chunk.name] = (page_map, same)
            todo = [c for c in plan
                    if c.name not in done or done[c.name].key != wanted[c.name].key]
            if not todo:
                break
            # (only a pass that leaves a worker idle begins a guess: none is made otherwise)
            guesses = [_guess(options, cache, bodies, plan, chunk, before[chunk.name],
                              keep | marked[chunk.name], wanted[chunk.name])
                       for chunk in todo if chunk.name in before] \
                if write and len(todo) < WORKERS else []
            # A cold build's first pass knows no page number: it lays out the canonical
            # forms, and its map is an estimate. Only such a pass is surely not the last: it
            # does not write.
            _lay_out_all(ctx, options, cache, pool, todo, wanted, done,
                         write and (warm or index > 0), estimate=not warm and index == 0,
                         ahead=ahead, early=[g for g in guesses if g])
            previous, page_map = page_map, _map(plan, done)
            if page_map == previous:  # every chunk was laid out with the map it produced
                break
        else:
            raise RenderError(f"the print book's page numbers did not settle in "
                              f"{MAX_PASSES} passes", code="pdf.failed",
                              hint="report it with QABOOK_DEBUG=1")
    finally:
        for future in ahead.values():  # guesses no pass took: those not started never are
            future.cancel()
    for chunk in plan:  # never print the placeholder of a page the map never learnt
        if bodies(chunk).unknown(page_map):
            files = [ctx.source_of(anchor) for anchor in chunk.sources]
            raise RenderError(f"a cross-reference in {_printed(chunk, files)} points to "
                              "something the print book does not show", code="pdf.failed",
                              hint="report it with QABOOK_DEBUG=1; the EPUB and the deck "
                              "show it")
    return wanted, done, page_map


#: a layout begun a pass early: the key of its HTML, the HTML, its figures and moves
Guess = tuple[str, str, tuple[tuple[str, str], ...], tuple]


def _guess(options, cache, bodies: Bodies, plan: list[Chunk], chunk: Chunk,
           before: tuple[PageMap, set[str]], keep: set[str], want: _Want) -> Guess | None:
    """The layout the next pass will want of a chunk if this pass brings back the page map
    its last HTML was made from (a cycle: see _converge): that HTML with its
    cross-references in keep, and those it marked then, set with their number. None when
    that is what this pass lays out, or it is laid out and written already."""
    page_map, same = before
    html = chunk_html(bodies, chunk, page_map.starts(plan)[chunk.name], page_map, keep | same)
    ident = key("pdf-chunk", html, options.paper, want.figures, want.canonical[2])
    found = cache.get("pdf-flow", want.canonical[2])
    laid = cache.get("pdf-chunk", ident)
    if ident == want.key or found is None or (laid is not None and laid.pdf is not None):
        return None
    return ident, html, want.figures, found.moves


def _canonical(ctx: RenderContext, options: PrintOptions, bodies: Bodies,
               chunk: Chunk) -> tuple[str, tuple[tuple[str, str], ...], str]:
    """The chunk's canonical form: its HTML with every page number unknown and no pad page
    (its first page is a right-hand page), its figures and its key."""
    html = chunk_html(bodies, chunk, (1, False, False), PageMap())
    # the figure files it shows (page numbers name none), each with the digest of its
    # checked bytes: a laid-out chunk is only reused while they are unchanged, and its
    # layout may fetch only these
    figures = tuple((src, ctx.figure_digest(unquote(src)))
                    for src in bodies(chunk).sources)
    return html, figures, key("pdf-flow", html, options.paper, figures)


def _lay_out_all(ctx, options, cache, pool, todo: list[Chunk], wanted: dict[str, _Want],
                 done: dict[str, _Done], write: bool, estimate: bool = False,
                 ahead: dict[str, Future] | None = None, early: list[Guess] = ()) -> None:
    """Lay out the chunks of todo as wanted, each with the page flow's moves found on its
    canonical form. Where no build found them yet, they are searched; meanwhile the chunk is
    laid out with the moves its last search found (or none), carried to the blocks they
    named (an edit may have added blocks before them), which stands when the search finds
    the same (after a small edit, most often). estimate: lay out only the canonical
    forms (what a pass knowing no page number can).

    ahead holds the layouts begun a pass early, by key: a chunk wanted as one of them takes
    it. The layouts of `early` are begun now (into ahead) on the workers this pass leaves
    idle, after its own."""
    from qabook.render.pdf_layout import lay_out

    root, paper = str(ctx.root), options.paper
    chunks_by_name = {chunk.name: chunk for chunk in todo}
    searches, finals, guesses = {}, {}, {}
    #: where the moves of each chunk's last search are kept, and what they were, for the
    #: chunks searched now (read once: they hold the HTML they were found on)
    last = {c.name: key("pdf-moves", options.filename(ctx.config.slug), c.name) for c in todo}
    earlier = {}
    ahead = {} if ahead is None else ahead
    # Longest first: the pool then finishes its last chunks at about the same time; one
    # whose layout was begun early and is not done yet last (it is waited for).
    def running(chunk: Chunk) -> bool:
        future = ahead.get(wanted[chunk.name].key)
        return future is not None and not future.done()

    for chunk in sorted(todo, key=lambda c: (running(c), -len(wanted[c.name].html))):
        want = wanted[chunk.name]
        canonical, canonical_figures, flow = want.canonical
        hit = None if estimate else \
            _ready(ahead, want.key, cache) or cache.get("pdf-chunk", want.key)
        if hit is not None and (hit.pdf is not None or not write):
            done[chunk.name] = _Done(want.key, hit, want.pad)
            continue
        found = cache.get("pdf-flow", flow)
        if found is None:
            searches[chunk.name] = pool.submit(lay_out, canonical, root, paper, False,
                                               canonical_figures)
            earlier[chunk.name] = cache.get("pdf-moves", last[chunk.name])
        if estimate:
            if found is not None:
                done[chunk.name] = _Done(flow, found, False)
            continue
        moves = found.moves if found else _carried(earlier[chunk.name], canonical)
        guesses[chunk.name] = moves
        finals[chunk.name] = pool.submit(lay_out, want.html, root, paper, write,
                                         want.figures, moves)
    idle = WORKERS - len(searches) - len(finals) - sum(not f.done() for f in ahead.values())
    for ident, html, figures, moves in early[:max(0, idle)]:
        if ident not in ahead:
            ahead[ident] = pool.submit(lay_out, html, root, paper, True, figures, moves)
    for name, future in searches.items():
        result = future.result()
        if result.errors:
            raise engine_problems(ctx, chunks_by_name[name], result.errors)
        want = wanted[name]
        cache.put("pdf-flow", want.canonical[2], result)
        # (with the HTML they were found on, to carry them to the chunk's next version)
        moved = (result.moves, want.canonical[0] if result.moves else "")
        if earlier[name] != moved:
            cache.put("pdf-moves", last[name], moved)
        if estimate:
            done[name] = _Done(want.canonical[2], result, False)
        elif result.moves != guesses[name]:  # laid out again, with the moves found
            finals[name] = pool.submit(lay_out, want.html, root, paper, write, want.figures,
                                       result.moves)
    for name, future in finals.items():
        result = future.result()
        if result.errors:
            raise engine_problems(ctx, chunks_by_name[name], result.errors)
        want = wanted[name]
        done[name] = _Done(want.key, result, want.pad)
        cache.put("pdf-chunk", want.key, result)  # a layout not written spares one pass later


def _carried(last: tuple[tuple, str] | None, canonical: str) -> tuple:
    """The moves the chunk's last search found (on the canonical HTML it had then), naming
    the same blocks of its canonical HTML now (pdf_flow.rebase); as found when some are gone,
    none when it had no search."""
    from qabook.render.pdf_flow import rebase

    if last is None:
        return ()
    moves, found_on = last
    rebased = rebase(moves, found_on, canonical) if found_on != canonical else moves
    return moves if rebased is None else rebased


def _ready(ahead: dict[str, Future], ident: str, cache: Cache) -> Laid | None:
    """The layout of this key begun a pass early (_guess), if it was and went well (then
    cached, as any layout)."""
    future = ahead.pop(ident, None)
    if future is None:
        return None
    result = future.result()
    if result.errors:
        return None  # (laid out again, to report them)
    cache.put("pdf-chunk", ident, result)
    return result


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
    for chunk in plan:
        first, blank, _ = starts[chunk.name]
        page_map.marks += [None] * blank  # a blank page has no content
        if len(page_map.marks) != first - 1:
            raise RuntimeError(f"the page map lost count at {chunk.name}")
        page_map.marks += results[chunk.name].marks[int(pads[chunk.name]):]
    return page_map


#: the print edition whose page numbers the EPUB carries: the whole book on A4, with solutions
EDITION = PrintOptions()


def edition_pages(ctx: RenderContext) -> list[tuple[str, str | None]]:
    """Every page of the print edition (EDITION) in order: its printed number ("iv", "17")
    and the name of the block where it starts (see render/pages.py; None for a page without
    content).

    The same pages the PDF of this book prints, whether or not that PDF is made in the same
    build: from the cache (what an earlier build found for this very book), else from the PDF
    renderer of this build (see _Shared), else laid out here the way the PDF renderer would,
    from the last map it left, writing nothing (layouts are cached for the PDF)."""
    cache = Cache(ctx.cache)
    ident = _edition_key(ctx)
    hit = cache.get("edition", ident)
    if hit is not None:
        return hit
    with _Shared(ctx.scratch) as shared:
        page_map = shared.read()
        if page_map is None:
            try:
                page_map = _edition_map(ctx, cache)
            except BrokenProcessPool:
                raise RenderError("a layout process of the print edition died (the system "
                                  "may have killed it)", NOWHERE, "environment.killed",
                                  "the system may be out of memory: run the build again") \
                    from None
            shared.leave(page_map)
    pages = page_map.edition()
    cache.put("edition", ident, pages)
    return pages


@dataclass(frozen=True)
class PagePreview:
    """One question's printed pages, for `qabook serve`: its chunk's PDF (skip its first
    `pad` pages: a pad page the merge drops), the printed number of its first page, and the
    layout checks' findings as warnings."""

    pdf: bytes
    pad: int
    first: str
    warnings: tuple[Diagnostic, ...]


def preview(ctx: RenderContext, anchor: str, pool: ProcessPoolExecutor) -> PagePreview:
    """The print edition's chunk of the question at `anchor`, laid out and written by the
    build's own functions (print HTML, chunk HTML, page flow, layout; each cached as a build
    caches it) in `pool` (make it with `pool()`), but alone: its page numbers and those of
    what it links to come from the last map a build of the edition left (none: unknown), and
    nothing is merged."""
    options, selection, cache = EDITION, Selection(), Cache(ctx.cache)
    data = page_data(ctx, selection, cache)
    _titles(ctx, data, selection, options)
    plan = chunks(data)
    chunk = next(c for c in plan if c.name == f"question-{anchor}")
    map_key = key("pdf-map", options.filename(ctx.config.slug), [c.name for c in plan])
    page_map = cache.get("pdf-map", map_key) or PageMap()
    bodies = Bodies(_environment(), data)
    start = page_map.starts(plan)[chunk.name]
    html = chunk_html(bodies, chunk, start, page_map)
    canonical = _canonical(ctx, options, bodies, chunk)
    want = _Want(key("pdf-chunk", html, options.paper, canonical[1], canonical[2]), html,
                 start[2], canonical[1], canonical)
    done: dict[str, _Done] = {}
    _lay_out_all(ctx, options, cache, pool, [chunk], {chunk.name: want}, done, True)
    laid = done[chunk.name].result
    return PagePreview(laid.pdf, int(start[2]), page_map.page_label(start[0]),
                       layout_warnings(ctx, [chunk], {chunk.name: laid}))


def pool() -> ProcessPoolExecutor:
    """A pool of layout workers (WeasyPrint loaded; they die with this process)."""
    return _pool()


def _edition_key(ctx: RenderContext) -> str:
    """What the print edition's pages depend on: the book as checked (and qabook's code)."""
    return key("edition", inputs("pdf", replace(ctx, options={"pdf": EDITION})))


def _edition_map(ctx: RenderContext, cache: Cache) -> PageMap:
    """The print edition's page map, laid out in this process's own pool."""
    selection = Selection()
    with _pool() as pool:
        from qabook.render.pdf_layout import warm_up

        for _ in range(WORKERS):
            pool.submit(warm_up, ctx.root, EDITION.paper, ctx.config.language, False)
        data = page_data(ctx, selection, cache)
        _titles(ctx, data, selection, EDITION)
        plan = chunks(data)
        map_key = key("pdf-map", EDITION.filename(ctx.config.slug), [c.name for c in plan])
        page_map = cache.get("pdf-map", map_key) or PageMap()
        *_, page_map = _converge(ctx, EDITION, cache, pool, _environment(), data, plan,
                                 page_map, write=False)
    cache.put("pdf-map", map_key, page_map)
    return page_map


class _Shared:
    """The print edition's page map, handed from one renderer process of a build to another
    through the build's scratch folder: whoever holds the lock first lays the book out and
    leaves the map, the other reads it (the PDF as the map it starts from, which is final).
    The PDF takes the lock as it starts; the EPUB only at the end of its own work, so in a
    build of both the PDF is first and the book is laid out once. A renderer that dies lets
    go of the lock with its process. None: nothing is shared (a handout, no scratch folder)."""

    LOCK = "edition.lock"
    MAP = "edition-map.json"

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._fd: int | None = None

    def __enter__(self) -> "_Shared":
        if self.folder is not None:
            self._fd = os.open(self.folder / self.LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                               0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc) -> None:
        self._release()

    def _release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)  # for the workers that inherited it too
            os.close(self._fd)
            self._fd = None

    def read(self) -> PageMap | None:
        """The map a renderer of this build left, if any."""
        if self._fd is None:
            return None
        try:
            found = json.loads((self.folder / self.MAP).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return PageMap(pages=found["pages"], anchors=found["anchors"], front=found["front"],
                       marks=found["marks"])

    def leave(self, page_map: PageMap) -> None:
        """Leave the converged map for the other renderer, and let it go on."""
        if self._fd is None:
            return
        text = json.dumps({"pages": page_map.pages, "anchors": page_map.anchors,
                           "front": page_map.front, "marks": page_map.marks})
        atomic_write(self.folder / self.MAP, lambda handle: handle.write(text.encode("utf-8")))
        self._release()


def _pool() -> ProcessPoolExecutor:
    from qabook.render.pdf_layout import MEMORY

    return ProcessPoolExecutor(max_workers=WORKERS, initializer=worker, initargs=(os.getpid(), MEMORY),
                               mp_context=multiprocessing.get_context("fork"))


WORKERS = max(1, min(os.cpu_count() or 1, 4))


def _metadata(ctx: RenderContext, data) -> dict[str, str]:
    config = ctx.config
    stamp = f"D:{config.date.strftime('%Y%m%d')}000000Z"
    return {"/Title": data["title"], "/Author": ", ".join(config.authors),
            "/Subject": data["subject"], "/Keywords": ", ".join(config.subjects),
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


def _handout_name(ctx: RenderContext, selection: Selection) -> str:
    """What a handout prints, when no handout set of book.yaml names it."""
    say = words(ctx.config.language)
    if selection.whole:
        return say.say("All {count} Questions", count=len(ctx.book.questions))
    parts = [say.chapter_heading(c.number, c.title) for c in ctx.book.chapters
             if c.number in selection.chapters]
    singles = [q for q in ctx.book.questions if q.number in selection.questions]
    if len(singles) == 1 and not parts:
        return f"{singles[0].label} {singles[0].title}"
    return ", ".join(parts + [q.label for q in singles])
