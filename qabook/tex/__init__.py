"""TeX math: every formula of the book checked against each engine that shows it.

The print PDF draws formulas with ziamath (tex/draw.py), Anki's cards typeset them with
MathJax (tex/mathjax.py knows what Anki's MathJax accepts) and the EPUB carries pandoc's
MathML (texmath, asked through pandoc.py). `check` asks all three about every formula, so a
formula one of them cannot show is an error at its line and column, and no build ships it.
Verdicts are cached by formula, and the drawings made on the way are cached for print.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from html.parser import HTMLParser
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Iterable

from qabook import pandoc
from qabook.cache import Cache, key
from qabook.children import worker
from qabook.diagnostics import NOWHERE, Diagnostics, Location
from qabook.tex import draw, mathjax, words
from qabook.tex.draw import MathError, MathImage

Key = tuple[str, bool]  #: (TeX, display): what the engines are asked about
PARALLEL = 40  #: drawing more formulas than this is spread over the CPUs
HINT = ("check braces, \\left/\\right pairs and command names: the formula must work in "
        "print, on Anki's cards and in the EPUB")


@dataclass(frozen=True)
class Formula:
    """A formula where the book writes it: `$…$` or `$$…$$` in a file, `$…$` in a .bib entry."""

    tex: str
    display: bool
    location: Location  #: its opening dollar sign (or its .bib entry)
    in_deck: bool = True  #: shown on Anki's cards (front and back matter are not)


#: groups a formula may nest ({…} in {…}): pandoc's converter takes twice as long for each
#: level of scripts on scripts (18 levels: 7 s; 30: past its time guard), and no formula of
#: a book needs a tenth of it
MAX_DEPTH = 16


def depth(tex: str) -> int:
    """How deep the formula's groups nest (escaped braces are characters, not groups)."""
    deepest = level = 0
    escaped = False
    for char in tex:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            level += 1
            deepest = max(deepest, level)
        elif char == "}":
            level -= 1
    return deepest


def check(formulas: Iterable[Formula], diags: Diagnostics, cache: Cache) -> None:
    """Report every formula some engine refuses, where it is written, all in one run; a
    formula nested too deep is refused before any engine sees it."""
    formulas = list(formulas)
    deep = [f for f in formulas if depth(f.tex) > MAX_DEPTH]
    for formula in deep:
        diags.error(formula.location, "math.too-deep", f"this formula nests its groups "
                    f"{depth(formula.tex)} levels deep; at most {MAX_DEPTH} are allowed",
                    "split it into smaller formulas, or name the inner parts in the text")
    formulas = [f for f in formulas if f not in deep]
    try:
        verdicts = problems([(f.tex, f.display) for f in formulas], cache)
    except (pandoc.PandocError, BrokenProcessPool, OSError, MemoryError) as exc:
        diags.error(NOWHERE, "math.engine", f"the math engines could not check the formulas: "
                    f"{exc}", "a problem of the machine or an engine, not of the book: check "
                    "free memory, then run the command again")
        return
    for formula in formulas:
        found = [(name, reason) for name, reason in verdicts[(formula.tex, formula.display)]
                 if formula.in_deck or name != "Anki"]
        if found:
            diags.error(formula.location, "math.invalid",
                        message((formula.tex, formula.display), found), HINT)


def problems(formulas: list[Key], cache: Cache) -> dict[Key, list[tuple[str, str]]]:
    """For each distinct formula, (format, reason) for every format that cannot show it.

    A formula asked about before costs a cache read; the engines start only for new ones.
    """
    out: dict[Key, list[tuple[str, str]]] = {}
    for formula in set(formulas):
        verdict = cache.get("tex", key("tex", *formula))
        if verdict is not None:
            out[formula] = verdict
    todo = sorted(set(formulas) - set(out))
    if not todo:
        return out
    drawn = _drawings(todo, cache)
    mathml = pandoc.mathml(todo)
    words.remember(todo, mathml, cache)  # the tagged PDF's text of each formula, while here
    for formula, image, (epub, html) in zip(todo, drawn, mathml):
        found = []
        extra = _extra(image, html) if isinstance(image, MathImage) and not epub else ""
        if isinstance(image, MathError):
            found.append(("PDF", str(image)))
        elif extra:
            found.append(("PDF", "the print engine does not understand part of it: it would "
                                 f"print {' '.join(extra)} where the other formats do not"))
        anki = mathjax.problem(formula[0])
        if anki:
            found.append(("Anki", anki))
        if epub:
            found.append(("EPUB", _texmath_reason(epub)))
        out[formula] = found
    for formula in todo:  # only once every engine has answered for all of them
        cache.put("tex", key("tex", *formula), out[formula])
    return out


def message(formula: Key, found: list[tuple[str, str]]) -> str:
    """One line: the formula, the formats that cannot show it, and the clearest reason."""
    tex, display = formula
    fence = "$$" if display else "$"
    shown = " ".join(tex.split())
    shown = shown if len(shown) <= 60 else shown[:57] + "…"
    reasons = dict(found)
    reason = reasons.get("Anki") or reasons.get("PDF") or reasons.get("EPUB")
    formats = ", ".join(name for name, _ in found)
    return f"{fence}{shown}{fence} cannot be typeset for {formats}: {reason}"


def _drawings(formulas: list[Key], cache: Cache) -> list[MathImage | MathError]:
    """Each formula's drawing for print, from the cache or drawn now (and then cached)."""
    keys = [key("math", *f) for f in formulas]
    out: list[MathImage | MathError | None] = [cache.get("math", k) for k in keys]
    todo = [i for i, image in enumerate(out) if image is None]
    workers = min(len(os.sched_getaffinity(0)), 4)
    if len(todo) > PARALLEL and workers > 1:
        draw.render("x", False)  # ziamath loaded and warm once, inherited by every worker
        # the workers hold a build's pipes to its renderers: they must die with this process
        with ProcessPoolExecutor(max_workers=workers, initializer=worker,
                                 initargs=(os.getpid(), draw.MEMORY),
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            images = list(pool.map(draw.draw, [formulas[i] for i in todo], chunksize=8))
    else:
        images = [draw.draw(formulas[i]) for i in todo]
    for index, image in zip(todo, images):
        out[index] = image
        if isinstance(image, MathImage):
            cache.put("math", keys[index], image)
    return out  # type: ignore[return-value]


def _extra(image: MathImage, html: str) -> str:
    """The characters the print drawing shows beyond pandoc's MathML of the same formula:
    a construct ziamath does not understand comes out as its TeX (`[4pt]`, a backslash, `*`)."""
    reader = _MathText()
    reader.feed(html)
    reader.close()
    theirs = Counter(draw.same(reader.text))
    ours = Counter(draw.same(image.shown))
    return "".join(sorted((ours - theirs).elements()))


class _MathText(HTMLParser):
    """The characters shown by the token elements of MathML in HTML (not the TeX annotation)."""

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.open.append(tag)

    def handle_endtag(self, tag):
        while self.open and self.open.pop() != tag:
            pass

    def handle_data(self, data):
        if self.open and self.open[-1] in draw.TOKENS:
            self.text += "".join(char for char in data if draw.visible(char))


def _texmath_reason(message: str) -> str:
    """pandoc's warning names the formula, then where its parser stopped and what it expected;
    the expectation list is long, the place is what helps."""
    lines = [line for line in message.splitlines()[1:] if line.strip()]
    detail = next((line.strip() for line in lines[2:3]), "")
    return f"pandoc's MathML converter stops: {detail}" if detail else "pandoc cannot convert it"
