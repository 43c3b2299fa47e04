"""Reading source files safely: containment, kind, size, encoding, characters, line endings,
front matter."""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qabook import regular
from qabook.characters import FORBIDDEN, REPLACEMENT, describe
from qabook.diagnostics import Diagnostics, Location

MAX_BYTES = 1024 * 1024  # a question is a few thousand words; 1 MiB is a clear, generous limit
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


@dataclass(frozen=True)
class Text:
    """A decoded source file: LF line endings, no byte-order mark."""

    path: str
    text: str


def inside(root: Path, relative: str) -> Path | None:
    """The real path of root/relative if it stays inside root (symlinks followed), else None.

    A loop of symlinks stays where it is (inside or not): reading it is refused later.
    """
    if os.path.isabs(relative) or "\\" in relative:
        return None
    real_root = root.resolve()
    target = Path(os.path.realpath(root / relative))
    return target if target.is_relative_to(real_root) else None


def read_text(root: Path, relative: str, origin: Location, diags: Diagnostics,
              limit: int = MAX_BYTES, hint: str = "split the text, or move data out of the book"
              ) -> Text | None:
    """Read root/relative as UTF-8 text, reporting containment, kind, size (at most `limit`
    bytes), encoding and character problems."""
    here = Location(relative)
    target = inside(root, relative)
    if target is None:
        diags.error(origin, "file.outside", f"'{relative}' lies outside the book's source folder",
                    "keep every file of the book under source/ and use relative paths")
        return None
    try:
        data = regular.read_bytes(target, limit)
    except regular.NotRegular as exc:
        _not_a_file(relative, str(exc), origin, diags)
        return None
    if len(data) > limit:
        size = os.stat(target).st_size
        diags.error(here.at(1, 1), "file.too-large",
                    f"file is {size / 1048576:.1f} MiB; the limit is {limit // 1048576} MiB", hint)
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        col = len(data[start:exc.start].decode("utf-8", "replace")) + 1
        diags.error(here.at(line, col), "file.encoding",
                    f"file is not UTF-8 (byte 0x{data[exc.start]:02x})",
                    "save the file as UTF-8")
        return None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return Text(relative, _characters(text, here, diags))


def _not_a_file(relative: str, what: str, origin: Location, diags: Diagnostics) -> None:
    if what == "missing":
        diags.error(origin, "file.missing", f"file '{relative}' does not exist",
                    "create it, or correct the path in book.yaml")
    else:
        diags.error(origin, "file.not-regular", f"'{relative}' is {what}, not a file",
                    "a book is made of regular files: replace it with one, or remove it")




def _characters(text: str, here: Location, diags: Diagnostics) -> str:
    """The text with each forbidden character replaced (after reporting the first), so
    later stages read on without tripping over it."""
    first = FORBIDDEN.search(text)
    if first is None:
        return text
    found = FORBIDDEN.findall(text)
    char = first.group()
    line = text.count("\n", 0, first.start()) + 1
    col = first.start() - text.rfind("\n", 0, first.start())
    more = f" ({len(found) - 1:,} more in this file)" if len(found) > 1 else ""
    diags.error(here.at(line, col), "file.character",
                f"character U+{ord(char):04X} ({describe(char)}) is not allowed{more}",
                "delete it: most editors do not show it, and it can hide or reorder text, "
                "break the EPUB or drive a terminal")
    return FORBIDDEN.sub(REPLACEMENT, text)


@dataclass(frozen=True)
class Split:
    """A Markdown file split into its YAML front matter and its body."""

    yaml: str | None  # None: the file has no front matter
    yaml_line: int  # line of the first YAML line
    body: str  # the Markdown, front matter replaced by blank lines so line numbers hold


def split_front_matter(text: str) -> Split:
    """Separate the leading `---` YAML block (not Markdown: pandoc never sees it)."""
    match = FRONT_MATTER.match(text)
    if not match:
        return Split(None, 0, text)
    yaml_text = match.group(1) or ""
    blank = "\n" * match.group(0).count("\n")
    return Split(yaml_text, 2, blank + text[match.end():])


def opens_front_matter(text: str) -> bool:
    """True when the file starts a front matter block (closed or not)."""
    return re.match(r"\A---[ \t]*\n", text) is not None


#: a note's label: as in commonmark_x, no space and no bracket (an unescaped `[` or `]` ends
#: the label, which also keeps NOTE_CALL linear on a run of `[^[^[^…`)
LABEL = r"[^\[\]\s]+"
NOTE_DEFINITION = re.compile(rf"^((?:[ \t]*>)*[ \t]{{0,3}})\[\^({LABEL})\]:")
NOTE_CALL = re.compile(rf"\[\^({LABEL})\](?!:)")
BACKTICKS = re.compile(r"`+")
FENCE = re.compile(r"^(?:[ \t]*>)*[ \t]*(```|~~~)")


def footnote_cycle(body: str) -> tuple[int, int, list[str]] | None:
    """A footnote that contains itself, directly or through other notes: (line, column of its
    definition, the labels around the cycle), or None.

    pandoc expands a note inside a note without end, until its memory limit (2 GiB, half a
    minute, twice), so such a file is refused before pandoc sees it. This reads only the
    shape of footnote definitions (a line `[^label]:` and what follows up to the next
    definition or unindented paragraph), outside code, which is all the question needs.
    It takes time linear in the text (a source file may hold a megabyte of backticks or of
    `[^`) and never recurses (a file may hold tens of thousands of notes calling each other).
    """
    notes = _notes(body)
    looped = _in_a_loop(notes)
    if not looped:
        return None
    label = min(looped, key=lambda label: notes[label][:2])  # the first one in the file
    line, col, _ = notes[label]
    return line, col, _path_back(label, notes)


#: notes inside notes inside notes…: pandoc's time grows with the square of a chain's length
#: (800 take it 5 s); the model allows no deeper nesting of any kind anyway
MAX_NOTE_CHAIN = 32


def footnote_chain(body: str) -> tuple[int, int, list[str]] | None:
    """A chain of more than MAX_NOTE_CHAIN notes each calling the next (in a file whose
    notes do not loop): (line, column of its first note's definition, its labels), or None."""
    notes = _notes(body)
    depth: dict[str, int] = {}
    for root in notes:  # depth first, with a stack of its own: chains may be long
        stack = [(root, False)]
        while stack:
            label, done = stack.pop()
            if label in depth:
                continue
            callees = [c for c in notes[label][2] if c in notes]
            if done:
                depth[label] = 1 + max((depth[c] for c in callees), default=0)
                continue
            stack.append((label, True))
            stack += [(c, False) for c in callees if c not in depth]
    deep = [label for label in notes if depth[label] > MAX_NOTE_CHAIN]
    if not deep:
        return None
    label = min(deep, key=lambda label: notes[label][:2])
    chain = [label]
    while len(chain) <= MAX_NOTE_CHAIN:
        callees = [c for c in notes[chain[-1]][2] if c in notes]
        chain.append(max(sorted(callees), key=lambda c: depth[c]))
    return notes[label][0], notes[label][1], chain


def _notes(body: str) -> dict[str, tuple[int, int, set[str]]]:
    """Each footnote definition's line and column and the notes it calls."""
    notes: dict[str, tuple[int, int, set[str]]] = {}
    current: set[str] | None = None
    fenced, blank = False, False
    for number, line in enumerate(body.split("\n"), start=1):
        if FENCE.match(line):
            fenced = not fenced
        if fenced:
            continue
        definition = NOTE_DEFINITION.match(line)
        if definition:
            current = set()
            notes.setdefault(definition.group(2), (number, len(definition.group(1)) + 1, current))
            line = line[definition.end():]
        elif blank and line.strip() and not line.startswith(("    ", "\t")):
            current = None  # an unindented paragraph: the note has ended
        blank = not line.strip()
        if current is not None:
            for piece in outside_code_spans(line):
                current.update(NOTE_CALL.findall(piece))
    return notes


def outside_code_spans(line: str) -> list[str]:
    """The pieces of a line outside its code spans, found as CommonMark finds them, in linear
    time: a run of backticks opens a span that the next run of exactly its length closes, and
    a run that no later run closes is text (a regular expression with a back-reference to the
    opening run took 99 s on 20,000 backticks)."""
    runs = [(match.start(), match.end()) for match in BACKTICKS.finditer(line)]
    if len(runs) < 2:
        return [line]
    later: dict[int, deque[int]] = {}  # run length: the indices of the runs that long, in order
    for index, (start, end) in enumerate(runs):
        later.setdefault(end - start, deque()).append(index)
    pieces, text_from, index = [], 0, 0
    while index < len(runs):
        start, end = runs[index]
        same = later[end - start]
        while same and same[0] <= index:  # each index leaves its queue once: linear in all
            same.popleft()
        if same:
            closing = same.popleft()
            pieces.append(line[text_from:start])
            text_from = runs[closing][1]
            index = closing + 1
        else:
            index += 1
    pieces.append(line[text_from:])
    return pieces


def _in_a_loop(notes: dict[str, tuple[int, int, set[str]]]) -> set[str]:
    """The labels of the notes that reach themselves through the notes they call: the members
    of the strongly connected components with a cycle (Tarjan's algorithm, with an explicit
    stack instead of recursion)."""
    order: dict[str, int] = {}  # label: when the walk first reached it
    low: dict[str, int] = {}  # the earliest order of a label still on the stack it reaches
    stack: list[str] = []
    on_stack: set[str] = set()
    looped: set[str] = set()
    walk: list[tuple[str, Iterator[str]]] = []  # the labels being followed, with calls left

    def enter(label: str) -> None:
        order[label] = low[label] = len(order)
        stack.append(label)
        on_stack.add(label)
        walk.append((label, iter(notes[label][2])))

    for root in notes:
        if root in order:
            continue
        enter(root)
        while walk:
            label, calls = walk[-1]
            for called in calls:
                if called not in notes:
                    continue
                if called not in order:
                    enter(called)
                    break
                if called in on_stack:
                    low[label] = min(low[label], order[called])
            else:  # every call of label followed
                walk.pop()
                if walk:
                    caller = walk[-1][0]
                    low[caller] = min(low[caller], low[label])
                if low[label] == order[label]:  # label heads a component: take it off the stack
                    component = []
                    while not component or component[-1] != label:
                        component.append(stack.pop())
                        on_stack.discard(component[-1])
                    if len(component) > 1 or label in notes[label][2]:
                        looped.update(component)
    return looped


def _path_back(start: str, notes: dict[str, tuple[int, int, set[str]]]) -> list[str]:
    """The labels from start back to start through the notes each one calls: the first path a
    depth-first walk finds, calls taken in sorted order (start must be in a loop)."""
    path, seen = [start], set()
    walk = [iter(sorted(notes[start][2]))]
    while walk:
        for called in walk[-1]:
            if called == start:
                return path + [start]
            if called in notes and called not in seen:
                seen.add(called)
                path.append(called)
                walk.append(iter(sorted(notes[called][2])))
                break
        else:
            walk.pop()
            path.pop()
    raise ValueError(f"note [^{start}] is in no loop")
