"""What a typesetter checks on every page, read from WeasyPrint's boxes after layout.

`check(document, paper)` walks the laid-out pages of one chunk (render/pdf_layout.py calls
it) and returns its findings, each as (code, where in the source, message): the print
HTML carries where each paragraph and code block was written (render/source_lines.py), and
pdf.py turns the findings into warnings of the build. Layout depends on the paper, so each
edition is checked as it is built.

- print.code-wraps: a code line longer than its block holds. It is printed wrapped, with a
  hanging indent and a continuation mark (book.css), and reported with the columns it has
  and those the measure holds.
- print.equation-wide: a display formula wider than the measure (its number, if it has one,
  then sits on a line of its own below it, as book.css sets it).
- print.equation-number: an equation number drawn over its formula (book.css moves the
  number below a formula it does not fit beside; this is reported if that ever fails).
- print.overflow: a line of text that runs past its block (into the margin, or a table
  column into the next): a word, a URL or an inline formula too long to break.

Lengths in WeasyPrint's boxes are CSS pixels: 0.75 of a point.
"""

from __future__ import annotations

from weasyprint.formatting_structure import boxes

from qabook.render.source_lines import ATTRIBUTE, LINE_CLASS

PT = 0.75  #: points in a CSS pixel
TOLERANCE = 1.0  #: points a line may stick out before it is reported (a glyph's overhang)
#: what is on a page without being its text: running heads, folios, the footnote area's rule
APART = (boxes.MarginBox,)

#: (code, "path#fingerprint" of the block, "+N" after it for its Nth line, or "", message)
Finding = tuple[str, str, str]


#: the transparent text a formula carries for search (render/print_html.py): it is set in a
#: box of no width on purpose, over the drawing, and never read as a line of its own
HIDDEN = {"math-text"}


def check(document, paper: str) -> tuple[Finding, ...]:
    """Every finding on the pages of one laid-out chunk, in page order, each once."""
    found: dict[Finding, None] = {}
    seen_lines: set = set()  # a code line split over two pages is one code line
    for page in document.pages:
        for box, above in _walk(page._page_box, ()):
            classes = _classes(box)
            if LINE_CLASS in classes and isinstance(box, boxes.BlockBox):
                finding = _code_line(box, above, paper, seen_lines)
            elif _display_math(box, classes, above):
                finding = _equation(box, above, paper)
            elif isinstance(box, boxes.LineBox) and not _in(above, "pre", DISPLAY | HIDDEN):
                finding = _overflow(box, above, paper)
            else:
                finding = None
            if finding:
                found[finding] = None
    return tuple(found)


def _walk(box, above: tuple):
    """Every box below box (with the boxes above it), in document order."""
    for child in getattr(box, "children", ()):
        if isinstance(child, APART):
            continue
        yield child, above
        yield from _walk(child, (*above, child))


def _classes(box) -> list[str]:
    element = box.element
    return (element.get("class") or "").split() if element is not None else []


DISPLAY = {"equation", "math-block"}  #: the classes of a display formula's boxes


def _display_math(box, classes: list[str], above: tuple) -> bool:
    """A numbered equation's box, or an unnumbered display formula's."""
    if isinstance(box, boxes.LineBox) or not DISPLAY & set(classes):
        return False
    return "equation" in classes or not _in(above, "", {"equation"})


def _in(above: tuple, tag: str, classes: set[str]) -> bool:
    """Whether a box below these is inside a tag element or one of these classes."""
    return any(b.element_tag == tag or classes & set(_classes(b)) for b in above
               if b.element is not None)


def where(box, above: tuple) -> str:
    """The source of the innermost element around box that says where it was written."""
    for outer in (box, *reversed(above)):
        element = outer.element
        if element is not None and element.get(ATTRIBUTE):
            return element.get(ATTRIBUTE)
    return ""


def _code_line(box, above: tuple, paper: str, seen: set) -> Finding | None:
    lines = [c for c in box.children if isinstance(c, boxes.LineBox)]
    if len(lines) < 2 or box.element in seen:
        return None
    seen.add(box.element)
    text = "".join(box.element.itertext()).rstrip()
    texts = [t for t in _descendants(box) if isinstance(t, boxes.TextBox) and t.text]
    chars = sum(len(t.text) for t in texts)
    advance = sum(t.width for t in texts) / chars if chars else 0
    holds = int((box.width + box.padding_left) / advance) if advance else 0
    source = ""
    pre = next((b for b in reversed(above) if b.element_tag == "pre"), None)
    if pre is not None and pre.element.get(ATTRIBUTE):
        number = [c for c in pre.element.iter() if LINE_CLASS in (c.get("class") or "").split()]
        source = f"{pre.element.get(ATTRIBUTE)}+{1 + number.index(box.element)}"
    return ("print.code-wraps", source, f"code line is {len(text.expandtabs(8))} characters; "
            f"the {paper} measure holds {holds}")


def _equation(box, above: tuple, paper: str) -> Finding | None:
    images = [b for b in _descendants(box) if isinstance(b, boxes.ReplacedBox)]
    numbers = [t for b in _descendants(box) if "equation-number" in _classes(b)
               for t in [b, *_descendants(b)] if isinstance(t, boxes.TextBox) and t.text.strip()]
    if not images:
        return None
    formula = images[0]
    right = box.content_box_x() + box.width
    if formula.margin_width() > box.width + TOLERANCE / PT or \
            formula.position_x + formula.margin_width() > right + TOLERANCE / PT:
        return ("print.equation-wide", where(box, above), f"formula is "
                f"{formula.margin_width() * PT:.0f} pt wide; the {paper} measure holds "
                f"{box.width * PT:.0f} pt")
    for number in numbers:
        if _overlap(formula, number) > TOLERANCE / PT:
            return ("print.equation-number", where(box, above), f"equation number "
                    f"{number.text.strip()} is drawn over its formula ({paper})")
    return None


def _overlap(a, b) -> float:
    """How far two boxes' border boxes overlap (0 when they do not)."""
    width = min(a.position_x + a.margin_width(), b.position_x + b.margin_width()) - \
        max(a.position_x, b.position_x)
    height = min(a.position_y + a.margin_height(), b.position_y + b.margin_height()) - \
        max(a.position_y, b.position_y)
    return min(width, height) if width > 0 and height > 0 else 0.0


def _overflow(line, above: tuple, paper: str) -> Finding | None:
    block = next((b for b in reversed(above) if isinstance(b, boxes.BlockContainerBox)), None)
    if block is None:
        return None
    right = block.content_box_x() + block.width
    ink = [b for b in _descendants(line) if isinstance(b, (boxes.TextBox, boxes.ReplacedBox))]
    ends = [(_right(b), b) for b in ink]
    if not ends:
        return None
    end, last = max(ends, key=lambda pair: pair[0])
    past = (end - right) * PT
    if past <= TOLERANCE:
        return None
    words = " ".join(b.text for b in ink if isinstance(b, boxes.TextBox)).split()
    shown = max(words, key=len) if words else "a formula or image"
    if len(shown) > 40:
        shown = shown[:37] + "…"
    return ("print.overflow", where(line, above), f"a line runs {past:.0f} pt past the edge of "
            f"its {'column' if block.element_tag in ('td', 'th') else 'text'} ({paper}) at "
            f"“{shown}”")


def _right(box) -> float:
    """Where what box draws ends on the right (a text's trailing spaces draw nothing)."""
    if isinstance(box, boxes.TextBox) and box.text and box.text != box.text.rstrip():
        kept = len(box.text.rstrip())
        return box.position_x + box.width * kept / len(box.text)
    return box.position_x + box.margin_width()


def _descendants(box):
    for child in getattr(box, "children", ()):
        yield child
        yield from _descendants(child)
