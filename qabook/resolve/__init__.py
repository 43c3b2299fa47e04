"""Resolve: number everything, build the label table, check references, make links.

The only stage that knows what a reference points to. Its output, ResolvedBook, is all a
renderer sees: content whose cross-references are `Link`s of class `xref` (with the target's
kind and, for questions, its title) and whose figures, tables, equations and headings carry
their final ids and numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from qabook import ast
from qabook.diagnostics import Diagnostics
from qabook.words import Words, words
from qabook.model.nodes import Book, Document, Matter, Question, Target
from qabook.resolve.labels import label_table, number_book
from qabook.model.inlines import XREF_CLASS
from qabook.resolve.refs import check_citations, check_refs, link

__all__ = ["ResolvedBook", "resolve", "link"]


@dataclass(frozen=True)
class ResolvedBook:
    """The book with every reference resolved; what renderers consume."""

    book: Book
    labels: dict[str, Target]

    @property
    def config(self):
        return self.book.config

    def question(self, number: int) -> Question:
        return next(q for q in self.book.questions if q.number == number)


def resolve(book: Book, diags: Diagnostics) -> ResolvedBook:
    """Resolve the book, reporting every problem; the content is rewritten even when some
    references fail, so that all of them are reported in one run."""
    book = number_book(book)
    say = words(book.config.language)
    labels = label_table(book, diags, say)
    keys = book.bibliography.keys if book.bibliography else {}
    ids = _Ids()
    front = tuple(_matter(m, labels, keys, ids, diags, say) for m in book.front)
    chapters = tuple(
        replace(c, questions=tuple(_question(q, labels, keys, ids, diags, say) for q in c.questions))
        for c in book.chapters)
    back = tuple(_matter(m, labels, keys, ids, diags, say) for m in book.back)
    book = replace(book, front=front, chapters=chapters, back=back)
    _warn_unused(book, diags)
    return ResolvedBook(book, labels)


DECORATIVE = ("Span", "Code", "CodeBlock", "Link", "Div")  #: whose ids are the author's own


class _Ids:
    """Heading ids made unique across the book (the EPUB is one id space)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def claim(self, wanted: str) -> str:
        ident, n = wanted, 1
        while ident in self.used:
            n += 1
            ident = f"{wanted}-{n}"
        self.used.add(ident)
        return ident


def _question(q: Question, labels, keys, ids: _Ids, diags: Diagnostics, say: Words) -> Question:
    rewrite = _rewriter(q.doc, labels, keys, ids, q.anchor, diags, say)
    exercises = tuple(replace(e, prompt=rewrite(e.prompt), solution=rewrite(e.solution))
                      for e in q.exercises)
    return replace(q, prompt=rewrite(q.prompt), summary=rewrite(q.summary), body=rewrite(q.body),
                   exercises=exercises)


def _matter(m: Matter, labels, keys, ids: _Ids, diags: Diagnostics, say: Words) -> Matter:
    rewrite = _rewriter(m.doc, labels, keys, ids, ids.claim(m.ident), diags, say)
    return replace(m, blocks=rewrite(m.blocks))


def _rewriter(doc: Document, labels, keys, ids: _Ids, namespace: str, diags: Diagnostics,
              say: Words):
    """A function that resolves one piece of the document's content."""
    targets = check_refs(doc, labels, diags)
    check_citations(doc, keys, diags)
    numbered = {"Figure": doc.figures, "Table": doc.tables, "Span": doc.equations}

    def visit(node: dict) -> Any:
        kind = node["t"]
        if kind == "Span" and XREF_CLASS in node["c"][0][1]:  # a reference: its link
            target = targets[int(ast.kv(node["c"][0])["ref"])]
            return link(target) if target is not None else ast.walk(node["c"][1], visit)
        if kind in numbered and node["c"][0][2] and node["c"][0][2][-1][0] == "n":
            attr = node["c"][0]
            item = numbered[kind][int(attr[2][-1][1]) - 1]
            new = {"t": kind, "c": list(node["c"])}
            new["c"][0] = [item.anchor, attr[1], attr[2][:-1] + [["number", item.number]]]
            new["c"][1:] = ast.walk(node["c"][1:], visit)
            return _label_numbered(new, item.number, say)
        if kind == "Header":
            level, attr, content = node["c"]
            anchor = ids.claim(f"{namespace}-{attr[0] or 'section'}")
            return ast.Header(level, [anchor, attr[1], attr[2]], ast.walk(content, visit))
        if kind in DECORATIVE and node["c"][0][0] and not (kind == "Div" and node["c"][0][1]):
            # an author's id that names nothing a reference can reach: kept, in the
            # question's namespace, so that it never takes a label's or the book's anchor
            attr = node["c"][0]
            new = {"t": kind, "c": [[ids.claim(f"{namespace}-{attr[0]}"), attr[1], attr[2]],
                                    *node["c"][1:]]}
            new["c"][1:] = ast.walk(new["c"][1:], visit)
            return new
        return None

    def rewrite(content: Any) -> tuple:
        return tuple(ast.walk(list(content), visit))

    return rewrite


def _label_numbered(node: dict, number: str, say: Words) -> dict:
    """Put "Figure 17.2." before a caption, "Table 17.1." before a table's, "(17.1)" after math."""
    kind = node["t"]
    if kind == "Span":
        node["c"][1] = node["c"][1] + [ast.Span(ast.attr("", ["equation-number"]),
                                                [ast.Str(f"({number})")])]
        return node
    word = say.figure(number) if kind == "Figure" else say.table(number)
    label = ast.Span(ast.attr("", ["caption-label"]), ast.text_inlines(f"{word}."))
    caption = node["c"][1][1]
    first = caption[0]["c"] if caption and caption[0]["t"] in ("Plain", "Para") else []
    rest = caption[1:] if first or not caption else caption
    node["c"][1] = [node["c"][1][0], [ast.Plain([label, ast.SPACE] + first)] + rest]
    return node


def _warn_unused(book: Book, diags: Diagnostics) -> None:
    referenced = {ref.target for doc in book.documents for ref in doc.refs}
    for doc in book.documents:
        for figure in doc.figures:
            if not figure.label:
                diags.warning(figure.location, "figure.unlabeled", "figure has no label",
                              "give it {#fig-…} and refer to it from the text with @fig-…")
            elif figure.label not in referenced:
                diags.warning(figure.location, "figure.unreferenced",
                              f"figure '{figure.label}' is never referenced",
                              f"refer to it from the text with @{figure.label}")
    if book.bibliography is not None and book.complete:
        cited = {c.key for doc in book.documents for c in doc.citations}
        for key, location in book.bibliography.keys.items():
            if key not in cited:
                diags.warning(location, "bib.unused", f"bibliography entry '{key}' is never cited",
                              "cite it where its idea appears, or remove it")
