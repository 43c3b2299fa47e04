"""Where print finds the source line of a paragraph or a code block it lays out.

The book's content carries no positions (the deck and the EPUB print it as written), so each
Document keeps, beside its content, a small table: for every paragraph and code block of the
file, a fingerprint of what it says and the line it starts on. The print renderer (see
render/print_html.py) computes the same fingerprint of the block it writes and puts the line
into the print HTML, where the layout checks (render/pdf_checks.py) find it.

A fingerprint is made of what resolving the book does not change: the words, code and TeX
of a paragraph, without its cross-references (a placeholder in the model, a link in print),
citations, footnotes (they have their own paragraphs) and the numbers resolve adds to
equations and captions. Two paragraphs of one file that say exactly the same get the line of
the first.
"""

from __future__ import annotations

import hashlib
from typing import Any

#: Spans whose content resolve writes or rewrites: cross-references (the model's placeholder,
#: print's reference to a part a handout leaves out), equation and caption numbers
SKIPPED_SPANS = {"qabook-xref", "xref", "elsewhere", "equation-number", "caption-label"}
SKIPPED = {"Note", "Cite"}


def fingerprint(content: Any, code: bool = False) -> str:
    """The fingerprint of a paragraph's inlines, or of a code block's text (code=True); ""
    for a paragraph with nothing to tell it by."""
    if code:
        text = "code\x00" + content
    else:
        parts: list[str] = []
        _words(content, parts)
        if not "".join(parts).strip():
            return ""
        text = "para\x00" + "\x00".join(parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _words(node: Any, parts: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _words(item, parts)
        return
    if not isinstance(node, dict):
        return
    kind, content = node.get("t"), node.get("c")
    if kind in SKIPPED:
        return
    if kind in ("Str", "Code", "Math"):
        parts.append(content if kind == "Str" else content[1])
        return
    if kind in ("Span", "Link") and SKIPPED_SPANS & set(content[0][1]):
        return
    if isinstance(content, list):
        _words(content, parts)
