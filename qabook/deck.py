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

import hashlib
from collections import Counter
from dataclasses import dataclass, replace

from qabook import ast
from qabook.config import slugify
from qabook.diagnostics import Diagnostics, Location
from qabook.load.history import EMPTY, HISTORY, Entry, History
from qabook.model.nodes import Book, Chapter, Exercise, Question
from qabook.words import words as vocabulary


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
    text: str = ""  #: a digest of its own words (its prompt), to know it again after a re-key
    previous: str = ""  #: the history key whose entry it continues ("" when new)
    how: str = ""  #: how it found that entry: "key", "words" or "place"
    shipped: str = ""  #: the deck its note shipped in ("" when new or not known)

    @property
    def weak(self) -> bool:
        """Whether its key is its place (a question without `id:`, an exercise without a
        label): such a key may now name what another item shipped as."""
        if self.kind == "exercise":
            return not self.exercise.label
        return not self.question.ident


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
    removed = vocabulary(book.config.language).say("Removed from the book")
    return f"{book.config.title}::{removed}"


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
    say = vocabulary(book.config.language)
    candidates: list[tuple[str, Item]] = []  # (its label or number, the item)
    for chapter in book.chapters:
        deck = deck_name(book, chapter)
        chapter_tag = f"{root}::{chapter.number:0{_width(book)}d}_{slugify(chapter.title)}"
        for question in chapter.questions:
            tags = (f"{chapter_tag}::{question.label}",) + tuple(
                f"{root}::topic::{tag}" for tag in question.tags)
            sort = f"{chapter.number:02d}.{question.number:03d}"
            common = dict(deck=deck, tags=tags, chapter=chapter, question=question)
            words = _digest(question.prompt)
            candidates.append((question.label, Item(
                question.key, "question", "", question.label, heading(question), sort,
                exercise=None, location=question.location, text=words, **common)))
            for exercise in question.exercises:
                candidates.append((exercise.number, Item(
                    exercise.label or exercise.number, "exercise", "", exercise.number,
                    say.exercise(exercise.number), f"{sort}.{exercise.letter}",
                    exercise=exercise, location=exercise.location,
                    text=_digest(exercise.prompt), **common)))
            if cloze_terms(question):
                candidates.append((f"cloze:{question.label}", Item(
                    f"cloze:{question.key}", "cloze", "", f"{question.label} (cloze)",
                    f"{heading(question)} (key terms)", f"{sort}.~", exercise=None,
                    location=question.location, text=words, **common)))
    found = _match(candidates, history)
    items = []
    taken = {entry.guid for entry in history.notes.values() if entry.guid}
    for _, draft in candidates:
        previous, how = found.get(draft.key, ("", ""))
        entry = history.notes.get(previous)
        if not guids:
            guid = ""
        elif entry and entry.guid:
            guid = entry.guid
        elif entry:  # a first-format entry: the GUID that version derived
            guid = legacy_guid(identifier, draft.kind, previous)
        else:
            guid = _new_guid(identifier, draft.kind, draft.key, taken)
        taken.add(guid)
        # a first-format history did not record decks; that qabook named them `Title::3 …`
        shipped = "" if entry is None else entry.deck if entry.deck or not history.legacy \
            else f"{book.config.title}::{draft.chapter.number} {draft.chapter.title}"
        items.append(replace(draft, guid=guid, previous=previous, how=how, shipped=shipped))
    claimed = {previous for previous, _ in found.values()}
    retired = tuple((key, entry) for key, entry in sorted(history.notes.items())
                    if key not in claimed)
    return Plan(tuple(items), retired, history, root)


def _match(candidates: list[tuple[str, Item]], history: History) -> dict[str, tuple[str, str]]:
    """Each item's history entry, as (key, how).

    An id or a label names one item for good: its entry is taken first. An item known only
    by its place (a question without id, an exercise without label) takes first an entry
    shipped with its very words, wherever that entry stood (two questions that swapped
    numbers keep their own notes). Then an item the history does not know by key (a new id
    or label, a renumbered question) takes an unclaimed entry of its kind shipped with the
    same words. Only then does an item known by its place take the entry of that place (it
    was reworded where it stood); last, for a first-format history that knows no words, an
    item takes the entry of its label or number."""
    notes = history.notes
    strong = {item.key for _, item in candidates if not item.weak}
    found: dict[str, tuple[str, str]] = {}
    claimed: set[str] = set()

    def take(item: Item, key: str, how: str) -> None:
        found[item.key] = (key, how)
        claimed.add(key)

    def by_words(item: Item) -> str | None:
        return next((key for key, entry in notes.items() if key not in claimed
                     and key not in strong and entry.kind == item.kind and entry.text
                     and entry.text == item.text), None)

    for _, item in candidates:
        if not item.weak and item.key in notes:
            take(item, item.key, "key")
    for _, item in candidates:
        if item.weak and item.text and (key := by_words(item)):
            take(item, key, "key" if key == item.key else "words")
    for _, item in candidates:  # a new id or label on an item that shipped
        if item.key not in found and item.text and (key := by_words(item)):
            take(item, key, "words")
    for _, item in candidates:  # reworded where it stood
        if item.weak and item.key not in found and item.key in notes \
                and item.key not in claimed:
            take(item, item.key, "key")
    for fallback, item in candidates:
        entry = notes.get(fallback)
        if item.key not in found and entry and not entry.text and fallback not in strong \
                and fallback not in claimed:
            take(item, fallback, "place")
    return found


def _digest(blocks) -> str:
    words = " ".join(ast.stringify(list(blocks)).split())
    return hashlib.sha256(words.encode()).hexdigest()[:16] if words else ""


def report(book: Book, diags: Diagnostics) -> None:
    """What an author must hear before a build ships the deck: identities that would change,
    items that left the book, decks that were renamed. Silent for a book never shipped."""
    deck = plan(book, guids=False)
    keys = Counter(item.key for item in deck.items)
    for item in deck.items:
        if keys[item.key] > 1:
            diags.error(item.location, "deck.identity",
                        f"'{item.key}' is the identity of two notes of the deck",
                        "a question's id must differ from every other question's id and "
                        "label (Q17)")
            keys[item.key] = 0  # once
    history = book.history
    if not history or not history.notes:
        return  # nothing shipped: no learner to keep
    for item in deck.items:
        entry = deck.entry(item)
        if entry is not None and entry.retired:
            diags.warning(item.location, "deck.revived",
                          f"{item.shown} has the identity of '{entry.heading or item.previous}'"
                          f", which an earlier edition removed: learners get it back with "
                          f"the review history they had for it",
                          "give it a new id (or label) if it is another question")
        if item.how == "place":
            diags.warning(item.location, "deck.adopted",
                          f"{item.shown} takes over the note shipped as "
                          f"'{entry.heading or item.previous}' because it stands where that "
                          f"one stood (the history does not know the words it shipped): "
                          f"learners' review history of that note becomes this one's",
                          "if they are not the same item, build with the old book first, "
                          "then make the change: the history then knows each item's words")
        if item.kind == "exercise" and item.weak:
            diags.warning(item.location, "deck.positional",
                          f"exercise {item.shown} has no label, so its Anki note is known by "
                          f"its place and its words: reordering exercises while rewording "
                          f"one would give learners' review history to another exercise",
                          "give it a label that stays: ::: {.exercise #ex-name}")
        if item.kind == "question" and item.weak:
            diags.warning(item.location, "deck.positional",
                          f"{item.shown} has no id, so its Anki notes are known by its number "
                          f"and its words: renumbering questions while rewording one would "
                          f"give learners' review history to another question",
                          "give it an id that stays: id: a-name in its front matter")
    for key, entry in deck.retired:
        if not entry.retired:
            what = entry.heading or key
            diags.warning(history.line(key), "deck.removed",
                          f"'{what}' was shipped to learners ({HISTORY}) and is no longer in "
                          f"the book", "if it was renamed, renumbered or reworded, give it back "
                          f"its identity (a question: 'id: {key}' in its front matter; an "
                          f"exercise: its old label); if it was removed, the next build retires"
                          f" it: learners' cards say so and are tagged "
                          f"{deck.root_tag}::removed")
    moved = Counter((old, item.deck, item.chapter.location) for item in deck.items
                    if (old := item.shipped) and old != item.deck)
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


def legacy_guid(identifier: str, kind: str, key: str) -> str:
    """The GUID the first qabook gave a note of a first-format history (from the question's
    label and the exercise's letter)."""
    import genanki  # the deck's engine: only the deck's process loads it

    if kind == "exercise" and "-" in key:
        number, letter = key.rsplit("-", 1)
        return genanki.guid_for(identifier, "exercise", f"Q{number}", letter)
    return genanki.guid_for(identifier, kind, key)


def _new_guid(identifier: str, kind: str, key: str, taken: set[str]) -> str:
    """A new note's GUID: from the book, the kind and the key, in a namespace of its own (the
    first qabook derived GUIDs from labels that a new item may now carry), and never one that
    a note of the history or of the deck already has."""
    import genanki

    attempt = 0
    while True:
        salt = [f"again {attempt}"] if attempt else []
        guid = genanki.guid_for(identifier, "note", kind, key, *salt)
        if guid not in taken:
            return guid
        attempt += 1
