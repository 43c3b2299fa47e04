"""Cards made for review (issue 16, item 5), on a tiny book: what the fields hold, and the
cards shown in Anki's own reviewer page (tests/reviewer.py) on a phone and a desktop, light
and night, with every fold open: nothing overflows outside a scroll box that shows it
scrolls, the shipped fonts load from the media, MathJax reports no error and the figure's
smallest text is at least 9 CSS px on a phone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

import reviewer
from conftest import BOOKS, REPO, assemble, run

CASE = BOOKS / "cards-review"
FAMILIES = {"Source Serif 4", "Source Sans 3", "Source Code Pro"}


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    """(cards as the reviewer gets them, the media folder, the collection's note types)."""
    tmp = tmp_path_factory.mktemp("cards")
    source = assemble(CASE, tmp)
    code, _, stderr = run("build", "--source", str(source), "--out", str(tmp / "out"), "-f", "apkg")
    assert code == 0, stderr
    apkg = next((tmp / "out").glob("*.apkg"))
    collection = Collection(str(tmp / "collection.anki2"))
    try:
        collection.import_anki_package(ImportAnkiPackageRequest(
            package_path=str(apkg), options=ImportAnkiPackageOptions()))
        cards = reviewer.collection_cards(collection)
        notes = {card["name"]: collection.get_note(collection.find_notes(f'"Key:{card["name"]}"')[0])
                 for card in cards}
        models = {m["name"]: m for m in collection.models.all()}
        media = Path(collection.media.dir())
        yield cards, notes, models, media, apkg
    finally:
        collection.close()


def test_exercise_back_is_the_direct_answer(deck) -> None:
    _, notes, _, _, _ = deck
    first = notes["01.001.A"]
    assert first["Solution"] == ('<p>Because it comes before <span class="xref">Q2 '
                                 '<em>The Second Question</em></span>.</p>')
    # the rest, folded: the question's figure is on another card, and says so
    assert "Figure 1.1 of Q1" in first["Extra"]
    assert "<em>The Second Question</em>" in first["Extra"]
    assert '(see <span class="xref">Q2 <em>The Second Question</em></span>)' in first["Extra"]
    assert "Figure 1.1 of Q1" in first["Exercise"]
    # no direct answer (a list): the whole solution is shown, nothing folded
    assert "<li>" in notes["01.001.B"]["Solution"] and notes["01.001.B"]["Extra"] == ""


def test_question_fields(deck) -> None:
    _, notes, _, _, _ = deck
    question = notes["01.001"]
    # the figure is in the folded answer, on the same card: no "of Q1"
    assert "Figure 1.1" in question["Summary"] and "of Q1" not in question["Summary"]
    assert question["References"].startswith('<details class="qb-more qb-refs"><summary>References (1)')
    assert question["Extra"] == ""


def test_note_types_editor_and_browser(deck) -> None:
    _, _, models, _, _ = deck
    for name, model in models.items():
        if not name.startswith("qabook"):
            continue
        fields = {f["name"]: f for f in model["flds"]}
        assert {n for n, f in fields.items() if f["collapsed"]} == {"Answer", "Extra", "References"} & set(fields)
        assert "replaced by the next edition" in fields["Extra"]["description"]
        assert model["tmpls"][0]["bqfmt"].startswith("{{Heading}}") and model["tmpls"][0]["bafmt"]
        assert "@font-face" in model["css"]


def test_fonts_are_shipped_as_book_media(deck) -> None:
    _, _, models, media, apkg = deck
    fonts = sorted(p.name for p in media.iterdir() if p.suffix == ".woff2")
    assert len(fonts) == 11 and all(n.startswith("_a-tiny-book-") for n in fonts), fonts
    for name in fonts:
        assert (media / name).read_bytes()[:4] == b"wOF2"
        ours = [m for n, m in models.items() if n.startswith("A Tiny Book · ")]
        assert len(ours) == 2 and all(f'url("{name}")' in m["css"] for m in ours)
    assert apkg.stat().st_size < 700_000  # subsets, not the 2.9 MB of whole fonts
    prebuilt = {p.read_bytes() for p in (REPO / "templates/fonts/cards").iterdir()}
    assert {(media / name).read_bytes() for name in fonts} == prebuilt  # no subsetting


def test_the_prebuilt_card_fonts_are_the_fonts_subset_to_their_coverage() -> None:
    """templates/fonts/cards holds what scripts/card_fonts.py writes: each face's characters
    inside COVERAGE, from the same version of the font."""
    import io
    from fontTools.ttLib import TTFont

    from qabook.render import anki_fields, fonts

    assert sorted(f.prebuilt for f in anki_fields.FACES) == sorted(
        p.name for p in fonts.PREBUILT.iterdir())
    for face in anki_fields.FACES:
        full = TTFont(fonts.FONTS / face.file, lazy=True)
        shipped = TTFont(io.BytesIO((fonts.PREBUILT / face.prebuilt).read_bytes()), lazy=True)
        assert shipped.flavor == "woff2"
        assert set(shipped.getBestCmap()) == {c for c in full.getBestCmap() if fonts.in_coverage(c)}
        assert shipped["head"].fontRevision == full["head"].fontRevision, face.file
        assert shipped["name"].getDebugName(1) == full["name"].getDebugName(1)


def test_a_character_outside_the_coverage_gets_a_subset_that_draws_it() -> None:
    import io
    from fontTools.ttLib import TTFont

    from qabook.render import anki_fields, fonts

    face = anki_fields.FACES[0]
    assert not fonts.covered(ord("ệ"))
    data = fonts.woff2(face, {"T", "i", "ế", "n", "g", "ệ"})
    cmap = TTFont(io.BytesIO(data)).getBestCmap()
    assert ord("ệ") in cmap and ord("ế") in cmap and ord("é") in cmap  # and the coverage
    prebuilt = (fonts.PREBUILT / face.prebuilt).read_bytes()
    assert fonts.woff2(face, {"a", "é", "α"}) == prebuilt
    assert fonts.woff2(face, {"a", "\n", "\t", "↩", "\ufe0e", "\u200b"}) == prebuilt  # no glyphs
    assert fonts.woff2(face, {"a", "\n", "\t", "↩", "\ufe0e", "\u200b"}) == prebuilt


@pytest.fixture(scope="module")
def aqt():
    folder = reviewer.aqt_dir()
    if folder is None or not shutil.which("chromium"):
        pytest.skip("needs the unpacked aqt wheel (make test) and chromium")
    return folder


@pytest.mark.parametrize("mode", reviewer.MODES, ids=lambda m: m.name)
def test_cards_in_ankis_reviewer(deck, aqt, mode) -> None:
    cards, _, _, media, _ = deck
    report = reviewer.measure(cards, media, mode, aqt, timeout=120)
    assert report["errors"] == []
    problems = {}
    for result in report["results"]:
        for side in ("front", "back"):
            seen = result[side]
            assert seen["mathErrors"] == 0 and seen["pageWidth"] <= seen["viewport"]
            if seen["overflows"]:
                problems[f"{result['name']} {side}"] = seen["overflows"]
            assert all(f["complete"] for f in seen["figures"])
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
    loaded = {(f["family"], f["weight"], f["style"]) for f in report["fonts"]
              if f["family"] in FAMILIES and f["status"] == "loaded"}
    assert not [f for f in report["fonts"] if f["status"] == "error"]
    assert {("Source Serif 4", "400", "normal"), ("Source Sans 3", "700", "normal"),
            ("Source Code Pro", "400", "normal")} <= loaded
    if mode.mobile:
        # the wide equation, formula, table and code scroll in their boxes
        boxes = [b["el"].split(" ")[0] for r in report["results"] for b in r["back"]["scrollBoxes"]]
        assert {"span.math.display", "pre.sourceCode.python"} <= set(boxes), boxes
        sizes = reviewer.figure_text_px(report)
        assert sizes and min(sizes.values()) >= 9, sizes
