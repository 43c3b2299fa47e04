"""Where the tags of a text of HTML are, read by the standard library's tokenizer
(html.parser), so that code editing HTML qabook wrote (a chunk's links and page rules, the
ids pandoc prefixed) rewrites exactly the tags: markup an author shows as text, escaped or in
code, is never taken for a tag, and no pattern is matched over the markup."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from typing import NamedTuple


class Tag(NamedTuple):
    """A start or end tag: its name, its attributes as HTML reads them (the first of a
    repeated name counts), where it is in the text (text[start:end]), whether it is an end
    tag, and whether it was written self-closing (`<path … />`, which foreign content needs)."""

    name: str
    attrs: dict[str, str | None]
    start: int
    end: int
    closing: bool = False
    empty: bool = False


def tags(text: str) -> list[Tag]:
    """Every start and end tag of text, in order."""
    reader = _Reader(text)
    reader.feed(text)
    reader.close()
    return reader.found


def start_tag(name: str, attrs: dict[str, str | None], empty: bool = False) -> str:
    """A start tag with these attributes, their values escaped (a None value: the bare name),
    self-closing when empty."""
    return f"<{name}" + "".join(f" {key}" if value is None else f' {key}="{escape(value)}"'
                                for key, value in attrs.items()) + (" />" if empty else ">")


def replace(text: str, changes: list[tuple[Tag, str]]) -> str:
    """text with each tag of changes (in document order) replaced by its new text."""
    out, last = [], 0
    for tag, new in changes:
        out += [text[last:tag.start], new]
        last = tag.end
    return "".join(out) + text[last:]


class _Reader(HTMLParser):
    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self._lines = [0]  # where each line starts (the parser counts lines by \n alone)
        end = text.find("\n")
        while end >= 0:
            self._lines.append(end + 1)
            end = text.find("\n", end + 1)
        self.found: list[Tag] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]],
                        empty: bool = False) -> None:
        first = dict(attrs)
        if len(first) < len(attrs):  # a repeated name: its first value counts
            first = {}
            for name, value in attrs:
                first.setdefault(name, value)
        start = self._offset()
        self.found.append(Tag(tag, first, start, start + len(self.get_starttag_text()),
                              empty=empty))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs, empty=True)

    def handle_endtag(self, tag: str) -> None:
        start = self._offset()
        self.found.append(Tag(tag, {}, start, start, closing=True))  # (its end: parse_endtag)

    def parse_endtag(self, i: int) -> int:
        """The parser's own end of an end tag (newer Pythons skip quoted values in one)."""
        count = len(self.found)
        end = super().parse_endtag(i)
        if end >= 0 and len(self.found) > count:
            tag = self.found[-1]
            self.found[-1] = tag._replace(end=tag.start + end - i)
        return end

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._lines[line - 1] + column
