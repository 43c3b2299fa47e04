"""The print layout checks (issue 18, point 3): what the build finds on the laid-out pages of
the paper size it builds, reported at the source line, and what the stylesheet does about it
(code wrapped with a hanging indent and a mark, an equation number below a formula it does
not fit beside). Read back from real builds with pdfplumber."""

from __future__ import annotations

import re
from pathlib import Path

import pdfplumber
import pytest

from conftest import BOOKS, SOURCE, assemble, run

HEADLINE = re.compile(r"^(\S+?):(\d+):(\d+): warning: (.*) \[(print\.[\w-]+)\]$", re.M)
CASE = "chapters/01-one/q01-first.md"


def warnings(err: str) -> list[tuple[str, int, str, str]]:
    """(file, line, message, code) of each layout warning a build printed."""
    return [(path, int(line), message, code)
            for path, line, _, message, code in HEADLINE.findall(err)]


def source_line(book: Path, needle: str) -> int:
    """The 1-based line of the case's question file that holds needle."""
    lines = (book / CASE).read_text().splitlines()
    return next(n for n, text in enumerate(lines, 1) if needle in text)


@pytest.fixture(scope="module")
def six_by_nine(tmp_path_factory) -> tuple[Path, Path, str]:
    """The tiny book with a long code line, a wide numbered equation and a name no line can
    hold, built at 6x9in: (book, output folder, stderr)."""
    root = tmp_path_factory.mktemp("print-checks")
    book = assemble(BOOKS / "print-checks", root)
    out = root / "out"
    code, _, err = run("build", "--source", str(book), "--out", str(out), "-f", "pdf",
                       "--paper", "6x9in")
    assert code == 0, err
    return book, out, err


def page_with(pdf: Path, text: str):
    with pdfplumber.open(pdf) as document:
        for page in document.pages:
            if text in (page.extract_text() or ""):
                return page.width, page.extract_words(), page.objects
    raise AssertionError(f"no page shows {text!r}")


def test_warnings_name_the_source_line(six_by_nine) -> None:
    book, _, err = six_by_nine
    found = warnings(err)
    code_line = source_line(book, "label_smoothing=0.1")
    name_line = source_line(book, "scaled_dot_product_attention")
    assert {(Path(path).name, line, code) for path, line, _, code in found} == {
        ("q01-first.md", code_line, "print.code-wraps"),
        ("q01-first.md", name_line, "print.overflow")}, err
    assert all(Path(path) == book / CASE for path, *_ in found)
    wraps = next(message for *_, message, code in found if code == "print.code-wraps")
    length = len((book / CASE).read_text().splitlines()[code_line - 1])
    holds = int(re.search(r"holds (\d+)", wraps).group(1))
    assert f"code line is {length} characters; the 6x9in measure holds" in wraps
    assert 40 < holds < length  # the 6x9 measure is narrower than the line, not absurdly so


def test_wrapped_code_continues_right_of_its_indentation_after_a_mark(six_by_nine) -> None:
    _, out, _ = six_by_nine
    _, words, objects = page_with(out / "a-tiny-book-6x9in.pdf", "label_smoothing")
    first = next(w for w in words if w["text"] == "loss")  # the line that wraps starts so
    outer = next(w for w in words if w["text"] == "for"  # the line above, one level out
                 and 0 < first["top"] - w["top"] < 15)
    rest = next(w for w in words if "label_smoothing" in w["text"])
    continuation = min((w for w in words if abs(w["top"] - rest["top"]) < 1),
                       key=lambda w: w["x0"])
    assert first["x0"] > outer["x0"] + 5  # the wrapped line is indented
    assert continuation["top"] > first["top"] + 5  # on the next line
    assert continuation["x0"] > first["x0"] + 5  # right of the line's own indentation
    marks = [c for c in objects.get("curve", []) + objects.get("line", [])
             if first["x0"] - 1 <= c["x0"] and c["x1"] <= continuation["x0"] + 0.5
             and continuation["top"] - 1 <= c["top"] and c["bottom"] <= continuation["bottom"] + 1]
    assert marks, "no continuation mark before the continued code"
    # none in front of the line that starts it (arrows of later rows are drawn clipped to
    # the line's box, which pdfplumber does not see: the page was looked at for those)
    assert not [c for c in objects.get("curve", [])
                if abs(c["top"] - first["top"]) < 3 and c["x1"] <= first["x0"]]


def test_equation_number_goes_below_a_formula_it_does_not_fit_beside(six_by_nine) -> None:
    _, out, _ = six_by_nine
    width, words, objects = page_with(out / "a-tiny-book-6x9in.pdf", "label_smoothing")
    before = next(w for w in words if w["text"] == "states:")
    after = next(w for w in words if w["text"] == "paragraph")
    number = next(w for w in words if w["text"] == "(1.1)" and w["top"] > before["bottom"])
    # the formula's glyphs are filled paths (the code's continuation marks, drawn clipped
    # to their line, are stroked)
    formula = [c for c in objects.get("curve", []) if before["bottom"] < c["top"]
               and c["bottom"] < after["top"] and c["fill"] and not c["stroke"]]
    assert formula
    top = min(c["top"] for c in formula)
    bottom = max(c["bottom"] for c in formula)
    right = max(c["x1"] for c in formula)
    for path in formula:  # no path of the formula under the number
        assert not (path["x0"] < number["x1"] and number["x0"] < path["x1"] and
                    path["top"] < number["bottom"] and number["top"] < path["bottom"])
    assert number["top"] >= bottom - 1  # on a line of its own below the formula
    assert number["x1"] >= right - 1  # at the right, as TeX sets it
    assert top < number["top"]


def test_strict_build_fails_on_layout_warnings_and_an_up_to_date_pdf_repeats_them(
        six_by_nine, tmp_path) -> None:
    book, out, err = six_by_nine
    code, stdout, again = run("build", "--source", str(book), "--out", str(out), "-f", "pdf",
                              "--paper", "6x9in")
    assert code == 0 and "up to date" in stdout
    assert warnings(again) == warnings(err)  # the up-to-date PDF says what its build found
    fresh = tmp_path / "strict"
    code, _, strict = run("build", "--source", str(book), "--out", str(fresh), "-f", "pdf",
                          "--paper", "6x9in", "--strict")
    assert code == 1
    assert "[build.strict]" in strict and warnings(strict) == warnings(err)
    assert not list(fresh.glob("*.pdf"))  # nothing published
    code, _, strict = run("build", "--source", str(book), "--out", str(out), "-f", "pdf",
                          "--paper", "6x9in", "--strict")
    assert code == 1 and "[build.strict]" in strict  # up to date is no way around it


def test_the_real_book_on_a4_warns_only_of_code_lines_that_really_are_too_long(real_pdf) -> None:
    """The session's A4 build, asked again: what it found (from the build's manifest)."""
    code, stdout, err = run("build", "--source", str(SOURCE), "--out", str(real_pdf.parent),
                            "-f", "pdf")
    assert code == 0 and "up to date" in stdout
    found = warnings(err)
    assert {c for *_, c in found} <= {"print.code-wraps"}, err
    for path, line, message, _ in found:
        text = (SOURCE.parent / path).read_text().splitlines()[line - 1] \
            if not Path(path).is_absolute() else Path(path).read_text().splitlines()[line - 1]
        length, holds = map(int, re.findall(r"\d+", message)[:2])
        assert len(text.rstrip().expandtabs(8)) == length > holds, (path, line, text)
