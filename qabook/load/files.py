"""Reading source files safely: containment, size, encoding, line endings, front matter."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from qabook.diagnostics import Diagnostics, Location

MAX_BYTES = 1024 * 1024  # a question is a few thousand words; 1 MiB is a clear, generous limit
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


@dataclass(frozen=True)
class Text:
    """A decoded source file: LF line endings, no byte-order mark."""

    path: str
    text: str


def inside(root: Path, relative: str) -> Path | None:
    """The real path of root/relative if it stays inside root (symlinks followed), else None."""
    if os.path.isabs(relative) or "\\" in relative:
        return None
    real_root = root.resolve()
    target = (root / relative).resolve()
    return target if target.is_relative_to(real_root) else None


def read_text(root: Path, relative: str, origin: Location, diags: Diagnostics) -> Text | None:
    """Read root/relative as UTF-8 text, reporting containment, size and encoding problems."""
    here = Location(relative)
    target = inside(root, relative)
    if target is None:
        diags.error(origin, "file.outside", f"'{relative}' lies outside the book's source folder",
                    "keep every file of the book under source/ and use relative paths")
        return None
    if not target.is_file():
        diags.error(origin, "file.missing", f"file '{relative}' does not exist",
                    "create it, or correct the path in book.yaml")
        return None
    size = target.stat().st_size
    if size > MAX_BYTES:
        diags.error(here.at(1, 1), "file.too-large",
                    f"file is {size / 1048576:.1f} MiB; the limit is {MAX_BYTES // 1048576} MiB",
                    "split the text, or move data out of the book")
        return None
    data = target.read_bytes()
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
    return Text(relative, text)


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
