"""One vocabulary, translated: the generated words of every format come from qabook/words.py
and its gettext catalogues, in the language book.yaml names."""

from __future__ import annotations

import ast
import json
import re
import sqlite3
import string
import zipfile
from pathlib import Path

import jinja2
import pikepdf
import pypdfium2
import pytest
from babel.messages.pofile import read_po
from jinja2 import nodes
from lxml import etree, html

from conftest import BOOKS, REPO, assemble, run
from qabook import words

LANGUAGES = ("de", "en", "es", "fr")
#: the English generated words; none may be left in a translated book (the tiny book's own
#: text is English too, but says none of these, capitalised as they are)
ENGLISH = ("Chapter", "Figure", "Table", "Equation", "Exercise", "Appendix", "Solution",
           "Solutions", "Quiz", "Contents", "References", "Typeset", "Published",
           "In this chapter", "questions of this chapter", "Back to the exercise", "Title Page",
           "Cover", "Start of Content", "Full answer", "Full solution", "Key terms",
           "Identifier", "January")
#: the English of what readers and learners meet beside the pages: the PDFs' link
#: descriptions and /Subject, the deck's description, removed notes and field descriptions,
#: the EPUB's accessibility metadata
ENGLISH_AROUND = ("Go to", "Open", "page", "another page", "Edition of", "Changes in this",
                  "new edition", "sort order", "set by the book", "fills this field",
                  "folded", "unused", "direct answer", "Every figure", "print edition",
                  "No known hazards", "handout of", "worksheet of", "answer key", "Removed",
                  "no longer in", "delete", "updated", "new", "removed")


def _book(tmp_path: Path, language: str, case: Path = BOOKS / "_base") -> Path:
    book = assemble(case, tmp_path)
    config = book / "book.yaml"
    config.write_text(config.read_text().replace("language: en-US", f"language: {language}"))
    return book


def _build(book: Path, out: Path, *formats: str) -> str:
    args = [a for f in formats for a in ("-f", f)]
    code, stdout, stderr = run("build", "--source", str(book), "--out", str(out), *args)
    assert code == 0, stdout + stderr
    return stdout + stderr


def deck_text(apkg: Path, tmp_path: Path) -> str:
    """The text of every note's fields and of the note types' templates and names."""
    with zipfile.ZipFile(apkg) as archive:
        archive.extract("collection.anki2", tmp_path)
    db = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        fields = [f for (flds,) in db.execute("select flds from notes") for f in flds.split("\x1f")]
        models = json.loads(db.execute("select models from col").fetchone()[0]).values()
    finally:
        db.close()
    fields += [m["name"] for m in models]
    # the templates' words, without their {{Field}} references: field names are the note
    # types' identity in learners' collections (a renamed field makes Anki import a copy)
    fields += [re.sub(r"\{\{[^}]*\}\}", " ", t[side]) for m in models for t in m["tmpls"]
               for side in ("qfmt", "afmt")]
    return " ".join(html.fromstring(f"<div>{f}</div>").text_content() for f in fields if f)


def epub_text(epub: Path) -> str:
    """The text of every XHTML file of the EPUB (the navigation document included)."""
    with zipfile.ZipFile(epub) as archive:
        trees = [etree.fromstring(archive.read(n)) for n in sorted(archive.namelist())
                 if n.endswith(".xhtml")]
    return " ".join(" ".join(t.itertext()) for t in trees)


def pdf_text(pdf: Path) -> str:
    """The text of every page and the PDF outline's titles."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
        outline = [item.get_title() for item in document.get_toc()]
    finally:
        document.close()
    return "\n".join(pages + outline)


def pdf_links(pdf: Path) -> list[str]:
    """What each link annotation of a PDF says it does (its /Contents)."""
    with pikepdf.open(pdf) as document:
        return [str(a.Contents) for page in document.pages for a in page.obj.get("/Annots", [])
                if a.get("/Subtype") == pikepdf.Name.Link]


def pdf_subject(pdf: Path) -> str:
    with pikepdf.open(pdf) as document:
        return str(document.docinfo.get("/Subject", ""))


def deck_around(apkg: Path, tmp_path: Path) -> tuple[str, list[str]]:
    """The parent deck's description and every field description of the note types."""
    with zipfile.ZipFile(apkg) as archive:
        archive.extract("collection.anki2", tmp_path / "around")
    db = sqlite3.connect(tmp_path / "around" / "collection.anki2")
    try:
        decks = json.loads(db.execute("select decks from col").fetchone()[0]).values()
        models = json.loads(db.execute("select models from col").fetchone()[0]).values()
    finally:
        db.close()
    (description,) = [d["desc"] for d in decks if d["desc"]]
    return description, [f["description"] for m in models for f in m["flds"] if f["description"]]


def epub_metadata(epub: Path) -> dict[str, str]:
    """The EPUB package's <meta property> texts, by property (the last of each)."""
    with zipfile.ZipFile(epub) as archive:
        opf = etree.fromstring(archive.read("EPUB/content.opf"))
    return {m.get("property"): m.text for m in opf.iter("{http://www.idpf.org/2007/opf}meta")
            if m.get("property")}


def _flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def _english_left(text: str, english: tuple[str, ...] = ENGLISH) -> list[str]:
    return [w for w in english if re.search(rf"\b{re.escape(w)}\b", text)]


def test_a_german_book_says_every_generated_word_in_german(tmp_path: Path) -> None:
    book = _book(tmp_path, "de-DE")
    _build(book, tmp_path / "out", "apkg", "epub", "pdf")
    out = tmp_path / "out"
    deck = _flat(deck_text(out / "a-tiny-book.apkg", tmp_path))
    epub = _flat(epub_text(out / "a-tiny-book.epub"))
    pdf = _flat(pdf_text(out / "a-tiny-book.pdf"))
    common = ["Kapitel 1: First Things", "Abbildung 1.1", "Aufgabe 1-A"]
    for expected in common + ["Vollständige Antwort", "Vollständige Lösung", "Frage",
                              "Schlüsselbegriffe" if "cloze" in deck else "Aufgabe"]:
        assert expected in deck, expected
    for expected in common + ["Anhang A: Lösungen der Quizfragen", "Anhang B: Liste der Fragen",
                              "Inhalt", "Literatur", "Quizfragen", "Lösung in Anhang A",
                              "Tabelle 1.1", "Gleichung (1.1)", "Zurück zur Aufgabe in Q1",
                              "Die Fragen dieses Kapitels:", "Impressum", "Titelseite",
                              "Umschlag", "Erschienen am 15. Januar 2026"]:
        assert expected in epub, expected
    for expected in common + ["Anhang A: Lösungen der Quizfragen", "Inhalt", "Literatur",
                              "Lösung auf S. 7", "Q2, S. 3", "Tabelle 1.1", "Gleichung (1.1)",
                              "In diesem Kapitel".upper(), "15. Januar 2026", "Gesetzt aus"]:
        assert expected in pdf, expected
    for name, text in (("deck", deck), ("EPUB", epub), ("PDF", pdf)):
        assert not _english_left(text), (name, _english_left(text))

    # beside the pages: what a screen reader says of the print book's links, the deck's
    # description and field descriptions, the EPUB's accessibility metadata
    links = pdf_links(out / "a-tiny-book.pdf")
    assert links and all(c.startswith("Gehe zu ") or c.endswith(" öffnen") for c in links)
    assert "Gehe zu Kapitel 1: First Things, Seite 1" in links and "Gehe zu Seite 7" in links
    assert "https://doi.org/10.1000/test.2019 öffnen" in links
    description, fields = deck_around(out / "a-tiny-book.apkg", tmp_path)
    description = _flat(html.fromstring(description).text_content())
    for expected in ("Ausgabe vom 2026-01-15.", "Änderungen in dieser Ausgabe: 6 neu.",
                     "Unterstapel „Aus dem Buch entfernt“", "a-tiny-book::removed"):
        assert expected in description, (expected, description)
    assert "Kapitel.Frage: die Sortierreihenfolge, vom Buch festgelegt" in fields
    assert any("eingeklappt unter „Vollständige Lösung“" in f for f in fields), fields
    opf = epub_metadata(out / "a-tiny-book.epub")
    summary, source = opf["schema:accessibilitySummary"], opf["pageBreakSource"]
    assert summary.startswith("Jede Abbildung hat eine Textalternative")
    assert source == "A Tiny Book, Druckausgabe (PDF, A4), Test Author, 2026-01-15"
    for name, text in (("links", " ".join(links)), ("deck description",
                                                    description.replace("::removed", "")),
                       ("field descriptions", " ".join(fields)), ("EPUB metadata",
                                                                   f"{summary} {source}")):
        assert not _english_left(text, ENGLISH_AROUND), (name, _english_left(text, ENGLISH_AROUND))


def test_german_handouts_say_what_they_hold(tmp_path: Path) -> None:
    book = _book(tmp_path, "de-DE", BOOKS / "handouts-good")
    out = tmp_path / "out"
    code, stdout, stderr = run("build", "--source", str(book), "--out", str(out), "-f", "pdf",
                               "--handout", "week-1")
    assert code == 0, stdout + stderr
    subjects = {kind: pdf_subject(out / f"a-tiny-book-week-1-{kind}.pdf")
                for kind in ("handout", "worksheet", "answer-key")}
    assert subjects["handout"].startswith("Ein Handout aus A Tiny Book: Q1, Q2, mit ")
    assert subjects["worksheet"].startswith("Ein Arbeitsblatt aus A Tiny Book: ")
    assert subjects["answer-key"].startswith(
        "Der Lösungsschlüssel zum Arbeitsblatt aus A Tiny Book zu Q1, Q2: ")
    for kind, subject in subjects.items():
        assert not _english_left(subject, ENGLISH_AROUND), (kind, subject)



def test_a_german_deck_says_what_left_the_book(tmp_path: Path) -> None:
    book = _book(tmp_path, "de-DE", BOOKS / "feature-cloze")  # Q1 has key terms
    _build(book, tmp_path / "first", "apkg")
    (book / "chapters" / "01-one" / "q01-first.md").unlink()
    for path in book.rglob("*.md"):
        path.write_text(path.read_text().replace("Q1", "Q2"))
    config = book / "book.yaml"  # the next edition
    config.write_text(config.read_text().replace("date: 2026-01-15", "date: 2026-02-01"))
    _build(book, tmp_path / "second", "apkg")
    apkg = tmp_path / "second" / "a-tiny-book.apkg"
    description, _ = deck_around(apkg, tmp_path)
    assert "Änderungen in dieser Ausgabe: 2 aktualisiert, 4 entfernt." in description
    deck = _flat(deck_text(apkg, tmp_path))
    for expected in ("01.001 entfernt", "Entfernt: Q1 · The First Question",
                     "Aus dem Buch entfernt. „Q1 · The First Question“ ist nicht mehr in "
                     "A Tiny Book enthalten. Sie können diese Notiz löschen: Suchen Sie im "
                     "Browser von Anki nach tag:a-tiny-book::removed.", "{{c1::Entfernt}}"):
        assert expected in deck, expected
    left = _english_left(deck.replace("::removed", ""), ENGLISH_AROUND)
    assert not left, left


def test_plural_forms_follow_each_catalogue() -> None:
    said = {language: [words.Words(language).say_count("{count} new", "{count} new", n)
                       for n in (0, 1, 2)] for language in LANGUAGES}
    assert said["en"] == ["0 new", "1 new", "2 new"]
    assert said["fr"] == ["0 nouvelle note", "1 nouvelle note", "2 nouvelles notes"]  # n > 1
    assert said["es"] == ["0 notas nuevas", "1 nota nueva", "2 notas nuevas"]
    assert said["de"] == ["0 neu", "1 neu", "2 neu"]


def test_french_print_and_spanish_deck(tmp_path: Path) -> None:
    _build(_book(tmp_path / "fr", "fr-FR"), tmp_path / "fr-out", "pdf")
    pdf = _flat(pdf_text(tmp_path / "fr-out" / "a-tiny-book.pdf"))
    for expected in ("Chapitre 1 : First Things", "Table des matières", "Tableau 1.1",
                     "Équation (1.1)", "Exercice 1-A", "Annexe A : Solutions des quiz",
                     "Références", "15 janvier 2026", "Dans ce chapitre".upper()):
        assert expected in pdf, expected
    assert not [w for w in _english_left(pdf) if w not in ("Figure", "Solution", "Solutions",
                                                           "Table")], _english_left(pdf)
    _build(_book(tmp_path / "es", "es"), tmp_path / "es-out", "apkg")
    deck = _flat(deck_text(tmp_path / "es-out" / "a-tiny-book.apkg", tmp_path))
    for expected in ("Capítulo 1: First Things", "Figura 1.1", "Ejercicio 1-A",
                     "Respuesta completa", "Pregunta"):
        assert expected in deck, expected
    assert not _english_left(deck), _english_left(deck)


def test_an_unknown_language_builds_in_english_with_a_warning(tmp_path: Path) -> None:
    book = _book(tmp_path, "xx")
    code, stdout, stderr = run("check", "--source", str(book))
    said = stdout + stderr
    assert code == 0, said
    line = next(n for n, text in enumerate((book / "book.yaml").read_text().splitlines(), 1)
                if text.startswith("language:"))
    assert f"book.yaml:{line}:11: warning:" in said and "[config.language-words]" in said
    assert "de, en, es, fr" in said  # the hint names the translations there are
    code, stdout, stderr = run("check", "--source", str(book), "--strict")
    assert code == 1, stdout + stderr
    _build(book, tmp_path / "out", "apkg")
    deck = _flat(deck_text(tmp_path / "out" / "a-tiny-book.apkg", tmp_path))
    assert "Exercise 1-A" in deck and "Chapter 1: First Things" in deck and "Full answer" in deck


def test_a_known_language_gives_no_warning(tmp_path: Path) -> None:
    code, stdout, stderr = run("check", "--source", str(_book(tmp_path, "de-CH")), "--strict")
    assert code == 0 and "config.language-words" not in stdout + stderr


@pytest.mark.parametrize("tag, language, day", [
    ("de-DE", "de", "26. November 2026"), ("fr", "fr", "26 novembre 2026"),
    ("es-MX", "es", "26 de noviembre de 2026"), ("en-GB", "en", "26 November 2026"),
    ("en-US", "en", "November 26, 2026"), ("pt-BR", "en", "November 26, 2026")])
def test_tags_choose_a_catalogue_and_a_date_format(tag, language, day) -> None:
    import datetime as dt

    said = words.words(tag)
    assert said.language == language
    assert said.date(dt.date(2026, 11, 26)) == day



def test_the_printed_date_is_cached_per_locale(tmp_path: Path, monkeypatch) -> None:
    """The print's date is kept in the cache (Babel's locale data costs an edit a tenth of a
    second): one cache serves each locale its own words, and a warm entry needs no Babel."""
    import datetime as dt

    import babel.dates

    from qabook.cache import Cache
    from qabook.render.print_html import _date

    cache, day = Cache(tmp_path / "cache"), dt.date(2026, 11, 26)
    said = {tag: _date(words.words(tag), day, cache) for tag in ("en-US", "en-GB", "de-DE")}
    assert said == {"en-US": "November 26, 2026", "en-GB": "26 November 2026",
                    "de-DE": "26. November 2026"}

    def refused(*args, **kwargs):
        raise AssertionError("Babel asked again")

    monkeypatch.setattr(babel.dates, "format_date", refused)
    assert {tag: _date(words.words(tag), day, Cache(tmp_path / "cache"))
            for tag in said} == said


# --- the catalogues ---------------------------------------------------------------------

def used_msgids() -> dict[str | tuple[str, str], str]:
    """Every msgid the code says (`….say("…")`; `….say_count("…", "…", n)` as a (singular,
    plural) pair) and the print template says, with where."""
    found: dict[str | tuple[str, str], str] = {}
    for path in sorted((REPO / "qabook").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("say", "say_count") and node.args):
                continue
            count = node.func.attr == "say_count"
            literals = node.args[:2] if count else node.args[:1]
            assert all(isinstance(a, ast.Constant) and isinstance(a.value, str)
                       for a in literals), f"{path}:{node.lineno}: say() takes a literal msgid"
            msgid = tuple(a.value for a in literals) if count else literals[0].value
            found.setdefault(msgid, f"{path.name}:{node.lineno}")
    environment = jinja2.Environment()
    for path in sorted((REPO / "templates" / "pdf").glob("*.html")):
        for call in environment.parse(path.read_text()).find_all(nodes.Call):
            if isinstance(call.node, nodes.Getattr) and call.node.attr == "say":
                assert isinstance(call.args[0], nodes.Const)
                found.setdefault(call.args[0].value, path.name)
    return found


def _catalogue(language: str):
    with open(words.catalogue_path(language), "rb") as file:
        return read_po(file, locale=language)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_is_translated_with_its_placeholders(language: str) -> None:
    used = used_msgids()
    assert len(used) > 40
    catalogue = _catalogue(language)
    messages = {m.id: m.string for m in catalogue if m.id}
    missing = sorted(set(used) - set(messages), key=str)
    assert not missing, f"{language}: no msgid for {missing}"
    assert not sorted(set(messages) - set(used), key=str), "msgids no code says any more"
    for msgid, msgstr in messages.items():
        if isinstance(msgid, tuple):  # every form the language has, each with the fields
            assert len(msgstr) == catalogue.num_plurals, (language, msgid, msgstr)
            for form in msgstr:
                assert form and _fields(form) == _fields(msgid[0]) == _fields(msgid[1]), \
                    (language, msgid, msgstr)
            continue
        assert msgstr, f"{language}: {msgid!r} has an empty msgstr"
        assert _fields(msgstr) == _fields(msgid), (language, msgid, msgstr)
    assert words.available() == LANGUAGES


def test_card_templates_keep_no_word_marker() -> None:
    from qabook.render.anki import card_template

    for language in LANGUAGES:
        said = words.Words(language)
        for path in (REPO / "templates" / "anki").glob("*.html"):
            assert "qb-say:" not in card_template(path.name, said)


def test_the_stylesheet_carries_no_words() -> None:
    import tinycss2

    css = (REPO / "templates" / "pdf" / "book.css").read_text()
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)

    def strings(tokens):
        for token in tokens:
            if token.type == "string":
                yield token.value
            for inner in ("content", "arguments", "prelude"):
                if isinstance(getattr(token, inner, None), list):
                    yield from strings(getattr(token, inner))

    found = [s for rule in rules for s in strings((rule.prelude or []) + (rule.content or []))
             if re.search(r"[A-Za-z]{2}", s)]
    # font family names are the only words (quoted names of faces)
    assert all(s.startswith(("Source ", "STIX")) for s in found), found
