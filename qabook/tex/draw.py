"""TeX math to vector SVG for print (WeasyPrint has no MathML): the one ziamath user.

`check` draws every new formula (the drawing is print's verdict on it) and caches it; the
print renderer takes it from the cache and draws only what is not there (everything, under
--no-cache). Sizes are in em of the surrounding text, so inline math sits on the text
baseline at any font size.
"""

from __future__ import annotations

import base64
import functools
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import escape

from qabook.children import OverLimit, limited

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

    ziamath.config.svg2 = False  # plain paths, no <symbol>/<use>: WeasyPrint draws them faster
    ziamath.config.precision = 2  # hundredths of a 20-unit em: finer than any printer resolves
    return ziamath
