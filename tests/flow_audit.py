"""Page flow of a print PDF, measured on the PDF itself (pdfplumber, pikepdf): holes in the
middle of a section, runt pages ending a section, captions stranded away from their table.

A *section* is what the outline starts (the front matter's parts, a chapter opener, a
question, an appendix, the references) or what a blank page ends. The text block is the page
less the paper's margins (running heads above it and folios below are not content).

Run it on a PDF: `python tests/flow_audit.py book.pdf [--paper a4|letter|6x9in]`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import pdfplumber
import pikepdf

#: the text block's margins in points (top, bottom), as in pdf_layout.PAPERS
MARGINS = {"a4": (22 * 72 / 25.4, 24 * 72 / 25.4), "letter": (0.85 * 72, 0.95 * 72),
           "6x9in": (0.7 * 72, 0.8 * 72)}
FOOTNOTE_RULE = (0.541176, 0.560784, 0.596078)  # the @footnote border's grey, book.css
MAX_HOLE = 0.20  #: the most of a mid-section page's text block that may stay empty
RUNT_LINES = 3  #: a section's last page with no more lines than this is a runt


@dataclass
class Page:
    index: int  #: physical, from 0
    label: str
    lines: list[tuple[float, float, str]] = field(default_factory=list)  #: top, bottom, text
    spans: list[tuple[float, float]] = field(default_factory=list)  #: everything drawn, merged
    notes_top: float | None = None  #: where the footnote area starts
    hole: float = 0.0  #: the largest empty band of the text block, as a fraction of it
    starts: bool = False  #: an outline entry starts here
    first_of_section: bool = False
    last_of_section: bool = False

    @property
    def empty(self) -> bool:
        return not self.spans


@dataclass
class Audit:
    pages: list[Page]
    holes: list[tuple[str, float]]  #: (printed page, empty fraction) of mid-section pages
    runts: list[tuple[str, str]]  #: (printed page, why)
    stranded: list[tuple[str, str]]  #: (printed page, caption line)


def _outline_starts(pdf: pikepdf.Pdf) -> set[int]:
    index = {page.objgen: i for i, page in enumerate(pdf.pages)}
    starts: set[int] = set()
    with pdf.open_outline() as outline:
        stack = list(outline.root)
        while stack:
            item = stack.pop()
            stack.extend(item.children)
            dest = item.destination
            if isinstance(dest, pikepdf.Array) and len(dest):
                starts.add(index[dest[0].objgen])
            elif dest is not None:  # a named destination
                names = pdf.Root.Names.Dests
                found = _lookup(names, str(dest))
                if found is not None:
                    starts.add(index[found[0].objgen])
    return starts


def _lookup(tree, name: str):
    if "/Names" in tree:
        pairs = list(tree.Names)
        for key, value in zip(pairs[::2], pairs[1::2]):
            if str(key) == name:
                return value.get("/D", value) if isinstance(value, pikepdf.Dictionary) else value
    for kid in tree.get("/Kids", []):
        lo, hi = (str(x) for x in kid.Limits)
        if lo <= name <= hi:
            return _lookup(kid, name)
    return None


def _labels(pdf: pikepdf.Pdf) -> list[str]:
    ranges = list(pdf.Root.PageLabels.Nums)
    out = []
    for i in range(len(pdf.pages)):
        start, style = max(((int(k), v) for k, v in zip(ranges[::2], ranges[1::2])
                            if int(k) <= i), key=lambda kv: kv[0])
        n = i - start + int(style.get("/St", 1))
        out.append(_roman(n) if str(style.get("/S")) == "/r" else str(n))
    return out


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                           (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"),
                           (4, "iv"), (1, "i")):
        while n >= value:
            out += letters
            n -= value
    return out


def _merge(spans):
    out: list[list[float]] = []
    for top, bottom in sorted(spans):
        if out and top <= out[-1][1] + 0.5:
            out[-1][1] = max(out[-1][1], bottom)
        else:
            out.append([top, bottom])
    return [tuple(s) for s in out]


def audit(path, paper: str = "a4") -> Audit:
    top_margin, bottom_margin = MARGINS[paper]
    with pikepdf.open(path) as pdf:
        starts = _outline_starts(pdf)
        labels = _labels(pdf)
    pages: list[Page] = []
    with pdfplumber.open(path) as pdf:
        for i, raw in enumerate(pdf.pages):
            block = (top_margin - 1, raw.height - bottom_margin + 1)
            page = Page(i, labels[i], starts=i in starts)
            for line in raw.extract_text_lines(return_chars=False):
                if block[0] <= line["top"] and line["bottom"] <= block[1]:
                    page.lines.append((line["top"], line["bottom"], line["text"]))
            spans = []
            for obj in raw.chars + raw.rects + raw.lines + raw.curves + raw.images:
                top, bottom = max(obj["top"], block[0]), min(obj["bottom"], block[1])
                if bottom >= top and obj["top"] < block[1] and obj["bottom"] > block[0]:
                    spans.append((top, bottom))
                if obj.get("object_type") == "rect" and \
                        tuple(round(c, 6) for c in obj.get("non_stroking_color") or ()) == \
                        FOOTNOTE_RULE:
                    page.notes_top = min(page.notes_top or obj["top"], obj["top"])
            page.spans = _merge(spans)
            if page.spans:
                edges = [block[0]] + [v for s in page.spans for v in s] + [block[1]]
                gaps = [edges[k + 1] - edges[k] for k in range(0, len(edges), 2)]
                page.hole = max(gaps) / (block[1] - block[0])
            pages.append(page)
    first_content = next((p.index for p in pages if p.starts), 0)
    for k, page in enumerate(pages):
        nxt = pages[k + 1] if k + 1 < len(pages) else None
        prev = pages[k - 1] if k else None
        page.last_of_section = nxt is None or nxt.empty or nxt.starts
        page.first_of_section = prev is None or prev.empty or page.starts
    holes, runts, stranded = [], [], []
    for page in pages[first_content:]:
        if page.empty:
            continue
        if not page.last_of_section and page.hole > MAX_HOLE:
            holes.append((page.label, round(page.hole, 3)))
        if page.last_of_section and not page.first_of_section:
            body = [ln for ln in page.lines if page.notes_top is None or ln[1] < page.notes_top]
            labels_here = [ln for ln in body if ln[2].startswith("Exercise ")]
            if len(body) <= RUNT_LINES:
                runts.append((page.label, f"{len(body)} lines"))
            elif len(labels_here) == 1 and body[0] is labels_here[0] and \
                    page.spans[-1][1] - page.spans[0][0] < 0.3 * (block[1] - block[0]):
                runts.append((page.label, "one quiz box"))
        body = [ln for ln in page.lines if page.notes_top is None or ln[1] < page.notes_top]
        for n, (top, bottom, text) in enumerate(body):
            head = text.split(" ")[:2]
            if len(head) == 2 and head[0] in ("Table", "Figure") and head[1][:1].isdigit() \
                    and head[1].endswith("."):
                below = body[n + 1:]
                drawn_below = [s for s in page.spans if s[0] > bottom + 1 and
                               (page.notes_top is None or s[1] < page.notes_top)]
                if head[0] == "Table" and not below and not drawn_below:
                    stranded.append((page.label, text[:60]))
                if head[0] == "Figure" and n == 0 and not page.first_of_section:
                    stranded.append((page.label, text[:60]))
    return Audit(pages, holes, runts, stranded)


if __name__ == "__main__":
    paper = sys.argv[sys.argv.index("--paper") + 1] if "--paper" in sys.argv else "a4"
    result = audit(sys.argv[1], paper)
    print(f"{len(result.pages)} pages; {len(result.holes)} holes > {MAX_HOLE:.0%}: "
          + ", ".join(f"{p} ({h:.0%})" for p, h in result.holes))
    print(f"{len(result.runts)} runts: " + ", ".join(f"{p} ({w})" for p, w in result.runts))
    print(f"{len(result.stranded)} stranded captions: "
          + ", ".join(f"{p} ({t})" for p, t in result.stranded))
