"""The deck's plan: which note stands for which item of the book, in which deck, with which
tags, measured against what earlier editions shipped (anki-history.json).

A learner's review history belongs to a note, and Anki knows a note by its GUID. So every
item has a *key* that does not depend on where it stands or how it is numbered: a question's
`id:` (or else its label, Q17), an exercise's label (or else its number, 17-A: positional,
which `check` warns about once the deck has shipped), a question's cloze note
(`cloze:` + the question's key). The history maps each key to the GUID it shipped with.
An item whose key the history does not know takes over the entry of its label or number
when no other item claims it: that is how a book adds `id:`s and labels without moving
anyone's cards. A key the history knows that is no longer in the book is *retired*: the
deck ships a tombstone in its place (qabook.render.anki).

`check` runs `report` so that an author hears about identities that would change before a
build ships them; the deck renderer uses `plan`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from qabook.config import slugify
from qabook.diagnostics import Diagnostics, Location
from qabook.load.history import EMPTY, HISTORY, Entry, History
from qabook.model.nodes import Book, Chapter, Exercise, Question


@dataclass(frozen=True)
class Item:
    """One note of the deck, as the book has it now."""

    key: str  #: its identity in the history
    kind: str  #: question, exercise or cloze
    guid: str
    shown: str  #: what messages call it: Q17, 17-A, Q17 (cloze)
    heading: str  #: plain text: "Q17 · Title" or "Exercise 17-A"
    sort: str  #: the Key field, in book order: 03.017, 03.017.A, 03.017.C
    deck: str
    tags: tuple[str, ...]
    chapter: Chapter
    question: Question
    exercise: Exercise | None
    location: Location
    previous: str = ""  #: the history key whose entry it continues ("" when new)


@dataclass(frozen=True)
class Plan:
    items: tuple[Item, ...]
    retired: tuple[tuple[str, Entry], ...]  #: shipped notes no longer in the book
    history: History
    root_tag: str

    def entry(self, item: Item) -> Entry | None:
        return self.history.notes.get(item.previous) if item.previous else None


def deck_name(book: Book, chapter: Chapter) -> str:
    """`Title::03 Chapter title`: zero-padded so that Anki lists (and deals new cards from)
    the chapters in book order."""
    return f"{book.config.title}::{chapter.number:0{_width(book)}d} {chapter.title}"


def removed_deck(book: Book) -> str:
    return f"{book.config.title}::Removed from the book"


def heading(question: Question) -> str:
    return f"Q{question.number} · {question.title}"


def cloze_terms(question: Question) -> list[str]:
    """The keys of the key terms its summary marks, in order of first appearance (a term is
    known by its text: model.attributes.term_key; the model keeps only valid terms)."""
    return list(question.cloze_terms)


def plan(book: Book, guids: bool = True) -> Plan:
    """Every note in book order with its identity, plus the notes to retire. Without
    `guids`, the GUIDs are left empty (check needs none, and genanki is the deck's engine,
    loaded only where the deck is made)."""
    history = book.history or EMPTY
    identifier = book.config.identifier
    root = root_tag(book)
    candidates: list[tuple[str, str, str, Item]] = []  # key, fallback, kind, draft
    for chapter in book.chapters:
        deck = deck_name(book, chapter)
        chapter_tag = f"{root}::{chapter.number:0{_width(book)}d}_{slugify(chapter.title)}"
        for question in chapter.questions:
            tags = (f"{chapter_tag}::{question.label}",) + tuple(
                f"{root}::topic::{tag}" for tag in question.tags)
            sort = f"{chapter.number:02d}.{question.number:03d}"
            common = dict(deck=deck, tags=tags, chapter=chapter, question=question)
            candidates.append((question.key, question.label, "question", Item(
                question.key, "question", "", question.label, heading(question), sort,
                exercise=None, location=question.location, **common)))
            for exercise in question.exercises:
                key = exercise.label or exercise.number
                candidates.append((key, exercise.number, "exercise", Item(
                    key, "exercise", "", exercise.number, f"Exercise {exercise.number}",
                    f"{sort}.{exercise.letter}", exercise=exercise,
                    location=exercise.location, **common)))
            if cloze_terms(question):
                key = f"cloze:{question.key}"
                candidates.append((key, f"cloze:{question.label}", "cloze", Item(
                    key, "cloze", "", f"{question.label} (cloze)",
                    f"{heading(question)} (key terms)", f"{sort}.~", exercise=None,
                    location=question.location, **common)))
    own = {key for key, _, _, _ in candidates}
    claimed: set[str] = set()
    items = []
    for key, fallback, kind, draft in candidates:
        if key in history.notes:
            previous = key
        elif fallback != key and fallback in history.notes and fallback not in own \
                and fallback not in claimed:
            previous = fallback  # an id or label given to an item that shipped without one
        else:
            previous = ""
        claimed.add(previous)
        entry = history.notes.get(previous)
        guid = entry.guid if entry and entry.guid else _guid(
            identifier, kind, previous or key, legacy=bool(entry)) if guids else ""
        items.append(replace(draft, guid=guid, previous=previous))
    retired = tuple((key, entry) for key, entry in sorted(history.notes.items())
                    if key not in claimed)
    return Plan(tuple(items), retired, history, root)


def report(book: Book, diags: Diagnostics) -> None:
    """What an author must hear before a build ships the deck: identities that would change,
    items that left the book, decks that were renamed. Silent for a book never shipped."""
    history = book.history
    if not history or not history.notes:
        return
    deck = plan(book, guids=False)
    keys = Counter(item.key for item in deck.items)
    for item in deck.items:
        if keys[item.key] > 1:
            diags.error(item.location, "deck.identity",
                        f"'{item.key}' is the identity of two notes of the deck",
                        "a question's id must differ from every other question's id and "
                        "label (Q17)")
            keys[item.key] = 0  # once
        entry = deck.entry(item)
        if entry is not None and entry.retired:
            diags.warning(item.location, "deck.revived",
                          f"{item.shown} has the identity of '{entry.heading or item.previous}'"
                          f", which an earlier edition removed: learners get it back with "
                          f"the review history they had for it",
                          "give it a new id (or label) if it is another question")
        if item.kind == "exercise" and not item.exercise.label:
            diags.warning(item.location, "deck.positional",
                          f"exercise {item.shown} has no label, so its Anki note is known by "
                          f"its position: inserting, deleting or reordering exercises would "
                          f"give learners' review history to another exercise",
                          "give it a label that stays: ::: {.exercise #ex-name}")
    for key, entry in deck.retired:
        if not entry.retired:
            what = entry.heading or key
            diags.warning(history.line(key), "deck.removed",
                          f"'{what}' was shipped to learners ({HISTORY}) and is no longer in "
                          f"the book", "if it was renumbered or moved, give it back its "
                          f"identity (a question: 'id: {key}' in its front matter; an exercise:"
                          f" its old label); if it was removed, the next build retires it: "
                          f"learners' cards say so and are tagged {deck.root_tag}::removed")
    moved = Counter((entry.deck, item.deck, item.chapter.location)
                    for item in deck.items
                    if (entry := deck.entry(item)) and entry.deck and entry.deck != item.deck)
    for (old, new, where), count in sorted(moved.items(), key=lambda m: (m[0][0], m[0][1])):
        diags.warning(where, "deck.renamed",
                      f"{count} note{'s' if count > 1 else ''} shipped in deck '{old}' now "
                      f"belong{'' if count > 1 else 's'} to '{new}': Anki keeps learners' "
                      f"existing cards where they are",
                      "tell learners to rename or move the old deck before importing "
                      "(README: Updating your deck); the next build records the new deck")


def root_tag(book: Book) -> str:
    """The tag every note of this book carries under (Anki tags have no spaces)."""
    return book.config.slug


def _width(book: Book) -> int:
    return max([2] + [len(str(chapter.number)) for chapter in book.chapters])


def _guid(identifier: str, kind: str, key: str, legacy: bool) -> str:
    """A new note's GUID; for a first-format history entry, the GUID that qabook gave it
    (it was derived from the question label and the exercise letter)."""
    import genanki
    if legacy and kind == "exercise" and "-" in key:
        number, letter = key.rsplit("-", 1)
        return genanki.guid_for(identifier, "exercise", f"Q{number}", letter)
    if legacy and kind == "question":
        return genanki.guid_for(identifier, "question", key)
    return genanki.guid_for(identifier, kind, key)
