"""The model stage: pandoc tokens become figures, citations and reference placeholders."""

from __future__ import annotations

from conftest import BASE
from qabook import ast, pandoc
from qabook.diagnostics import Diagnostics
from qabook.model.blocks import blocks
from qabook.model.context import FileContext
from qabook.model.inlines import XREF_CLASS
from qabook.model.nodes import ref_kind


def parse(markdown: str, path: str = "chapters/01-one/qx.md"):
    tree = pandoc.read_many([markdown], pandoc.MARKDOWN)[0]
    ctx = FileContext(BASE, path, tuple(markdown.split("\n")), Diagnostics(), True, blocks)
    return blocks(tree["blocks"], ctx), ctx


def nodes(content, kind):
    return [n for n in ast.iter_nodes(content) if n["t"] == kind]


def test_ref_kind_by_form() -> None:
    assert [ref_kind(k) for k in ("Q17", "fig-a", "tbl-b", "eq-c", "ex-d", "smith2020", "Q17a",
                                  "fig-")] == [
        "question", "figure", "table", "equation", "exercise", None, None, None]


def test_citation_group_prefix_locator_and_modes() -> None:
    content, ctx = parse("See [see @smith2020tiny, p. 3; -@lee2019small] and @smith2020tiny.\n")
    cites = nodes(content, "Cite")
    group = cites[0]["c"][0]
    assert [c["citationId"] for c in group] == ["smith2020tiny", "lee2019small"]
    assert ast.stringify(group[0]["citationPrefix"]) == "see"
    assert ast.stringify(group[0]["citationSuffix"]) == ", p. 3"
    assert [c["citationMode"]["t"] for c in group] == ["NormalCitation", "SuppressAuthor"]
    assert cites[1]["c"][0][0]["citationMode"]["t"] == "AuthorInText"
    assert [(c.key, c.location.col) for c in ctx.citations] == [
        ("smith2020tiny", 10), ("lee2019small", 33), ("smith2020tiny", 52)]


def test_email_addresses_and_brackets_without_keys_are_text() -> None:
    content, ctx = parse("Write to ann@example.com [not a citation].\n")
    assert not ctx.citations and not ctx.refs
    assert "ann@example.com [not a citation]." in ast.stringify(content)


def test_references_keep_exact_positions_and_drop_trailing_punctuation() -> None:
    content, ctx = parse("Text.\n\nSee @Q17. Then Q3, and (@fig-x); but `Q4` $Q_5$ Q6a.\n")
    assert [(r.target, r.kind, r.bare, r.location.line, r.location.col) for r in ctx.refs] == [
        ("Q17", "question", False, 3, 5), ("Q3", "question", True, 3, 16),
        ("fig-x", "figure", False, 3, 25)]
    placeholders = [n for n in nodes(content, "Span") if XREF_CLASS in n["c"][0][1]]
    assert [ast.stringify(p) for p in placeholders] == ["@Q17", "Q3", "@fig-x"]


def test_tabs_count_as_one_column() -> None:
    _, ctx = parse("a\tb\t@Q2\n")
    assert ctx.refs[0].location.col == 5


def test_figure_block_with_root_relative_path() -> None:
    content, ctx = parse("![A first figure.](../../figures/q01-a.svg){#fig-a fig-alt=\"Alt.\"}\n")
    figure = content[0]
    assert figure["t"] == "Figure" and figure["c"][0][0] == "fig-a"
    image = nodes(figure, "Image")[0]
    assert image["c"][2][0] == "figures/q01-a.svg"
    assert ast.stringify(image["c"][1]) == "Alt."
    assert ctx.figures[0].label == "fig-a" and ctx.figures[0].alt == "Alt."
    assert not ctx.diags.items


def test_table_caption_label_and_equation_label() -> None:
    content, ctx = parse("| a |\n|---|\n| 1 |\n\n: Caption words. {#tbl-t}\n\n"
                         "$$ x = 1 $$ {#eq-one}\n")
    assert [b["t"] for b in content] == ["Table", "Para"]
    assert content[0]["c"][0][0] == "tbl-t"
    assert ast.stringify(content[0]["c"][1][1]).strip() == "Caption words."
    assert [t.label for t in ctx.tables] == ["tbl-t"]
    assert [(e.label, e.tex.strip()) for e in ctx.equations] == [("eq-one", "x = 1")]
    assert not ctx.diags.items


def test_an_empty_header_cell_is_a_warning_at_the_table() -> None:
    """DAISY Ace reports an empty <th> (a column a screen reader cannot name): check says it
    first, at the table, naming the cell; a cell holding only a formula is not empty."""
    _, ctx = parse("Text.\n\n| | a | $k$ |\n|--|---|---|\n| x | 1 | 2 |\n")
    [found] = ctx.diags.items
    assert (found.code, found.severity, found.location.line) == (
        "table.empty-header", "warning", 3)
    assert "header cell 1 is empty" in found.message
    _, ctx = parse("| key | a | $k$ |\n|--|---|---|\n| x | 1 | 2 |\n")
    assert not ctx.diags.items


def test_a_label_that_follows_no_math_is_reported() -> None:
    _, ctx = parse("Some text.\n{#eq-one}\n")
    assert [d.code for d in ctx.diags.items] == ["label.orphan"]


def test_footnotes_are_counted_and_scanned() -> None:
    _, ctx = parse("Text.[^a]\n\n[^a]: See @Q2.\n")
    assert ctx.footnotes == 1
    assert [(r.target, r.location.line) for r in ctx.refs] == [("Q2", 3)]


def test_links_must_be_web_addresses() -> None:
    _, ctx = parse("[a](https://example.com) and [b](#q17) and [c](file.md)\n")
    assert [d.code for d in ctx.diags.items] == ["link.target", "link.target"]


def test_unsafe_svg_is_refused(tmp_path) -> None:
    from qabook.model.svg import check_svg

    def reason(data: bytes) -> str:
        return check_svg(data)[1]

    ok = b'<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(#g)"/></svg>'
    assert check_svg(ok) is None
    assert "script" in reason(ok.replace(b"<rect", b"<script>x</script><rect"))
    assert "file:///etc/passwd" in reason(ok.replace(b"<rect", b'<use href="file:///etc/passwd"/><rect'))
    assert "DOCTYPE" in reason(b"<!DOCTYPE svg [<!ENTITY a 'b'>]>" + ok)
    assert "not a valid SVG" in reason(b"plain text renamed")
    assert "onload" in reason(ok.replace(b"<rect", b'<rect onload="x()"'))
