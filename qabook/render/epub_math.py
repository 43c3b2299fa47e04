"""Math in the EPUB for every reader: the MathML made ready and read aloud (`finish`,
`speech`, `tex_of`, from tex/mathml.py, which the tagged PDF shares) and a drawing for reading
systems that have no MathML.

`fallback` is the print engine's drawing (tex/draw.py, ziamath; the one `check` caches for
print), re-encoded as a small standalone SVG sized in em of the surrounding text.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from math import ceil, floor

from lxml import etree

from qabook.cache import NO_CACHE, Cache, key
from qabook.tex.draw import MathError, MathImage, draw, placed
from qabook.tex.mathml import _local, finish, speech, tex_of

__all__ = ["Fallback", "fallback", "fallback_name", "fallback_svg", "finish", "speech", "tex_of"]

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"

# ---------------------------------------------------------------------------------------
# fallback: the print engine's drawing, for readers without MathML

@dataclass(frozen=True)
class Fallback:
    """A formula's drawing as a standalone SVG file, and its box in em."""

    data: bytes
    width: float
    height: float
    depth: float  #: below the baseline

    @property
    def name(self) -> str:
        return fallback_name(self.data)

    @property
    def box(self) -> tuple[float, float, float]:
        return self.width, self.height, self.depth


def fallback(tex: str, display: bool, cache: Cache = NO_CACHE) -> Fallback:
    """The formula drawn by the print engine (from the cache `check` fills, else drawn now),
    as a small SVG sized in em; cached. Raises MathError for a formula that cannot be drawn,
    which `check` has already refused."""
    made = key("math-fallback", tex, display)
    hit = cache.get("math-fallback", made)
    if hit is not None:
        return hit
    ident = key("math", tex, display)
    image = cache.get("math", ident)
    if image is None:
        image = draw((tex, display))
        if isinstance(image, MathError):
            raise image
        cache.put("math", ident, image)
    result = _compact(image)
    cache.put("math-fallback", made, result)
    return result


def fallback_svg(tex: str, display: bool, cache: Cache = NO_CACHE) -> bytes:
    """The fallback image's bytes (see `fallback`)."""
    return fallback(tex, display, cache).data


def fallback_name(svg: bytes) -> str:
    """The file name of a fallback image, by the digest of its bytes."""
    return f"math-{hashlib.sha256(svg).hexdigest()[:16]}.svg"


UNITS = 100  #: the fallback's user units to the em: coordinates are whole hundredths of an em
PATH = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
ARITY = {"M": 2, "L": 2, "Q": 4, "C": 6, "Z": 0}


def _compact(image: MathImage) -> Fallback:
    """The engine's SVG with every glyph and rule in one path of relative whole-number
    coordinates (hundredths of an em), sized in em. A drawing with anything else (a colour,
    a transform) is kept as drawn, only sized in em."""
    data = base64.b64decode(image.uri.split(",", 1)[1])
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    try:
        left, top, width, height = (float(v) for v in root.get("viewBox", "").split())
    except ValueError:
        left, top, width, height = 0.0, -image.height + image.depth, image.width, image.height
        scale = 1.0
    else:
        scale = image.width * UNITS / width if width else 1.0  # the engine's units to ours
    try:
        outline = _outline(root, scale)
    except ValueError:
        root.set("width", f"{image.width:.3f}em")
        root.set("height", f"{image.height:.3f}em")
        for use in root.iter(f"{{{SVG}}}use"):  # SVG 1.1 readers know only xlink:href
            use.set(f"{{{XLINK}}}href", use.get("href", ""))
        etree.cleanup_namespaces(root, top_nsmap={"xlink": XLINK})
        return Fallback(etree.tostring(root, encoding="utf-8"), image.width, image.height,
                        image.depth)
    # the box in whole units, rounded outwards so no ink is cut off
    x0, y0 = floor(left * scale), floor(top * scale)
    x1, y1 = ceil((left + width) * scale), ceil((top + height) * scale)
    data = (f'<svg xmlns="{SVG}" width="{(x1 - x0) / UNITS:g}em" '
            f'height="{(y1 - y0) / UNITS:g}em" viewBox="{x0} {y0} {x1 - x0} {y1 - y0}">'
            f'<path d="{outline}"/></svg>').encode()
    return Fallback(data, (x1 - x0) / UNITS, (y1 - y0) / UNITS, y1 / UNITS)


def _outline(root: etree._Element, scale: float) -> str:
    """All the drawing's shapes as one path, each glyph (a <symbol> the engine places with
    <use>) where it is placed; ValueError for anything but black paths, rectangles and
    glyphs without transforms."""
    writer = _PathWriter(scale)
    glyphs = {symbol.get("id"): _glyph(symbol) for symbol in root.iter(f"{{{SVG}}}symbol")}
    for element in root.iter():
        name = _local(element)
        if name == "symbol" or any(_local(up) == "symbol" for up in element.iterancestors()):
            continue  # drawn where a <use> places it
        extra = set(element.attrib) - {"fill", "d", "x", "y", "width", "height", "viewBox",
                                        "href"}
        if extra or element.get("fill", "black") not in ("black", "#000", "#000000"):
            raise ValueError(name)
        if name == "path":
            writer.path(element.get("d", ""))
        elif name == "rect":
            writer.rect(*(float(element.get(a, "0")) for a in ("x", "y", "width", "height")))
        elif name == "use":
            href = element.get("href", "")
            if not href.startswith("#") or href[1:] not in glyphs:
                raise ValueError(name)
            box, outlines = glyphs[href[1:]]
            if outlines:  # (a space draws nothing, and may have no width)
                place = placed(*(float(element.get(a, "0"))
                                 for a in ("x", "y", "width", "height")), box)
                for d in outlines:
                    writer.path(d, place)
        elif name not in ("svg", "g"):
            raise ValueError(name)
    return writer.text()


def _glyph(symbol: etree._Element) -> tuple[tuple[float, ...], list[str]]:
    """A glyph's viewBox and outlines: a <symbol> holding paths, alone or in plain groups
    (a delimiter built of pieces); else ValueError."""
    if set(symbol.attrib) - {"id", "viewBox"}:
        raise ValueError("symbol")
    outlines = []
    for element in symbol.iterdescendants():
        name = _local(element)
        if name == "path" and not set(element.attrib) - {"d"}:
            outlines.append(element.get("d", ""))
        elif name != "g" or element.attrib:
            raise ValueError(name)
    box = tuple(float(v) for v in symbol.get("viewBox", "").split())
    if len(box) != 4 or (outlines and (box[2] <= 0 or box[3] <= 0)):
        raise ValueError("symbol")
    return box, outlines


class _PathWriter:
    """Absolute M/L/Q/C/Z path data, scaled and rounded to whole units, written relative.
    Positions are rounded before their differences are taken, so errors never add up."""

    def __init__(self, scale: float):
        self.scale = scale
        self.parts: list[str] = []
        self.x = self.y = self.start_x = self.start_y = 0
        self.last = ""

    def path(self, d: str, place: tuple[float, float, float] = (1.0, 0.0, 0.0)) -> None:
        """Path data, placed by (scale, dx, dy) first."""
        size, dx, dy = place
        tokens = PATH.findall(d)
        i = 0
        while i < len(tokens):
            command = tokens[i]
            n = ARITY.get(command)
            operands = tokens[i + 1:i + 1 + (n or 0)]
            if n is None or len(operands) != n or any(t.isalpha() for t in operands):
                raise ValueError(command)  # relative commands, arcs, numbers out of place
            self.command(command, [round((float(t) * size + (dy if k % 2 else dx)) * self.scale)
                                   for k, t in enumerate(operands)])
            i += 1 + n

    def command(self, command: str, v: list[int]) -> None:
        if command == "Z":
            self.emit("z", [])
            self.x, self.y = self.start_x, self.start_y
        elif command == "M":
            self.emit("m", [v[0] - self.x, v[1] - self.y])
            self.x, self.y = self.start_x, self.start_y = v[0], v[1]
        elif command == "L":
            if (v[0], v[1]) == (self.x, self.y):
                return
            if v[1] == self.y:
                self.emit("h", [v[0] - self.x])
            elif v[0] == self.x:
                self.emit("v", [v[1] - self.y])
            else:
                self.emit("l", [v[0] - self.x, v[1] - self.y])
            self.x, self.y = v[0], v[1]
        else:
            relative = [value - (self.x if k % 2 == 0 else self.y) for k, value in enumerate(v)]
            self.emit(command.lower(), relative)
            self.x, self.y = v[-2], v[-1]

    def rect(self, x: float, y: float, width: float, height: float) -> None:
        left, top = round(x * self.scale), round(y * self.scale)
        right, bottom = round((x + width) * self.scale), round((y + height) * self.scale)
        self.command("M", [left, top])
        self.emit("h", [right - left])
        self.emit("v", [bottom - top])
        self.emit("h", [left - right])
        self.command("Z", [])

    def emit(self, command: str, values: list[int]) -> None:
        # a command repeated needs no letter (after m, the implicit command is l); numbers
        # need a space between them unless the next one starts with its minus sign
        text = "" if command == self.last and command not in "mz" else command
        self.last = "l" if command == "m" else command
        for value in values:
            joined = text or (self.parts[-1] if self.parts else "")
            if joined and not joined[-1].isalpha() and value >= 0:
                text += " "
            text += str(value)
        self.parts.append(text)

    def text(self) -> str:
        return "".join(self.parts)
