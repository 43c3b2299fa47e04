"""A chunk's HTML is written from its template's output as read by an HTML tokenizer
(pdf_plan.Body), never by patterns over the text: markup shown as text (an author writing
about HTML in inline code) is text, and only real links, ids and images count. The
footnote push (pdf_layout.push) edits the parsed tree the same way."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pikepdf
from conftest import BOOKS, assemble, run

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


def test_a_pushed_footnote_ends_the_page_after_its_own_paragraph() -> None:
    html = ('<html><body><pre><code>x = 1</code></pre><p style="padding-top: 2px">A note'
            '<a id="fnc-1" href="#fn-1">1</a>.</p><table><tr><td><pre>y</pre>Cell'
            '<a id="fnc-2" href="#fn-2">2</a></td></tr></table></body></html>')
    tree = lxml.html.document_fromstring(push(html, ("1", "2")))
    (pre, cell_pre) = tree.iter("pre")
    assert pre.get("style") is None and cell_pre.get("style") is None
    assert next(tree.iter("p")).get("style") == "padding-top: 2px; break-after: page"
    assert next(tree.iter("table")).get("style") == "break-after: page"
    assert push(html, ()) is html
