"""Math: `check` asks the engine of each format about every formula, and no build ships one
that an engine refuses. Anki's real MathJax (from the aqt wheel, in headless chromium) judges
qabook's own MathJax rules; ziamath and pandoc are asked directly by qabook."""

from __future__ import annotations

import json
import random
import re
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import BASE, REPO, SOURCE, artifacts, run
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
    r"\operatorname*{arg\,max}_x": ["PDF"],  # the print engine would print the star
    r"\big\{ x \big\}": ["PDF"],  # ... and the backslashes
}
#: where qabook is stricter than MathJax, on purpose: refused, so never shipped broken
STRICTER = {r"\sqrt\frac12"}


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


def test_what_qabook_knows_of_mathjax_is_what_ankis_mathjax_says(anki: Path) -> None:
    """The same MathJax, the same commands and environments; and the facts asked of it
    command by command, asked again for the commands the book uses and a sample of others
    (the same MathJax answers the same, so a sample shows the file was made by the script)."""
    sys.path.insert(0, str(REPO / "scripts"))
    import mathjax_names

    committed = json.loads(NAMES.read_text(encoding="utf-8"))
    names = known_names(anki)
    assert {k: committed[k] for k in names} == names, "regenerate with scripts/mathjax_names.py"
    used = {name for tex, _ in book_formulas() for name in re.findall(r"\\([A-Za-z]+)", tex)}
    sample = sorted(used | set(random.Random(14).sample(sorted(committed["arguments"]), 30)))
    assert len(sample) > 50
    asked = mathjax_names.facts(anki, [n for n in sample if n in committed["macros"]
                                       and n not in mathjax_names.SPECIAL])
    for fact in ("arguments", "optional", "operators", "isolating", "unscriptable",
                 "delimited"):
        mine = committed[fact]
        mine = {k: v for k, v in mine.items() if k in sample} if isinstance(mine, dict) else \
            sorted(set(mine) & set(sample))
        assert asked[fact] == mine, fact


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
    assert sum(verdict is not None for verdict in real) >= 90  # the set holds real failures
    # every formula MathJax refuses is refused for Anki (so the message names the card)
    missed = [(f, verdict) for f, verdict in zip(formulas, real)
              if verdict and "Anki" not in dict(found[f])]
    assert missed == []
    # and qabook's MathJax rules invent no problem MathJax does not have (formulas that define
    # commands are refused on purpose: each format would treat them differently)
    invented = [(f, mathjax.problem(f[0])) for f, verdict in zip(formulas, real)
                if verdict is None and mathjax.problem(f[0]) and f[0] not in STRICTER
                and not any(f"\\{name}" in f[0] for name in mathjax.DEFINING)]
    assert invented == []


def test_qabooks_mathjax_rules_agree_with_ankis_mathjax_on_mangled_formulas(anki: Path) -> None:
    """The book's formulas, each broken in a few random places (seeded): MathJax refuses
    about half; qabook's rules must say the same of every one."""
    rng = random.Random(2026)
    pieces = ["{", "}", "^", "_", "\\", "&", "\\\\", "\\left(", "\\right)", "\\frac", "\\sqrt",
              "'", "\\limits", "\\over", "\\tag{1}", "\\begin{aligned}", "\\end{aligned}", "[",
              "]", "#", "\\text{", "x", " ", "\\hat", "\\mathrm", "\\,"]
    book = [tex for tex, _ in book_formulas()]
    formulas = []
    for _ in range(600):
        tex = rng.choice(book)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(tex) + 1)
            tex = tex[:at] + rng.choice(pieces) + tex[at:] if rng.random() < 0.6 else \
                tex[:at] + tex[at + 1:]
        formulas.append((tex, rng.random() < 0.3))
    real = verdicts(anki, formulas)
    assert 200 < sum(verdict is not None for verdict in real) < 500
    disagree = [(f, verdict, mathjax.problem(f[0])) for f, verdict in zip(formulas, real)
                if (verdict is None) != (mathjax.problem(f[0]) is None)]
    assert disagree == []


def test_each_format_is_named_when_only_its_engine_refuses() -> None:
    found = tex.problems([(formula, False) for formula in BROKEN] + [("x^2", False)], NO_CACHE)
    assert {formula: [name for name, _ in found[(formula, False)]] for formula in BROKEN} == BROKEN
    assert found[("x^2", False)] == []


@pytest.mark.parametrize("others", [0, 3 * tex.PARALLEL])
def test_check_reports_every_broken_formula_where_it_is_and_nothing_is_built(
        tmp_path: Path, others: int) -> None:
    """others: good formulas in the file before (past PARALLEL new formulas, all of them
    are drawn by a pool of workers)."""
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    q1 = book / "chapters/01-one/q01-first.md"
    q1.write_text(q1.read_text() + "\n" + " ".join(f"$y_{{{i}}} + {i}$" for i in range(others))
                  + "\n")
    q2 = book / "chapters/01-one/q02-second.md"
    lines = " and ".join(f"${formula}$" for formula in BROKEN)
    q2.write_text(q2.read_text() + f"\nSee {lines}, and $\\frac{{a$ too.\n\n$$x^a^b$$\n")
    row = len(q2.read_text().splitlines()) - 2
    code, _, err = run("check", "--source", str(book), "--no-cache")
    assert code == 1
    text = q2.read_text().splitlines()[row - 1]
    expected = [f"{q2}:{row}:{text.index(f'${formula}$') + 1}: error: ${formula}$ cannot be "
                f"typeset for {', '.join(formats)}" for formula, formats in BROKEN.items()]
    opening = text.index(chr(36) + chr(92) + "frac")
    for column in (opening, text.index("a$ too") + 1):  # both of its dollar signs are stray
        expected.append(f"{q2}:{row}:{column + 1}: error: this '$' is not part of a formula")
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


def test_check_leaves_every_formula_drawn_for_print(tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    q2 = book / "chapters/01-one/q02-second.md"
    formulas = [(f"x_{i}^2 + \\frac{{{i}}}{{2}}", False) for i in range(50)] + [(r"\sum_i x_i", True)]
    q2.write_text(q2.read_text() + "\n" + " ".join(f"${tex}$" for tex, _ in formulas[:-1])
                  + f"\n\n$${formulas[-1][0]}$$\n")
    cache = Cache(tmp_path / "cache")
    assert pipeline.check(book, Diagnostics(), cache) is not None
    assert [f for f in formulas if cache.get("math", key("math", *f)) is None] == []


def test_math_outside_the_text_and_dollar_amounts_are_checked_too(tmp_path: Path) -> None:
    """Formulas in references.bib reach every format through citations; a preface is not on
    Anki's cards, so only the other formats judge its formulas; `$10-$20` reads as a formula."""
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    bib = book / "references.bib"
    bib.write_text(bib.read_text().replace("title = {Tiny Models}", r"title = {Tiny $\hbox{x}$}"))
    preface = book / "front/preface.md"
    preface.write_text(preface.read_text() + "\nIn bold: $\\bm{v}$, and $x^2$.\n\n"
                       "Plans cost $10-$20 a month, and $$ $$ is empty.\n")
    code, _, err = run("check", "--source", str(book), "--no-cache")
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert code == 1
    assert any(line.startswith(f"{bib}:1:7: error: $\\hbox{{x}}$ cannot be typeset for EPUB")
               for line in errors), err
    assert not any("\\bm" in line for line in errors)  # only Anki refuses it: not in the deck
    assert any("'$10-$' was read as a formula" in line for line in errors), err
    assert any(line.endswith("an empty formula [math.invalid]") for line in errors), err
    assert len(errors) == 3, err
