"""A learner's collection through editions of a book, with the real `anki` package.

Each step is what people do: the learner imports, reviews, marks, tags and types in a field;
the author edits, deletes, inserts, reorders, renumbers and renames, rebuilds; the learner
imports the next file with the desktop's default options (update a note when it is newer).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import genanki
import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.scheduler.v3 import CardAnswer

from conftest import BASE, run
from qabook.load.history import HISTORY

IDENTIFIER = "urn:uuid:00000000-0000-4000-8000-000000000001"
ROOT = "a-tiny-book"  # the book's slug: every tag lives under it


def build(book: Path, out: Path, *args: str) -> tuple[Path, str]:
    code, stdout, stderr = run("build", "--source", str(book), "--out", str(out), "-f", "apkg",
                               *args)
    assert code == 0, stderr
    return next(out.glob("*.apkg")), stdout + stderr


def import_(col: Collection, apkg: Path):
    """Import as the desktop does by default (its presets are the empty options)."""
    request = ImportAnkiPackageRequest(package_path=str(apkg), options=ImportAnkiPackageOptions())
    return col.import_anki_package(request).log


def note(col: Collection, key: str):
    (nid,) = col.find_notes(f'"Key:{key}"')
    return col.get_note(nid)


def review(col: Collection, key: str) -> int:
    nid = note(col, key).id
    card = col.get_card(col.find_cards(f"nid:{nid}")[0])
    card.start_timer()
    col.sched.answer_card(col.sched.build_answer(
        card=card, states=col._backend.get_scheduling_states(card.id), rating=CardAnswer.GOOD))
    return card.id


def next_second() -> None:
    """Anki keeps times in whole seconds: let what the learner did be in the past."""
    time.sleep(1.05 - time.time() % 1)


def edit(book: Path, path: str, old: str, new: str) -> None:
    file = book / path
    text = file.read_text()
    assert old in text, (path, old)
    file.write_text(text.replace(old, new, 1))


Q1 = "chapters/01-one/q01-first.md"
Q2 = "chapters/01-one/q02-second.md"
Q3 = "chapters/02-two/q03-third.md"
SECOND_EXERCISE = "::: exercise\nWhat follows it?\n\n::: solution\n@Q2 follows it.\n:::\n:::\n"


@pytest.fixture
def col(tmp_path):
    collection = Collection(str(tmp_path / "collection.anki2"))
    yield collection
    collection.close()


def test_a_collection_through_three_editions(tmp_path: Path, col: Collection,
                                             monkeypatch) -> None:
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    edit(book, Q1, SECOND_EXERCISE, SECOND_EXERCISE.replace("::: exercise",
                                                             "::: {.exercise #ex-follows}"))
    edit(book, Q2, "The second question, after @Q1.", "The [second]{.cloze} question, after @Q1.")
    edit(book, Q1, "number: 1\n", "number: 1\nid: first\n")

    # --- edition 1: import, review, mark, tag, type in a field ---------------------------
    first, said = build(book, tmp_path / "e1")
    assert f"{HISTORY} updated" in said and "added" in said
    log = import_(col, first)
    assert len(log.new) == col.note_count() == col.card_count()
    decks = {d.name for d in col.decks.all_names_and_ids()}
    assert {"A Tiny Book::01 First Things", "A Tiny Book::02 Second Things"} <= decks
    assert set(note(col, "01.001").tags) == {f"{ROOT}::01_first-things::Q1",
                                             f"{ROOT}::topic::basics"}
    models = {m.name for m in col.models.all_names_and_ids()}
    assert {"A Tiny Book · Question", "A Tiny Book · Exercise"} <= models
    reviewed = {key: review(col, key) for key in ("01.001", "01.001.A", "01.001.B", "02.003")}
    ids = {key: note(col, key).id for key in ("01.001", "01.001.A", "01.001.B", "01.002",
                                               "02.003")}
    q2 = note(col, "01.002")
    q2.tags.append("marked")  # Ctrl+K
    q2["Extra"] = "my own mnemonic"
    col.update_note(q2)
    mods = {key: note(col, key).mod for key in ids}
    reviews = col.db.scalar("select count() from revlog")
    count = col.note_count()
    schedule = {cid: (col.get_card(cid).ivl, col.get_card(cid).due) for cid in reviewed.values()}
    assert col.card_count() == count
    next_second()

    # --- edition 2: the author edits, inserts, deletes, reorders, renumbers, renames ------
    edit(book, Q2, "question, after @Q1.", "question, after @Q1. Edited.")
    text = (book / Q1).read_text()
    start = text.index("::: {.exercise #ex-first}")
    follows = text.index("::: {.exercise #ex-follows}")
    first_ex, second_ex = text[start:follows], text[follows:]
    inserted = "::: {.exercise #ex-new}\nIs there a newer question?\n\n::: solution\nYes.\n:::\n:::\n\n"
    (book / Q1).write_text(text[:start] + inserted + second_ex.rstrip("\n") + "\n\n" + first_ex)
    for path in book.rglob("*.md"):  # Q3 becomes Q5, and keeps its identity
        path.write_text(path.read_text().replace("Q3", "Q5"))
    edit(book, Q3, "number: 3\n", "number: 5\nid: Q3\n")
    edit(book, "book.yaml", "title: Second Things", "title: Other Things")
    code, out, err = run("check", "--source", str(book))
    assert code == 0 and "deck.renamed" in err and "02 Other Things" in err
    assert "deck.removed" not in err  # nothing left the book yet

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "315532800")  # as packagers set it: no effect
    second, said = build(book, tmp_path / "e2")
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert "updated" in said and "added" in said
    log = import_(col, second)
    assert not log.conflicting
    assert [n.fields[0] for n in log.new] == ["01.001.A"]  # ex-new, now first
    assert ids["01.001"] not in [n.id for n in log.updated]  # Q1 itself did not change
    assert note(col, "01.001").id == ids["01.001"] and note(col, "01.001").mod == mods["01.001"]
    # the labelled exercises kept their notes (and review history) though they moved
    assert note(col, "01.001.B").id == ids["01.001.B"]  # ex-follows, was 1-B
    assert note(col, "01.001.C").id == ids["01.001.A"]  # ex-first, was 1-A
    assert "What follows it?" in note(col, "01.001.B")["Exercise"]
    # the marked note took the edit: its new time is later than the learner's mark
    touched = note(col, "01.002")
    assert touched.id == ids["01.002"] and "Edited." in touched["Summary"]
    assert touched["Extra"] == ""  # documented: an updated note takes the book's fields
    # the renumbered question kept its note, its history and its deck
    renumbered = note(col, "02.005")
    assert renumbered.id == ids["02.003"] and renumbered["Heading"].startswith("Q5 · ")
    for key, cid in reviewed.items():
        card = col.get_card(cid)
        assert card.reps == 1 and (card.ivl, card.due) == schedule[cid], key
    assert col.db.scalar("select count() from revlog") == reviews
    assert col.get_card(reviewed["02.003"]).did == col.decks.id_for_name(
        "A Tiny Book::02 Second Things")  # Anki leaves existing cards in their deck
    assert col.note_count() == col.card_count() == count + 1

    # --- edition 3: a question is removed; its notes become tombstones --------------------
    next_second()
    (book / Q2).unlink()
    for path in book.rglob("*.md"):
        path.write_text(path.read_text().replace("Q2", "Q1"))
    code, out, err = run("check", "--source", str(book))
    assert code == 0 and err.count("[deck.removed]") == 3
    assert "'Q2 · The Second Question'" in err and "'Exercise 2-A'" in err
    assert "'Q2 · The Second Question (key terms)'" in err
    code, out, err = run("check", "--source", str(book), "--strict")
    assert code == 1
    third, said = build(book, tmp_path / "e3")
    assert "3 notes retired: Exercise 2-A, Q2 · The Second Question, Q2 · The Second " \
           "Question (key terms)" in said
    log = import_(col, third)
    gone = note(col, "01.002 removed")
    assert gone.id == ids["01.002"] and gone["Heading"].startswith("Removed: ")
    assert gone.tags == [f"{ROOT}::removed"]
    assert ids["01.002"] in col.find_notes(f"tag:{ROOT}::removed")
    (cloze,) = col.find_cards(f'tag:{ROOT}::removed "note:A Tiny Book · Key terms"')
    back = col.get_card(cloze).answer()
    assert f"tag:{ROOT}::removed</code>" in back and "Removed from the book." in back
    front = col.get_card(cloze).question()
    assert "[...]" in front and "{{" not in front and "Removed from the book." in front
    code, out, err = run("check", "--source", str(book), "--strict")
    assert code == 0, err  # retired now: said once

    # --- the next edition, with nothing changed in it: nothing moves ---------------------
    edit(book, "book.yaml", "date: 2026-01-15", "date: 2026-03-01")
    history = (book / HISTORY).read_text()
    again, said = build(book, tmp_path / "e4", "--locked")
    assert "updated" not in said and (book / HISTORY).read_text() == history
    log = import_(col, again)
    assert not log.new and not log.updated and not log.conflicting

    # a new learner finds the tombstones apart, in a deck to delete (Anki's default import
    # drops scheduling, so the suspension the deck carries reaches only "import progress")
    fresh = Collection(str(tmp_path / "fresh.anki2"))
    try:
        import_(fresh, again)
        cids = fresh.find_cards(f"tag:{ROOT}::removed")
        assert len(cids) == 3  # Q2, its exercise and its key terms
        for cid in cids:
            assert fresh.decks.name(fresh.get_card(cid).did).endswith("Removed from the book")
            assert "Removed from the book." in fresh.get_card(cid).question()
    finally:
        fresh.close()


def test_an_item_that_gets_a_label_is_known_by_its_words_not_its_place(
        tmp_path: Path, col: Collection) -> None:
    """Two unlabelled exercises shipped; the author deletes the first and labels the other,
    as check asks: the survivor keeps its own note, the deleted one becomes a tombstone."""
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    edit(book, Q1, "::: {.exercise #ex-first}", "::: exercise")
    edit(book, Q1, "(see @ex-first)", "(see Q1)")
    first, _ = build(book, tmp_path / "e1")
    import_(col, first)
    survivor = note(col, "01.001.B").id
    reviewed = review(col, "01.001.B")
    next_second()
    text = (book / Q1).read_text()
    start = text.index("::: exercise\nWhy is")
    end = text.index("::: exercise\nWhat follows")
    (book / Q1).write_text(text[:start] + text[end:].replace("::: exercise", "::: {.exercise "
                                                                            "#ex-follows}", 1))
    code, _, err = run("check", "--source", str(book))
    assert code == 0 and "deck.adopted" not in err and err.count("[deck.removed]") == 1
    assert "'Exercise 1-A'" in err
    second, said = build(book, tmp_path / "e2")
    assert "known by a new name: 1-B → ex-follows" in said
    import_(col, second)
    assert note(col, "01.001.A").id == survivor and col.get_card(reviewed).reps == 1
    assert "What follows it?" in note(col, "01.001.A")["Exercise"]
    gone = [col.get_note(n) for n in col.find_notes(f"tag:{ROOT}::removed")]
    assert [n["Heading"] for n in gone] == ["Removed: Exercise 1-A"]


def test_a_new_question_never_gets_the_note_of_one_that_shipped_under_its_number(
        tmp_path: Path, col: Collection) -> None:
    """Q3 gets an id and moves to number 5; a new question takes number 3. The new one must
    arrive as a new note (the first qabook derived GUIDs from labels such as Q3), and Q5
    keep Q3's note."""
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    first, _ = build(book, tmp_path / "e1")
    import_(col, first)
    third = note(col, "02.003").id
    count = col.note_count()
    next_second()
    for path in book.rglob("*.md"):
        path.write_text(path.read_text().replace("Q3", "Q5"))
    edit(book, Q3, "number: 3\n", "number: 5\nid: third\n")
    (book / "chapters/02-two/q03-new.md").write_text(
        "---\nnumber: 3\ntitle: A New Question\n---\n\n::: question\nWhat is new?\n:::\n\n"
        "Something new.\n")
    second, said = build(book, tmp_path / "e2")
    assert "1 note added: Q3 · A New Question" in said and "Q3 → third" in said, said
    log = import_(col, second)
    assert [n.fields[0] for n in log.new] == ["02.003"] and not log.conflicting
    assert note(col, "02.005").id == third and note(col, "02.003").id != third
    assert "What is new?" in note(col, "02.003")["Prompt"]
    assert col.note_count() == count + 1
    guids = [col.get_note(n).guid for n in col.find_notes("")]
    assert len(guids) == len(set(guids))


def test_locked_fails_and_publishes_nothing_when_the_history_is_out_of_date(
        tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    code, _, err = run("build", "--source", str(book), "--out", str(tmp_path / "out"),
                       "-f", "apkg", "--locked")
    assert code == 1 and "[history.locked]" in err and "added" in err
    assert not (book / HISTORY).exists() and not list((tmp_path / "out").glob("*.apkg"))
    build(book, tmp_path / "out")
    edit(book, Q2, "The second question, after @Q1.", "The second question, after @Q1. More.")
    code, _, err = run("build", "--source", str(book), "--out", str(tmp_path / "out"),
                       "-f", "apkg", "--locked")
    assert code == 1 and "1 note updated: Q2" in err


def test_a_first_format_history_keeps_the_guids_it_shipped(tmp_path: Path) -> None:
    """The history issue 15's qabook wrote: GUIDs derived from label and letter. A book that
    then labels its exercises keeps every learner's notes."""
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    old = {"Q1": [1768435200, "0" * 16], "1-A": [1768435200, "0" * 16],
           "1-B": [1768435200, "0" * 16], "model:question": [1768435200, "0" * 16]}
    (book / HISTORY).write_text(json.dumps(old))
    apkg, said = build(book, tmp_path / "out")
    col = Collection(str(tmp_path / "c.anki2"))
    try:
        import_(col, apkg)
        guids = {col.get_note(n)["Key"]: col.get_note(n).guid for n in col.find_notes("")}
        description = col.decks.by_name("A Tiny Book")["desc"]
    finally:
        col.close()
    assert guids["01.001"] == genanki.guid_for(IDENTIFIER, "question", "Q1")
    assert guids["01.001.A"] == genanki.guid_for(IDENTIFIER, "exercise", "Q1", "A")  # ex-first
    assert guids["01.001.B"] == genanki.guid_for(IDENTIFIER, "exercise", "Q1", "B")
    written = json.loads((book / HISTORY).read_text())
    assert written["qabook-anki-history"] == 2
    assert "ex-first" in written["notes"] and "1-A" not in written["notes"]
    assert written["notes"]["Q1"]["guid"] == guids["01.001"]
    # that qabook's decks were "A Tiny Book::1 First Things": the learner is told of the rename
    assert ["A Tiny Book::1 First Things", "A Tiny Book::01 First Things"] in \
        written["edition"]["renamed"]
    assert "“A Tiny Book::1 First Things” is now “A Tiny Book::01 First Things”" in description
