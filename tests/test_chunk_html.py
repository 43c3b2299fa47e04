"""A chunk's HTML is written from its template's output as read by an HTML tokenizer
(pdf_plan.Body), never by patterns over the text: markup shown as text (an author writing
about HTML in inline code) is text, and only real links, ids and images count. The
footnote push (pdf_layout.push) edits the parsed tree the same way."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import lxml.html
import pikepdf
from conftest import BOOKS, assemble, run
from hypothesis import given, settings, strategies as st

from qabook.render.pdf_layout import push
from qabook.render.pdf_plan import Body, PageMap

#: an answer that shows, in inline code, an element with the id and source of a figure in
#: another question; and refers to that figure
SHOWN = ("\n\nIn HTML, that figure would be written as "
         "`<img id=\"fig-first\" src=\"figures/q03-b.svg\">`; see @fig-first.\n")


def _links(html: str) -> dict[str, dict[str, str]]:
    return {a.get("id") or a.get("href"): dict(a.attrib)
            for a in lxml.html.document_fromstring(html).iter("a")}


def test_markup_shown_as_text_is_not_read_as_markup() -> None:
    body = Body('<html><head><title>Q2</title></head><body><section id="q2">'
                '<p>Written <code>&lt;img id="fig-first" src="figures/x.svg"&gt;</code> and '
                '<code> id="q2-own"</code>, see <a id="xr-1" class="xref" href="#fig-first">'
                'Figure 1.1</a> and <a id="xr-2" class="xref" href="#q2">Q2</a>.</p>'
                '<img src="figures/real.svg" alt=""><img src="data:image/svg+xml;base64,AA=="'
                ' alt=""></section></body></html>')
    assert body.ids == {"q2", "xr-1", "xr-2"}
    assert body.sources == ("figures/real.svg",)
    page_map = PageMap(anchors={"fig-first": 3, "q2": 5, "xr-1": 5, "xr-2": 5})
    same: set[str] = set()
    html = body.html("@page { margin: 1in }", False, page_map, (), same)
    links = _links(html)
    assert links["xr-1"]["href"] == "qabook:fig-first"  # another chunk's figure
    assert links["xr-1"]["data-page"] == "3" and links["xr-1"]["class"] == "xref"
    assert links["xr-2"]["href"] == "#q2"  # its own
    assert links["xr-2"]["class"] == "xref same-page" and same == {"xr-2"}
    assert html.count("<style>@page { margin: 1in }</style></head>") == 1
    assert 'id="fig-first" src="figures/x.svg"&gt;' in html  # the text as it was
    assert 'class="pad"' not in html
    padded = lxml.html.document_fromstring(body.html("", True, page_map, (), set()))
    assert padded.find("body")[0].get("class") == "pad"  # a pad page first, when it has one


def test_attributes_keep_their_values_through_a_rewrite() -> None:
    body = Body('<html><head></head><body><p id="p">'
                '<a id="xr-1" class="xref" href="#p" title="&quot;A&quot; &amp; &lt;B&gt;"'
                ' data-ref-kind="figure" hidden class="other">x</a></p></body></html>')
    (link,) = lxml.html.document_fromstring(
        body.html("", False, PageMap(anchors={"p": 1}), ("xr-1",), set())).iter("a")
    assert dict(link.attrib) == {"id": "xr-1", "class": "xref", "href": "#p",
                                 "title": '"A" & <B>', "data-ref-kind": "figure",
                                 "hidden": "", "data-page": "1"}


def test_a_cross_reference_to_a_figure_shown_as_code_elsewhere_links_and_builds(
        tmp_path: Path) -> None:
    book = assemble(BOOKS / "_base", tmp_path)
    second = book / "chapters/01-one/q02-second.md"
    text = second.read_text()
    cut = text.index("\n::: exercise")
    second.write_text(text[:cut] + SHOWN + text[cut:])
    code, _, err = run("build", "--source", str(book), "--out", str(tmp_path / "out"),
                       "-f", "pdf", "--no-cache")
    assert code == 0, err
    (path,) = (tmp_path / "out").glob("*.pdf")
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: n for n, page in enumerate(pdf.pages)}
        dests = pdf.Root.Names.Dests.Names
        where = dict(zip([str(name) for name in dests[::2]], dests[1::2]))
        figure = pages[where["fig-first"][0].objgen]
        question = pages[where["q2"][0].objgen]
        to_figure = [n for n, page in enumerate(pdf.pages)
                     for annot in page.get("/Annots", [])
                     if str(annot.get("/Dest", "")) == "fig-first"]
    assert figure < question  # Q1's figure
    assert question in to_figure  # Q2's reference to it is a link to its page


def test_a_pushed_footnote_ends_the_page_after_the_innermost_block_of_its_call() -> None:
    html = ('<html><body><pre><code>x = 1</code></pre><p style="padding-top: 2px">A note'
            '<a id="fnc-1" href="#fn-1">1</a>.</p><table><tr><td><pre>y</pre>Cell'
            '<a id="fnc-2" href="#fn-2">2</a></td></tr></table>'
            '<ul><li><p>Item</p><table id="t"><tr><td>In a table in an item'
            '<a id="fnc-3" href="#fn-3">3</a></td></tr></table><p>More of the item</p></li>'
            '</ul><dl><dt>Term<a id="fnc-4" href="#fn-4">4</a></dt><dd>Its definition</dd>'
            '</dl><p>Before the heading</p><h3>A heading<a id="fnc-5" href="#fn-5">5</a></h3>'
            '<p>Its text</p></body></html>')
    tree = lxml.html.document_fromstring(push(html, ("1", "2", "3", "4", "5")))
    styled = {el.tag + (f"#{el.get('id')}" if el.get("id") else ""): el.get("style")
              for el in tree.iter() if el.get("style")}
    assert styled == {
        "p": "padding-top: 2px; break-after: page",  # its own paragraph, not the <pre> above
        "table": "break-after: page",  # a cell's: the table
        "table#t": "break-after: page",  # in a list item: the table, not the whole item
        "dt": "break-after: page",
        "h3": "break-before: page",  # a heading goes over with its text, never left behind
    }
    assert push(html, ()) is html


def test_a_note_called_in_a_heading_goes_over_with_the_heading_and_its_text(
        tmp_path: Path, monkeypatch) -> None:
    """WeasyPrint sets a note called in a heading on the next page when the heading falls near
    a page's foot; the push then takes the heading over to the page of its text and note."""
    from qabook.render import pdf_layout

    pushed: list[tuple[str, ...]] = []
    real = pdf_layout.push
    monkeypatch.setattr(pdf_layout, "push", lambda html, notes: (pushed.append(notes), real(
        html, notes))[1])
    note = "A long note that takes several lines. " * 6
    seen = 0
    for lines in range(24, 44):
        pushed.clear()
        html = ('<!DOCTYPE html><html lang="en"><head><title>-</title></head><body>'
                '<section class="question" id="q2"><h2 class="question-title">Q2</h2>'
                f'<p>{"Filler<br>" * lines}</p><p id="last">Last paragraph.</p>'
                '<h3 id="heading">A heading<span id="fnc-q2-1" class="fn-call"></span>'
                f'<span id="fn-q2-1" class="fn">{note}</span></h3>'
                f'<p id="text">{"Its text. " * 30}</p></section></body></html>')
        laid = pdf_layout.lay_out(html, str(tmp_path), "a4", False, (), ())
        assert not laid.errors
        if not any(pushed):
            continue
        seen += 1
        page = {name: laid.anchors[name][0] for name in ("heading", "text", "fn-q2-1", "fnc-q2-1")}
        assert len(set(page.values())) == 1, (lines, page)
    assert seen  # some filler left the note stranded: the push was tried


#: pieces of HTML that take tinyhtml5's tokenizer through its states (text, attribute values
#: in each quoting, comments, raw text, foreign content with CDATA, references, NUL)
TOKENS = ["<p class=x>", "</p>", "text & more", "<a href=\"#q1\" title='it\"s'>", "</a>",
          "<!-- a -- b -->", "<script>if (a < b) {}</script>", "<style>p > a {}</style>",
          "<svg><![CDATA[ <x> ]]><text>1 &lt; 2</text></svg>", "&amp;&#x2028;&nbsp;", "\x00",
          "é😀\u2028", "\r\n", "<br/>", "<td\n id=c>", "<textarea>a]]b</textarea>", "<"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30))
def test_the_mended_parser_cache_parses_as_tinyhtml5_does(pieces: list[str]) -> None:
    """pdf_layout mends tinyhtml5's cache of run patterns (it never found one): WeasyPrint's
    parser then reads every text into the same tree as with tinyhtml5's own cache, and its
    lookups hit."""
    import tinyhtml5
    import tinyhtml5.inputstream as stream

    from qabook.render import pdf_layout

    text = "<!DOCTYPE html><html><body>" + "".join(pieces)
    mended = stream.characters_until_regex
    assert isinstance(mended, pdf_layout._RunPatterns)
    try:
        stream.characters_until_regex = {}
        plain = ElementTree.tostring(tinyhtml5.parse(text))
    finally:
        stream.characters_until_regex = mended
    assert ElementTree.tostring(tinyhtml5.parse(text)) == plain
    known = len(mended)
    tinyhtml5.parse(text)
    assert len(mended) == known
    assert all(isinstance(key[0], (str, tuple, frozenset)) for key in mended)
