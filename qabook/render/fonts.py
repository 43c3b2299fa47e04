"""The shipped fonts (templates/fonts) subset to the characters a book uses, as WOFF2.

A deck or an e-book that names a font must carry it, or every reader falls back to a
different one; carrying whole fonts would add 2.9 MB. The subset keeps the glyphs of the
characters given (plus printable ASCII, so a learner's own note still has its letters) and
the OpenType features that shape them (kerning, ligatures). Output bytes depend only on the
font file and the characters: the font's timestamp is not recalculated.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from fontTools import subset
from fontTools.ttLib import TTFont

from qabook import resources
from qabook.cache import NO_CACHE, Cache, key

FONTS = resources.TEMPLATES / "fonts"
ASCII = {chr(c) for c in range(0x20, 0x7F)}


@dataclass(frozen=True)
class Face:
    """One font file of the shipped families, as CSS names it."""

    family: str
    file: str  #: under templates/fonts
    weight: int = 400
    style: str = "normal"


def woff2(face: Face, characters: set[str], cache: Cache = NO_CACHE) -> bytes:
    """The face subset to these characters (and printable ASCII), as WOFF2 bytes."""
    path = FONTS / face.file
    data = path.read_bytes()
    text = "".join(sorted(set(characters) | ASCII))
    ident = key("font-subset", hashlib.sha256(data).hexdigest(), text)
    hit = cache.get("font-subset", ident)
    if hit is not None:
        return hit
    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    options = subset.Options()
    options.flavor = "woff2"
    options.name_IDs = ["*"]  # the copyright and licence strings stay with the font
    options.notdef_outline = True
    options.recalc_timestamp = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff2"
    font.save(out, reorderTables=False)
    result = out.getvalue()
    cache.put("font-subset", ident, result)
    return result
