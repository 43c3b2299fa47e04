"""FileContext: what the model stage collects while it walks one file's pandoc AST."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from qabook import characters
from qabook.diagnostics import Diagnostics, Location
from qabook.model.nodes import Citation, Cloze, Document, Equation, Figure, Ref, Table
from qabook.tex import Formula

Pos = tuple[int, int] | None
TAB = 4  # pandoc expands tabs to stops of 4 when it counts columns
#: levels of content inside each other (lists, quotes, divs, notes, emphasis, links…); real
#: answers use about ten; past a few hundred, recursive walks (here, in the renderers, in
#: WeasyPrint) reach Python's limit
MAX_NESTING = 32


@dataclass
class FileContext:
    """Per-file state of the model stage: positions, diagnostics and what was found."""

    root: Path
    path: str
    lines: tuple[str, ...]
    diags: Diagnostics
    in_question: bool
    #: the block walker (model.blocks.blocks), handed in so that footnotes met inside inline
    #: content are walked as blocks without the inline module importing the block module
    parse_blocks: Callable[[list, "FileContext", Pos], list]
    refs: list[Ref] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    equations: list[Equation] = field(default_factory=list)
    formulas: list[Formula] = field(default_factory=list)
    footnotes: int = 0
    in_note: int = 0  #: how many footnotes the walk is inside (figures may not be)
    part: str = ""  #: the div of a question file the walk is inside ("summary", …), or ""
    in_cloze: bool = False  #: whether the walk is inside a cloze span
    clozes: list[Cloze] = field(default_factory=list)  #: of the summary, in text order
    #: (fingerprint, line) of each paragraph and code block, for print (model/positions.py)
    positions: dict[str, int] = field(default_factory=dict)
    #: (path, what it held) for every figure path looked at: the model's verdict depends on it
    images: list[tuple[str, str]] = field(default_factory=list)
    depth: int = 0  #: how many levels of content the walk is inside
    too_deep: bool = False  #: whether MAX_NESTING was passed (reported once per file)

    @contextmanager
    def nested(self, pos: Pos) -> Iterator[bool]:
        """Walk one level deeper; False past MAX_NESTING (reported where it is first passed),
        and the caller then drops what lies deeper."""
        self.depth += 1
        try:
            if self.depth > MAX_NESTING and not self.too_deep:
                self.too_deep = True
                self.error(pos, "markup.too-deep", f"content nested more than {MAX_NESTING} "
                           "levels deep (lists, quotes, divs, notes or emphasis inside each "
                           "other)", "flatten the markup: split the list, or end a quote")
            yield self.depth <= MAX_NESTING
        finally:
            self.depth -= 1

    def loc(self, pos: Pos) -> Location:
        """A Location for a pandoc position, with columns counted in characters."""
        if pos is None:
            return Location(self.path, 1, 1)
        line, col = pos
        return Location(self.path, line, self._char_col(line, col))

    def _char_col(self, line: int, col: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if "\t" not in text:
            return col
        visual = 1
        for index, char in enumerate(text, start=1):
            if visual >= col:
                return index
            visual = ((visual - 1) // TAB + 1) * TAB + 1 if char == "\t" else visual + 1
        return len(text) + 1

    def error(self, pos: Pos, code: str, message: str, hint: str = "") -> None:
        self.diags.error(self.loc(pos), code, message, hint)

    def warning(self, pos: Pos, code: str, message: str, hint: str = "") -> None:
        self.diags.warning(self.loc(pos), code, message, hint)

    def document(self) -> Document:
        text = "\n".join(self.lines).encode("utf-8")
        return Document(self.path, Location(self.path, 1, 1), tuple(self.refs),
                        tuple(self.citations), tuple(self.figures), tuple(self.tables),
                        tuple(self.equations), self.footnotes, hashlib.sha256(text).hexdigest(),
                        tuple(self.formulas), tuple(self.positions.items()))

    def place(self, print_: str, pos: Pos) -> None:
        """Remember where a block with this fingerprint starts (the first one, if several do)."""
        if print_ and pos is not None:
            self.positions.setdefault(print_, pos[0])


def position(attr: Any) -> Pos:
    """The start of pandoc's `data-pos` attribute ("[file@]12:5-12:9"), if there is one; of
    several ranges (a table's: "4:1-5:1;3:1-6:1", its rows and then the whole), the first
    in the file."""
    for key, value in attr[2]:
        if key == "data-pos":
            starts = []
            for part in value.split(";"):
                line, _, col = part.rsplit("@", 1)[-1].split("-", 1)[0].partition(":")
                try:
                    starts.append((int(line), int(col)))
                except ValueError:
                    return None
            return min(starts)
    return None


def is_wrapper(attr: Any) -> bool:
    """True for the Spans and Divs that pandoc's sourcepos adds only to carry a position."""
    kv = attr[2]
    return bool(kv) and (kv[0][0] == "wrapper" or any(key == "wrapper" for key, _ in kv))


BOOKKEEPING = ("wrapper", "data-pos")  #: the keys pandoc's sourcepos adds


def sourcepos_free(attr: Any) -> list:
    """The attribute without pandoc's sourcepos bookkeeping: what the author wrote (which
    model.attributes.clean_attr then holds to what the author may write)."""
    return [attr[0], list(attr[1]), [[k, v] for k, v in attr[2] if k not in BOOKKEEPING]]


def unwrapped(attr: Any) -> list:
    """A wrapper's attribute as an ordinary element's: the author's part and its position."""
    return [attr[0], list(attr[1]), [[k, v] for k, v in attr[2] if k != "wrapper"]]


def has_user_attr(attr: Any) -> bool:
    """True when a wrapper also carries attributes the author wrote ({#id .class key=value})."""
    cleaned = sourcepos_free(attr)
    return bool(cleaned[0] or cleaned[1] or cleaned[2])


def refuse_text(text: str, prose: bool, ctx: FileContext, here: Callable[[int], Pos]) -> None:
    """Report the first thing text may not hold (characters.py): a character that only a
    character reference could write (`&#x202E;`), or text Anki would act on in a card;
    here(index) is the position of the character at index."""
    found = characters.problem(text, prose)
    if found is None:
        return
    index, message, hint = found
    if "Anki" in message:
        ctx.error(here(index), "text.anki", message, hint)
    elif "fonts" in message:
        ctx.error(here(index), "text.glyph", message, hint)
    else:
        ctx.error(here(index), "file.character", message + " (written as a reference or "
                  "escape)", hint)
