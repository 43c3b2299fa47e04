"""Page markers: names for the blocks a print page can start with, the same in print and EPUB.

The EPUB carries the print edition's page numbers (a page list and page-break markers). Both
writers write the same resolved content, so each piece of it (a question's prompt, summary,
body, an exercise's prompt and solution, the restated prompts of the appendices, a matter's
text) is marked the same way before it is written: every block that can start a page gets a
name, `pg-<part>-<n>`, numbered in document order within its part.

- a paragraph (Para, Plain, the first line of a LineBlock) gets an empty Span carrying the
  name as its first inline: `<p><span data-pg="…"></span>…`, or, when it starts with a
  display formula, the formula's Span carries it;
- a heading, code block, table or figure carries the name as an attribute of its own
  (`data-pg`), never in its text: the EPUB's navigation copies heading text;
- blocks inside a figure or in footnotes are not marked (a figure does not break across
  pages; footnotes are set apart from the text in both editions).

pandoc writes the attribute `pg` as `data-pg` in HTML and in the EPUB's XHTML. In print,
the marker is neither an id nor styled, so it makes no anchor, no destination and no mark on
the page; the layout reads it off the page's first block (pdf_layout.first_marks). In the
EPUB, epub_pages.insert turns the markers of page starts into page-break markers and drops
the others. The Anki deck never gets markers.

Besides these, names the print templates and the EPUB's own blocks share (functions below)
and ids both editions give the same thing (a question's, an exercise's or a solution's
anchor, a chapter's, a matter's, `appendix-a`, `references`, a reference entry's `ref-…`)
name where a page starts.
"""

from __future__ import annotations

import itertools
from typing import Any

from qabook import ast

KEY = "pg"  #: the pandoc attribute; HTML writers write it as data-pg
ATTRIBUTE = "data-pg"  #: the marker's attribute in HTML and XHTML
PREFIX = "pg-"  #: every marker name starts with it (ids of the book never do)

#: blocks marked with an attribute of their own (they have one in pandoc's AST)
OWN_ATTRIBUTE = {"Header": 1, "CodeBlock": 0, "Table": 0, "Figure": 0}  # index of the Attr
#: blocks whose content is more blocks (marked inside): index of the blocks, or None for all
CONTAINERS = ("BlockQuote", "Div", "BulletList", "OrderedList", "DefinitionList")


def mark(blocks: Any, part: str) -> list[Any]:
    """The blocks with every block that can start a page marked `pg-<part>-<n>` (n from 1,
    in document order); part must be unique in the book (see the names below)."""
    numbers = itertools.count(1)

    def name() -> str:
        return f"{PREFIX}{part}-{next(numbers)}"

    def block(node: dict) -> dict:
        kind, content = node["t"], node.get("c")
        if kind in ("Para", "Plain"):
            if content and _is_equation(content[0]):  # the formula carries it (see below)
                ident, classes, kvs = content[0]["c"][0]
                first = ast.Span([ident, classes, [*kvs, [KEY, name()]]], content[0]["c"][1])
                return {"t": kind, "c": [first, *content[1:]]}
            return {"t": kind, "c": [marker(name()), *content]}
        if kind == "LineBlock":
            lines = [list(line) for line in content]
            if lines:
                lines[0] = [marker(name()), *lines[0]]
            return {"t": kind, "c": lines}
        if kind in OWN_ATTRIBUTE:
            at = OWN_ATTRIBUTE[kind]
            ident, classes, kvs = content[at]
            new = list(content)
            new[at] = [ident, classes, [*kvs, [KEY, name()]]]
            if kind == "Table":  # a table breaks across pages: its cells are marked too
                new[at + 1:] = blocks_in(new[at + 1:])
            return {"t": kind, "c": new}
        if kind in CONTAINERS:
            return {"t": kind, "c": blocks_in(content)}
        return node  # HorizontalRule, RawBlock (refused by the model), …

    def blocks_in(value: Any) -> Any:
        """Every list of blocks inside value marked, in document order."""
        if isinstance(value, list):
            if value and all(isinstance(item, dict) and "t" in item for item in value):
                return [block(item) for item in value]
            return [blocks_in(item) for item in value]
        if isinstance(value, dict) and "t" not in value:
            return value
        if isinstance(value, dict):  # a block where blocks are expected (never an inline)
            return block(value)
        return value

    return [block(node) for node in blocks]


def _is_equation(node: dict) -> bool:
    """A display formula (the model wraps each in a Span of class "equation"): in print it
    is a block, and an empty span before it would open a line of its own that keeps the
    formula's margins from collapsing with the paragraph's (WeasyPrint), moving what follows.
    A paragraph that starts with one is marked on the formula instead."""
    return node.get("t") == "Span" and "equation" in node["c"][0][1]


def marker(name: str) -> dict:
    """The empty Span that marks the paragraph it starts."""
    return ast.Span(ast.attr("", [], [[KEY, name]]), [])


# Names of the marked pieces: one function per piece, used by both writers.

def prompt(question) -> str:
    return f"{question.anchor}-prompt"


def summary(question) -> str:
    return f"{question.anchor}-summary"


def body(question) -> str:
    return f"{question.anchor}-body"


def prompt_again(question) -> str:  # Appendix B restates it
    return f"{question.anchor}-prompt-again"


def exercise(exercise) -> str:
    return f"{exercise.anchor}-prompt"


def exercise_again(exercise) -> str:  # Appendix A restates it
    return f"{exercise.anchor}-prompt-again"


def solution(exercise) -> str:
    return f"{exercise.anchor}-solution"


def matter(matter) -> str:
    return f"{matter.ident}-text"


# Names of blocks the writers add around the book's content (whole names, not parts).

COPYRIGHT = "copyright"  #: the copyright page (the EPUB's heading has this id)


def appendix_chapter(appendix: str, chapter) -> str:
    """A chapter's heading in an appendix (the EPUB's heading has this id)."""
    return f"{appendix}-{chapter.anchor}"


def quiz(question) -> str:
    """The quiz heading of a question (the EPUB's heading has this id)."""
    return f"{question.anchor}-quiz"


def to_solution(exercise) -> str:
    """The line after an exercise that points to its solution."""
    return f"{PREFIX}{exercise.anchor}-to-solution"


def entry(question) -> str:
    """A question's entry in Appendix B (its title line)."""
    return f"{PREFIX}{question.anchor}-entry"


def is_marker(name: str) -> bool:
    return name.startswith(PREFIX)
