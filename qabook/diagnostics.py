"""Locations, diagnostics and the collector every stage reports into."""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal

from qabook import regular

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Location:
    """A place in the book: a path relative to the source root, 1-based line and column."""

    path: str
    line: int = 0
    col: int = 0

    def at(self, line: int, col: int) -> "Location":
        """Return a location in the same file."""
        return Location(self.path, line, col)

    def __str__(self) -> str:
        if not self.path:
            return "qabook"
        if self.line:
            return f"{self.path}:{self.line}:{self.col or 1}"
        return self.path


NOWHERE = Location("")  #: for problems of the machine or an engine, not of a file of the book


@dataclass(frozen=True)
class Diagnostic:
    """One problem: where, how bad, what, why (a code) and what to do about it."""

    location: Location
    severity: Severity
    code: str
    message: str
    hint: str = ""

    def headline(self, root: str = "") -> str:
        """The first line, `path:line:col: error: message [code]`, with the path under root."""
        return f"{self.where(root)}: {self.severity}: {self.shown()} [{self.code}]"

    def shown(self) -> str:
        """The message as the headline shows it (escaped when it is about a file)."""
        return visible(self.message) if self.location.path else self.message

    def path(self, root: str = "") -> str | None:
        """The file's path under root, as given (None for the machine or the engines)."""
        path = self.location.path
        if not path:
            return None
        return os.path.normpath(os.path.join(root, path)) if root else path

    def where(self, root: str = "") -> str:
        """The headline's `path:line:col` (`qabook` for the machine or the engines), shown
        with unprintable characters escaped."""
        loc, path = self.location, self.path(root)
        if path is None:
            return "qabook"
        return f"{visible(path)}:{loc.line}:{loc.col or 1}" if loc.line else visible(path)


@dataclass
class Diagnostics:
    """Collects the problems of a run; stages add to it and the pipeline stops at boundaries."""

    items: list[Diagnostic] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  #: what a run did that its user must know

    def error(self, location: Location, code: str, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic(location, "error", code, message, hint))

    def warning(self, location: Location, code: str, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic(location, "warning", code, message, hint))

    def extend(self, items: Iterable[Diagnostic]) -> None:
        self.items.extend(items)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        """Diagnostics in file, line and column order, without exact repeats."""
        unique = dict.fromkeys(self.items)
        return sorted(unique, key=lambda d: (d.location, d.code, d.message))


class BuildFailed(Exception):
    """Raised at a stage boundary when the run has errors; carries the collector."""

    def __init__(self, diagnostics: Diagnostics):
        super().__init__(f"{len(diagnostics.errors)} error(s)")
        self.diagnostics = diagnostics


def did_you_mean(word: str, candidates: Iterable[str], prefix: str = "") -> str:
    """A hint naming the closest candidate, or an empty string."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean {prefix}{close[0]}?{_look_alike(word, close[0])}" if close else ""


def _look_alike(written: str, meant: str) -> str:
    """Name the characters that tell two look-alike words apart (`fig-firѕt` with a Cyrillic
    dze looks just like `fig-first`), or an empty string when the difference shows."""
    differ = [(a, b) for a, b in zip(written, meant) if a != b]
    if len(written) != len(meant) or not differ or any(a.isascii() and b.isascii()
                                                       for a, b in differ):
        return ""
    a, b = differ[0]
    return f" (it has {_name(b)} where this has {_name(a)})"


def _name(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, '')}".rstrip()


def source_line(root: Path, location: Location) -> str | None:
    """The text of the line a location points at, if it is in a regular file of the book (a
    FIFO or a device is never opened, a symlink out of the book never followed)."""
    if not location.line:
        return None
    target = Path(os.path.realpath(root / location.path))
    if not target.is_relative_to(os.path.realpath(root)):
        return None
    try:
        data = regular.read_bytes(target, limit=EXCERPT_BYTES)
    except regular.NotRegular:
        return None
    text = data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")  # as the loader counts lines: U+2028, VT, FF… end no line
    if location.line <= len(lines):
        return lines[location.line - 1]
    return None


EXCERPT_BYTES = 64 * 1024 * 1024  #: far beyond any source file (they are refused past 1 MiB)

#: what never reaches a terminal raw: control characters (ESC starts escape sequences, a
#: newline in a file name could forge a diagnostic line), line and paragraph separators, and
#: bidirectional controls (they reorder what is shown); tab is harmless and aligns carets
UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                         "\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """text with every unprintable character written as an escape (`\\x1b`, `\\u202e`)."""
    return UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
