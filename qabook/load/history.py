"""anki-history.json, the deck's lock file: what every edition shipped to learners.

It lives in the source folder and is committed (and merged) with the book. The load stage
reads and checks it, like any other source file; `qabook.deck` plans the deck against it
and the deck renderer writes the next version, which a build publishes beside the book.

For every note ever shipped it records the note's GUID (its identity in learners'
collections), its modification time and a hash of what Anki updates (fields, tags, note
type), plus what a tombstone or a warning needs (its Key field, heading and deck); for the
note types, their time and hash; and what the last edition changed. One note per line, so
that a merge conflicts only where two editions changed the same note.

The first format (an object of `"label": [time, hash]`) is still read: its GUIDs are derived
the way that version derived them (see `qabook.deck`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qabook.characters import problem
from qabook.diagnostics import Diagnostics, Location
from qabook.load.files import read_text

HISTORY = "anki-history.json"
FORMAT = "qabook-anki-history"  #: the first key of the current format, with its version
VERSION = 2
MAX_TIME = 2**53 - 1  #: exact in JSON and JavaScript, and (plus one) in SQLite's INTEGER
MAX_BYTES = 64 * 1024 * 1024  #: the file only grows (retired notes stay): ~200,000 notes
MAX_TEXT = 1024 * 1024  #: characters of a recorded Key, heading or deck name (bounded by the file)
MAX_TERMS = 100_000  #: cloze numbers of one note (a removed term's number is never reused)
KINDS = ("question", "exercise", "cloze")
DIGEST = re.compile(r"[0-9a-f]{16}")
CONFLICT = re.compile(r"^(<{7}|={7}|>{7})( |$)", re.M)
RESTART = ("delete the file only if no learner has imported the deck yet (without it, their "
           "notes stop receiving updates or arrive twice)")


class HistoryError(Exception):
    """A history file that cannot be used, with the 1-based position of the problem."""

    def __init__(self, message: str, line: int = 1, col: int = 1, hint: str = ""):
        super().__init__(message)
        self.message, self.line, self.col, self.hint = message, line, col, hint


@dataclass(frozen=True)
class Stamp:
    """A modification time and the hash of the content it was given for."""

    time: int
    hash: str


@dataclass(frozen=True)
class Entry:
    """One note as the last edition shipped it."""

    guid: str  #: "" in a first-format history: derived from the label (qabook.deck)
    time: int
    hash: str
    kind: str  #: question, exercise or cloze
    key: str = ""  #: its Key field (03.017.A), shown on its tombstone
    heading: str = ""  #: "Q17 · Title" or "Exercise 17-A", what warnings call it
    deck: str = ""  #: the deck it was shipped into
    retired: bool = False  #: shipped as a tombstone: it left the book
    terms: tuple[tuple[str, int], ...] = ()  #: a cloze note's terms and their card numbers
    text: str = ""  #: a digest of the item's own words (its prompt), to know it again

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"guid": self.guid, "time": self.time, "hash": self.hash,
                                "kind": self.kind, "key": self.key, "heading": self.heading,
                                "deck": self.deck}
        if self.text:
            data["text"] = self.text
        if self.retired:
            data["retired"] = True
        if self.terms:
            data["terms"] = dict(self.terms)
        return data


@dataclass(frozen=True)
class Edition:
    """What the current edition (the book's `date`) changed, over all its builds."""

    date: str  #: the book's date, YYYY-MM-DD
    time: int  #: its last build that changed the deck
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()  #: decks: (shipped name, new name)

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date, "time": self.time, "added": list(self.added),
                "updated": list(self.updated), "retired": list(self.retired),
                "renamed": [list(pair) for pair in self.renamed]}


@dataclass(frozen=True)
class History:
    """The parsed file. `lines` says where each note is written, for located warnings."""

    notes: dict[str, Entry] = field(default_factory=dict)
    types: dict[str, Stamp] = field(default_factory=dict)
    edition: Edition | None = None
    legacy: bool = False  #: read from the first format
    digest: str = ""  #: of the file's text ("" when the book has none)
    lines: dict[str, int] = field(default_factory=dict, compare=False)

    def line(self, key: str) -> Location:
        return Location(HISTORY, self.lines.get(key, 1), 3 if key in self.lines else 1)


EMPTY = History()


def read_history(root: Path, diags: Diagnostics) -> History | None:
    """The book's history (EMPTY when it has none yet), or None after reporting why it cannot
    be used."""
    if not os.path.lexists(root / HISTORY):
        return EMPTY
    text = read_text(root, HISTORY, Location(HISTORY), diags, MAX_BYTES,  # kind, size, UTF-8…
                     f"a history this large is not one qabook wrote; {RESTART}")
    if text is None:
        return None
    try:
        return parse(text.text)
    except HistoryError as exc:
        diags.error(Location(HISTORY, exc.line, exc.col), "history.invalid", exc.message,
                    exc.hint or f"mend it, or {RESTART}")
        return None


def parse(text: str) -> History:
    """A history file's text, or HistoryError saying what is wrong where."""
    conflict = CONFLICT.search(text)
    if conflict:
        line = text.count("\n", 0, conflict.start()) + 1
        raise HistoryError(f"{HISTORY} has merge-conflict markers at line {line}", line, 1,
                           f"take either side of each conflict, then build and commit: the "
                           f"build gives every note whose content differs a new time; or "
                           f"{RESTART}")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_whole_number)
    except json.JSONDecodeError as exc:
        raise HistoryError(f"{HISTORY} is not valid JSON: {exc.msg}", exc.lineno,
                           exc.colno) from None
    except RecursionError:
        raise HistoryError(f"{HISTORY} is nested too deeply to be read") from None
    except _Duplicate as exc:
        raise HistoryError(f"'{exc.key}' is given twice", *_position(text, exc.key)) from None
    if not isinstance(data, dict):
        raise HistoryError(f"{HISTORY} must be a JSON object, not {_json_type(data)}")
    digest = hashlib.sha256(text.encode()).hexdigest()
    if FORMAT not in data:
        return _first_format(data, text, digest)
    if data[FORMAT] != VERSION:
        raise HistoryError(f"{HISTORY} is of format {data[FORMAT]!r}; this qabook reads "
                           f"format {VERSION}", *_position(text, FORMAT),
                           "build with the qabook version that wrote it, or a newer one")
    unknown = set(data) - {FORMAT, "edition", "note types", "notes"}
    if unknown:
        name = sorted(unknown)[0]
        raise HistoryError(f"unknown key '{name}'", *_position(text, name))
    notes = _object(data.get("notes", {}), "notes", text)
    types = _object(data.get("note types", {}), "note types", text)
    parsed = {key: _note(key, value, text) for key, value in notes.items()}
    owners: dict[str, str] = {}
    for key, entry in parsed.items():
        if entry.guid in owners:
            raise HistoryError(f"the notes '{owners[entry.guid]}' and '{key}' have the same "
                               f"guid: they are one note of learners' decks under two names",
                               *_position(text, key),
                               "a merge kept both: delete the entry of the name the book no "
                               "longer uses, then build")
        owners[entry.guid] = key
    return History(
        notes=parsed,
        types={key: _stamp(key, value, text) for key, value in types.items()},
        edition=_edition(data["edition"], text) if "edition" in data else None,
        digest=digest, lines={key: _position(text, key)[0] for key in notes})


def dumps(history: History) -> str:
    """The file's text: stable key order, one note or note type per line."""
    def line(key: str, value: Any) -> str:
        return f"    {json.dumps(key, ensure_ascii=False)}: " \
               f"{json.dumps(value, ensure_ascii=False, sort_keys=True)}"

    parts = [f'  "{FORMAT}": {VERSION}']
    if history.edition is not None:
        parts.append(f'  "edition": {json.dumps(history.edition.to_json(), ensure_ascii=False)}')
    types = ",\n".join(line(k, [v.time, v.hash]) for k, v in sorted(history.types.items()))
    parts.append('  "note types": {\n' + types + "\n  }" if types else '  "note types": {}')
    notes = ",\n".join(line(k, v.to_json()) for k, v in sorted(history.notes.items()))
    parts.append('  "notes": {\n' + notes + "\n  }" if notes else '  "notes": {}')
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _first_format(data: dict, text: str, digest: str) -> History:
    """`{"Q17": [time, hash], "17-A": …, "model:question": …}`, as issue 15's qabook wrote it."""
    notes: dict[str, Entry] = {}
    types: dict[str, Stamp] = {}
    for key, value in data.items():
        if not re.fullmatch(r"Q\d{1,9}|\d{1,9}-[A-Z]{1,3}|model:(question|exercise)", key):
            raise HistoryError(f"'{key}' is not a note of a first-format history (Q17, 17-A, "
                               f"model:question)", *_position(text, key))
        if not _pair(value):
            raise HistoryError(f"the entry of '{key}' must be [time, hash]: a whole number of "
                               f"seconds from 0 to {MAX_TIME} and 16 hex digits",
                               *_position(text, key))
        if key.startswith("model:"):
            types[key[len("model:"):]] = Stamp(*value)
        else:
            kind = "question" if re.fullmatch(r"Q\d+", key) else "exercise"
            notes[key] = Entry("", value[0], value[1], kind)
    return History(notes, types, None, True, digest,
                   {key: _position(text, key)[0] for key in notes})


def _whole_number(digits: str) -> int | float:
    """A JSON integer; one too long to be a time is infinite (Python refuses to convert
    past 4,300 digits), so that its entry is refused where it is."""
    return int(digits) if len(digits) <= 20 else float("inf")


def _time(value: Any) -> bool:
    return type(value) is int and 0 <= value <= MAX_TIME


def _pair(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2 and _time(value[0])
            and isinstance(value[1], str) and DIGEST.fullmatch(value[1]) is not None)


def _object(value: Any, name: str, text: str) -> dict:
    if not isinstance(value, dict):
        raise HistoryError(f"'{name}' must be an object, not {_json_type(value)}",
                           *_position(text, name))
    return value


def _stamp(key: str, value: Any, text: str) -> Stamp:
    if not _pair(value):
        raise HistoryError(f"the note type '{key}' must be [time, hash]: a whole number of "
                           f"seconds from 0 to {MAX_TIME} and 16 hex digits",
                           *_position(text, key))
    return Stamp(*value)


def _note(key: str, value: Any, text: str) -> Entry:
    def fail(what: str) -> HistoryError:
        return HistoryError(f"the note '{key}' {what}", *_position(text, key),
                            f"mend it (each note is {{guid, time, hash, kind, key, heading, "
                            f"deck}}), or {RESTART}")

    if not isinstance(value, dict):
        raise fail(f"must be an object, not {_json_type(value)}")
    allowed = {"guid", "time", "hash", "kind", "key", "heading", "deck", "retired", "terms",
               "text"}
    missing = {"guid", "time", "hash", "kind"} - set(value)
    if missing or set(value) - allowed:
        raise fail(f"has no '{sorted(missing)[0]}'" if missing else
                   f"has an unknown key '{sorted(set(value) - allowed)[0]}'")
    guid = value["guid"]
    if not isinstance(guid, str) or not 0 < len(guid) <= 64 or not guid.isprintable() \
            or guid != guid.strip():
        raise fail("has a guid that is not 1 to 64 printable characters")
    if not _time(value["time"]):
        raise fail(f"has a time that is not a whole number of seconds from 0 to {MAX_TIME}")
    if not isinstance(value["hash"], str) or DIGEST.fullmatch(value["hash"]) is None:
        raise fail("has a hash that is not 16 hex digits")
    if value["kind"] not in KINDS:
        raise fail(f"has a kind that is not one of {', '.join(KINDS)}")
    for name in ("key", "heading", "deck"):
        text_ = value.get(name, "")
        if not isinstance(text_, str) or len(text_) > MAX_TEXT:
            raise fail(f"has a {name} that is not text of at most {MAX_TEXT} characters")
        if problem(text_, prose=True):
            raise fail(f"has a {name} with characters or markup a card must not carry (a "
                       f"tombstone shows it)")
    if type(value.get("retired", False)) is not bool:
        raise fail("has a 'retired' that is not true or false")
    if value.get("text", "") and (not isinstance(value["text"], str)
                                  or DIGEST.fullmatch(value["text"]) is None):
        raise fail("has a text digest that is not 16 hex digits")
    terms = value.get("terms", {})
    if not isinstance(terms, dict) or len(terms) > MAX_TERMS or not all(
            type(n) is int and 0 < n <= MAX_TERMS for n in terms.values()) \
            or len(set(terms.values())) != len(terms):
        raise fail(f"has 'terms' that are not distinct card numbers from 1 to {MAX_TERMS}")
    return Entry(guid, value["time"], value["hash"], value["kind"], value.get("key", ""),
                 value.get("heading", ""), value.get("deck", ""), value.get("retired", False),
                 tuple(sorted(terms.items(), key=lambda item: item[1])), value.get("text", ""))


def _edition(value: Any, text: str) -> Edition:
    def names(items: Any) -> bool:
        return isinstance(items, list) and all(
            isinstance(x, str) and len(x) <= MAX_TEXT and not problem(x, prose=True)
            for x in items)

    ok = isinstance(value, dict) \
        and set(value) == {"date", "time", "added", "updated", "retired", "renamed"} \
        and isinstance(value["date"], str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value["date"]) \
        and _time(value["time"]) and all(names(value[k]) for k in ("added", "updated", "retired")) \
        and isinstance(value["renamed"], list) and all(
            isinstance(pair, list) and len(pair) == 2 and names(pair) for pair in value["renamed"])
    if not ok:
        raise HistoryError("'edition' must be {date, time, added, updated, retired, renamed}",
                           *_position(text, "edition"))
    return Edition(value["date"], value["time"], tuple(value["added"]), tuple(value["updated"]),
                   tuple(value["retired"]), tuple(tuple(pair) for pair in value["renamed"]))


class _Duplicate(Exception):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (what a careless merge leaves behind)."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Duplicate(key)
        seen[key] = value
    return seen


def _position(text: str, key: str) -> tuple[int, int]:
    """Where key is written (its last occurrence: a duplicate comes after the original)."""
    at = text.rfind(json.dumps(key, ensure_ascii=False))
    if at < 0:
        return 1, 1
    return text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)


def _json_type(value: Any) -> str:
    return {list: "a list", str: "text", int: "a number", float: "a number",
            bool: "true or false", type(None): "null", dict: "an object"}.get(type(value),
                                                                                "a value")
