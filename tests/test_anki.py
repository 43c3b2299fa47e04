"""The Anki deck, imported into a real collection with the `anki` package from PyPI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

from conftest import SOURCE
from qabook.render.anki import EXERCISE_FIELDS, QUESTION_FIELDS, _id

LEFTOVERS = ("{{", "@Q", "[^", ":::", "$$", "there is no field called")


def import_into(collection: Collection, apkg: Path):
    request = ImportAnkiPackageRequest(package_path=str(apkg), options=ImportAnkiPackageOptions())
    return collection.import_anki_package(request).log


@pytest.fixture(scope="module")
def book(real_apkg_source) -> Path:
    return real_apkg_source


@pytest.fixture(scope="module")
def resolved(checked_real):
    return checked_real


@pytest.fixture(scope="module")
def apkg(real_apkg) -> Path:
    """The session's real deck (conftest), built once for every test file that needs it."""
    return real_apkg


@pytest.fixture
def col(tmp_path):
    collection = Collection(str(tmp_path / "collection.anki2"))
    yield collection
    collection.close()


def test_counts_decks_and_tags(col, apkg, resolved) -> None:
    log = import_into(col, apkg)
    questions = resolved.book.questions
    exercises = [e for q in questions for e in q.exercises]
    clozes = [q for q in questions if q.clozes]  # a cloze note, a card per key term
    assert len(log.new) == len(questions) + len(exercises) + len(clozes)
    assert col.note_count() == len(questions) + len(exercises) + len(clozes)
    assert col.card_count() == len(questions) + len(exercises) + sum(
        len(q.cloze_terms) for q in questions)
    title = resolved.config.title
    names = {d.name for d in col.decks.all_names_and_ids()}
    decks = {c.number: f"{title}::{c.number:02d} {c.title}" for c in resolved.book.chapters}
    assert set(decks.values()) | {title} <= names
    root = resolved.config.slug
    for question in questions:
        nids = col.find_notes(f'"tag:{root}::{question.chapter:02d}_*::{question.label}" '
                              f'"deck:{decks[question.chapter]}"')
        assert len(nids) == 1 + len(question.exercises) + bool(question.clozes)
        for nid in nids:
            tags = set(col.get_note(nid).tags)
            assert {f"{root}::topic::{tag}" for tag in question.tags} <= tags
            assert all(tag.startswith(f"{root}::") for tag in tags)


def test_new_cards_come_in_book_order(col, apkg, resolved) -> None:
    import_into(col, apkg)
    cards = sorted((col.get_card(cid) for cid in col.find_cards("is:new")), key=lambda c: c.due)
    keys = [c.note()["Key"] for c in cards]
    expected = []
    for q in resolved.book.questions:
        expected.append(f"{q.chapter:02d}.{q.number:03d}")
        expected += [f"{q.chapter:02d}.{q.number:03d}.{e.letter}" for e in q.exercises]
        expected += [f"{q.chapter:02d}.{q.number:03d}.~"] * len(q.cloze_terms)  # key terms
    assert keys == expected


def test_every_card_renders_its_text_without_leftovers(col, apkg, resolved) -> None:
    import_into(col, apkg)
    media = Path(col.media.dir())
    by_key = {}
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        question, answer = card.question(), card.answer()
        for text in (question, answer):
            visible = re.sub(r"<style>.*?</style>|<code[^>]*>.*?</code>", "", text, flags=re.S)
            for leftover in LEFTOVERS:
                assert leftover not in visible, (card.note()["Key"], leftover)
            assert not re.search(r"(?<![\\\w])\$[^$<>]+\$", visible), card.note()["Key"]
            assert "<script" not in text and "<iframe" not in text
            assert not re.search(r"""(src|href)=["']?(?!https?://|#)[a-z]+:""", text)
            assert not re.search(r"""src=["']?https?:""", text)
            for src in re.findall(r'src="([^"]+)"', text):
                assert (media / src).is_file(), src
        by_key[card.note()["Key"]] = (question, answer)
    check = col.media.check()
    assert not check.missing and not check.unused
    for q in resolved.book.questions:
        question, answer = by_key[f"{q.chapter:02d}.{q.number:03d}"]
        assert f"Q{q.number} · " in question
        assert "Full answer" in answer and "Chapter" in answer
        for exercise in q.exercises:
            front, back = by_key[f"{q.chapter:02d}.{q.number:03d}.{exercise.letter}"]
            assert f"Exercise {exercise.number}" in front and f"Q{q.number} · " in front
            assert len(back) > len(front)


def test_math_uses_mathjax_delimiters(col, apkg) -> None:
    import_into(col, apkg)
    answers = " ".join(col.get_card(cid).answer() for cid in col.find_cards(""))
    assert "\\(" in answers and "\\)" in answers
    assert answers.count("\\(") == answers.count("\\)")
    assert answers.count("\\[") == answers.count("\\]")


def test_cross_references_and_citations_are_text(col, apkg, resolved) -> None:
    import_into(col, apkg)
    answers = " ".join(col.get_card(cid).answer() for cid in col.find_cards(""))
    question = resolved.book.questions[1]
    assert re.search(r'<span class="xref">Q\d+ <em>[^<]+</em></span>', answers)  # no "(Q6 (…))"
    assert re.search(r'<span class="xref">Figure \d+\.\d+</span>', answers)
    assert re.search(r'<span class="citation"[^>]*>\(?[A-Z][^<]*\d{4}', answers)
    assert 'class="csl-entry"' in answers
    assert question.title  # the titles used above come from the book


def test_note_types_are_frozen(col, apkg, resolved) -> None:
    import_into(col, apkg)
    identifier = resolved.config.identifier
    for kind, fields in (("question", QUESTION_FIELDS), ("exercise", EXERCISE_FIELDS)):
        model = col.models.get(_id(identifier, "model", kind))
        assert [f["name"] for f in model["flds"]] == list(fields)
        assert ".nightMode" in model["css"] and ".night_mode" in model["css"]
        assert "<script" not in model["tmpls"][0]["qfmt"] + model["tmpls"][0]["afmt"]
    assert QUESTION_FIELDS == ("Key", "Heading", "Prompt", "Summary", "Answer", "References",
                               "Source", "Extra")
    assert EXERCISE_FIELDS == ("Key", "Heading", "Question", "Exercise", "Solution",
                               "References", "Source", "Extra")


def test_committed_history_is_current(book, apkg) -> None:
    """Building the committed book must not move any note's modification time."""
    assert (book / "anki-history.json").read_text() == (SOURCE / "anki-history.json").read_text()
