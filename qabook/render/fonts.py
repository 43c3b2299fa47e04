"""The shipped fonts (templates/fonts) subset for the cards, as WOFF2.

A deck that names a font must carry it, or every reader falls back to a different one;
carrying whole fonts would add 2.9 MB. Subsetting all eleven faces takes about 3 s, so the
subsets that cover the scripts a book normally shows (COVERAGE) are made ahead of time
(templates/fonts/cards, by scripts/card_fonts.py) and a deck ships them as they are; only a
deck that shows a character outside them gets its own subset, made once and cached. A
subset keeps the glyphs of its characters and the OpenType features that shape them
(kerning, ligatures); its bytes depend only on the font file and the characters.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from dataclasses import dataclass

from qabook import resources
from qabook.cache import NO_CACHE, Cache, key

FONTS = resources.TEMPLATES / "fonts"
#: the card fonts subset ahead of time (scripts/card_fonts.py writes them, a test holds them
#: to templates/fonts), so that a deck whose text stays inside COVERAGE costs no subsetting
PREBUILT = resources.CARD_FONTS
#: what the prebuilt subsets cover: Latin-1 and Latin Extended-A (the languages of western,
#: central and northern Europe), Greek, punctuation, super- and subscripts, currency,
#: letterlike symbols, arrows, mathematical operators, geometric shapes and the Latin
#: ligatures; a deck that shows a character outside them gets its subset made (and cached)
COVERAGE = ((0x20, 0x7E), (0xA0, 0x17F), (0x370, 0x3FF), (0x2000, 0x22FF), (0x25A0, 0x25FF),
            (0xFB00, 0xFB06))


def covered(code: int) -> bool:
    """Whether the prebuilt subsets serve this character: it is in COVERAGE, or it needs no
    glyph (a line break or other control, a format character, a variation selector such as
    the U+FE0E pandoc writes after its footnote arrow)."""
    return in_coverage(code) or 0xFE00 <= code <= 0xFE0F \
        or unicodedata.category(chr(code)) in ("Cc", "Cf")


def in_coverage(code: int) -> bool:
    return any(low <= code <= high for low, high in COVERAGE)


def coverage() -> list[int]:
    return [code for low, high in COVERAGE for code in range(low, high + 1)]


@dataclass(frozen=True)
class Face:
    """One font file of the shipped families, as CSS names it."""

    family: str
    file: str  #: under templates/fonts
    weight: int = 400
    style: str = "normal"

    @property
    def prebuilt(self) -> str:
        return f"{self.file.rsplit('.', 1)[0]}.woff2"


def woff2(face: Face, characters: set[str], cache: Cache = NO_CACHE) -> bytes:
    """The face for a deck that shows these characters, as WOFF2 bytes: the prebuilt subset
    when they are all in COVERAGE, else a subset of COVERAGE and these characters."""
    extra = sorted({ord(c) for c in characters if not covered(ord(c))})
    if not extra:
        return (PREBUILT / face.prebuilt).read_bytes()
    data = (FONTS / face.file).read_bytes()
    ident = key("font-subset", hashlib.sha256(data).hexdigest(), extra)
    hit = cache.get("font-subset", ident)
    if hit is None:
        hit = subset_woff2(data, coverage() + extra)
        cache.put("font-subset", ident, hit)
    return hit


def subset_woff2(data: bytes, unicodes: list[int]) -> bytes:
    """A font file subset to these code points (those it has), as WOFF2 bytes that depend
    only on the input: the font's timestamp is not recalculated."""
    from fontTools import subset  # only a deck outside COVERAGE pays for loading fontTools
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    options = subset.Options()
    options.flavor = "woff2"
    options.name_IDs = ["*"]  # the copyright and licence strings stay with the font
    options.notdef_outline = True
    options.recalc_timestamp = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff2"
    font.save(out, reorderTables=False)
    return out.getvalue()
