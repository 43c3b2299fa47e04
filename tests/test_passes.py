"""The layout passes (render/pdf.py `_converge`) on a cross-reference cycle, with a stand-in
for WeasyPrint that makes one: a reference set without its page number is shorter, and its
target then lands on the next page; with its number, on the reference's own page. The real
book has such a cycle (Q17), and its builds are compared byte for byte elsewhere; here the
cycle is certain, so what the passes do with it can be seen."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from qabook.cache import Cache
from qabook.render import pdf, pdf_layout, pdf_plan
from qabook.render.options import PrintOptions
from qabook.render.pdf_plan import Chunk, PageMap

BODY = ('<html><head><title>Q1</title></head><body><h2 id="q1">Q1</h2><p>As the table shows '
        '(<a id="xr-q1-1" class="xref" href="#tbl-one">Table 1.1</a>), it works.</p>'
        '<table id="tbl-one"><tr><td>1</td></tr></table></body></html>')


class Bodies(pdf_plan.Bodies):
    def render(self, chunk) -> str:
        return BODY


def passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int):
    """Converge on the one chunk with `workers` layout workers: the result, and each
    layout as (the pass it was made in, whether its reference is set without a number)."""
    laid: list[tuple[int, bool]] = []
    current = [0]

    def lay_out(html, root, paper, write, figures=(), moves=None):
        apart = "same-page" in html
        laid.append((current[0], apart))
        anchors = {"q1": (0, 0.0, 700.0), "xr-q1-1": (0, 70.0, 650.0),
                   "tbl-one": (1 if apart else 0, 70.0, 600.0)}
        return pdf_layout.Laid(2, anchors, html.encode() if write else None,
                               marks=("q1", "tbl-one"), moves=())

    lay_out_all = pdf._lay_out_all

    def counted(*args, **kwargs):
        current[0] += 1
        return lay_out_all(*args, **kwargs)

    monkeypatch.setattr(pdf_layout, "lay_out", lay_out)
    monkeypatch.setattr(pdf, "Bodies", Bodies)
    monkeypatch.setattr(pdf, "_lay_out_all", counted)
    monkeypatch.setattr(pdf, "WORKERS", workers)
    ctx = SimpleNamespace(root=tmp_path, config=SimpleNamespace(slug="book"),
                          source_of=lambda anchor: None, figure_digest=lambda src: "")
    plan = [Chunk("question-q1", "question", {}, False, sources=("q1",))]
    with ThreadPoolExecutor(workers) as pool:
        wanted, done, page_map = pdf._converge(ctx, PrintOptions(), Cache(tmp_path / "cache"),
                                               pool, None, {}, plan, PageMap())
    return wanted["question-q1"], done["question-q1"], page_map, laid


def test_a_cycle_settles_with_the_reference_numbered_and_its_last_layout_begun_a_pass_early(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    alone = passes(tmp_path / "one", monkeypatch, 1)
    early = passes(tmp_path / "two", monkeypatch, 2)
    for want, done, page_map, _ in (alone, early):
        assert 'class="xref same-page"' not in want.html  # settled with its number
        assert done.key == want.key and done.result.pdf == want.html.encode()
    assert alone[:3] == early[:3]  # the same HTML, layout and map
    # one worker: the estimate; the number dropped (the target was on the reference's
    # page), set again (p. 2), and kept for good (p. 1, the target back): a pass each
    assert alone[3] == [(1, False), (2, True), (3, False), (4, False)]
    # two workers: the pass that sets it again lays out, beside it, the HTML the next pass
    # will want if the target comes back, and that pass lays out nothing
    assert sorted(early[3]) == [(1, False), (2, True), (3, False), (3, False)]
