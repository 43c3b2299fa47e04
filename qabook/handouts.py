"""Handouts for a class: the kinds a print handout comes in, and the named sets of book.yaml.

A handout prints chosen chapters or questions (or every question) without the book around
them: a title block on page 1, then the questions. It comes in three kinds:

- `handout`: the questions as the book prints them (prompt, summary, answer, quiz), with
  their quiz solutions after them;
- `worksheet`: each question's prompt and quiz items, with ruled lines to write on, and no
  answer, summary or solution;
- `answer-key`: each question's prompt and summary, where the book answers it, and its quiz
  items with their solutions.

book.yaml may name sets of them, built with `qabook build -f pdf --handout NAME`:

    handouts:
      week-3: {title: "Week 3: Attention", questions: [17, 18], kinds: [worksheet, answer-key]}

`parse` checks the entries' shape as book.yaml is read; `check` checks, once the book is
read, that the chapters and questions they name exist. Every problem is located in book.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qabook.diagnostics import Diagnostics, Location, did_you_mean

KINDS = ("handout", "worksheet", "answer-key")
KEYS = ("title", "chapters", "questions", "kinds")
#: it goes into file names and onto the CLI (fullmatch: `$` alone lets a final newline in)
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


@dataclass(frozen=True)
class HandoutSet:
    """A named set of handouts as book.yaml declares it (numbers not checked against the
    book yet: see check)."""

    name: str
    title: str
    chapters: tuple[int, ...]
    questions: tuple[int, ...]
    kinds: tuple[str, ...]
    location: Location  #: where its name is written
    #: where each chapter and question number is written, to blame one that does not exist
    places: tuple[tuple[str, int, Location], ...] = ()


def parse(value, where, diags: Diagnostics) -> tuple[HandoutSet, ...]:
    """The `handouts:` mapping of book.yaml; every problem reported where it is written.
    where(*path, key=False) is the Location of a value (or of its key) in book.yaml."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        diags.error(where("handouts"), "config.type", "'handouts' must be a mapping of names "
                    "to handout sets", "for example: handouts: {week-3: {title: \"Week 3\", "
                    "questions: [17, 18], kinds: [worksheet, answer-key]}}")
        return ()
    sets: list[HandoutSet] = []  # (a name given twice is reported by the YAML reader)
    for name, entry in value.items():
        here = where("handouts", name, key=True)
        text = str(name)
        if not NAME.fullmatch(text):
            diags.error(here, "handout.name", f"handout name '{text}' is not a short "
                        "lowercase name", "use lowercase letters, digits and hyphens (at most "
                        "40), e.g. week-3: the name goes into file names and onto the "
                        "command line (--handout week-3)")
            continue
        if not isinstance(entry, dict):
            diags.error(where("handouts", name), "config.type", f"handout set '{text}' must "
                        "be a mapping with title, questions or chapters, and kinds",
                        "for example: {title: \"Week 3\", questions: [17, 18], "
                        "kinds: [worksheet]}")
            continue
        found = _entry(text, entry, lambda *path, key=False: where("handouts", name, *path,
                                                                   key=key), here, diags)
        if found is not None:
            sets.append(found)
    return tuple(sets)


def _entry(name: str, entry: dict, where, here: Location,
           diags: Diagnostics) -> HandoutSet | None:
    before = len(diags.errors)
    for key in entry:
        if key not in KEYS:
            diags.warning(where(key, key=True), "config.unknown-key",
                          f"unknown key '{key}' in handout set '{name}'",
                          did_you_mean(str(key), KEYS) or f"the keys are {', '.join(KEYS)}")
    title = entry.get("title", name)
    if isinstance(title, (dict, list)) or title is None or not str(title).strip():
        diags.error(where("title"), "config.type", f"the title of handout set '{name}' must "
                    "be text", "write it on one line, e.g. title: \"Week 3: Attention\"")
        title = name
    places: list[tuple[str, int, Location]] = []
    numbers = {kind: _numbers(entry.get(kind), kind, name, where, diags, places)
               for kind in ("chapters", "questions")}
    if not any(numbers.values()):  # an empty list must not quietly mean the whole book
        for key in ("questions", "chapters"):
            if entry.get(key) == []:
                diags.error(where(key), "handout.empty", f"'{key}' of handout set '{name}' "
                            "is an empty list", f"list the {key} it holds, e.g. {key}: [1, 2]; "
                            "a set without questions and chapters holds every question")
    kinds = _kinds(entry.get("kinds", ["handout"]), name, where, diags)
    if len(diags.errors) > before:
        return None
    return HandoutSet(name, str(title).strip(), numbers["chapters"], numbers["questions"],
                      kinds, here, tuple(places))


def _numbers(value, key: str, name: str, where, diags: Diagnostics,
             places: list) -> tuple[int, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out: list[int] = []
    for index, item in enumerate(items):
        at = where(key, index) if isinstance(value, list) else where(key)
        if isinstance(item, bool) or not isinstance(item, int) or item < 1:
            diags.error(at, "config.type", f"'{key}' of handout set '{name}' must be "
                        f"{key[:-1]} numbers, not '{_shown(item)}'",
                        f"for example: {key}: [17, 18]")
            continue
        if item not in out:
            out.append(item)
            places.append((key[:-1], item, at))
    return tuple(sorted(out))


def _shown(value) -> str:
    """A YAML value as book.yaml writes it."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _kinds(value, name: str, where, diags: Diagnostics) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for index, item in enumerate(items):
        at = where("kinds", index) if isinstance(value, list) else where("kinds")
        if not isinstance(item, str) or item not in KINDS:
            diags.error(at, "handout.kind", f"unknown handout kind '{item}' in handout set "
                        f"'{name}'", did_you_mean(str(item), KINDS) or
                        f"the kinds are {', '.join(KINDS)}")
            continue
        if item not in out:
            out.append(item)
    if not items:
        diags.error(where("kinds"), "handout.kind", f"handout set '{name}' has no kinds",
                    f"list one or more of {', '.join(KINDS)}")
    return tuple(out)


def check(book, diags: Diagnostics) -> None:
    """Every chapter and question a handout set names is one of the book's."""
    chapters = [c.number for c in book.chapters]
    questions = sorted(q.number for q in book.questions)
    for handout in book.config.handouts:
        for what, number, at in handout.places:
            known = chapters if what == "chapter" else questions
            if number not in known:
                diags.error(at, f"handout.unknown-{what}", f"handout set '{handout.name}' "
                            f"names {what} {number}, which the book does not have",
                            f"the book's {what}s are {_spans(known)}")


def _spans(numbers: list[int]) -> str:
    """1–10, 11–13, 15 … as a reader would write them."""
    if not numbers:
        return "none"
    out: list[str] = []
    start = previous = numbers[0]
    for number in numbers[1:] + [None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        out.append(str(start) if start == previous else f"{start}–{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(out)


def find(config, name: str) -> HandoutSet | None:
    return next((h for h in config.handouts if h.name == name), None)
