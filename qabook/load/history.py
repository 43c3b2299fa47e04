"""anki-history.json, the deck's record of each note's modification time, checked when the
book is loaded: it lives in the source folder and is committed (and merged) with it.

This is the one place that knows the file's contents (issue 16 will redesign them): an
object mapping each note or note type to `[mtime, content hash]`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from qabook.diagnostics import Diagnostics, Location
from qabook.load.files import read_text

HISTORY = "anki-history.json"
MAX_TIME = 2**53 - 1  #: exact in JSON and JavaScript, and (plus one) in SQLite's INTEGER
DIGEST = re.compile(r"[0-9a-f]{16}")
CONFLICT = re.compile(r"^(<{7}|={7}|>{7})( |$)", re.M)
RESTART = "delete the file to start a new history (every note's time restarts at the book's date)"


class HistoryError(Exception):
    """A history file that cannot be used, with the 1-based position of the problem."""

    def __init__(self, message: str, line: int = 1, col: int = 1, hint: str = ""):
        super().__init__(message)
        self.message, self.line, self.col, self.hint = message, line, col, hint


def read_history(root: Path, diags: Diagnostics) -> dict[str, list] | None:
    """The history's entries ({} when the book has none yet), or None after reporting why
    they cannot be used."""
    if not os.path.lexists(root / HISTORY):
        return {}
    text = read_text(root, HISTORY, Location(HISTORY), diags)  # kind, size, encoding, characters
    if text is None:
        return None
    try:
        return entries(text.text)
    except HistoryError as exc:
        diags.error(Location(HISTORY, exc.line, exc.col), "history.invalid", exc.message,
                    exc.hint or f"mend it, or {RESTART}")
        return None


def entries(text: str) -> dict[str, list]:
    """The entries of a history file's text, or HistoryError saying what is wrong where."""
    conflict = CONFLICT.search(text)
    if conflict:
        line = text.count("\n", 0, conflict.start()) + 1
        raise HistoryError(f"{HISTORY} has merge-conflict markers at line {line}", line, 1,
                           f"resolve the conflict (keep the larger time of each entry), or "
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
    for key, value in data.items():
        if not _entry(value):
            raise HistoryError(f"the entry of '{key}' must be [time, hash]: a whole number of "
                               f"seconds from 0 to {MAX_TIME} and 16 hex digits",
                               *_position(text, key))
    return data


def _whole_number(digits: str) -> int | float:
    """A JSON integer; one too long to be a time is infinite (Python refuses to convert
    past 4,300 digits), so that its entry is refused where it is."""
    return int(digits) if len(digits) <= 20 else float("inf")


def _entry(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2 and type(value[0]) is int
            and 0 <= value[0] <= MAX_TIME and isinstance(value[1], str)
            and DIGEST.fullmatch(value[1]) is not None)


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
            bool: "true or false", type(None): "null"}.get(type(value), "a value")
