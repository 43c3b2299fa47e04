"""TeX math to vector SVG for print (WeasyPrint has no MathML): the one ziamath user.

`check` draws every new formula (the drawing is print's verdict on it) and caches it; the
print renderer takes it from the cache and draws only what is not there (everything, under
--no-cache). Sizes are in em of the surrounding text, so inline math sits on the text
baseline at any font size.

Digits, upright Latin letters (function names, `\\mathrm`, `\\text`) and the decimal point
and comma are drawn in the text face, Source Serif 4, at the text's size (`TextFaceMath`), so
"0.107" in a formula is the "0.107" of the sentence around it. Italic variables, Greek,
operators, delimiters and big operators stay STIX Two Math's, which has the metrics a formula
is built from.
"""

from __future__ import annotations

import base64
import functools
import re
import copy
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import escape

from qabook.children import OverLimit, limited
from qabook.resources import TEMPLATES

SIZE = 20.0  # the em size ziamath draws at; everything is scaled back to em
SCALE = 0.94  # STIX Two Math runs large beside Source Serif 4: match their x-heights
COMMAND = re.compile(r"\\[A-Za-z]+")  # a TeX command name the converter left as text
TOKENS = {"mi", "mn", "mo", "mtext", "ms"}  #: the MathML elements that show characters
#: one character drawn under two code points by different engines (· and ⋅, ~ and ∼ …)
SAME = str.maketrans({"·": "⋅", "‖": "∥", "−": "-", "′": "'", "∣": "|"})
#: accents and rules, which each engine draws with characters of its own choice
ACCENTS = set("―‾─→⃗∼~⏞⏟︷︸")


def same(text: str) -> str:
    """Text with each character as both engines would agree on it: 𝒙 (bold italic x) is x
    with a style, ⋅ is ·, and accents and rules (which each draws its own way) are left out."""
    return "".join(char for char in unicodedata.normalize("NFKD", text.translate(SAME))
                   if unicodedata.category(char) not in ("Mn", "Sk", "Lm")
                   and not char.isspace() and char not in ACCENTS)


def visible(char: str) -> bool:
    """Whether a character of MathML text is drawn (not a space or an invisible operator)."""
    return not char.isspace() and char not in "\u2061\u2062\u2063\u2064\u200b"


class MathError(Exception):
    """A formula the math engine cannot draw; the message says why."""


@dataclass(frozen=True)
class MathImage:
    """A drawn formula: an SVG data URI and its box in em, depth below the baseline."""

    uri: str
    width: float
    height: float
    depth: float
    shown: str = ""  #: the characters it shows, sorted (what the other engines must show too)

    def img(self, tex: str, css_class: str) -> str:
        """An <img> for HTML, aligned on the baseline, with the TeX as alt text."""
        style = (f"width:{self.width:.3f}em;height:{self.height:.3f}em;"
                 f"vertical-align:{-self.depth:.3f}em")
        return (f'<img class="{css_class}" src="{self.uri}" alt="{escape(tex.strip(), quote=True)}" '
                f'style="{style}"/>')


@functools.lru_cache(maxsize=None)
def render(tex: str, display: bool) -> MathImage:
    """Draw one formula (cached); raise MathError when it cannot be drawn faithfully."""
    ziamath = _engine()
    try:
        math = ziamath.Math.fromlatex(tex, size=SIZE, inline=not display, margin=0.5)
        svg = math.svgxml()
    except (MemoryError, OverLimit):  # over its budget: said by draw()
        raise
    except Exception as exc:  # noqa: BLE001 - any other engine failure is the formula's
        raise MathError(f"{type(exc).__name__} {exc}".strip()) from None
    shown = []
    for element in math.element.iter():  # the converter keeps commands it does not know
        if element.text and COMMAND.fullmatch(element.text.strip()):
            raise MathError(f"unknown command {element.text.strip()}")
        if element.tag.rsplit("}", 1)[-1] in TOKENS and element.text:
            shown += [char for char in element.text if visible(char)]
    try:
        _, min_y, width, height = (float(v) for v in svg.get("viewBox", "").split())
    except ValueError:
        raise MathError("the engine drew nothing") from None
    data = ET.tostring(svg, encoding="unicode").encode()
    uri = "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")
    em = SIZE / SCALE
    return MathImage(uri, width / em, height / em, (height + min_y) / em, "".join(sorted(shown)))


def placed(x: float, y: float, width: float, height: float,
           box: tuple[float, ...]) -> tuple[float, float, float]:
    """(scale, dx, dy) that put a glyph <symbol> of this viewBox into the box a <use> gives
    it at (x, y), as SVG does by default (preserveAspectRatio xMidYMid meet): a point (u, v)
    of the symbol lands at (u * scale + dx, v * scale + dy)."""
    left, top, box_width, box_height = box
    scale = min(width / box_width, height / box_height)
    return (scale, x + (width - box_width * scale) / 2 - left * scale,
            y + (height - box_height * scale) / 2 - top * scale)


SECONDS = 10  #: a formula's budget of CPU time (the book's largest takes about 0.1 s)
MEMORY = 1 << 30  #: what a drawing worker may grow by


def draw(formula: tuple[str, bool]) -> MathImage | MathError:
    """One formula's drawing, or the MathError that says why not (for process pools)."""
    try:
        with limited(SECONDS):
            return render(*formula)
    except MathError as exc:
        return exc
    except OverLimit as exc:
        return MathError(f"drawing it needs more than {exc}; make it smaller")


@functools.lru_cache(maxsize=None)
def _engine():
    """ziamath, configured; imported on first use (0.2 s), as most builds draw from the cache."""
    import ziamath

    ziamath.config.svg2 = True  # each glyph a <symbol>, placed by <use> (render/pdf_glyphs.py)
    ziamath.config.precision = 2  # hundredths of a 20-unit em: finer than any printer resolves
    ziamath.zmath.loadedfonts["default"] = _text_face_math(ziamath)
    return ziamath


#: the text face's file, whose glyphs a formula borrows (see TextFaceMath)
TEXT_FACE = TEMPLATES / "fonts" / "SourceSerif4-Regular.otf"
#: the characters drawn in the text face when upright and not bold
FROM_TEXT = frozenset("0123456789.,abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _text_face_math(ziamath):
    """STIX Two Math that draws FROM_TEXT in the text face, Source Serif 4.

    A borrowed glyph is scaled by 1/SCALE (formulas are drawn at SCALE of the text's size so
    that STIX's x-height matches the text's; a borrowed digit must come out at the text's own
    size). It carries a negative glyph index: STIX's MATH and GSUB tables, which ziamath
    consults by index (italic correction, accent attachment, kerning, script-size variants),
    know nothing of Source Serif's glyphs, and find nothing under a negative one, so they
    leave the glyph as it is. STIX itself is never asked to read a negative index (ziafont
    would read the bytes before its glyph table as a glyph): kerning a STIX glyph against a
    borrowed one is no kerning, and a negative index names the borrowed glyph.
    """
    from ziafont import Font
    from ziafont.fonttypes import BBox
    from ziafont.glyph import SimpleGlyph
    from ziamath.mathfont import MathFont

    k = 1 / SCALE

    class Scaled:
        """A path operator of a borrowed glyph, drawn k times larger."""

        def __init__(self, op):
            self.op = op

        def path(self, x0: float = 0, y0: float = 0, scale: float = 1) -> str:
            return self.op.path(x0, y0, scale * k)

    class Borrowed(SimpleGlyph):
        """A text face glyph inside a formula: scaled, with an index no math table knows.
        Not kerned (the text face's digits are tabular, and kerning costs a third of the
        drawing time)."""

        def advance(self, nextchr=None) -> int:
            return round(self.font.advance(self.real, None) * k)

    class TextFace(Font):
        """The text face without its layout tables: borrowed glyphs are neither kerned nor
        substituted, and parsing its GPOS would cost 0.3 s in every drawing process."""

        def _readtables(self):
            super()._readtables()
            self.tables.pop("GPOS", None)
            self.tables.pop("GSUB", None)

    class TextFaceMath(MathFont):
        def __init__(self, fname, basesize):
            super().__init__(fname, basesize)
            self.text = TextFace(str(TEXT_FACE))
            self.borrowed: dict[str, SimpleGlyph] = {}
            self.by_index: dict[int, SimpleGlyph] = {}

        def glyph_fromid(self, glyphid):
            return self.by_index[glyphid] if glyphid < 0 else super().glyph_fromid(glyphid)

        def advance(self, glyph, glyph2):
            return super().advance(glyph, glyph2 if glyph2 is None or glyph2 >= 0 else None)

        def findglyph(self, char, variant):
            if char not in FROM_TEXT or variant.bold or variant.style not in ("serif", "") \
                    or (variant.italic and not variant.normal and not char.isdigit()
                        and char not in ".,"):
                return super().findglyph(char, variant)
            glyph = self.borrowed.get(char)
            if glyph is None:
                own = self.text.glyph(char)
                glyph = copy.copy(own)
                glyph.__class__ = Borrowed
                glyph.real, glyph.index = own.index, -1 - len(self.borrowed)
                glyph.operators = [Scaled(op) for op in own.operators]
                box = own.bbox
                glyph.bbox = BBox(box.xmin * k, box.xmax * k, box.ymin * k, box.ymax * k)
                glyph.path = copy.copy(own.path)
                glyph.path.bbox = glyph.bbox
                self.borrowed[char] = self.by_index[glyph.index] = glyph
            return glyph

    default = ziamath.zmath.loadedfonts["default"]
    return TextFaceMath(default.info.filename, default.basesize)
