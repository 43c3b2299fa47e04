"""render/markup.py: the tags of a text of HTML, each at its place in the text (the chunk
HTML's links and the un-prefixing of pandoc's ids are edits at those places)."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from qabook.render import markup
from qabook.render.print_html import _unprefix_links

PIECES = ["<p>", "</p>", "<a href=\"#q1\" id=\"xr-1\">", "</a>", "text", "\n", "\r\n", "\r",
          "\f", "\u2028", "é😀", "<!-- <a href=\"#no\"> -->", "<script>var a = '<a href=1>';</script>",
          "<style>p > a { color: red }</style>", "<img src=\"x.png\"\nalt=\"a\nb > c\"/>",
          "<A HREF='#Up' Title=\"&quot;q&quot; &amp; &lt;\">", "<br/>", "&lt;a id=\"x\"&gt;",
          "<code>id=\"q2-answer-fig\"</code>", "<![CDATA[ <a> ]]>", "<?pi <a> ?>",
          "<td\n  class=\"x\"\n  id=\"c\">", "</head>", "<body class=\"book\">", "<"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_every_tag_is_found_at_its_place(pieces: list[str]) -> None:
    text = "".join(pieces)
    for tag in markup.tags(text):
        alone = markup.tags(text[tag.start:tag.end])
        assert [(t.name, t.attrs, t.closing) for t in alone] == \
            [(tag.name, tag.attrs, tag.closing)], (text, tag)


def test_a_rewritten_tag_reads_as_the_same_attributes() -> None:
    (tag,) = markup.tags('<a title="&quot;A&quot; &amp; &lt;B&gt;" hidden class="x" class="y">')
    assert tag.attrs == {"title": '"A" & <B>', "hidden": None, "class": "x"}
    (again,) = markup.tags(markup.start_tag(tag.name, tag.attrs))
    assert again.attrs == tag.attrs


def test_only_real_ids_and_links_lose_pandocs_prefix() -> None:
    html = ('<figure id="q2-answer-fig-x"><img src="a.svg" /></figure><p>As '
            '<a href="#q2-answer-fig-x" id="q2-answer-xr-q2-1">Figure 2.1</a> shows; in HTML, '
            '<code>id="q2-answer-fig-x"</code> or <code>&lt;a href="#q2-answer-fig-x"&gt;</code>;'
            ' <a href="#q2-answer-ref-smith">Smith</a>, <span id="q2-answer-local">x</span>.</p>')
    out = _unprefix_links("q2", {"answer": html}, {"fig-x"})["answer"]
    assert out == html.replace('<figure id="q2-answer-fig-x">', '<figure id="fig-x">').replace(
        '<a href="#q2-answer-fig-x" id="q2-answer-xr-q2-1">', '<a href="#fig-x" id="xr-q2-1">'
    ).replace('<a href="#q2-answer-ref-smith">', '<a href="#ref-smith">')
    refs = '<div id="bibliography-refs-ref-smith" class="csl-entry">Smith.</div>'
    assert _unprefix_links("bibliography", {"refs": refs}, set())["refs"] == \
        '<div id="ref-smith" class="csl-entry">Smith.</div>'
