"""The print writer: resolved content to HTML for WeasyPrint, and the page's data for Jinja.

Math becomes SVG images on the baseline, footnotes become `float: footnote` spans next to
their calls, cross-references become links with ids (so the layout passes can tell which
ones land on their own page), and references to parts left out of a handout become text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from html import escape
from typing import Any

from qabook import ast
from qabook.cache import NO_CACHE, Cache, key
from qabook.model.attributes import is_cloze, plain_cloze
from qabook.model.nodes import Chapter, Question
from qabook.render import RenderContext, RenderError, book_inputs
from qabook.render import html as writer
from qabook.render import markup, pages, source_lines
from qabook.render.epub_ast import QUESTIONS_ID, SOLUTIONS_ID
from qabook.diagnostics import Location
from qabook.resources import TEMPLATES
from qabook.tex.draw import MathError, draw as draw_math
from qabook.tex.words import words as formula_words
from qabook.words import Words, words

def print_words(say: Words) -> dict[str, str]:
    """The print book's own words, in the book's language (qabook/words.py)."""
    page = say.say("p.")
    return {
        "contents": say.say("Contents"), "quiz": say.say("Quiz"),
        "solution_on": say.say("Solution on p.") + "\u00a0", "exercise_on": page + "\u00a0",
        "appendix_a": say.solutions_appendix(), "appendix_b": say.questions_appendix(),
        "references": say.say("References"),
        # a handout's own solutions: it has no appendices
        "quiz_solutions": say.say("Quiz Solutions"),
        "questions_here": say.say("In this chapter"),
        "copyright": say.say("Copyright"),
        # true of the print edition only: it embeds these faces (the EPUB uses the reader's)
        "typeset": say.say("Typeset in Source Serif 4, Source Sans 3 and Source Code Pro "
                           "(SIL Open Font License)."),
        "name": say.say("Name"), "date": say.say("Date"),
        # after a cross-reference to another page: ", p. " before its number (a CSS rule in
        # the chunk's <style>, templates/pdf/chunk.html: the stylesheet carries no words)
        "page_after": f", {page}\u00a0",
    }


class PrintError(RenderError):
    """A formula that passed `check` and still cannot be drawn (a bug in the math check)."""

    def __init__(self, path: str, message: str):
        super().__init__(message, Location(path), "math.invalid",
                         "`qabook check` should have caught this; report it")


@dataclass(frozen=True)
class Selection:
    """What a print run holds: the whole book, or a handout (qabook/handouts.py) of chapters
    or questions, or of every question."""

    chapters: tuple[int, ...] = ()
    questions: tuple[int, ...] = ()
    kind: str = "book"  #: book, handout, worksheet or answer-key

    @property
    def whole(self) -> bool:
        return not self.chapters and not self.questions

    @property
    def book(self) -> bool:
        """The book itself: its front and back matter, chapter openers, appendices."""
        return self.kind == "book"

    @property
    def solutions(self) -> bool:
        return self.kind != "worksheet"

    def keeps(self, question: Question) -> bool:
        return self.whole or question.chapter in self.chapters or question.number in self.questions


@dataclass
class _State:
    """Numbering inside one document: ids stay the same when other questions change."""

    prefix: str
    anchors: set[str]
    cache: Cache = NO_CACHE
    xrefs: int = 0
    notes: int = 0
    problems: list[PrintError] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)  #: the document's, by fingerprint
    #: (TeX, display) -> (words, linear form) of each formula, for the tagged PDF
    words: dict[tuple[str, bool], tuple[str, str]] = field(default_factory=dict)


def page_data(ctx: RenderContext, selection: Selection, cache: Cache = NO_CACHE) -> dict[str, Any]:
    """Everything the print templates show, with HTML fragments written by pandoc (formulas
    come drawn from the cache, where `check` put them)."""
    book = ctx.book
    chapters = [(c, [q for q in c.questions if selection.keeps(q)]) for c in book.chapters]
    chapters = [(c, qs) for c, qs in chapters if qs]
    questions = [q for _, qs in chapters for q in qs]
    front = list(book.front) if selection.book else []
    back = list(book.back) if selection.book else []
    anchors = _anchors(ctx, questions, front + back, selection)
    # A question's (or matter's) HTML is a function of its text, of the anchors printed and
    # of book_inputs: when none of them changed, it is not rebuilt.
    shared = key("print-html", sorted(anchors), book_inputs(ctx))
    html: dict[str, dict[str, str]] = {}
    todo = []
    for maker, item in [(_matter_doc, m) for m in front + back] + [
            (_question_doc, q) for q in questions]:
        prefix = item.anchor if isinstance(item, Question) else item.ident
        ident = key(shared, prefix, item.doc.digest)
        hit = cache.get("print-html", ident)
        if hit is not None:
            html[prefix] = hit
        else:
            todo.append((maker, item, prefix, ident))
    documents, problems = [], []
    said = formula_words([(f.tex, f.display) for _, item, _, _ in todo
                          for f in item.doc.formulas], cache) if todo else {}
    for maker, item, prefix, _ in todo:
        state = _State(prefix, anchors, cache, words=said)
        documents.append(maker(item, state))
        problems += state.problems
    documents.append(_bibliography_doc(questions, front + back, selection))
    if problems:
        raise problems[0]
    written = writer.write(documents, book.bibliography, ctx.config.language, math="plain",
                           link_citations=True, cache=cache)
    html.update({doc.prefix: {name: source_lines.finish(text) for name, text in
                              _unprefix_links(doc.prefix, parts, anchors).items()}
                 for doc, parts in zip(documents, written)})
    for _, _, prefix, ident in todo:
        cache.put("print-html", ident, html[prefix])
    say = words(ctx.config.language)
    said = print_words(say)
    return {
        "config": ctx.config, "words": said, "say": say, "selection": selection,
        "date": _date(say, ctx.config.date, cache),
        "solutions_title": said["appendix_a"] if selection.book else said["quiz_solutions"],
        # Appendix A is printed (and listed in the contents) only when it has a solution
        "solutions": selection.solutions and any(q.exercises for q in questions),
        "marks": {"copyright": pages.COPYRIGHT},  # where a page starts, named as in the EPUB
        "front": [_matter(m, html) for m in front],
        "back": [_matter(m, html) for m in back],
        "chapters": [_chapter(c, qs, html, say) for c, qs in chapters],
        "references": html["bibliography"][writer.REFS],
    }


def _date(say: Words, day, cache: Cache) -> str:
    """The book's date as its language writes it. Babel loads its locale's data for that, a
    tenth of a second or more: on an edit's path to the PDF, so the words are cached."""
    ident = key("print-date", say.language, say.locale, day.isoformat())
    said = cache.get("print-date", ident)
    if not isinstance(said, str):
        said = say.date(day)
        cache.put("print-date", ident, said)
    return said


def _anchors(ctx: RenderContext, questions: list[Question], matters,
             selection: Selection) -> set[str]:
    """Every id a link may point at in this print document."""
    kept = {q.number for q in questions}
    anchors = {t.anchor for t in ctx.resolved.labels.values() if t.question in kept or
               (t.question == 0 and matters)}
    anchors |= {q.anchor for q in questions}
    if selection.kind in ("worksheet", "answer-key"):  # only what they print
        printed = {e.anchor for q in questions for e in q.exercises}
        if selection.solutions:
            printed |= {e.solution_anchor for q in questions for e in q.exercises}
        printed |= {q.anchor for q in questions} | _ids(_printed_parts(questions, selection))
        anchors &= printed
    return anchors


def _printed_parts(questions: list[Question], selection: Selection) -> list[Any]:
    """The blocks a worksheet or an answer key prints of its questions."""
    parts: list[Any] = []
    for q in questions:
        parts += [q.prompt] + [e.prompt for e in q.exercises]
        if selection.kind == "answer-key":
            parts += [q.summary] + [e.solution for e in q.exercises]
    return parts


#: where a node's Attr is in pandoc's AST (its id is the Attr's first item)
_ATTR_AT = {"Header": 1, "Div": 0, "Span": 0, "Figure": 0, "Table": 0, "CodeBlock": 0,
            "Code": 0, "Image": 0, "Link": 0}


def _ids(blocks: Any) -> set[str]:
    """Every id given in pandoc AST blocks."""
    found = set()
    for node in ast.iter_nodes(blocks):
        index = _ATTR_AT.get(node["t"])
        if index is not None and node["c"][index][0]:
            found.add(node["c"][index][0])
    return found


def _cited(blocks: Any) -> set[str]:
    """The keys of every work cited in pandoc AST blocks."""
    return {c["citationId"] for node in ast.iter_nodes(blocks) if node["t"] == "Cite"
            for c in node["c"][0]}


def _matter_doc(matter, state: _State) -> writer.HtmlDocument:
    state.positions = dict(matter.doc.positions)
    blocks = pages.mark(matter.blocks, pages.matter(matter))
    return writer.HtmlDocument(matter.ident, {"body": _print(blocks, state, 1, matter.doc.path)},
                               Location(matter.doc.path))


def _question_doc(q: Question, state: _State) -> writer.HtmlDocument:
    path = q.doc.path
    state.positions = dict(q.doc.positions)
    mark = pages.mark  # the blocks a page can start with, named as in the EPUB
    parts = {"prompt": _print(mark(q.prompt, pages.prompt(q)), state, 0, path),
             # Appendix B prints it again
             "prompt-again": _print(mark(q.prompt, pages.prompt_again(q)), state, 0, path),
             "summary": _print(mark(q.summary, pages.summary(q)), state, 0, path),
             "body": _print(mark(q.body, pages.body(q)), state, 1, path)}
    for e in q.exercises:
        parts[f"ex-{e.letter}"] = _print(mark(e.prompt, pages.exercise(e)), state, 3, path)
        parts[f"ex-{e.letter}-again"] = _print(mark(e.prompt, pages.exercise_again(e)), state,
                                               3, path)  # and Appendix A
        parts[f"sol-{e.letter}"] = _print(mark(e.solution, pages.solution(e)), state, 3, path)
    return writer.HtmlDocument(q.anchor, parts, Location(path))


def _bibliography_doc(questions: list[Question], matters,
                      selection: Selection) -> writer.HtmlDocument:
    """A document citing every work the printed parts cite: its bibliography is the book's
    (a worksheet's or answer key's: the works its prompts, summaries and solutions cite)."""
    if selection.kind in ("worksheet", "answer-key"):
        keys = sorted(_cited(_printed_parts(questions, selection)))
    else:
        keys = sorted({c.key for doc in [q.doc for q in questions] + [m.doc for m in matters]
                       for c in doc.citations})
    cites = [{"citationId": k, "citationPrefix": [], "citationSuffix": [],
              "citationMode": {"t": "NormalCitation"}, "citationNoteNum": 0, "citationHash": 0}
             for k in keys]
    content = [ast.Para([{"t": "Cite", "c": [cites, []]}])] if keys else []
    return writer.HtmlDocument("bibliography", {"cites": content})


GLOBAL_ID = re.compile(r"(xr|fnc?)-[\w-]+-\d+$")  # ours, unique in the print document


def _unprefix_links(prefix: str, parts: dict[str, str], anchors: set[str]) -> dict[str, str]:
    """Undo pandoc's id prefix where ids are the book's: labelled figures, tables and
    equations, links to them, cross-reference and footnote ids (numbered book-wide), and
    citations (which point at the one References section). The bibliography's entries, in
    its reference list, take the ids the citations point at. Only real tags are read
    (render/markup.py): text that looks like an id is text."""
    def fix(name: str, text: str) -> str:
        own = f"{prefix}-{name}-"
        # a citation's target: in any link, and in the ids of the bibliography's entries
        entries = prefix == "bibliography" and name == writer.REFS

        def bare(value: str, link: bool) -> str | None:
            ident = value.removeprefix(own)
            if ident != value and (ident in anchors or GLOBAL_ID.match(ident) or
                                   ((link or entries) and ident.startswith("ref-"))):
                return ident
            return None

        changes = []
        for tag in markup.tags(text):
            attrs = dict(tag.attrs)
            if (ident := bare(attrs.get("id") or "", False)) is not None:
                attrs["id"] = ident
            href = attrs.get("href") or ""
            if href.startswith("#") and (target := bare(href[1:], True)) is not None:
                attrs["href"] = "#" + target
            if attrs != tag.attrs:
                changes.append((tag, markup.start_tag(tag.name, attrs, tag.empty)))
        return markup.replace(text, changes)

    return {name: fix(name, text) for name, text in parts.items()}


def _print(content, state: _State, shift: int, path: str) -> list[Any]:
    """Content transformed for print: math, footnotes, cross-references, heading levels."""
    def visit(node: dict) -> Any:
        kind = node["t"]
        if kind == "Math":
            return _math(node, state, path)
        if kind == "Note":
            return _footnote(node, state, path, shift)
        if writer.is_xref(node):
            return _xref(node, state)
        if is_cloze(node):  # a key term marked for the cloze card prints as plain text
            return plain_cloze(node, ast.walk(node["c"][1], visit))
        if kind in ("Para", "Plain", "CodeBlock"):  # where it is written, for the checks
            return source_lines.locate(node, state.positions, path, visit)
        if kind == "Header" and shift:
            level, attr, text = node["c"]
            return ast.Header(min(level + shift, 6), attr, ast.walk(text, visit))
        return None

    return ast.walk(list(content), visit)


def _math(node: dict, state: _State, path: str) -> Any:
    display = node["c"][0]["t"] == "DisplayMath"
    tex = node["c"][1]
    ident = key("math", tex, display)
    image = state.cache.get("math", ident)
    if image is None:
        image = draw_math((tex, display))  # held to its budget of time
        if isinstance(image, MathError):
            state.problems.append(PrintError(path, f"cannot draw ${tex}$: {image}"))
            return ast.Str(tex)
        state.cache.put("math", ident, image)
    css = "math display" if display else "math inline"
    said, text = state.words.get((tex, display)) or formula_words([(tex, display)],
                                                                  state.cache)[(tex, display)]
    html = image.img(tex, css)
    # Tagged PDF (issue 18, tags): the formula is one Formula element whose /Alt is its
    # words and /ActualText its linear form; the linear form is also drawn in transparent
    # text over the drawing (sized to its width), so that search, copy and pdftotext find it.
    shown = _drawable(text)
    size = min(1.25, max(0.2, image.width / _width(shown))) if shown else 1
    hidden = (f'<span class="math-text" aria-hidden="true" style="font-size:{size:.3f}em">'
              f'{escape(shown)}</span>') if shown else ""
    data = (f'data-pdf-role="Formula" data-pdf-alt="{escape(said, quote=True)}" '
            f'data-pdf-actualtext="{escape(text, quote=True)}"')
    return {"t": "RawInline", "c": ["html", f'<span class="math-block formula" {data}>{hidden}'
                                    f'{html}</span>' if display else
                                    f'<span class="formula" {data}>{hidden}{html}</span>']}


#: the face of the hidden text of formulas (book.css, .math-text)
HIDDEN_FACE = TEMPLATES / "fonts" / "SourceSerif4-Regular.otf"


@functools.lru_cache(maxsize=1)
def _metrics() -> tuple[dict[int, str], dict[str, float]]:
    """The hidden text's face: its character map and each glyph's advance in em."""
    from fontTools.ttLib import TTFont

    with TTFont(HIDDEN_FACE, lazy=True) as font:
        units = font["head"].unitsPerEm
        return (dict(font.getBestCmap()),
                {glyph: advance / units for glyph, (advance, _) in font["hmtx"].metrics.items()})


#: characters the hidden face lacks, written with those it has
LACKING = {"‖": "||", "∥": "||", "⊤": "T", "ℓ": "l"}


def _drawable(text: str) -> str:
    """text in characters the hidden face has (no other font may be pulled in): a letter it
    lacks (ℒ, ℝ) as its plain form (L, R), else left out."""
    cmap, _ = _metrics()
    out = []
    for char in text:
        for form in (char, LACKING.get(char, ""), unicodedata.normalize("NFKC", char)):
            if form and all(ord(c) in cmap for c in form):
                out.append(form)
                break
    return " ".join("".join(out).split())


def _width(text: str) -> float:
    """The width of text in the hidden face, in em."""
    cmap, advances = _metrics()
    return max(0.05, sum(advances[cmap[ord(c)]] for c in text))


def _footnote(node: dict, state: _State, path: str, shift: int) -> list[Any]:
    state.notes += 1
    inlines: list[Any] = []
    for block in _print(node["c"], state, shift, path):
        if block["t"] in ("Para", "Plain"):
            if inlines:
                inlines.append(ast.SPACE)
            inlines.extend(block["c"])
    n = f"{state.prefix}-{state.notes}"
    return [ast.Span(ast.attr(f"fnc-{n}", ["fn-call"]), []),
            ast.Span(ast.attr(f"fn-{n}", ["fn"], [["pdf-role", "Note"]]), inlines)]


def _xref(node: dict, state: _State) -> Any:
    anchor = node["c"][2][0][1:]
    if anchor not in state.anchors:  # left out of this handout: keep the words, drop the link
        return ast.Span(ast.attr("", ["xref", "elsewhere"]), node["c"][1])
    state.xrefs += 1
    attr = node["c"][0]
    return ast.Link([f"xr-{state.prefix}-{state.xrefs}", attr[1], attr[2]], node["c"][1],
                    f"#{anchor}", node["c"][2][1])


def _matter(matter, html: dict) -> dict[str, Any]:
    return {"anchor": matter.ident, "title": matter.title, "html": html[matter.ident]["body"]}


def _chapter(chapter: Chapter, questions: list[Question], html: dict,
             say: Words) -> dict[str, Any]:
    return {"anchor": chapter.anchor, "label": say.chapter(chapter.number),
            "heading": say.chapter_heading(chapter.number, chapter.title),
            "title": chapter.title,
            "questions": [_question(q, html[q.anchor], say) for q in questions],
            "marks": {"solutions": pages.appendix_chapter(SOLUTIONS_ID, chapter),
                      "questions": pages.appendix_chapter(QUESTIONS_ID, chapter)}}


#: a worksheet's space to write: ruled lines, one per WORDS_PER_LINE words of the book's own
#: short answer (the summary for the prompt, a solution's first paragraph for a quiz item),
#: within these bounds. A handwritten line on the measure holds about 10 words.
WORDS_PER_LINE = 10
PROMPT_LINES = (4, 12)
ITEM_LINES = (4, 10)


def writing_lines(blocks: Any, bounds: tuple[int, int]) -> int:
    """How many ruled lines a worksheet leaves for an answer as long as blocks."""
    words = ast.word_count(blocks)
    return min(bounds[1], max(bounds[0], -(-words // WORDS_PER_LINE)))


def _question(q: Question, parts: dict[str, str], say: Words) -> dict[str, Any]:
    return {
        "number": q.number, "chapter": q.chapter,
        "lines": writing_lines(q.summary or q.body[:1], PROMPT_LINES),
        "anchor": q.anchor, "label": q.label, "title": q.title, "prompt": parts["prompt"],
        "prompt_again": parts["prompt-again"],
        "summary": parts["summary"], "body": parts["body"],
        "marks": {"quiz": pages.quiz(q), "entry": pages.entry(q)},
        "exercises": [{"anchor": e.anchor, "label": say.exercise(e.number),
                       "solution_anchor": e.solution_anchor, "prompt": parts[f"ex-{e.letter}"],
                       "prompt_again": parts[f"ex-{e.letter}-again"],
                       "solution": parts[f"sol-{e.letter}"],
                       "lines": writing_lines(e.solution[:1], ITEM_LINES),
                       "to_solution": pages.to_solution(e)} for e in q.exercises],
    }
