"""TeX math to vector SVG for print (WeasyPrint has no MathML): the one ziamath user.

Each distinct formula is rendered once. Sizes are returned in em of the surrounding text, so
inline math sits on the text baseline at any font size.
"""

from __future__ import annotations

import base64
import functools
import re
from dataclasses import dataclass

SIZE = 20.0  # the em size ziamath draws at; everything is scaled back to em
SCALE = 0.94  # STIX Two Math runs large beside Source Serif 4: match their x-heights
UNKNOWN = re.compile(r">(\\[A-Za-z]+)<")
VIEWBOX = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"')


class MathError(Exception):
    """A formula the math engine cannot render."""


@dataclass(frozen=True)
class MathImage:
    """A rendered formula: an SVG data URI and its box in em, depth below the baseline."""

    uri: str
    width: float
    height: float
    depth: float

    def img(self, tex: str, css_class: str) -> str:
        """An <img> for HTML, aligned on the baseline, with the TeX as alt text."""
        from html import escape

        style = (f"width:{self.width:.3f}em;height:{self.height:.3f}em;"
                 f"vertical-align:{-self.depth:.3f}em")
        return (f'<img class="{css_class}" src="{self.uri}" alt="{escape(tex.strip(), quote=True)}" '
                f'style="{style}"/>')


@functools.lru_cache(maxsize=None)
def render(tex: str, display: bool) -> MathImage:
    """Render one formula (cached); raise MathError when it cannot be drawn faithfully."""
    ziamath = _engine()
    try:
        math = ziamath.Math.fromlatex(tex, size=SIZE, inline=not display, margin=0.5)
        mathml = math.mathmlstr()
        svg = math.svg()
    except Exception as exc:  # noqa: BLE001 - any engine failure is the formula's problem
        raise MathError(f"cannot typeset ${tex.strip()}$: {type(exc).__name__} {exc}".strip()) from None
    unknown = UNKNOWN.search(mathml)
    if unknown:
        raise MathError(f"unknown command {unknown.group(1)} in ${tex.strip()}$")
    box = VIEWBOX.search(svg)
    if box is None:
        raise MathError(f"cannot typeset ${tex.strip()}$: no drawing")
    _, min_y, width, height = (float(v) for v in box.groups())
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
    em = SIZE / SCALE
    return MathImage(uri, width / em, height / em, (height + min_y) / em)


@functools.lru_cache(maxsize=None)
def _engine():
    """ziamath, configured; imported on first use (0.2 s), as most builds draw from the cache."""
    import ziamath

    ziamath.config.svg2 = False  # plain paths, no <symbol>/<use>: WeasyPrint draws them faster
    ziamath.config.precision = 2  # hundredths of a 20-unit em: finer than any printer resolves
    return ziamath
