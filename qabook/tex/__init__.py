"""TeX math: every formula of the book checked against each engine that shows it.

The print PDF draws formulas with ziamath (tex/draw.py), Anki's cards typeset them with
MathJax (tex/mathjax.py knows what Anki's MathJax accepts) and the EPUB carries pandoc's
MathML (texmath, asked through pandoc.py). `check` asks all three about every formula, so a
formula one of them cannot show is an error at its line and column, and no build ships it.
The drawings made on the way are cached for the print renderer.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from qabook import pandoc
from qabook.cache import Cache, key
from qabook.tex import draw, mathjax
from qabook.tex.draw import MathError, MathImage

Formula = tuple[str, bool]  #: (TeX, display)
PARALLEL = 40  #: drawing more formulas than this is spread over the CPUs


def problems(formulas: list[Formula], cache: Cache) -> dict[Formula, list[tuple[str, str]]]:
    """For each distinct formula, (format, reason) for every format that cannot show it.

    Verdicts are cached by formula: a formula asked about before costs a cache read, and the
    engines are only started for new ones."""
    out: dict[Formula, list[tuple[str, str]]] = {}
    for formula in sorted(set(formulas)):
        verdict = cache.get("tex", key("tex", *formula))
        if verdict is not None:
            out[formula] = verdict
    todo = sorted(set(formulas) - set(out))
    if not todo:
        return out
    drawn = _drawings(todo, cache)
    mathml = pandoc.mathml_problems(todo)
    for formula, image, epub in zip(todo, drawn, mathml):
        found = []
        if isinstance(image, MathError):
            found.append(("PDF", str(image)))
        anki = mathjax.problem(formula[0])
        if anki:
            found.append(("Anki", anki))
        if epub:
            found.append(("EPUB", _texmath_reason(epub)))
        out[formula] = found
        cache.put("tex", key("tex", *formula), found)
    return out


def message(formula: Formula, found: list[tuple[str, str]]) -> str:
    """One line: the formula, the formats that cannot show it, and the clearest reason."""
    tex, display = formula
    fence = "$$" if display else "$"
    shown = " ".join(tex.split())
    shown = shown if len(shown) <= 60 else shown[:57] + "…"
    reasons = dict(found)
    reason = reasons.get("Anki") or reasons.get("PDF") or reasons.get("EPUB")
    formats = ", ".join(name for name, _ in found)
    return f"{fence}{shown}{fence} cannot be typeset for {formats}: {reason}"


def _drawings(formulas: list[Formula], cache: Cache) -> list[MathImage | MathError]:
    """Each formula's drawing for print, from the cache or drawn now (and then cached)."""
    out: list[MathImage | MathError | None] = [cache.get("math", key("math", *f)) for f in formulas]
    todo = [i for i, image in enumerate(out) if image is None]
    workers = min(os.cpu_count() or 1, 4)
    if len(todo) > PARALLEL and workers > 1:
        draw._engine()  # loaded once here, inherited by every worker
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            images = list(pool.map(draw.draw, [formulas[i] for i in todo], chunksize=8))
    else:
        images = [draw.draw(formulas[i]) for i in todo]
    for index, image in zip(todo, images):
        out[index] = image
        if isinstance(image, MathImage):
            cache.put("math", key("math", *formulas[index]), image)
    return out  # type: ignore[return-value]


def _texmath_reason(message: str) -> str:
    """pandoc's warning names the formula, then where its parser stopped and what it expected;
    the expectation list is long, the place is what helps."""
    lines = [line for line in message.splitlines()[1:] if line.strip()]
    detail = next((line.strip() for line in lines[2:3]), "")
    return f"pandoc's MathML converter stops: {detail}" if detail else "pandoc cannot convert it"
