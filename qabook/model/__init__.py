"""Model: turn each file's pandoc AST into the typed Book, with a location on everything."""

from __future__ import annotations

import re
from typing import Any

from qabook import ast
from qabook.cache import NO_CACHE, Cache
from qabook.diagnostics import Diagnostics, did_you_mean
from qabook.load import LoadedBook, SourceFile, parse
from qabook.model.attributes import clean_attr
from qabook.model.blocks import STRUCTURE, block_, blocks, unwrap_blocks
from qabook.model.context import FileContext, Pos
from qabook.model.inlines import _card_text
from qabook.model.nodes import (NUMBER_DIGITS, Book, Chapter, Exercise, Matter, Question,
                                 ref_kind)
from qabook.model.solutions import problem as direct_answer_problem

QUESTION_KEYS = ("number", "title", "tags", "id")
IDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")
#: key terms a summary may mark: each is a card, and a summary with more is no longer a
#: summary of key terms
MAX_CLOZES = 9
MATTER_KEYS = ("title", "id")


def build_model(loaded: LoadedBook, diags: Diagnostics, cache: Cache = NO_CACHE) -> Book:
    """The Book; problems inside files are reported and the rest of the book still modelled."""
    results = {file.path: file.cached["result"] for file in loaded.files if file.cached}
    for file in loaded.files:
        if file.cached:
            diags.extend(file.cached["diagnostics"])
    fresh = [file for file in loaded.files if not file.cached]
    for file, tree in parse(fresh, diags):  # batch by batch: each batch's ASTs then go
        if tree is not None:
            results[file.path] = _file(loaded, file, tree, diags, cache)
    front, back, questions = [], [], {}
    for file in loaded.files:
        result = results.get(file.path)
        if result is None:
            continue
        if file.kind == "question":
            questions.setdefault(file.chapter, []).append(result)
        else:
            (front if file.kind == "front" else back).append(result)
    dropped = _unique_numbers(questions, diags)
    chapters = tuple(
        Chapter(entry.number, entry.title,
                tuple(sorted(questions.get(entry.number, []), key=lambda q: q.number)),
                entry.location)
        for entry in loaded.config.chapters)
    modelled = sum(len(qs) for qs in questions.values()) + dropped + len(front) + len(back)
    complete = loaded.complete and modelled == len(loaded.files) and not dropped
    return Book(loaded.config, tuple(front), chapters, tuple(back), loaded.bibliography, complete,
                loaded.history)


def _file(loaded: LoadedBook, file: SourceFile, tree: dict, diags: Diagnostics, cache: Cache):
    """One file's Question or Matter (or None), modelled from its AST and cached."""
    local = Diagnostics()
    ctx = FileContext(loaded.root, file.path, file.lines, local, file.kind == "question", blocks)
    result = _question(file, tree, ctx) if file.kind == "question" else _matter(file, tree, ctx)
    diags.extend(local.items)
    cache.put("model", file.model_key, {"result": result, "diagnostics": local.items,
                                        "images": ctx.images})
    return result


def _meta(file: SourceFile, ctx: FileContext, known: tuple[str, ...]) -> dict[str, Any] | None:
    if file.meta is None:
        ctx.error((1, 1), "meta.missing", "the file has no front matter",
                  f"start it with a '---' block holding {', '.join(known[:2])}")
        return None
    data = file.meta.value
    if not isinstance(data, dict):
        ctx.error(file.meta.pos(()), "meta.type", "the front matter must be a mapping",
                  "write key: value lines between the '---' lines")
        return None
    for path, where in file.meta.duplicates:
        ctx.error(where, "yaml.duplicate-key", f"key '{path[-1]}' is given twice",
                  "remove one of them")
    for key in data:
        if key not in known:
            ctx.warning(file.meta.pos((key,), key=True), "meta.unknown-key",
                        f"unknown front matter key '{key}'",
                        did_you_mean(str(key), known) or f"known keys: {', '.join(known)}")
    return data


def _question(file: SourceFile, tree: dict, ctx: FileContext) -> Question | None:
    data = _meta(file, ctx, QUESTION_KEYS)
    if data is None:
        return None
    pos = lambda *path: file.meta.pos(path)  # noqa: E731
    number = data.get("number")
    if "number" not in data:
        ctx.error(pos(), "meta.number", "the question has no number",
                  "add 'number: N' to the front matter; numbers are unique and never reused")
        return None
    if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
        shown = str(number) if len(str(number)) <= 24 else f"{str(number)[:20]}…"
        ctx.error(pos("number"), "meta.number",
                  f"question number must be a positive integer, not '{shown}'",
                  "write it as digits, e.g. number: 17")
        return None
    if len(str(number)) > NUMBER_DIGITS:
        ctx.error(pos("number"), "meta.number", f"question number {number} is too large",
                  f"question numbers have at most {NUMBER_DIGITS} digits")
        return None
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        ctx.error(pos("title") if "title" in data else pos(), "meta.title",
                  "the question has no title", "add a 'title:' to the front matter")
        title = ""
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and re.fullmatch(r"[\w-]+", t)
                                             for t in tags):
        ctx.error(pos("tags"), "meta.tags", "tags must be a list of single words",
                  "for example: tags: [nlp, transformers]")
        tags = []
    ident = data.get("id", "")
    if "id" in data and not (isinstance(ident, str) and IDENT.fullmatch(ident)):
        ctx.error(pos("id"), "meta.id", "a question's id is a name of letters, digits and "
                  "hyphens (at most 64), starting with a letter or digit",
                  "for example: id: self-attention; it never changes once the deck shipped")
        ident = ""
    parts = _parts(tree["blocks"], ctx, number)
    if parts is None:
        return None
    prompt, summary, body, exercises = parts
    words = ast.word_count(summary) + ast.word_count(body) + sum(
        ast.word_count(e.solution) for e in exercises)
    return Question(number, title.strip(), tuple(tags), file.chapter, prompt, summary, body,
                    exercises, ctx.document(), words, ctx.loc(pos("number")), ident=ident,
                    clozes=tuple(ctx.clozes))


def _parts(raw: list, ctx: FileContext, number: int):
    """Split a question's top-level blocks into prompt, summary, body and exercises."""
    prompt: list | None = None
    summary: list | None = None
    body: list = []
    exercises: list[Exercise] = []
    for block, here in unwrap_blocks(raw, ctx):
        role = _role(block)
        if role == "question":
            if prompt is not None:
                ctx.error(here, "question.duplicate", "a second 'question' div",
                          "a file holds exactly one question; merge the two")
                continue
            prompt = _content(block, here, ctx, "question")
        elif role == "summary":
            if summary is not None:
                ctx.error(here, "summary.duplicate", "a second 'summary' div",
                          "a question has at most one summary; merge the two")
                continue
            summary = _content(block, here, ctx, "summary")
        elif role == "exercise":
            exercise = _exercise(block, here, ctx, len(exercises))
            if exercise is not None:
                exercises.append(exercise)
        elif role == "solution":
            ctx.error(here, "div.misplaced", "a 'solution' div outside an exercise",
                      "put the solution inside its ::: exercise div")
        else:
            body.extend(block_(block, here, ctx, body))
    if prompt is None:
        ctx.error((1, 1), "question.missing", f"Q{number} has no 'question' div",
                  "add the prompt as ::: question … ::: (see docs/authoring.md)")
        return None
    return tuple(prompt), tuple(summary or ()), tuple(body), tuple(exercises)


def _role(block: dict) -> str | None:
    if block["t"] != "Div":
        return None
    classes = [c for c in block["c"][0][1] if c in STRUCTURE]
    return classes[0] if classes else None


def _content(block: dict, here: Pos, ctx: FileContext, role: str) -> list:
    clean_attr(block["c"][0], "Div", ctx, here)  # its attributes are checked, not kept
    ctx.part = role
    try:
        content = blocks(block["c"][1], ctx, here)
    finally:
        ctx.part = ""
    if not ast.stringify(content).strip():
        ctx.error(here, f"{role}.empty", f"the '{role}' div is empty", f"write the {role} in it")
    if role == "summary":
        _cloze_count(ctx)
        reported = any(d.code.startswith("cloze.") for d in ctx.diags.items)
        if ctx.clozes and not reported:  # the text of a cloze note: Anki reads {{…}} in it
            clash = next((s for s in ("{{", "}}") if s in _card_text(content)), "")
            if clash:
                ctx.error(here, "cloze.syntax", f"the summary holds '{clash}', which Anki "
                          "reads as cloze markup in its key-terms card",
                          "reword it; in a formula write a space between braces: } }")
    return content


def _cloze_count(ctx: FileContext) -> None:
    """At most MAX_CLOZES distinct key terms in a summary (the same term twice is one card)."""
    seen: set[str] = set()
    for cloze in ctx.clozes:
        seen.add(cloze.key)
        if len(seen) > MAX_CLOZES:
            ctx.diags.error(cloze.location, "cloze.too-many", f"more than {MAX_CLOZES} key "
                            "terms marked in one summary (each is a card of its own)",
                            "mark only the terms a learner must recall")
            return


def _exercise(block: dict, here: Pos, ctx: FileContext, index: int) -> Exercise | None:
    attr = clean_attr(block["c"][0], "Div", ctx, here)
    label = attr[0]
    if label and ref_kind(label) != "exercise":
        ctx.error(here, "label.prefix", f"exercise label '{label}' must start with 'ex-'",
                  f"rename it to ex-{label.split('-', 1)[-1]}")
    prompt_raw, solutions = [], []
    for child, where in unwrap_blocks(block["c"][1], ctx, here):
        (solutions if _role(child) == "solution" else prompt_raw).append((child, where))
    if len(solutions) != 1:
        found = "no solution" if not solutions else f"{len(solutions)} solutions"
        ctx.error(solutions[1][1] if len(solutions) > 1 else here, "exercise.solution",
                  f"an exercise needs exactly one 'solution' div, this one has {found}",
                  "nest one ::: solution … ::: inside the ::: exercise div")
    prompt = []
    ctx.part = "exercise"
    for child, where in prompt_raw:
        if _role(child) in ("question", "summary", "exercise"):
            ctx.error(where, "div.misplaced", f"a '{_role(child)}' div inside an exercise",
                      "exercises hold their text and one solution div")
            continue
        prompt.extend(block_(child, where, ctx, prompt))
    ctx.part = ""
    if not ast.stringify(prompt).strip():
        ctx.error(here, "exercise.empty", "the exercise has no text", "write the quiz item")
    solution = _content(solutions[0][0], solutions[0][1], ctx, "solution") if solutions else []
    problem = solutions and direct_answer_problem(tuple(solution))
    if problem:
        ctx.warning(solutions[0][1], "solution.direct-answer", *problem)
    letter = _letter(index)
    return Exercise(letter, label, tuple(prompt), tuple(solution), ctx.loc(here))


def _letter(index: int) -> str:
    """A, B, …, Z, AA, AB, …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _matter(file: SourceFile, tree: dict, ctx: FileContext) -> Matter | None:
    data = _meta(file, ctx, MATTER_KEYS)
    if data is None:
        return None
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        ctx.error(file.meta.pos(()), "meta.title", "front and back matter need a 'title'",
                  "add 'title: Preface' (or similar) to the front matter")
        return None
    ident = data.get("id")
    if ident is not None and not (isinstance(ident, str) and IDENT.fullmatch(ident)):
        ctx.error(file.meta.pos(("id",)), "meta.id", "a front or back matter's id is a name "
                  "of letters, digits and hyphens (at most 64), starting with a letter or "
                  "digit", "for example: id: preface")
        ident = None
    ident = str(ident or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"))
    content = []
    for block, here in unwrap_blocks(tree["blocks"], ctx):
        if _role(block):
            ctx.error(here, "div.misplaced", f"a '{_role(block)}' div in front or back matter",
                      "questions, summaries and exercises belong in question files")
            continue
        content.extend(block_(block, here, ctx, content))
    return Matter(title.strip(), ident, tuple(content), ctx.document(), ast.word_count(content))


def _unique_numbers(questions: dict[int, list[Question]], diags: Diagnostics) -> int:
    """Drop questions whose number is taken; return how many were dropped."""
    seen: dict[int, Question] = {}
    dropped = 0
    for chapter in sorted(questions):
        keep = []
        for question in questions[chapter]:
            first = seen.get(question.number)
            if first is not None:
                diags.error(question.location, "question.number-duplicate",
                            f"question number {question.number} is already used",
                            f"{first.doc.path} is Q{question.number}; numbers are never reused")
                dropped += 1
                continue
            seen[question.number] = question
            keep.append(question)
        questions[chapter] = keep
    return dropped
