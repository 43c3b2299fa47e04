"""Cloze cards from the key terms a summary marks (`[term]{.cloze}`, issue 16 item 7).

The misuses are tiny books with their diagnostics (tests/books/cloze-*, run by test_books.py);
here the clean one, tests/books/feature-cloze, is built: its deck is imported into a real
Anki collection, and its EPUB and print HTML show the terms as plain text.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.models import MODEL_CLOZE

from conftest import BOOKS, assemble, run
from qabook import pipeline
from qabook.diagnostics import Diagnostics
from qabook.render import RenderContext
from qabook.render.anki import CLOZE_FIELDS, _id
from qabook.render.print_html import Selection, page_data
from qabook.render.sanitise import card_html

STYLE = re.compile(r"<style>.*?</style>", re.S)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    return assemble(BOOKS / "feature-cloze", tmp_path_factory.mktemp("cloze"))


@pytest.fixture(scope="module")
def apkg(book: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    code, _, err = run("build", "--source", str(book), "--out", str(out), "-f", "apkg")
    assert code == 0, err
    return next(out.glob("*.apkg"))


@pytest.fixture
def col(tmp_path: Path, apkg: Path):
    collection = Collection(str(tmp_path / "collection.anki2"))
    request = ImportAnkiPackageRequest(package_path=str(apkg), options=ImportAnkiPackageOptions())
    collection.import_anki_package(request)
    yield collection
    collection.close()


def visible(html: str) -> str:
    """The text of a card's summary as a learner reads it (no heading, style or tags)."""
    text = STYLE.sub("", html).split('class="qb-summary qb-cloze-text">', 1)[-1]
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def test_a_cloze_note_per_summary_with_terms_and_a_card_per_term(col: Collection) -> None:
    model = col.models.get(_id("urn:uuid:00000000-0000-4000-8000-000000000001", "model",
                               "cloze"))
    assert model["type"] == MODEL_CLOZE
    assert [f["name"] for f in model["flds"]] == list(CLOZE_FIELDS) == [
        "Key", "Heading", "Text", "Source"]
    notes = {col.get_note(n)["Key"]: col.get_note(n) for n in col.find_notes("note:*cloze")}
    assert sorted(notes) == ["01.001.cloze", "01.002.cloze"]  # Q3 marks none: no cloze note
    # Q2 marks "second question" twice (once as "Second\nQuestion": the same term), so five
    # spans give four cards, numbered in order of first appearance
    cards = sorted(notes["01.002.cloze"].cards(), key=lambda c: c.ord)
    assert [c.ord for c in cards] == [0, 1, 2, 3]
    assert len(notes["01.001.cloze"].cards()) == 1
    terms = ["second question", "third one", "e^{x}", "emphasis"]
    for card, term in zip(cards, terms):
        front, back = visible(card.question()), visible(card.answer())
        assert "[...]" in front and term not in front.casefold(), (term, front)
        assert term in back.casefold(), (term, back)
        for other in terms:  # the other terms stay readable on this card
            if other != term:
                assert other in front.casefold()
    first = visible(cards[0].question())
    assert first.count("[...]") == 2  # both mentions of the first term are hidden
    assert "Q1 (The First Question)" in first  # a cross-reference beside a term is text
    assert "{{" not in first + visible(cards[0].answer())


def test_other_notes_show_the_terms_as_plain_text(col: Collection) -> None:
    (nid,) = col.find_notes('"note:qabook question" Key:01.002')
    summary = col.get_note(nid)["Summary"]
    assert "cloze" not in summary and "{{" not in summary
    assert "The second question comes after" in summary


def test_the_card_sanitiser_keeps_cloze_markup() -> None:
    field = ('<p>The {{c1::<em>key</em> term}} and '
             '{{c2::<span class="math inline">\\(x\\)</span>}}.</p>')
    assert card_html(field) == field


def test_epub_and_print_show_the_terms_as_plain_text(book: Path, tmp_path: Path) -> None:
    code, _, err = run("build", "--source", str(book), "--out", str(tmp_path), "-f", "epub")
    assert code == 0, err
    with zipfile.ZipFile(next(tmp_path.glob("*.epub"))) as epub:
        texts = [epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml")]
    assert not [t for t in texts if "cloze" in t]
    assert any("<p>The second question comes after" in t for t in texts)
    resolved = pipeline.check(book, Diagnostics())
    data = page_data(RenderContext(resolved, book, tmp_path), Selection())
    summary = data["chapters"][0]["questions"][1]["summary"]
    assert "cloze" not in summary and "The second question comes after" in summary
