#!/usr/bin/env python3
"""A typesetter's audit of a print PDF, page by page: what a reader of the printed book sees.

    .venv/bin/python scripts/print_audit.py build/ml-question-by-question.pdf
    .venv/bin/python scripts/print_audit.py BOOK.pdf --json      # every finding, as JSON
    .venv/bin/python scripts/print_audit.py BEFORE.pdf AFTER.pdf  # side by side

It reads the PDF only (pdfium for what is drawn where, pikepdf for the objects), so it
judges any edition, paper size or handout the same way:

- holes: pages inside a question (not its last page) whose text block is more than 20% empty
  below their last content;
- runts: a section's last page that holds 3 lines or fewer, or less than 15% of the text
  block (a lone quiz box);
- stranded: a table caption or a heading that is the last thing on its page;
- characters per line: the median of full lines of body text (pdftotext-like text, spaces
  counted) and the measure in points;
- loose lines: full lines of body text (no math, not in a table) whose mean word space is
  over 0.5 em, and the worst;
- wrapped code: code lines that continue a line which reached the right edge of its block;
- overlaps: equation numbers "(N.N)" drawn over a formula's paths;
- tags: the structure tree's elements by type, figures with /Alt, formulas with
  /ActualText, link annotations with /Contents;
- fonts: embedded font programs, per face, and their bytes; the file's size; U+2010 hyphens.

The page geometry is learnt from the PDF: the running head is the top line when it sits
above every page's body, the folio the bottom line when it is short and below it.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import re
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as raw
from pypdf import PdfReader

HOLE = 0.20  #: a mid-question page may be at most this empty
RUNT_LINES = 3  #: a last page with this many lines or fewer is a runt
RUNT_FILL = 0.15  #: ... or one that fills less than this of the text block
LOOSE = 0.5  #: a word space wider than this many ems is loose
EQUATION_NUMBER = re.compile(r"\(\d+\.\d+\)")
TABLE_CAPTION = re.compile(r"Table \d+\.\d+\.")


@dataclass
class Line:
    top: float
    bottom: float
    x0: float
    x1: float
    text: str
    size: float  #: the size most of its characters have
    font: str  #: the font most of its characters have (subset prefix dropped)
    chars: list = field(repr=False, default_factory=list)


@dataclass
class Page:
    index: int  #: 0-based physical page
    label: str  #: the printed page number
    lines: list[Line]
    graphics: list[tuple[float, float, float, float]]  #: x0, top, x1, bottom of paths/images
    fills: list[tuple[float, float, float, float, tuple]]  #: filled rects with their colour
    height: float
    width: float


def _font(name: str) -> str:
    return name.split("+", 1)[-1]


def _lines(chars: list[dict]) -> list[Line]:
    """Characters grouped into lines by baseline (upright text only)."""
    rows: dict[float, list] = defaultdict(list)
    for char in chars:
        if not char.get("upright", True) or not char["text"].strip():
            continue
        rows[round(char["base"] * 2) / 2].append(char)
    merged: list[list] = []
    for key in sorted(rows):  # baselines 1.5 pt apart are one line (super/subscripts)
        if merged and key - merged[-1][-1]["base"] <= 1.5:
            merged[-1].extend(rows[key])
        else:
            merged.append(list(rows[key]))
    out = []
    for row in merged:
        row.sort(key=lambda c: c["x0"])
        sizes = Counter(round(c["size"], 1) for c in row)
        fonts = Counter(_font(c["fontname"]) for c in row)
        text, last = "", None
        for c in row:
            if last is not None and c["x0"] - last["x1"] > 0.1 * c["size"]:
                text += " "
            text += c["text"]
            last = c
        out.append(Line(min(c["top"] for c in row), max(c["bottom"] for c in row),
                        row[0]["x0"], max(c["x1"] for c in row), text,
                        sizes.most_common(1)[0][0], fonts.most_common(1)[0][0], row))
    return out


def read(path: Path) -> tuple[list[Page], dict]:
    """Every page's lines and graphics (pdfium: fast enough to read a whole book in a test),
    and the outline: (level, title, page index)."""
    pages = []
    labels = _labels(path)
    document = pdfium.PdfDocument(str(path))
    try:
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            graphics, fills = [], []
            for obj in page.get_objects(max_depth=0):
                if obj.type not in (PATH, IMAGE, FORM):
                    continue
                left, bottom, right, top = obj.get_bounds()
                box = (left, height - top, right, height - bottom)
                graphics.append(box)
                if obj.type == PATH:
                    rgba = [ctypes.c_uint() for _ in range(4)]
                    mode, stroke = ctypes.c_int(), ctypes.c_int()
                    raw.FPDFPath_GetDrawMode(obj.raw, mode, stroke)
                    if mode.value and raw.FPDFPageObj_GetFillColor(obj.raw, *rgba):
                        fills.append((*box, tuple(c.value for c in rgba[:3])))
            pages.append(Page(index, labels[index], _lines(_chars(page, height)), graphics,
                              fills, height, width))
            page.close()
    finally:
        document.close()
    return pages, {"outline": _outline(path)}


PATH, IMAGE, FORM = raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_FORM


def _chars(page, height: float) -> list[dict]:
    """The page's characters with their boxes (from the top), size in points and font."""
    text = page.get_textpage()
    fonts: dict = {}
    name = ctypes.create_string_buffer(256)
    box = [ctypes.c_double() for _ in range(4)]
    origin = [ctypes.c_double() for _ in range(2)]
    advance = raw.FS_RECTF()
    matrix = raw.FS_MATRIX()
    out = []
    for i in range(text.count_chars()):
        if raw.FPDFText_IsGenerated(text.raw, i):
            continue
        code = raw.FPDFText_GetUnicode(text.raw, i)
        if not raw.FPDFText_GetCharBox(text.raw, i, *box):
            continue
        left, right, bottom, top = (v.value for v in box)
        raw.FPDFText_GetLooseCharBox(text.raw, i, advance)  # x: the glyph's advance
        obj = raw.FPDFText_GetTextObject(text.raw, i)
        font = raw.FPDFTextObj_GetFont(obj)
        handle = ctypes.cast(font, ctypes.c_void_p).value
        if handle not in fonts:
            raw.FPDFFont_GetBaseFontName(font, name, 256)
            fonts[handle] = name.value.decode("latin-1")
        raw.FPDFText_GetCharOrigin(text.raw, i, *origin)
        raw.FPDFText_GetMatrix(text.raw, i, matrix)
        scale = (matrix.a ** 2 + matrix.b ** 2) ** 0.5
        char = chr(code) if 0 < code < 0x110000 else ""
        out.append({"text": char, "x0": advance.left, "x1": advance.right,
                    "top": height - top, "bottom": height - bottom,
                    "base": height - origin[1].value,
                    "size": raw.FPDFText_GetFontSize(text.raw, i) * scale,
                    "fontname": fonts[handle], "upright": abs(matrix.b) < 1e-6})
    text.close()
    return out


def _labels(path: Path) -> list[str]:
    return list(PdfReader(path).page_labels)


def _outline(path: Path) -> list[tuple[int, str, int]]:
    reader = PdfReader(path)
    out = []

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                out.append((level, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 1)
    return out


@dataclass
class Geometry:
    head: float  #: body content starts below this (the running head's bottom)
    foot: float  #: body content ends above this (the folio's top)
    block_top: float  #: where the text block starts on a full page
    block_bottom: float  #: where it ends
    size: float  #: the body text size
    face: str  #: the body text font
    measure: float  #: the width of a full body line


def _words(line: Line) -> list[tuple[float, float, float, float, str]]:
    """The words of a line: (x0, top, x1, bottom, text)."""
    words, run = [], []
    for char in line.chars + [None]:
        if char is None or char["text"] == " " or (
                run and char["x0"] - run[-1]["x1"] > 0.1 * char["size"]):
            if run:
                words.append((run[0]["x0"], min(c["top"] for c in run), run[-1]["x1"],
                              max(c["bottom"] for c in run), "".join(c["text"] for c in run)))
            run = [char] if char is not None and char["text"] != " " else []
        else:
            run.append(char)
    return words


def furniture(page: Page) -> tuple[list[Line], list[Line]]:
    """A page's running head and folio lines, and its body lines."""
    furn, body = [], []
    for line in page.lines:
        if line.top < page.height * 0.085 or line.bottom > page.height * 0.93:
            furn.append(line)
        else:
            body.append(line)
    return furn, body


def geometry(pages: list[Page]) -> Geometry:
    bodies = [furniture(p)[1] for p in pages]
    size = Counter(l.size for b in bodies for l in b).most_common(1)[0][0]
    face = Counter(l.font for b in bodies for l in b if l.size == size).most_common(1)[0][0]
    widths = [round(l.x1 - l.x0) for b in bodies for l in b if l.font == face and l.size == size]
    # the widest width many lines share (a short handout may have few full lines)
    common = [w for w, n in Counter(widths).items() if n >= 5]
    measure = max(common or widths or [0])
    tops = [b[0].top for b in bodies if b]
    bottoms = [max(l.bottom for l in b) for b in bodies if len(b) > 10]
    block_top = statistics.median(tops)
    block_bottom = sorted(bottoms)[int(len(bottoms) * 0.95)] if bottoms else pages[0].height
    return Geometry(pages[0].height * 0.085, pages[0].height * 0.93, block_top, block_bottom,
                    size, face, measure)


def content_bottom(page: Page, geo: Geometry) -> float | None:
    """The lowest body content (text or drawing) of a page, None for an empty page."""
    _, body = furniture(page)
    ys = [l.bottom for l in body]
    ys += [g[3] for g in page.graphics if geo.head < g[1] and g[3] < geo.foot]
    return max(ys) if ys else None


def sections(pages: list[Page], outline: list[tuple[int, str, int]]) -> list[tuple[str, int, int, int]]:
    """(title, level, first page, last page) of every outline entry, up to the next entry."""
    starts = sorted({(page, level, title) for level, title, page in outline})
    out = []
    for i, (page, level, title) in enumerate(starts):
        end = starts[i + 1][0] - 1 if i + 1 < len(starts) else len(pages) - 1
        while end > page and content_bottom(pages[end], _GEO[0]) is None:
            end -= 1  # a blank page before the next section
        out.append((title, level, page, end))
    return out


_GEO: list[Geometry] = []


def audit(path: Path) -> dict:
    pages, meta = read(path)
    geo = geometry(pages)
    _GEO[:] = [geo]
    block = geo.block_bottom - geo.block_top
    result: dict = {"file": str(path), "pages": len(pages), "bytes": path.stat().st_size,
                    "geometry": asdict(geo)}
    secs = sections(pages, meta["outline"])

    holes, runts = [], []
    for title, level, first, last in secs:
        question = level >= 2 and re.match(r"Q\d+ ", title)
        for index in range(first, last + 1):
            page = pages[index]
            bottom = content_bottom(page, geo)
            if bottom is None:
                continue
            empty = max(0.0, (geo.block_bottom - bottom) / block)
            if question and index < last and empty > HOLE:
                holes.append({"page": page.label, "empty": round(empty, 2), "section": title})
            if index == last and index > first:
                lines = len(furniture(page)[1])
                fill = 1 - empty
                if lines <= RUNT_LINES or fill < RUNT_FILL:
                    runts.append({"page": page.label, "lines": lines, "fill": round(fill, 2),
                                  "section": title})
    result["holes"] = holes
    result["runts"] = runts

    stranded = []
    for page in pages:
        _, body = furniture(page)
        if not body:
            continue
        last = body[-1]
        if TABLE_CAPTION.match(last.text) or (
                last.size > geo.size * 1.05 and "Sans" in last.font and
                geo.block_bottom - last.bottom < block * 0.25 and len(body) > 3):
            stranded.append({"page": page.label, "text": last.text[:60]})
    result["stranded"] = stranded

    full = [l for p in pages for l in furniture(p)[1]
            if l.font == geo.face and l.size == geo.size and l.x1 - l.x0 >= geo.measure - 2]
    result["chars_per_line"] = statistics.median(len(l.text) for l in full) if full else 0
    result["measure_pt"] = round(geo.measure, 1)

    loose, worst = [], 0.0
    for page in pages:
        math = [g for g in page.graphics]
        for line in furniture(page)[1]:
            if line.font != geo.face or line.size != geo.size or \
                    line.x1 - line.x0 < geo.measure - 2:
                continue
            if any(g[1] < line.bottom and g[3] > line.top and g[2] - g[0] < 200 and
                   g[3] - g[1] < 40 for g in math):
                continue  # inline math (or a table rule) on this line
            gaps = [b["x0"] - a["x1"] for a, b in zip(line.chars, line.chars[1:])
                    if b["x0"] - a["x1"] > 0.1 * line.size]
            if not gaps:
                continue
            mean = statistics.mean(gaps) / line.size
            worst = max(worst, mean)
            if mean > LOOSE:
                loose.append({"page": page.label, "em": round(mean, 2), "text": line.text[:60]})
    result["loose_lines"] = loose
    result["worst_word_space_em"] = round(worst, 2)
    result["body_lines"] = len(full)

    wraps = []
    for page in pages:
        code = [l for l in furniture(page)[1] if "Code" in l.font]
        boxes = [f for f in page.fills if f[2] - f[0] > 100]
        for a, b in zip(code, code[1:]):
            box = next((f for f in boxes if f[1] - 1 <= a.top and a.bottom <= f[3] + 1), None)
            if box is None or not (box[1] - 1 <= b.top and b.bottom <= box[3] + 1):
                continue
            char = a.chars[-1]["x1"] - a.chars[-1]["x0"]
            # a line that fills its block is a wrap only when the next line follows it at
            # once: after a blank line, it is a new line of the listing
            follows = b.top - a.bottom < 0.6 * (a.bottom - a.top)
            if (a.x1 >= box[2] - 2 * char - 8 and follows) or b.text.startswith("↪"):
                wraps.append({"page": page.label, "line": a.text[-30:], "next": b.text[:30]})
    result["wrapped_code"] = wraps

    overlaps = []
    for page in pages:
        for word in (w for line in page.lines for w in _words(line)):
            if not EQUATION_NUMBER.fullmatch(word[4]):
                continue
            if any(g[0] < word[2] - 0.5 and g[2] > word[0] + 0.5 and g[1] < word[3] - 0.5
                   and g[3] > word[1] + 0.5 for g in page.graphics):
                overlaps.append({"page": page.label, "number": word[4]})
    result["overlaps"] = overlaps
    result.update(objects(path))
    return result


def objects(path: Path) -> dict:
    """Tags, link annotations and fonts, read from the PDF's objects."""
    out: dict = {}
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        out["tagged"] = "/StructTreeRoot" in root and \
            bool(root.get("/MarkInfo", {}).get("/Marked", False))
        types: Counter = Counter()
        alt = actual = 0
        if "/StructTreeRoot" in root:
            stack = [root.StructTreeRoot]
            seen = set()
            while stack:
                node = stack.pop()
                if isinstance(node, pikepdf.Array):
                    stack.extend(node)
                    continue
                if not isinstance(node, pikepdf.Dictionary):
                    continue
                if node.is_indirect:
                    if node.objgen in seen:
                        continue
                    seen.add(node.objgen)
                if "/S" in node:
                    types[str(node.S)[1:]] += 1
                    alt += "/Alt" in node
                    actual += "/ActualText" in node
                kids = node.get("/K")
                if kids is not None:
                    stack.append(kids)
        out["tags"] = dict(sorted(types.items()))
        out["tags_with_alt"] = alt
        out["tags_with_actual_text"] = actual
        links = described = 0
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                if annot.get("/Subtype") == "/Link":
                    links += 1
                    described += "/Contents" in annot
        out["links"] = links
        out["links_with_contents"] = described
        faces: Counter = Counter()
        font_bytes = 0
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if key in obj:
                        faces[_font(str(obj.FontName)[1:])] += 1
                        font_bytes += len(obj[key].read_raw_bytes())
        out["font_programs"] = sum(faces.values())
        out["faces"] = len(faces)
        out["font_bytes"] = font_bytes
    import subprocess

    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    out["hyphens_u2010"] = text.count("\u2010")
    return out


SUMMARY = ("pages", "bytes", "holes", "runts", "stranded", "chars_per_line", "measure_pt",
           "loose_lines", "worst_word_space_em", "wrapped_code", "overlaps", "tagged",
           "tags", "tags_with_alt", "tags_with_actual_text", "links", "links_with_contents",
           "font_programs", "faces", "font_bytes", "hyphens_u2010")


def summary(result: dict) -> dict:
    return {k: len(v) if isinstance(v, list) else v for k, v in result.items() if k in SUMMARY}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pdfs", nargs="+", type=Path)
    parser.add_argument("--json", action="store_true", help="every finding, as JSON")
    args = parser.parse_args(argv)
    results = [audit(p) for p in args.pdfs]
    if args.json:
        json.dump(results, sys.stdout, indent=1, ensure_ascii=False)
        print()
        return 0
    rows = [summary(r) for r in results]
    for key in SUMMARY:
        values = [json.dumps(r.get(key), ensure_ascii=False) for r in rows]
        print(f"{key:24} " + "  |  ".join(values))
    for result in results:
        print(f"\n{result['file']}")
        for kind in ("holes", "runts", "stranded", "overlaps"):
            if result[kind]:
                print(f"  {kind}: " + ", ".join(
                    f"{f['page']}" + (f" ({f['empty']:.0%})" if "empty" in f else "")
                    for f in result[kind]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
