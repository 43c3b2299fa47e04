"""Numbering and the label table: every referable thing gets a number, an anchor and a label."""

from __future__ import annotations

from dataclasses import replace

from qabook.diagnostics import Diagnostics
from qabook.model.nodes import Book, Document, Matter, Question, Target
from qabook.words import Words


def number_book(book: Book) -> Book:
    """The book with numbers and anchors on questions, figures, tables, equations, exercises."""
    chapters = tuple(
        replace(chapter, anchor=f"chapter-{chapter.number}",
                questions=tuple(_number_question(q) for q in chapter.questions))
        for chapter in book.chapters)
    front = tuple(_number_matter(m) for m in book.front)
    back = tuple(_number_matter(m) for m in book.back)
    return replace(book, chapters=chapters, front=front, back=back)


def _number_question(question: Question) -> Question:
    n = question.number
    exercises = tuple(
        replace(e, number=f"{n}-{e.letter}", anchor=e.label or f"ex-{n}-{e.letter.lower()}",
                solution_anchor=f"sol-{n}-{e.letter.lower()}")
        for e in question.exercises)
    return replace(question, anchor=f"q{n}", exercises=exercises,
                   doc=_number_doc(question.doc, str(n), f"q{n}"))


def _number_matter(matter: Matter) -> Matter:
    return replace(matter, doc=_number_doc(matter.doc, "", matter.ident))


def _number_doc(doc: Document, prefix: str, namespace: str) -> Document:
    """Number a document's figures, tables and equations: "17.2", or "2" outside questions."""
    def num(index: int) -> str:
        return f"{prefix}.{index}" if prefix else str(index)

    figures = tuple(replace(f, number=num(i), anchor=f.label or f"{namespace}-fig-{i}")
                    for i, f in enumerate(doc.figures, 1))
    tables = tuple(replace(t, number=num(i), anchor=t.label or f"{namespace}-tbl-{i}")
                   for i, t in enumerate(doc.tables, 1))
    equations = tuple(replace(e, number=num(i), anchor=e.label)
                      for i, e in enumerate(doc.equations, 1))
    return replace(doc, figures=figures, tables=tables, equations=equations)


def label_table(book: Book, diags: Diagnostics, say: Words) -> dict[str, Target]:
    """Every label of the book; a second definition of a label is an error."""
    table: dict[str, Target] = {}

    def add(target: Target) -> None:
        first = table.get(target.label)
        if first is not None:
            diags.error(target.location, "label.duplicate",
                        f"label '{target.label}' is already defined",
                        f"the first definition is at {first.location}; labels are unique "
                        "in the whole book")
            return
        table[target.label] = target

    for question in book.questions:
        add(Target(question.label, "question", question.label, question.anchor,
                   question.number, question.title, question.doc.location))
    for doc, question in _documents(book):
        for figure in doc.figures:
            if figure.label:
                add(Target(figure.label, "figure", say.figure(figure.number), figure.anchor,
                           question, location=figure.location))
        for tbl in doc.tables:
            if tbl.label:
                add(Target(tbl.label, "table", say.table(tbl.number), tbl.anchor, question,
                           location=tbl.location))
        for eq in doc.equations:
            add(Target(eq.label, "equation", say.equation(eq.number), eq.anchor, question,
                       location=eq.location))
    for question in book.questions:
        for exercise in question.exercises:
            if exercise.label:
                add(Target(exercise.label, "exercise", say.exercise(exercise.number),
                           exercise.anchor, question.number, location=exercise.location))
    return table


def _documents(book: Book):
    for matter in book.front:
        yield matter.doc, 0
    for question in book.questions:
        yield question.doc, question.number
    for matter in book.back:
        yield matter.doc, 0
