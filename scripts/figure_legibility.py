#!/usr/bin/env python3
"""How large the smallest text of each figure is where readers see it.

An Anki card on a 390 px phone shows a figure about 350 CSS px wide, so a label of s units
in a viewBox W units wide is s * 350 / W px there; below 9 px it is illegible without
zooming. In print, a figure is as wide as the text column (`figure img { max-width: 100%;
max-height: 55vh }` in templates/pdf/book.css), its own width (1 px = 0.75 pt) or what 55 %
of the page's height allows, whichever is least; labels should be at least 7 pt on A4 and
6.5 pt on 6x9 in.

The SVG is read by the parser `check` uses (qabook.model.svg.parse, expat through
qabook.xmlcss), and each text's size is the font-size it sets or inherits (attribute, style
attribute, or a <style> rule on its tag name; px, pt, em and %), times the scale of the
transforms on it and its ancestors. Run it from the repository:

    .venv/bin/python scripts/figure_legibility.py            # a table of every figure
    .venv/bin/python scripts/figure_legibility.py --check    # exit 1 if one falls short
"""

from __future__ import annotations

import math
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from qabook import xmlcss  # noqa: E402
from qabook.model import svg  # noqa: E402

FIGURES = Path(__file__).resolve().parent.parent / "source" / "figures"

PHONE_WIDTH = 350  #: CSS px a card shows a figure at on a 390 px phone
PHONE_MIN = 9  #: CSS px: the smallest legible label there
#: the smallest label in print (pt), by paper
PRINT_MIN = {"a4": 7.0, "6x9in": 6.5}
#: text column width and page height in pt, from qabook/render/pdf_layout.PAPERS (A4:
#: 210 mm less 29 mm inner and 51 mm outer margins; 6x9 in: 6 in less 0.8 in and 0.6 in);
#: tests/test_figure_legibility.py holds these to PAPERS
PAGES = {"a4": (130 * 72 / 25.4, 297 * 72 / 25.4), "6x9in": (4.6 * 72, 9 * 72)}
MAX_HEIGHT = 0.55  #: `max-height: 55vh` of book.css
DEFAULT_SIZE = 16.0  #: CSS `medium`, what a text without a font-size gets

TEXT = {f"{{{svg.SVG}}}{name}" for name in ("text", "tspan", "textPath")}
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


class Unreadable(Exception):
    """A figure this script cannot measure: where and why."""


@dataclass(frozen=True)
class Label:
    size: float  #: font size in viewBox units, transforms applied
    text: str
    line: int


@dataclass(frozen=True)
class Figure:
    name: str
    width: float  #: of the viewBox
    height: float
    intrinsic: float  #: the width attribute, in CSS px (the viewBox's when it has none)
    labels: list[Label]

    @property
    def smallest(self) -> Label:
        return min(self.labels, key=lambda label: label.size)

    def phone_px(self) -> float:
        """The smallest label in CSS px when the card shows the figure 350 px wide (or at its
        own width, if that is narrower)."""
        return self.smallest.size * min(PHONE_WIDTH, self.intrinsic) / self.width

    def print_pt(self, paper: str) -> float:
        """The smallest label in pt in the PDF on this paper."""
        column, page = PAGES[paper]
        shown = min(column, self.intrinsic * 0.75, MAX_HEIGHT * page * self.width / self.height)
        return self.smallest.size * shown / self.width

    def shortfalls(self) -> list[str]:
        """What falls short of the rules, as sentences; empty when nothing does."""
        out = []
        label = self.smallest
        if label.size / self.width < PHONE_MIN / PHONE_WIDTH or self.phone_px() < PHONE_MIN:
            out.append(f"'{label.text}' (line {label.line}) is {self.phone_px():.1f} px on a "
                       f"phone card; labels need {PHONE_MIN} px there: font-size / viewBox "
                       f"width >= {PHONE_MIN}/{PHONE_WIDTH}, so at least "
                       f"{math.ceil(self.width * PHONE_MIN / PHONE_WIDTH * 10) / 10:g} units "
                       f"in this {self.width:g}-wide figure")
        for paper, least in PRINT_MIN.items():
            if self.print_pt(paper) < least:
                out.append(f"'{label.text}' (line {label.line}) is {self.print_pt(paper):.1f}"
                           f" pt in print on {paper}; labels need {least} pt")
        return out


def measure(data: bytes, name: str = "figure") -> Figure:
    """Every label of an SVG with its effective font size."""
    try:
        root, lines = svg.parse(data)
    except svg.Refused as problem:
        raise Unreadable(f"{name}: {problem.reason} [{problem.code}]") from None
    box = (root.get("viewBox") or "").replace(",", " ").split()
    try:
        width, height = float(box[2]), float(box[3])
        if width <= 0 or height <= 0:
            raise ValueError
    except (IndexError, ValueError):
        raise Unreadable(f"{name}:1: the <svg> has no usable viewBox ('{root.get('viewBox')}'"
                         f"); give it one: viewBox=\"0 0 W H\" [figure.viewbox]") from None
    intrinsic = _length(root.get("width"), width, f"{name}:{lines.get(root, 1)}", "width")
    sheet = _sheet_sizes(root)
    labels: list[Label] = []

    def visit(element: ET.Element, size: float, matrix: Matrix) -> None:
        where = f"{name}:{lines.get(element, 1)}"
        tag = element.tag.rpartition("}")[2]
        size = sheet.get(tag, size)
        for value in _font_sizes(element, where):
            size = _size(value, size, where)
        if element.get("transform"):
            matrix = _multiply(matrix, _transform(element.get("transform"), where))
        if element.tag in TEXT:
            own = (element.text or "") + "".join(child.tail or "" for child in element)
            if own.strip():
                scale = math.sqrt(abs(matrix[0] * matrix[3] - matrix[1] * matrix[2]))
                labels.append(Label(size * scale, " ".join(own.split())[:40],
                                    lines.get(element, 1)))
        for child in element:
            visit(child, size, matrix)

    visit(root, DEFAULT_SIZE, IDENTITY)
    if not labels:
        labels.append(Label(math.inf, "(no text)", 1))
    return Figure(name, width, height, intrinsic, labels)


def _font_sizes(element: ET.Element, where: str) -> list[str]:
    """The element's font-size values, in the order they apply: attribute, then style."""
    out = []
    if element.get("font-size") is not None:
        out.append(element.get("font-size"))
    for node in xmlcss.declarations(element.get("style") or ""):
        if node.type == "declaration" and node.lower_name == "font-size":
            out.append(node.value)
        elif node.type == "declaration" and node.lower_name == "font":
            raise Unreadable(f"{where}: the `font` shorthand is not measured; set font-size "
                             "instead [figure.font-size]")
    return out


def _sheet_sizes(root: ET.Element) -> dict[str, float]:
    """font-size set by a <style> sheet rule whose selector is a bare tag name (the only
    kind this script follows; any other selector setting font-size is refused)."""
    out: dict[str, float] = {}
    for style in root.iter(f"{{{svg.SVG}}}style"):
        for rule in xmlcss.rules(style.text or ""):
            if rule.type != "qualified-rule":
                continue
            decls = [d for d in xmlcss.declarations(rule.content)
                     if d.type == "declaration" and d.lower_name in ("font-size", "font")]
            if not decls:
                continue
            selectors = [t for t in rule.prelude if t.type not in ("whitespace", "comment")]
            names = [t.value for t in selectors if t.type == "ident"]
            if not names or any(t.type not in ("ident", "literal") or
                                (t.type == "literal" and t.value != ",") for t in selectors):
                raise Unreadable("a <style> rule sets font-size for a selector other than tag "
                                 "names; set font-size on the elements [figure.font-size]")
            for name in names:
                out[name] = _size(decls[-1].value, DEFAULT_SIZE, "<style>")
    return out


def _size(value, parent: float, where: str) -> float:
    """A font-size value (text or CSS tokens) in user units."""
    tokens = [t for t in (xmlcss.values(value) if isinstance(value, str) else value)
              if t.type not in ("whitespace", "comment")]
    if len(tokens) == 1:
        token = tokens[0]
        if token.type == "number" and token.value > 0:
            return float(token.value)
        if token.type == "percentage" and token.value > 0:
            return parent * token.value / 100
        unit = {"px": 1.0, "pt": 4 / 3, "pc": 16.0, "in": 96.0, "mm": 96 / 25.4,
                "cm": 96 / 2.54}
        if token.type == "dimension" and token.value > 0:
            if token.lower_unit in unit:
                return token.value * unit[token.lower_unit]
            if token.lower_unit in ("em", "rem"):
                return token.value * (parent if token.lower_unit == "em" else DEFAULT_SIZE)
    text = value if isinstance(value, str) else "".join(t.serialize() for t in value)
    raise Unreadable(f"{where}: font-size '{text.strip()[:40]}' is not a size this script "
                     "measures; use a number of user units [figure.font-size]")


def _length(value: str | None, fallback: float, where: str, what: str) -> float:
    if value is None:
        return fallback
    try:
        return _size(value, fallback, where)
    except Unreadable:
        raise Unreadable(f"{where}: the <svg> {what} '{value[:40]}' is not a length this "
                         "script reads [figure.viewbox]") from None


def _transform(value: str, where: str) -> Matrix:
    """An SVG transform list as one matrix (read as CSS tokens: functions of numbers)."""
    matrix = IDENTITY
    for token in xmlcss.values(value):
        if token.type in ("whitespace", "comment") or (token.type == "literal" and
                                                        token.value == ","):
            continue
        if token.type != "function":
            raise Unreadable(f"{where}: cannot read the transform '{value[:60]}' "
                             "[figure.transform]")
        args = [float(t.value) for t in token.arguments if t.type == "number"]
        name = token.lower_name
        if name == "matrix" and len(args) == 6:
            step = tuple(args)
        elif name == "translate" and len(args) in (1, 2):
            step = (1, 0, 0, 1, args[0], args[1] if len(args) == 2 else 0)
        elif name == "scale" and len(args) in (1, 2):
            step = (args[0], 0, 0, args[-1], 0, 0)
        elif name == "rotate" and len(args) in (1, 3):
            a = math.radians(args[0])
            c, s = math.cos(a), math.sin(a)
            cx, cy = (args[1], args[2]) if len(args) == 3 else (0, 0)
            step = (c, s, -s, c, cx - c * cx + s * cy, cy - s * cx - c * cy)
        elif name in ("skewx", "skewy") and len(args) == 1:
            t = math.tan(math.radians(args[0]))
            step = (1, 0, t, 1, 0, 0) if name == "skewx" else (1, t, 0, 1, 0, 0)
        else:
            raise Unreadable(f"{where}: cannot read the transform '{value[:60]}' "
                             "[figure.transform]")
        matrix = _multiply(matrix, step)
    return matrix


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    g, h, i, j, k, l = n
    return (a * g + c * h, b * g + d * h, a * i + c * j, b * i + d * j,
            a * k + c * l + e, b * k + d * l + f)


def figures(folder: Path = FIGURES) -> list[Figure]:
    return [measure(path.read_bytes(), path.name) for path in sorted(folder.glob("*.svg"))]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    folder = Path(next((a for a in argv if not a.startswith("--")), FIGURES))
    failing = 0
    print(f"{'figure':34} {'viewBox':>9} {'min':>5} {'px@350':>7} {'A4 pt':>6} {'6x9 pt':>6}")
    for path in sorted(folder.glob("*.svg")):
        try:
            figure = measure(path.read_bytes(), path.name)
        except Unreadable as problem:
            print(problem)
            failing += 1
            continue
        short = figure.shortfalls()
        failing += bool(short)
        print(f"{figure.name:34} {figure.width:4g}x{figure.height:<4g} "
              f"{figure.smallest.size:5.1f} {figure.phone_px():7.1f} "
              f"{figure.print_pt('a4'):6.1f} {figure.print_pt('6x9in'):6.1f}"
              f"{'  SHORT' if short else ''}")
        if check:
            for sentence in short:
                print(f"  {path}: {sentence} [figure.legibility]")
    print(f"{failing} of {len(list(folder.glob('*.svg')))} figures fall short")
    return 1 if check and failing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
