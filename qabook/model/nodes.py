"""The book as plain data: frozen dataclasses whose content is pandoc AST, with source locations.

Content (`Blocks`, `Inlines`) is pandoc JSON. Cross-references inside it are placeholders
(a Span of class `qabook-xref` whose `ref` attribute indexes the owning document's `refs`)
until the resolve stage turns them into links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from qabook.config import BookConfig
from qabook.diagnostics import Location
from qabook.load import Bibliography
from qabook.load.history import History
from qabook.tex import Formula

Blocks = tuple[Any, ...]
Inlines = tuple[Any, ...]
RefKind = Literal["question", "figure", "table", "equation", "exercise"]
#: a question number has at most nine digits: no book has a billion questions, and the bound
#: keeps every number exact wherever it goes (Anki's ids, JSON, conversion to int)
NUMBER_DIGITS = 9
LABEL_KINDS: dict[str, RefKind] = {"fig": "figure", "tbl": "table", "eq": "equation",
                                   "ex": "exercise"}


def ref_kind(key: str) -> RefKind | None:
    """The kind of target a key's form asks for (`Q17`, `fig-…`), or None for a citation key."""
    if re.fullmatch(r"Q[0-9]+", key):
        return "question"
    prefix, dash, rest = key.partition("-")
    return LABEL_KINDS.get(prefix) if dash and rest else None


@dataclass(frozen=True)
class Ref:
    """A cross-reference as written: `@Q17`, a bare `Q17`, `@fig-name`, …"""

    target: str  #: the label it names, e.g. "Q17" or "fig-attention"
    kind: RefKind  #: the kind of target its form asks for
    bare: bool  #: True for a bare `Q17` in prose, False for `@…`
    location: Location


@dataclass(frozen=True)
class Citation:
    """One cited key of references.bib."""

    key: str
    location: Location


@dataclass(frozen=True)
class Figure:
    """An image alone in its paragraph, with caption and alt text."""

    label: str  #: `fig-…`, or "" when the author gave none
    src: str  #: the real path of the checked file, relative to the source root ("": none)
    caption: Inlines
    alt: str
    location: Location
    number: str = ""  #: "17.2", set by resolve
    anchor: str = ""  #: the id it is reached by, set by resolve
    digest: str = ""  #: SHA-256 of the bytes the model checked: renderers ship only these


@dataclass(frozen=True)
class Table:
    """A pipe table with an optional caption and label."""

    label: str
    location: Location
    number: str = ""
    anchor: str = ""


@dataclass(frozen=True)
class Equation:
    """A labelled display equation."""

    label: str
    tex: str
    location: Location
    number: str = ""
    anchor: str = ""


@dataclass(frozen=True)
class Document:
    """What every Markdown file yields: content plus everything in it that can be referenced
    or can be wrong."""

    path: str
    location: Location
    refs: tuple[Ref, ...]
    citations: tuple[Citation, ...]
    figures: tuple[Figure, ...]
    tables: tuple[Table, ...]
    equations: tuple[Equation, ...]
    footnotes: int
    digest: str = ""  #: of the text the model was made from (renderers key caches by it)
    formulas: tuple[Formula, ...] = ()  #: every formula, checked against the math engines
    #: (fingerprint, line) of each paragraph and code block: where print finds the source
    #: line of what it lays out (model/positions.py)
    positions: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Cloze:
    """A key term marked in a summary (`[term]{.cloze}`), hidden on the question's cloze
    card. It is known by its key: editing the text makes it another term."""

    key: str  #: its plain text, whitespace-normalised and casefolded
    location: Location


@dataclass(frozen=True)
class Exercise:
    """A quiz item and its solution. Lettered A, B, … within its question."""

    letter: str
    label: str  #: `ex-…` or ""
    prompt: Blocks
    solution: Blocks
    location: Location
    number: str = ""  #: "17-A", set by resolve
    anchor: str = ""  #: id of the exercise, set by resolve
    solution_anchor: str = ""  #: id of the solution, set by resolve


@dataclass(frozen=True)
class Question:
    """One question file."""

    number: int
    title: str
    tags: tuple[str, ...]
    chapter: int
    prompt: Blocks
    summary: Blocks  #: empty when the file has no summary (the first paragraph serves)
    body: Blocks
    exercises: tuple[Exercise, ...]
    doc: Document
    words: int  #: words of summary, body and solutions
    location: Location  #: where its number is written
    anchor: str = ""
    ident: str = ""  #: its `id:`, the identity its Anki notes keep when it is renumbered
    clozes: tuple[Cloze, ...] = ()  #: every key term marked in the summary, in text order

    @property
    def label(self) -> str:
        return f"Q{self.number}"

    @property
    def cloze_terms(self) -> tuple[str, ...]:
        """The keys of the summary's key terms, each once, in order of first appearance."""
        return tuple(dict.fromkeys(cloze.key for cloze in self.clozes))

    @property
    def key(self) -> str:
        """Its identity in the deck's history: its id, or else its label."""
        return self.ident or self.label


@dataclass(frozen=True)
class Matter:
    """A front- or back-matter file (preface, introduction, afterword)."""

    title: str
    ident: str
    blocks: Blocks
    doc: Document
    words: int


@dataclass(frozen=True)
class Chapter:
    """A chapter: its number, title and questions in number order."""

    number: int
    title: str
    questions: tuple[Question, ...]
    location: Location
    anchor: str = ""


@dataclass(frozen=True)
class Book:
    """The whole book as read: nothing resolved yet."""

    config: BookConfig
    front: tuple[Matter, ...]
    chapters: tuple[Chapter, ...]
    back: tuple[Matter, ...]
    bibliography: Bibliography | None
    complete: bool = True  #: False when some file could not be read
    history: History | None = field(default=None, repr=False)  #: the deck's lock file

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for chapter in self.chapters for q in chapter.questions)

    @property
    def documents(self) -> tuple[Document, ...]:
        return tuple(m.doc for m in self.front) + tuple(q.doc for q in self.questions) + tuple(
            m.doc for m in self.back)


@dataclass(frozen=True)
class Target:
    """What a label resolves to."""

    label: str
    kind: RefKind
    text: str  #: "Q17", "Figure 17.2", "Equation (17.1)", "Exercise 17-A"
    anchor: str
    question: int  #: the question it belongs to; 0 in front and back matter
    title: str = ""  #: for questions: the question's title
    location: Location = field(default=Location(""), compare=False)
