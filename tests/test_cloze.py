"""Cloze cards from the key terms a summary marks (`[term]{.cloze}`, issue 16 item 7).

The misuses are tiny books with their diagnostics (tests/books/cloze-*, run by test_books.py);
here the clean one, tests/books/feature-cloze, is built: its deck is imported into a real
Anki collection, and its EPUB and print HTML show the terms as plain text.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.models import MODEL_CLOZE
from anki.scheduler.v3 import CardAnswer

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
    assert model["type"] == MODEL_CLOZE and model["name"] == "A Tiny Book · Key terms"
    assert [f["name"] for f in model["flds"]] == list(CLOZE_FIELDS) == [
        "Key", "Heading", "Text", "Source"]
    notes = {col.get_note(n)["Key"]: col.get_note(n) for n in col.find_notes(f"mid:{model['id']}")}
    assert sorted(notes) == ["01.001.~", "01.002.~"]  # Q3 marks no term: no cloze note
    # Q2 marks "second question" twice (once as "Second\nQuestion": the same term), so five
    # spans give four cards, numbered in order of first appearance
    cards = sorted(notes["01.002.~"].cards(), key=lambda c: c.ord)
    assert [c.ord for c in cards] == [0, 1, 2, 3]
    assert len(notes["01.001.~"].cards()) == 1
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
    assert "Q1 The First Question" in first  # a cross-reference beside a term is text
    assert "{{" not in first + visible(cards[0].answer())


def test_other_notes_show_the_terms_as_plain_text(col: Collection) -> None:
    (nid,) = col.find_notes("Key:01.002")
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


def test_a_term_keeps_its_card_number_and_history_through_an_edition(book: Path,
                                                                     tmp_path: Path) -> None:
    """A term is known by its text: a new term marked before it does not renumber it, and
    editing a term's text retires its number (Anki keeps that card empty) for a new one."""
    source = tmp_path / "source"
    shutil.copytree(book, source)
    collection = Collection(str(tmp_path / "collection.anki2"))
    try:
        first = _build_and_import(collection, source, tmp_path / "v1")
        assert not first.updated
        (nid,) = collection.find_notes("Key:01.002.~")
        card = next(c for c in collection.get_note(nid).cards() if c.ord == 0)
        card.start_timer()
        collection.sched.answer_card(collection.sched.build_answer(
            card=card, states=collection._backend.get_scheduling_states(card.id),
            rating=CardAnswer.GOOD))
        path = source / "chapters/01-one/q02-second.md"
        text = path.read_text()
        path.write_text(text.replace("The [second question]{.cloze}", "The [new]{.cloze} "
                                     "[second question]{.cloze}")
                        .replace("[*third* one]{.cloze}", "[*third* item]{.cloze}"))
        second = _build_and_import(collection, source, tmp_path / "v2")
        assert len(second.updated) == 2 and not second.new  # the question's and its cloze
        note = collection.get_note(nid)
        assert "{{c1::second question}}" in note["Text"]  # kept its number
        assert "{{c6::<em>third</em> item}}" in note["Text"]  # a new number
        assert "{{c5::new}}" in note["Text"]  # new terms take the next numbers in text order
        assert "c2::" not in note["Text"]  # retired, never given to another term
        ords = sorted(c.ord for c in note.cards())
        assert ords == [0, 1, 2, 3, 4, 5]  # Anki keeps card 2 (empty) until Empty Cards
        assert collection.get_card(card.id).reps == 1  # the first term's review history
        empty = collection.get_empty_cards()
        assert [len(n.card_ids) for n in empty.notes] == [1]
    finally:
        collection.close()


def _build_and_import(collection: Collection, source: Path, out: Path):
    code, _, err = run("build", "--source", str(source), "--out", str(out), "-f", "apkg")
    assert code == 0, err
    request = ImportAnkiPackageRequest(package_path=str(next(out.glob("*.apkg"))),
                                       options=ImportAnkiPackageOptions())
    return collection.import_anki_package(request).log
