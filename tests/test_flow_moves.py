"""The page flow's moves (render/pdf_flow.py) are searched on a chunk's canonical form and
replayed on the chunk as printed: they name blocks by their place, never counting the pad
page, so the same moves make the same changes to either form. After an edit, the moves the
last search found are carried to the edited chunk (rebase) for the layout made while the new
search runs."""

from __future__ import annotations

import lxml.html

from qabook.render.pdf_flow import rebase, replay

BODY = ('<section class="question"><h2>Q1</h2><p id="a">A</p>'
        '<figure id="f1"><img src="x.svg"><figcaption>F</figcaption></figure>'
        '<figure id="f2"><img src="y.svg"><figcaption>G</figcaption></figure>'
        '<p id="b">B <a href="#f1" data-page="{page}">Figure 1</a></p><ul id="c"><li>c</li></ul>'
        '<pre id="d"><code>d</code></pre></section>')


def chunk(page: str, pad: bool) -> str:
    return ("<!DOCTYPE html><html><head><title>t</title></head><body>" +
            ('<div class="pad"></div>' if pad else "") + BODY.format(page=page) +
            "</body></html>")


def ids(html: str) -> list[str]:
    return [el.get("id") for el in lxml.html.document_fromstring(html).iter()
            if el.get("id")]


def test_no_moves_leave_the_html_as_it_is() -> None:
    html = chunk("12", True)
    assert replay(html, ()) is html


def test_the_same_moves_change_the_canonical_and_the_printed_chunk_alike() -> None:
    # blocks in document order: section 0, h2 1, p#a 2, figure#f1 3, figure#f2 4, p#b 5,
    # ul#c 6, li 7, pre#d 8 (the pad page is not counted); the pre stays block 8
    moves = (("move", (3, 4), 6), ("style", 8, "break-inside: auto"),
             ("class", "flow-tight-1"))
    canonical, printed = replay(chunk("00", False), moves), replay(chunk("147", True), moves)
    for html in (canonical, printed):
        assert ids(html) == ["a", "b", "c", "f1", "f2", "d"]
        tree = lxml.html.document_fromstring(html)
        assert tree.get_element_by_id("d").get("style") == "break-inside: auto"
        assert tree.find("body").get("class") == "flow-tight-1"
    assert 'data-page="147"' in printed and 'class="pad"' in printed
    assert 'data-page="00"' in canonical and 'class="pad"' not in canonical


def test_a_move_is_made_on_the_order_the_moves_before_it_left() -> None:
    # after the figures move behind the list, block 3 is p#b
    moves = (("move", (3, 4), 6), ("style", 3, "widows: 5"))
    tree = lxml.html.document_fromstring(replay(chunk("00", True), moves))
    assert tree.get_element_by_id("b").get("style") == "widows: 5"


def edited(body: str) -> str:
    """The chunk with a paragraph added before everything, one removed and one changed."""
    return (body.replace('<h2>Q1</h2>', '<h2>Q1</h2><p id="new">New</p><p id="n2">N</p>')
            .replace('<p id="a">A</p>', '<p id="a">A, longer now</p>')
            .replace('<ul id="c"><li>c</li></ul>', ''))


def test_moves_are_carried_to_the_blocks_they_named_in_an_edited_chunk() -> None:
    old = chunk("00", False)
    new = old.replace(BODY.format(page="00"), edited(BODY.format(page="00")))
    # the figures go behind p#b, then the listing is let break; then p#b (block 3 once the
    # figures moved, block 5 in the edited chunk) gets a style
    moves = (("move", (3, 4), 5), ("style", 8, "break-inside: auto"), ("style", 3, "widows: 5"),
             ("class", "flow-tight-1"))
    carried = rebase(moves, old, new)
    assert carried == (("move", (5, 6), 7), ("style", 8, "break-inside: auto"),
                       ("style", 5, "widows: 5"), ("class", "flow-tight-1"))
    tree = lxml.html.document_fromstring(replay(new, carried))
    assert ids(replay(new, carried)) == ["new", "n2", "a", "b", "f1", "f2", "d"]
    assert tree.get_element_by_id("d").get("style") == "break-inside: auto"
    assert tree.get_element_by_id("b").get("style") == "widows: 5"


def test_moves_naming_a_removed_block_are_not_carried() -> None:
    old = chunk("00", False)
    new = old.replace(BODY.format(page="00"), edited(BODY.format(page="00")))
    assert rebase((("move", (3,), 6),), old, new) is None  # behind the list, now gone
    assert rebase((), old, new) == ()
    assert rebase((("style", 40, "widows: 5"),), old, new) is None  # no block 40 at all
