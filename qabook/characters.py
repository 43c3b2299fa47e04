"""What text in a book may not hold, wherever it comes from: the raw bytes of a file, a
character reference (`&#x202E;`) or a YAML escape (`"\\x1b"`) that only the parser turns into
the character, and the text Anki itself would act on.

Characters: controls other than tab and newline (NUL makes an invalid EPUB, ESC drives
terminals), line and paragraph separators, bidirectional embeddings, overrides and isolates
(they reorder what a reader sees, as in "Trojan Source"), lone surrogates (not text at all)
and Unicode's noncharacters.

Anki markup: Anki typesets `\\(…\\)` and `\\[…\\]` with MathJax wherever they stand in a
field, and MathJax's `\\href` and `\\style` then make links and styles in the learner's card
(a `javascript:` link, a background fetched from anywhere); it plays `[sound:…]` and runs
the learner's LaTeX on `[latex]…`, `[$]…` and `[$$]…`. qabook writes math as `\\(…\\)`
itself, from the formulas it checked; the same text written in prose, code, a formula or
a title is refused.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from pathlib import Path

FORBIDDEN_RANGES = ((0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F), (0x2028, 0x2029),
                    (0x202A, 0x202E), (0x2066, 0x2069), (0xD800, 0xDFFF), (0xFDD0, 0xFDEF),
                    *((plane + 0xFFFE, plane + 0xFFFF) for plane in range(0, 0x110000, 0x10000)))
FORBIDDEN = re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in FORBIDDEN_RANGES)
                       + "]")
#: Anki's tags, in any text of a card
ANKI_TAGS = re.compile(r"\[(sound:|latex\]|/latex\]|\$\$?\]|/\$\$?\])", re.I)
#: MathJax's delimiters as Anki configures it, in prose (inside a formula `\\[4pt]` is TeX)
MATH_DELIMITERS = re.compile(r"\\[()\[\]]")
HINTS = {
    "character": "delete it: it can hide or reorder text, break the EPUB or drive a terminal",
    "delimiter": "write math between dollar signs ($…$): qabook checks it and writes it for "
                 "Anki itself (Anki's MathJax would make links and styles of this text)",
    "glyph": "the PDF cannot print it: write it another way (a symbol as math, $\\alpha$)",
    "tag": "reword it: Anki plays [sound:…] and runs the learner's LaTeX on [latex] and [$] "
           "wherever they stand in a card, code and formulas included",
}


def describe(char: str) -> str:
    """A character for a message: its name, or what kind of character it is."""
    if unicodedata.category(char) == "Cc":
        return "a control character"
    if 0xD800 <= ord(char) <= 0xDFFF:
        return "a lone surrogate"
    return unicodedata.name(char, "a noncharacter")


#: the code points the book's own fonts draw, as ranges (written by scripts/printable.py
#: from templates/fonts/, and held to them by a test)
PRINTABLE = Path(__file__).with_name("printable.json")


@functools.lru_cache(maxsize=1)
def printable() -> frozenset[int]:
    """The code points the book's own fonts draw (the PDF uses no other font for text; math
    is drawn apart). Read once, only when a text holds something beyond plain ASCII."""
    ranges = json.loads(PRINTABLE.read_text())
    return frozenset(point for first, last in ranges for point in range(first, last + 1))


def unprintable(text: str) -> int | None:
    """The index of the first character none of the book's fonts draws, or None."""
    if text.isascii():
        return None
    covered = printable()
    return next((i for i, char in enumerate(text) if ord(char) not in covered
                 and char not in SKIPPED), None)


OBJECT = "\ufffc"  #: the model's stand-in for a non-text node inside a run of text
REPLACEMENT = "\ufffd"  #: what the loader puts for a forbidden character it reported
SKIPPED = {"\n", "\t", OBJECT, REPLACEMENT}


def problem(text: str, prose: bool) -> tuple[int, str, str] | None:
    """The first thing text may not hold, as (index, message, hint); prose: it is read as
    prose (math delimiters are refused too), not as code or TeX."""
    found = [match for match in (FORBIDDEN.search(text), ANKI_TAGS.search(text),
                                 MATH_DELIMITERS.search(text) if prose else None) if match]
    if not found:
        index = unprintable(text)
        if index is None:
            return None
        char = text[index]
        return (index, f"character U+{ord(char):04X} ({describe(char)}) is in none of the "
                "book's fonts", HINTS["glyph"])
    first = min(found, key=lambda m: m.start())
    if first.re is FORBIDDEN:
        char = first.group()
        return (first.start(), f"character U+{ord(char):04X} ({describe(char)}) is not "
                "allowed", HINTS["character"])
    return (first.start(), f"'{first.group()}' is text Anki acts on in a card",
            HINTS["tag" if first.re is ANKI_TAGS else "delimiter"])
