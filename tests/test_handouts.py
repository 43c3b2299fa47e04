"""Handouts for a class (issue 18, point 4): the real book's Q17+Q18 as a handout, a worksheet
and an answer key, read back with poppler, pypdf and pdfplumber; named sets of a tiny book.

The located diagnostics of bad `handouts:` entries are the tiny books handouts-bad and
handouts-unknown of tests/test_books.py.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader

from conftest import BOOKS, SOURCE, assemble, run
from qabook import ast

PAIR = ("--question", "17", "--question", "18")


def text_of(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    """pdftotext's text, lines joined, words broken at line ends rejoined."""
    args = ["pdftotext", "-enc", "UTF-8"]
    args += ["-f", str(first)] if first else []
    args += ["-l", str(last)] if last else []
    raw = subprocess.run(args + [str(pdf), "-"], check=True, capture_output=True,
                         text=True).stdout
    for hyphen in ("-\n", "\u2010\n"):
        raw = raw.replace(hyphen, "")
    return " ".join(raw.split())


@pytest.fixture(scope="module")
def book(checked_book):
    return checked_book


@pytest.fixture(scope="module")
def handouts(real_pdf, tmp_path_factory) -> dict[str, Path]:
    """Q17+Q18 as handout, worksheet and answer key, built from a copy of the session's
    cache (as an author's build after the book's would)."""
    out = tmp_path_factory.mktemp("handouts")
    shutil.copytree(real_pdf.parent / ".cache", out / ".cache")
    for kinds in ((), ("--worksheet", "--answer-key")):
        code, _, err = run("build", "--source", str(SOURCE), "--out", str(out), "-f", "pdf",
                           *PAIR, *kinds)
        assert code == 0, err
    found = {"handout": next(out.glob("*-q17-q18.pdf")),
             "worksheet": next(out.glob("*-q17-q18-worksheet.pdf")),
             "answer-key": next(out.glob("*-q17-q18-answer-key.pdf"))}
    return found


def sentence(blocks) -> str:
    """The start of the first sentence of some blocks, as printed: up to its first formula,
    code, note or citation (formulas print as drawings, not text; code in another face), and
    at least a few words."""
    words: list[str] = []
    for node in ast.iter_nodes(list(blocks)[:1]):
        if node["t"] in ("Math", "Note", "Cite", "Code"):
            break
        if node["t"] == "Str":
            words.append(node["c"])
            if node["c"].endswith(".") and len(words) > 4:
                break
    assert len(words) >= 4, words
    return " ".join(words)


def norm(text: str) -> str:
    """Text compared without spaces and hyphens (the PDF breaks lines and words)."""
    return "".join(c for c in text if not c.isspace() and c not in "-\u2010\u00ad")


def has(text: str, part: str) -> bool:
    return norm(part) in norm(text)


def test_handout_starts_with_its_first_question(handouts, book) -> None:
    pdf = handouts["handout"]
    reader = PdfReader(pdf)
    first = text_of(pdf, 1, 1)
    q17 = next(q for q in book.questions if q.number == 17)
    assert has(first, f"Q17 {q17.title}") and "handout" in first.lower()
    assert book.config.title.upper() in first.upper()
    # the book had 21 pages, its first question on p. 8: now no front matter, no openers
    assert len(reader.pages) <= 14
    whole = text_of(pdf)
    assert "Contents" not in whole and "Appendix" not in whole and "In this chapter" not in whole
    assert book.front[0].title not in whole  # the preface
    assert all(text_of(pdf, n, n) for n in range(1, len(reader.pages) + 1))  # no blank page
    assert reader.page_labels == [str(n) for n in range(1, len(reader.pages) + 1)]
    # a question outside the handout keeps its name and loses its page number
    assert "Q19 compares" in whole and "Q19, p." not in whole


def test_worksheet_has_prompts_and_room_and_no_answers(handouts, book) -> None:
    pdf = handouts["worksheet"]
    whole = text_of(pdf)
    for q in (q for q in book.questions if q.number in (17, 18)):
        assert has(whole, sentence(q.prompt))
        assert not has(whole, sentence(q.summary))
        assert not has(whole, sentence(q.body))  # a sentence of the answer
        for e in q.exercises:
            assert f"Exercise {e.number}" in whole and not has(whole, sentence(e.solution))
    assert "appendix" not in whole.lower() and "Solution on" not in whole
    meta = PdfReader(pdf).metadata
    assert "Worksheet" in meta.title and "worksheet" in meta.subject
    with pdfplumber.open(pdf) as doc:
        heads = [" ".join(w["text"] for w in page.extract_words() if w["bottom"] < 60)
                 for page in doc.pages[1:]]
        assert heads and all("Worksheet" in head for head in heads)
        rooms = [room for page in doc.pages for room in writing_rooms(page)]
    labels = [f"{e.number}" for q in book.questions if q.number in (17, 18)
              for e in q.exercises]
    assert sorted(rooms) == sorted(labels + ["Q17", "Q18"])


def writing_rooms(page) -> list[str]:
    """The items on a page followed by room to write: after an exercise's text (or a
    question's prompt), no text for at least four handwritten lines (20 pt each), and ruled
    lines in that space."""
    lines: list[tuple[float, float, str]] = []  # (top, bottom, text) of each text line
    for word in sorted(page.extract_words(), key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(word["top"] - lines[-1][0]) < 3:
            top, bottom, text = lines[-1]
            lines[-1] = (top, max(bottom, word["bottom"]), f"{text} {word['text']}")
        else:
            lines.append((word["top"], word["bottom"], word["text"]))
    rules = [edge["top"] for edge in page.horizontal_edges
             if edge["x1"] - edge["x0"] > page.width / 3]
    found, item = [], None
    for (top, bottom, text), following in zip(lines, lines[1:] + [(page.height, 0, "")]):
        if text.startswith("Exercise "):
            item = text.split()[1]
        elif text.startswith(("Q17 ", "Q18 ")) and "·" not in text:
            item = text.split()[0]
        gap = following[0] - bottom
        ruled = spaced([rule for rule in rules if bottom < rule < following[0]])
        if item and gap >= 4 * 20 and ruled >= 4:
            found.append(item)
            item = None
    return found


def spaced(tops: list[float]) -> int:
    """How many lines to write on the rules at these heights make: at least 15 pt apart (a
    box's border is drawn as edges close together)."""
    count, last = 0, None
    for top in sorted(tops):
        if last is None or top - last >= 15:
            count += 1
            last = top
    return count


def test_answer_key_has_every_solution(handouts, book) -> None:
    pdf = handouts["answer-key"]
    whole = text_of(pdf)
    assert "answer key" in text_of(pdf, 1, 1).lower()
    assert "Answer Key" in PdfReader(pdf).metadata.title
    for q in (q for q in book.questions if q.number in (17, 18)):
        chapter = next(c for c in book.chapters if c.number == q.chapter)
        assert f"Chapter {chapter.number}, Q{q.number}" in whole  # where the book answers it
        for e in q.exercises:
            assert f"Exercise {e.number}" in whole
            assert has(whole, sentence(e.solution))
        assert has(whole, sentence(q.summary))  # the short answer
        assert not has(whole, sentence(q.body))  # the long one stays in the book
    assert "appendix" not in whole.lower()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return assemble(BOOKS / "handouts-good", tmp_path_factory.mktemp("tiny"))


def test_named_set_builds_each_of_its_kinds(tiny, tmp_path) -> None:
    out = tmp_path / "out"
    code, stdout, err = run("build", "--source", str(tiny), "--out", str(out), "-f", "pdf",
                            "--handout", "week-1")
    assert code == 0, err
    names = sorted(p.name for p in out.glob("*.pdf"))
    assert names == [f"a-tiny-book-week-1-{kind}.pdf"
                     for kind in ("answer-key", "handout", "worksheet")]
    for kind, title in (("handout", "Handout"), ("worksheet", "Worksheet"),
                        ("answer-key", "Answer Key")):
        pdf = out / f"a-tiny-book-week-1-{kind}.pdf"
        assert PdfReader(pdf).metadata.title.endswith(f"{title} · Week 1: First Things")
        first = text_of(pdf, 1, 1)
        assert "Week 1: First Things" in first and "The First Question" in first
        assert "The Third Question" not in text_of(pdf)  # chapter 2 is not in it
    # the same source gives the same bytes, in another folder and from a cold cache
    again = tmp_path / "again"
    code, _, err = run("build", "--source", str(tiny), "--out", str(again), "-f", "pdf",
                       "--handout", "week-1", "--worksheet", "--no-cache")
    assert code == 0, err
    assert [p.name for p in again.glob("*.pdf")] == ["a-tiny-book-week-1-worksheet.pdf"]
    assert (again / "a-tiny-book-week-1-worksheet.pdf").read_bytes() == \
        (out / "a-tiny-book-week-1-worksheet.pdf").read_bytes()


def test_unknown_set_is_a_usage_error_with_a_hint(tiny, tmp_path) -> None:
    code, _, err = run("build", "--source", str(tiny), "--out", str(tmp_path), "-f", "pdf",
                       "--handout", "week1")
    assert code == 2 and "no handout set 'week1'" in err and "did you mean week-1?" in err
    code, _, err = run("build", "--source", str(tiny), "--out", str(tmp_path), "-f", "pdf",
                       "--handout", "week-1", "--question", "1")
    assert code == 2 and "--handout" in err


def test_list_shows_the_sets(tiny) -> None:
    code, out, _ = run("list", "--source", str(tiny))
    assert code == 0
    assert "week-1: Week 1: First Things (chapter 1): handout, worksheet, answer-key" in out
    assert "review: Review (Q1, Q3): worksheet" in out


def test_no_solutions_is_deprecated_for_the_worksheet(tiny, tmp_path) -> None:
    code, _, err = run("build", "--source", str(tiny), "--out", str(tmp_path), "-f", "pdf",
                       "--question", "1", "--no-solutions")
    assert code == 0 and "--no-solutions is deprecated" in err and "--worksheet" in err
    pdf = tmp_path / "a-tiny-book-q1-worksheet.pdf"
    assert "Worksheet" in PdfReader(pdf).metadata.title
    assert "Exercise 1-A" in text_of(pdf)
