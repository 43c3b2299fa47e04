"""Math: `check` asks the engine of each format about every formula, and no build ships one
that an engine refuses. Anki's real MathJax (from the aqt wheel, in headless chromium) judges
qabook's own MathJax rules; ziamath and pandoc are asked directly by qabook."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import BASE, SOURCE, artifacts, run
from mathjax_probe import anki_mathjax_dir, known_names, verdicts
from qabook import pipeline, tex
from qabook.cache import NO_CACHE, Cache, key
from qabook.diagnostics import Diagnostics
from qabook.tex import mathjax

CASES = Path(__file__).parent / "math" / "formulas.txt"
NAMES = Path(tex.__file__).parent / "mathjax.json"
BROKEN = {  # formula -> the formats that cannot show it
    r"\bm{x}": ["Anki"],  # MathJax has \boldsymbol, not \bm
    r"\label{y}": ["PDF"],  # the print engine keeps \label as text
    r"\hbox{z}": ["EPUB"],  # texmath has no \hbox
    r"x_i^2_3": ["Anki"],
    r"\left( x": ["PDF", "Anki"],
}


@pytest.fixture(scope="module")
def anki() -> Path:
    return anki_mathjax_dir()


def cases() -> list[tuple[str, bool]]:
    out = []
    for line in CASES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            display = line.startswith("display: ")
            out.append((line.removeprefix("display: "), display))
    return out


def book_formulas() -> list[tuple[str, bool]]:
    book = pipeline.read_book(SOURCE, Diagnostics())
    return sorted({(f.tex, f.display) for doc in book.documents for f in doc.formulas})


def test_the_committed_mathjax_names_are_those_of_ankis_mathjax(anki: Path) -> None:
    assert known_names(anki) == json.loads(NAMES.read_text(encoding="utf-8")), (
        "regenerate with scripts/mathjax_names.py")


def test_ankis_mathjax_and_qabook_accept_every_formula_of_the_book(anki: Path) -> None:
    formulas = book_formulas()
    assert len(formulas) > 300
    assert [f for f, verdict in zip(formulas, verdicts(anki, formulas)) if verdict] == []
    assert [f for f in formulas if mathjax.problem(f[0])] == []
    assert [f for f, found in tex.problems(formulas, NO_CACHE).items() if found] == []


def test_whatever_ankis_mathjax_refuses_check_refuses(anki: Path) -> None:
    formulas = cases()
    real = verdicts(anki, formulas)
    found = tex.problems(formulas, NO_CACHE)
    assert sum(verdict is not None for verdict in real) >= 40  # the set holds real failures
    missed = [(f, verdict) for f, verdict in zip(formulas, real) if verdict and not found[f]]
    assert missed == []
    # and qabook's MathJax rules invent no problem MathJax does not have (formulas that define
    # commands are refused on purpose: each format would treat them differently)
    invented = [(f, mathjax.problem(f[0])) for f, verdict in zip(formulas, real)
                if verdict is None and mathjax.problem(f[0])
                and not any(f"\\{name}" in f[0] for name in mathjax.DEFINING)]
    assert invented == []


def test_each_format_is_named_when_only_its_engine_refuses() -> None:
    found = tex.problems([(formula, False) for formula in BROKEN] + [("x^2", False)], NO_CACHE)
    assert {formula: [name for name, _ in found[(formula, False)]] for formula in BROKEN} == BROKEN
    assert found[("x^2", False)] == []


def test_check_reports_every_broken_formula_where_it_is_and_nothing_is_built(
        tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    q2 = book / "chapters/01-one/q02-second.md"
    lines = " and ".join(f"${formula}$" for formula in BROKEN)
    q2.write_text(q2.read_text() + f"\nSee {lines}, and $\\frac{{a$ too.\n\n$$x^a^b$$\n")
    row = len(q2.read_text().splitlines()) - 2
    code, _, err = run("check", "--source", str(book), "--no-cache")
    assert code == 1
    text = q2.read_text().splitlines()[row - 1]
    expected = [f"{q2}:{row}:{text.index(f'${formula}$') + 1}: error: ${formula}$ cannot be "
                f"typeset for {', '.join(formats)}" for formula, formats in BROKEN.items()]
    expected.append(f"{q2}:{row}:{text.index(chr(36) + chr(92) + 'frac') + 1}: error: this "
                    "'$' opens no formula")
    expected.append(f"{q2}:{row + 2}:1: error: $$x^a^b$$ cannot be typeset for PDF, Anki")
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == len(expected), err
    for line, start in zip(errors, expected):
        assert line.startswith(start), (line, start)
    code, _, err = run("build", "--source", str(book), "--out", str(tmp_path / "out"))
    assert code == 1 and artifacts(tmp_path / "out") == []


def test_the_epub_carries_every_formula_as_mathml(real_epub: Path) -> None:
    """pandoc writes a formula its MathML converter refuses as raw TeX in a span of class
    "math": check refuses such formulas, so no file of the book has one."""
    with zipfile.ZipFile(real_epub) as archive:
        pages = [archive.read(n).decode() for n in archive.namelist() if n.endswith(".xhtml")]
    assert sum(page.count("<math") for page in pages) > 500
    assert [page for page in pages if 'class="math' in page] == []


def test_check_draws_each_formula_once_for_print(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    assert pipeline.check(SOURCE, Diagnostics(), cache) is not None
    drawn = [f for f in book_formulas() if cache.get("math", key("math", *f)) is not None]
    assert drawn == book_formulas()
