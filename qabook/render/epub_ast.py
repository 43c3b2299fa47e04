"""The EPUB writer: the resolved book as one pandoc document, in reading order.

Headings of level 1 and 2 start the EPUB's files (pandoc splits there): copyright page, front
matter, chapter openers, questions (level 2), back matter, Appendix A (quiz solutions) and
Appendix B (list of questions), each split by chapter, and the references.
"""

from __future__ import annotations

from typing import Any, Collection

from qabook import ast, pandoc
from qabook.model.attributes import plain_clozes
from qabook.model.nodes import Chapter, Exercise, Matter, Question
from qabook.render import pages
from qabook.render.html import distinct_cites
from qabook.resolve import ResolvedBook
from qabook.words import Words, words

ROLES = {name: f"doc-{name}" for name in
         ("chapter", "preface", "introduction", "afterword", "appendix", "bibliography")}
SOLUTIONS_ID = "appendix-a"
QUESTIONS_ID = "appendix-b"


def book_document(resolved: ResolvedBook, meta: dict[str, Any],
                  only: Collection[str] | None = None) -> dict[str, Any]:
    """The whole book as a pandoc JSON document. With `only` (question anchors), the other
    questions, the matter and the appendices are their headings alone: the document still
    splits into the same files, with the same first blocks, for a preview of those
    questions' files (see epub.entries_of)."""
    book = resolved.book
    say = words(book.config.language)
    whole = only is None
    blocks: list[Any] = []
    blocks += copyright_page(resolved, say)
    for matter in book.front:
        blocks += matter_section(matter, "preface" if matter is book.front[0] else "introduction",
                                 whole)
    for chapter in book.chapters:
        blocks += chapter_section(chapter, say, None if whole else set(only))
    for matter in book.back:
        blocks += matter_section(matter, "afterword", whole)
    blocks += solutions_appendix(book.chapters, say, whole)
    blocks += questions_appendix(book.chapters, say, whole)
    blocks += references_section(say)
    return {"pandoc-api-version": pandoc.API_VERSION, "meta": meta, "blocks": no_splits(blocks)}


def book_cites(resolved: ResolvedBook) -> dict[str, dict]:
    """Every distinct citation of the book (by its JSON), in the order book_document first
    shows each: the matter before, each question (prompt, summary, answer, quiz items), the
    matter after, the quiz solutions (the prompts they restate come earlier)."""
    book = resolved.book
    pieces: list[Any] = [m.blocks for m in book.front]
    for question in book.questions:
        pieces += [question.prompt, question.summary, question.body]
        pieces += [e.prompt for e in question.exercises]
    pieces += [m.blocks for m in book.back]
    pieces += [e.solution for q in book.questions for e in q.exercises]
    return distinct_cites(pieces)


SPLIT_LEVEL = 2  # pandoc starts a new EPUB file at each heading of level 1 or 2


def no_splits(blocks: list[Any]) -> list[Any]:
    """pandoc also starts a file at a Div that begins with a heading of level 1 or 2 (it makes
    it a section); an empty Div put first keeps such a Div, and everything in it, in the file
    it belongs to. Files start only at the book's own level-1 and level-2 headings."""
    out = []
    for block in blocks:
        if block["t"] == "Div" and _starts_with_heading(block["c"][1]):
            block = ast.Div(block["c"][0], [ast.Div(ast.attr(), []), *block["c"][1]])
        out.append(block)
    return out


def _starts_with_heading(content: list[Any]) -> bool:
    while content and content[0]["t"] == "Div":
        content = content[0]["c"][1]
    return bool(content) and content[0]["t"] == "Header" and content[0]["c"][0] <= SPLIT_LEVEL


def heading(level: int, ident: str, text: list[Any], classes: list[str] | None = None,
            epub_type: str = "") -> dict:
    kv = [["epub:type", epub_type]] if epub_type else []
    if epub_type in ROLES:  # assistive technology reads the ARIA role, not epub:type
        kv.append(["role", ROLES[epub_type]])
    return ast.Header(level, ast.attr(ident, classes or [], kv), text)


def shift(blocks, by: int) -> list[Any]:
    """Headings moved down by `by` levels (a question's ## becomes <h3>)."""
    def visit(node: dict) -> Any:
        if node["t"] == "Header":
            level, attr, content = node["c"]
            return ast.Header(min(level + by, 6), attr, content)
        return None

    return ast.walk(list(blocks), visit)


def copyright_page(resolved: ResolvedBook, say: Words) -> list[Any]:
    config = resolved.config
    lines = [
        ast.Para([{"t": "Emph", "c": ast.text_inlines(config.title)}]),
        ast.Para(ast.text_inlines(config.rights)),
    ]
    if config.credits:
        lines.append(ast.Para(ast.text_inlines(config.credits)))
    lines.append(ast.Para(ast.text_inlines(say.say(
        "Published {date}. Identifier: {identifier}.", date=say.date(config.date),
        identifier=config.identifier))))
    return [heading(1, pages.COPYRIGHT, ast.text_inlines(say.say("Copyright")), ["unlisted"],
                    "copyright-page"), ast.Div(ast.attr("", ["copyright"]), lines)]


def matter_section(matter: Matter, epub_type: str, text: bool = True) -> list[Any]:
    """The matter's title, then its text in a Div: pandoc starts a new file at a heading of
    level 2, but not inside a Div (see no_splits), so a preface's sections stay in its file.
    Not text: the title alone."""
    title = heading(1, matter.ident, ast.text_inlines(matter.title), [], epub_type)
    if not text:
        return [title]
    return [title, ast.Div(ast.attr("", ["matter-text"]),
                           pages.mark(matter.blocks, pages.matter(matter)))]


def question_title(question: Question) -> list[Any]:
    return ast.text_inlines(f"Q{question.number}. {question.title}")


def chapter_title(chapter: Chapter, say: Words) -> list[Any]:
    return ast.text_inlines(say.chapter_heading(chapter.number, chapter.title))


def chapter_section(chapter: Chapter, say: Words, only: set[str] | None = None) -> list[Any]:
    """The chapter's opener and its questions (with `only`, the others by their heading
    alone)."""
    opener = ast.Div(ast.attr("", ["chapter-opener"]), [
        ast.Para(ast.text_inlines(say.say("The questions of this chapter:"))),
        {"t": "BulletList", "c": [[ast.Plain([question_link(q)])] for q in chapter.questions]},
    ])
    blocks = [heading(1, chapter.anchor, chapter_title(chapter, say), [], "chapter"), opener]
    for question in chapter.questions:
        if only is None or question.anchor in only:
            blocks += question_section(question, say)
        else:
            blocks.append(question_heading(question))
    return blocks


def question_link(question: Question) -> dict:
    return ast.Link(ast.attr(), question_title(question), f"#{question.anchor}")


def question_heading(question: Question) -> dict:
    return heading(2, question.anchor, question_title(question), ["question"])


def question_section(question: Question, say: Words) -> list[Any]:
    blocks = [
        question_heading(question),
        ast.Div(ast.attr("", ["prompt"]), pages.mark(question.prompt, pages.prompt(question))),
    ]
    if question.summary:
        # key terms are marked for the cloze card only: here they are plain text
        blocks.append(ast.Div(ast.attr("", ["summary"]), plain_clozes(
            pages.mark(question.summary, pages.summary(question)))))
    blocks += shift(pages.mark(question.body, pages.body(question)), 1)
    if question.exercises:
        blocks.append(heading(3, pages.quiz(question), ast.text_inlines(say.say("Quiz"))))
        blocks += [exercise_block(e, say) for e in question.exercises]
    return blocks


def exercise_block(exercise: Exercise, say: Words) -> dict:
    label = ast.Para([{"t": "Strong", "c": ast.text_inlines(say.exercise(exercise.number))}])
    link = ast.Para([pages.marker(pages.to_solution(exercise)),
                     ast.Link(ast.attr("", ["to-solution"]),
                              ast.text_inlines(say.say("Solution in Appendix {letter}",
                                                       letter="A")),
                              f"#{exercise.solution_anchor}")])
    return ast.Div(ast.attr(exercise.anchor, ["exercise"]),
                   [label, *shift(pages.mark(exercise.prompt, pages.exercise(exercise)), 2),
                    link])


def solutions_appendix(chapters: tuple[Chapter, ...], say: Words,
                       entries: bool = True) -> list[Any]:
    """Appendix A: each chapter's quiz solutions (not entries: its headings alone)."""
    blocks = [heading(1, SOLUTIONS_ID, ast.text_inlines(say.solutions_appendix()), [],
                      "appendix")]
    for chapter in chapters:
        exercises = [(q, e) for q in chapter.questions for e in q.exercises]
        if not exercises:
            continue
        blocks.append(heading(2, pages.appendix_chapter(SOLUTIONS_ID, chapter),
                              chapter_title(chapter, say)))
        if entries:
            blocks += [solution_block(question, exercise, say) for question, exercise in exercises]
    return blocks


def solution_block(question: Question, exercise: Exercise, say: Words) -> dict:
    back = ast.Para([ast.Link(ast.attr("", ["to-exercise"]),
                              ast.text_inlines(say.say("Back to the exercise in {question}",
                                                       question=question.label)),
                              f"#{exercise.anchor}")])
    return ast.Div(ast.attr(exercise.solution_anchor, ["solution"]), [
        heading(3, "", ast.text_inlines(say.exercise(exercise.number)), ["unnumbered"]),
        ast.Div(ast.attr("", ["restated"]),
                shift(pages.mark(exercise.prompt, pages.exercise_again(exercise)), 3)),
        *shift(pages.mark(exercise.solution, pages.solution(exercise)), 3), back])


def questions_appendix(chapters: tuple[Chapter, ...], say: Words,
                       entries: bool = True) -> list[Any]:
    """Appendix B: each chapter's questions (not entries: its headings alone)."""
    blocks = [heading(1, QUESTIONS_ID, ast.text_inlines(say.questions_appendix()), [],
                      "appendix")]
    for chapter in chapters:
        blocks.append(heading(2, pages.appendix_chapter(QUESTIONS_ID, chapter),
                              chapter_title(chapter, say)))
        for question in chapter.questions if entries else ():
            blocks.append(ast.Div(ast.attr("", ["question-entry"],
                                           [[pages.KEY, pages.entry(question)]]), [
                ast.Para([{"t": "Strong", "c": [question_link(question)]}]),
                *shift(pages.mark(question.prompt, pages.prompt_again(question)), 3)]))
    return blocks


def references_section(say: Words) -> list[Any]:
    return [heading(1, "references", ast.text_inlines(say.say("References")), [],
                    "bibliography"),
            ast.Div(ast.attr("refs", ["references"]), [])]
