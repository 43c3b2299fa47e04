"""Attributes never carry script or styles to readers (issue 15).

The first layer is the model's allow-list, proved by the tiny books tests/books/attr-*; these
tests prove that a hostile book builds nothing, and the second layers: the cards' HTML passes
an allow-list sanitiser, and the EPUB is checked against an allow-list before it is written,
both for markup smuggled past the model.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import tinyhtml5

from conftest import BASE, BOOKS, artifacts, assemble, reported, run
from qabook import ast, pipeline
from qabook.deck import plan
from qabook.diagnostics import Diagnostics
from qabook.model import attributes
from qabook.model.svg import check_svg
from qabook.render import RenderContext, anki, epub_safety
from qabook.render.sanitise import ATTRIBUTES, TAGS, card_html

HOSTILE_HTML = (
    '<p onclick="alert(1)" style="background:url(https://evil.example/b.png)">text</p>'
    '<span onmouseover="alert(2)" tabindex="1" epub:type="noteref">hover</span>'
    '<a href="javascript:alert(3)">js</a><a href="JaVaScRiPt:alert(4)">JS</a>'
    '<a href="//evil.example/x">proto</a><a href="data:text/html,x">data</a>'
    '<img src="https://evil.example/x.png" onerror="alert(5)" alt="remote">'
    '<img src="//evil.example/y.png"><img src="../../etc/x.svg">'
    '<script>alert(6)</script><style>p { background: url(https://evil.example) }</style>'
    '<iframe src="https://evil.example"></iframe><object data="x"></object>'
    '<svg onload="alert(7)"><script>alert(8)</script></svg><form action="x"><input></form>'
    '<table><tr><td style="text-align: right; background: url(https://evil.example)">c</td>'
    '</tr></table><!-- a comment -->'
)


def elements(html: str) -> list:
    return list(tinyhtml5.parse(f"<body>{html}</body>", namespace_html_elements=False)
                .find("body").iter())[1:]


def test_card_html_removes_what_a_card_must_not_carry() -> None:
    """Script, handlers, styles that fetch, remote or escaping URLs: what Anki would run or
    fetch if it slipped past the model."""
    clean = card_html(HOSTILE_HTML)
    for element in elements(clean):
        assert element.tag in TAGS, element.tag
        allowed = ATTRIBUTES["*"] | ATTRIBUTES.get(element.tag, set()) | {"tabindex",
                                                                          "aria-hidden"}
        assert set(element.attrib) <= allowed, (element.tag, element.attrib)
    assert "alert" not in clean and "evil.example" not in clean and "script" not in clean.lower()
    assert "comment" not in clean
    assert '<td style="text-align:right">c</td>' in clean
    assert "text" in clean and "hover" in clean  # the text stays


def test_card_html_keeps_what_pandoc_writes_for_a_card() -> None:
    """The markup the cards need passes as it is (so the deck looks the same)."""
    fragment = (
        '<p lang="de"><a href="#answer-fn1" class="footnote-ref" id="answer-fnref1" '
        'role="doc-noteref"><sup>1</sup></a> <a href="https://example.org" title="t">web</a> '
        '<span class="math inline">\\(x&lt;y\\)</span></p>'
        '<div class="sourceCode" id="cb1"><pre class="sourceCode python"><code class="sourceCode '
        'python"><span id="cb1-1"><a href="#cb1-1" aria-hidden="true" tabindex="-1"></a>x'
        '</span></code></pre></div>'
        '<figure class="figure" id="fig-x"><img src="book-0123456789abcdef.svg" alt="A box.">'
        '<figcaption>Figure</figcaption></figure><ol start="3" type="a"><li>i</li></ol>'
    )
    assert card_html(fragment) == fragment


def test_every_field_of_the_deck_passes_the_sanitiser(monkeypatch, tmp_path: Path) -> None:
    """Markup smuggled into what pandoc hands back (a hole in the model, a poisoned cache
    entry) does not reach a note."""
    diags = Diagnostics()
    resolved = pipeline.check(BASE, diags)
    ctx = RenderContext(resolved, BASE, tmp_path, {}, None)
    write = anki.writer.write

    def hostile(*args, **kwargs):
        return [{name: html + HOSTILE_HTML for name, html in parts.items()}
                for parts in write(*args, **kwargs)]

    monkeypatch.setattr(anki.writer, "write", hostile)
    notes = anki._notes(ctx, plan(ctx.book), anki._Media("tiny", ctx))
    fields = "".join(field for note in notes for field in note.fields)
    assert "What comes second?" in fields
    assert "onclick" not in fields and "alert(" not in fields and "evil.example" not in fields


def test_a_hostile_book_builds_nothing(tmp_path: Path) -> None:
    book = assemble(BOOKS / "attr-events", tmp_path)
    out = tmp_path / "out"
    code, _, err = run("build", "--source", str(book), "--out", str(out), "-f", "apkg",
                       "-f", "epub")
    assert code == 1 and "Traceback" not in err
    assert err.count("[attr.unsupported]") == 13, err
    assert artifacts(out) == []


XHTML = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
         '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
         'lang="en" xml:lang="en"><head><meta charset="utf-8" /><title>t</title>'
         '<link rel="stylesheet" type="text/css" href="../styles/stylesheet1.css" /></head>'
         '<body epub:type="bodymatter"><section id="q2" class="level2 question">{}</section>'
         '</body></html>')
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">{}</svg>'
PACKAGE = {"EPUB/text/ch001.xhtml", "EPUB/styles/stylesheet1.css", "EPUB/media/file1.svg",
           "EPUB/media/file0.png"}
#: the cover page's frame of its image, as pandoc writes it: the only SVG inside XHTML
COVER = ('<section epub:type="cover" class="cover"><img src="../media/file0.png" '
         'alt="Cover: A Book." role="doc-cover"/></section>')
#: what pandoc writes for the cover: qabook replaces it with an <img> that has a text alternative
PANDOC_COVER = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
         'version="1.1" width="100%" height="100%" viewBox="0 0 900 1350" '
         'preserveAspectRatio="xMidYMid">\n<image width="900" height="1350" '
         'xlink:href="../media/file0.png" />\n</svg>')


def check(name: str, template: str, content: str) -> str:
    unsafe = epub_safety.check_file(name, template.replace("{}", content).encode(), PACKAGE)
    return unsafe.what if unsafe else ""


def test_the_epub_check_passes_what_pandoc_and_qabook_write() -> None:
    body = ('<p>See <a href="#fig-x" class="xref" data-ref-kind="figure">Figure 2.1</a>, '
            '<a href="ch001.xhtml#q1">Q1</a>, <a href="https://example.org">web</a>, '
            '<a href="mailto:author@example.org">mail</a>'
            '<a href="#fn1" class="footnote-ref" id="fnref1" epub:type="noteref" '
            'role="doc-noteref"><sup>1</sup></a> <span lang="de" xml:lang="de">zwei</span></p>'
            '<figure id="fig-x" class="figure" data-number="2.1"><img src="../media/file1.svg" '
            'alt="A box." /><figcaption>A box.</figcaption></figure>'
            '<table><tr><td style="text-align: right;">1</td></tr></table>'
            '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline" alttext="x">'
            '<mtable><mtr><mtd columnalign="left" style="text-align: left; '
            'padding-left: 0"><mi>x</mi></mtd></mtr></mtable></math>'
            # what render/epub_style.py adds: code lines with their indentation, display maths
            # in a box beside its number
            '<div class="sourceCode" id="cb1"><pre class="sourceCode python"><code '
            'class="sourceCode python"><span id="cb1-1" class="indent-4"><a href="#cb1-1" '
            'aria-hidden="true" tabindex="-1"></a>    <span class="kw">return</span> x</span>'
            '</code></pre></div><pre><code><span class="indent-2">  plain</span></code></pre>'
            '<p><span id="eq-x" class="equation" data-number="2.1"><span class="display-math">'
            '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block" alttext="y">'
            '<mi>y</mi></math></span><span class="equation-number">(2.1)</span></span></p>')
    assert check("EPUB/text/ch001.xhtml", XHTML, body) == ""
    assert check("EPUB/text/ch001.xhtml", XHTML, COVER) == ""
    assert check("EPUB/text/ch001.xhtml", XHTML, PANDOC_COVER) == "the element <svg:svg>"
    figure = ('<defs><marker id="m" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="6" '
              'markerHeight="6" orient="auto"><path d="M0 0 L10 5 Z" fill="#1f3a5f"/></marker>'
              '<clipPath id="c"><rect x="0" y="0" width="5" height="5"/></clipPath></defs>'
              '<g clip-path="url(#c)" transform="translate(1, 2) rotate(-90)" '
              'font-family="\'Source Sans 3\', sans-serif"><line x1="0" y1="0" x2="5" y2="5" '
              'marker-end="url(#m)" stroke="rgb(0, 0, 0)"/></g>')
    assert check("EPUB/media/file1.svg", SVG, figure) == ""


@pytest.mark.parametrize("content, refused", [
    ('<span onclick="alert(1)">x</span>', 'the attribute onclick="alert(1)" on <span>'),
    ('<div style="background:url(https://evil.example/b.png)">x</div>', "the attribute style="),
    ('<td style="text-align: right; background: url(https://evil.example)">1</td>',
     "the style 'background' is not allowed"),
    ('<td style="width: expression(alert(1))">1</td>', "the function expression()"),
    ('<code onfocus="a" tabindex="1">x</code>', "the attribute onfocus="),
    ('<a href="javascript:alert(1)">x</a>', "a URL outside the book"),
    ('<a href="//evil.example/x">x</a>', "a URL outside the book"),
    ('<img src="https://evil.example/x.png" alt="x" />', "a URL outside the book"),
    ('<img src="../../../secret.svg" alt="x" />', "not a file of the book"),
    ('<img src="../media/file1.svg" alt="x" width="1" />', "the attribute width="),
    ("<script>alert(1)</script>", "the element <xhtml:script>"),
    # the rules are in the package's stylesheet: a file has no <style> of its own
    ("<style>p { color: red }</style>", "the element <xhtml:style>"),
    ('<iframe src="https://evil.example"></iframe>', "the element <xhtml:iframe>"),
    ('<p epub:type="noteref" data-x="1">x</p>', "the attribute data-x="),
    ('<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>',
     "the element <svg:svg>"),
    # no inline SVG at all: a drawing belongs in a figure file
    ('<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>',
     "the element <svg:svg>"),
    (COVER.replace("../media/file0.png", "https://evil.example/x.png"), "a URL outside the book"),
    ('<math xmlns="http://www.w3.org/1998/Math/MathML" href="https://evil.example">'
     '<mi>x</mi></math>', "the attribute href="),
    ('<math xmlns="http://www.w3.org/1998/Math/MathML" altimg="https://evil.example/x.svg">'
     '<mi>x</mi></math>', "a URL outside the book"),
    ('<math xmlns="http://www.w3.org/1998/Math/MathML" altimg="../media/gone.svg">'
     '<mi>x</mi></math>', "not a file of the book"),
    # the TeX annotation is never shipped (readers without MathML would show it as text)
    ('<math xmlns="http://www.w3.org/1998/Math/MathML"><semantics><mi>x</mi><annotation '
     'encoding="application/x-tex">x</annotation></semantics></math>', "the element <m:semantics>"),
    ("<?xml-stylesheet href='https://evil.example/x.css'?>", "a processing instruction"),
])
def test_the_epub_check_refuses_xhtml_off_the_list(content: str, refused: str) -> None:
    assert refused in check("EPUB/text/ch001.xhtml", XHTML, content)


@pytest.mark.parametrize("content, refused", [
    ("<script>alert(1)</script>", "has <script>"),
    ('<rect width="1" height="1" onload="alert(1)"/>', "has attribute 'onload'"),
    ('<rect width="1" height="1" fill="url(https://evil.example/p.svg#g)"/>',
     "refers to 'https://evil.example/p.svg#g' in CSS"),
    ('<image xlink:href="https://evil.example/x.png" xmlns:xlink="http://www.w3.org/1999/xlink"'
     ' width="1" height="1"/>', "has <image>"),
    ('<text x="0" y="0" font-family="attr(x)">t</text>', "uses the CSS function attr()"),
])
def test_the_epub_check_refuses_svg_off_the_list(content: str, refused: str) -> None:
    """A figure file of the package is judged by the figure check itself, reason and all."""
    data = SVG.replace("{}", content).encode()
    unsafe = epub_safety.check_file("EPUB/media/file1.svg", data, PACKAGE)
    assert unsafe is not None and unsafe.figure and refused in unsafe.what
    assert unsafe.what == check_svg(data)[1]
    (problem,) = epub_safety.problems([("EPUB/media/file1.svg", data)])
    assert problem.code == "epub.unsafe" and problem.message.startswith(
        "the EPUB would carry the figure EPUB/media/file1.svg, which the figure check refuses: "
        f"it {unsafe.what}")


def test_the_epub_check_accepts_what_the_figure_check_accepts() -> None:
    """No second SVG list: what the figure check allows in a figure, the EPUB allows in it."""
    content = ('<style>.frame { stroke: #000 }</style><defs><symbol id="s"><rect class="frame" '
               'width="1" height="1" style="fill: red"/></symbol></defs>'
               '<use href="#s" role="img" aria-label="A square"/>')
    data = SVG.replace("{}", content).encode()
    assert check_svg(data) is None
    assert epub_safety.check_file("EPUB/media/file1.svg", data, PACKAGE) is None


def test_the_epub_check_refuses_a_doctype_or_entities() -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
            '<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>')
    unsafe = epub_safety.check_file("EPUB/media/file1.svg", bomb.encode(), PACKAGE)
    assert unsafe is not None and "declares a DOCTYPE" in unsafe.what
    page = XHTML.replace("<!DOCTYPE html>", '<!DOCTYPE html [<!ENTITY a "aaaa">]>')
    assert check("EPUB/text/ch001.xhtml", page, "&a;") == "XML that declares a DOCTYPE"
    page = XHTML.replace("<!DOCTYPE html>", '<!DOCTYPE html SYSTEM "https://evil.example/d">')
    assert check("EPUB/text/ch001.xhtml", page, "") == "XML that declares a DOCTYPE"


def test_markup_smuggled_past_the_model_fails_the_epub_build(monkeypatch,
                                                             tmp_path: Path) -> None:
    """If the model's list had a hole (here: onclick allowed on a span), the EPUB is not
    written, and the diagnostic names the question the markup comes from."""
    span = attributes.ELEMENTS["Span"]
    monkeypatch.setitem(attributes.ELEMENTS, "Span", attributes.Allowed(
        span.name, span.classes, span.keys + ("onclick",)))
    book = assemble(BOOKS / "_base", tmp_path)
    q2 = book / "chapters/01-one/q02-second.md"
    q2.write_text(q2.read_text().replace("precedes Q3.", 'precedes [Q3]{onclick="alert(1)"}.'))
    out = tmp_path / "out"
    code, _, err = run("build", "--source", str(book), "--out", str(out), "-f", "epub")
    assert code == 1 and "Traceback" not in err
    assert reported(err).startswith(f"{q2}: error: the EPUB would carry the attribute "
                          'onclick="alert(1)" on <span>'), err
    assert "[epub.unsafe]" in err
    assert artifacts(out) == []


def test_an_authors_id_never_takes_a_label_or_an_anchor_of_the_book(tmp_path: Path) -> None:
    """`[x]{#fig-third}` beside the figure fig-third gave the PDF one anchor twice (a build
    failure `check` did not see); the author's own ids live in the question's namespace."""
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    q2 = book / "chapters/01-one/q02-second.md"
    q2.write_text(q2.read_text().replace(
        "It is @Q3.", "It is @Q3. [x]{#fig-third} `c`{#q1} [l](https://e.example){#tbl-x}"))
    diags = Diagnostics()
    resolved = pipeline.check(book, diags)
    assert not diags.errors, diags.errors
    ids: list[str] = []

    def collect(node):
        content = node.get("c")
        if isinstance(content, list) and content and isinstance(content[0], list) \
                and len(content[0]) == 3 and isinstance(content[0][0], str) and content[0][0]:
            ids.append(content[0][0])
        return None

    for question in resolved.book.questions:
        ast.walk([*question.prompt, *question.body], collect)
        for exercise in question.exercises:
            ast.walk([*exercise.prompt, *exercise.solution], collect)
    anchors = {question.anchor for question in resolved.book.questions}
    assert len(ids) == len(set(ids)) and not anchors & set(ids), ids
    assert "fig-third" in ids and {"q2-fig-third", "q2-q1", "q2-tbl-x"} <= set(ids)


def test_a_front_matters_id_is_a_name_or_refused_where_it_is(tmp_path: Path) -> None:
    """A front matter's `id` becomes an XHTML id and a PDF anchor: "bad id<&" once passed the
    check and stopped the build in the print layout with "report it" and no place."""
    book = assemble(BASE, tmp_path)  # the base book, unchanged
    preface = book / "front" / "preface.md"
    preface.write_text(preface.read_text().replace("---\n", '---\nid: "bad id<&"\n', 1))
    code, _, err = run("check", "--source", str(book))
    assert code == 1 and "[meta.id]" in err and "preface.md:2:" in err, err
