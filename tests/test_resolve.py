"""The resolve stage: numbering, the label table, links, hints and warnings."""

from __future__ import annotations

from conftest import BASE, assemble
from qabook import ast, pipeline
from qabook.diagnostics import Diagnostics


def resolved_base():
    diags = Diagnostics()
    resolved = pipeline.check(BASE, diags)
    assert not diags.items
    return resolved


def links(content):
    return [(ast.stringify(n["c"][1]), n["c"][2][0], n["c"][2][1])
            for n in ast.iter_nodes(list(content)) if n["t"] == "Link"]


def test_numbers_and_anchors() -> None:
    book = resolved_base().book
    q1 = book.questions[0]
    assert [(f.number, f.anchor) for f in q1.doc.figures] == [("1.1", "fig-first")]
    assert [(t.number, t.anchor) for t in q1.doc.tables] == [("1.1", "tbl-sizes")]
    assert [(e.number, e.anchor, e.solution_anchor) for e in q1.exercises] == [
        ("1-A", "ex-first", "sol-1-a"), ("1-B", "ex-1-b", "sol-1-b")]
    assert [(q.label, q.anchor, q.chapter) for q in book.questions] == [
        ("Q1", "q1", 1), ("Q2", "q2", 1), ("Q3", "q3", 2)]


def test_references_become_numbered_links() -> None:
    q1 = resolved_base().question(1)
    assert links(q1.body)[:4] == [("Figure 1.1", "#fig-first", ""),
                                  ("Q2", "#q2", "The Second Question"),  # in the footnote
                                  ("Table 1.1", "#tbl-sizes", ""),
                                  ("Equation (1.1)", "#eq-first", "")]
    assert links(q1.exercises[0].solution) == [("Q2", "#q2", "The Second Question"),
                                               ("Exercise 1-A", "#ex-first", "")]
    spans = [n for n in ast.iter_nodes(list(q1.body)) if n["t"] == "Span"]
    assert all("qabook-xref" not in s["c"][0][1] for s in spans)
    labels = [ast.stringify(s) for s in spans if s["c"][0][1] in (["caption-label"],
                                                                 ["equation-number"])]
    assert labels == ["Figure 1.1.", "Table 1.1.", "(1.1)"]


def test_ids_are_final_and_unique() -> None:
    book = resolved_base().book
    ids = [n["c"][0][0] if n["t"] != "Header" else n["c"][1][0]
           for q in book.questions for n in ast.iter_nodes(list(q.body))
           if n["t"] in ("Figure", "Table", "Header")]
    assert ids == ["q1-a-section", "fig-first", "tbl-sizes", "fig-third"]


def test_hints_name_the_nearest_label(tmp_path) -> None:
    case = tmp_path / "case"
    (case / "chapters/01-one").mkdir(parents=True)
    text = (BASE / "chapters/01-one/q02-second.md").read_text()
    (case / "chapters/01-one/q02-second.md").write_text(
        text.replace("It follows Q1", "It follows @Q4 and @fig-frist"))
    diags = Diagnostics()
    pipeline.check(assemble(case, tmp_path / "books"), diags)
    assert [(d.code, d.hint) for d in diags.sorted()] == [
        ("ref.unknown", "did you mean @Q3?"), ("ref.unknown", "did you mean @fig-first?")]


def test_unreferenced_figures_and_unused_entries_warn(tmp_path) -> None:
    case = tmp_path / "case"
    (case / "chapters/02-two").mkdir(parents=True)
    text = (BASE / "chapters/02-two/q03-third.md").read_text()
    (case / "chapters/02-two/q03-third.md").write_text(text.replace(" See @fig-third.", ""))
    (case / "references.bib").write_text((BASE / "references.bib").read_text()
                                         + "\n@misc{unused2000x, title={U}, year={2000}, url={https://example.com}}\n")
    diags = Diagnostics()
    pipeline.check(assemble(case, tmp_path / "books"), diags)
    assert [(d.severity, d.code) for d in diags.sorted()] == [
        ("warning", "figure.unreferenced"), ("warning", "bib.unused")]
