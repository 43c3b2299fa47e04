"""TeX math to vector SVG for print (WeasyPrint has no MathML): the one ziamath user.

Each distinct formula is drawn once: by `check`, which also learns from the drawing whether
print can show it, and the print renderer takes the drawing from the cache. Sizes are in em
of the surrounding text, so inline math sits on the text baseline at any font size.
"""

from __future__ import annotations

import base64
import functools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import escape

SIZE = 20.0  # the em size ziamath draws at; everything is scaled back to em
SCALE = 0.94  # STIX Two Math runs large beside Source Serif 4: match their x-heights
COMMAND = re.compile(r"\\[A-Za-z]+")  # a TeX command name the converter left as text


class MathError(Exception):
    """A formula the math engine cannot draw; the message says why."""


@dataclass(frozen=True)
class MathImage:
    """A drawn formula: an SVG data URI and its box in em, depth below the baseline."""

    uri: str
    width: float
    height: float
    depth: float

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
    except Exception as exc:  # noqa: BLE001 - any engine failure is the formula's problem
        raise MathError(f"{type(exc).__name__} {exc}".strip()) from None
    for element in math.element.iter():  # the converter keeps commands it does not know
        if element.text and COMMAND.fullmatch(element.text.strip()):
            raise MathError(f"unknown command {element.text.strip()}")
    try:
        _, min_y, width, height = (float(v) for v in svg.get("viewBox", "").split())
    except ValueError:
        raise MathError("the engine drew nothing") from None
    data = ET.tostring(svg, encoding="unicode").encode()
    uri = "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")
    em = SIZE / SCALE
    return MathImage(uri, width / em, height / em, (height + min_y) / em)


def draw(formula: tuple[str, bool]) -> MathImage | MathError:
    """One formula's drawing, or the MathError that says why not (for process pools)."""
    try:
        return render(*formula)
    except MathError as exc:
        return exc


@functools.lru_cache(maxsize=None)
def _engine():
    """ziamath, configured; imported on first use (0.2 s), as most builds draw from the cache."""
    import ziamath

    ziamath.config.svg2 = False  # plain paths, no <symbol>/<use>: WeasyPrint draws them faster
    ziamath.config.precision = 2  # hundredths of a 20-unit em: finer than any printer resolves
    return ziamath
