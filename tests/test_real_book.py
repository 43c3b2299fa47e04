"""The real book in source/: it checks clean and every cross-reference finds its target."""

from __future__ import annotations

from pathlib import Path

from conftest import SOURCE, run
from qabook import pipeline
from qabook.diagnostics import Diagnostics


def resolve_real(source: Path = SOURCE):
    diags = Diagnostics()
    resolved = pipeline.check(source, diags)
    return resolved, diags


def test_real_book_checks_clean_in_strict_mode() -> None:
    code, out, err = run("check", "--source", str(SOURCE), "--strict")
    assert err == ""
    assert code == 0, out


def test_every_cross_reference_resolves_to_a_target_of_its_kind() -> None:
    resolved, diags = resolve_real()
    assert not diags.errors
    refs = [ref for doc in resolved.book.documents for ref in doc.refs]
    assert len(refs) >= 27
    for ref in refs:
        target = resolved.labels.get(ref.target)
        assert target is not None, f"{ref.location}: {ref.target} does not resolve"
        assert target.kind == ref.kind, f"{ref.location}: {ref.target} is a {target.kind}"
    numbers = {q.number for q in resolved.book.questions}
    assert {int(r.target[1:]) for r in refs if r.kind == "question"} <= numbers


def test_injected_unknown_references_are_reported_at_their_exact_place(real_book: Path) -> None:
    victim = sorted(real_book.glob("chapters/03-*/q17-*.md"))[0]
    lines = victim.read_text().split("\n")
    heading = next(i for i, line in enumerate(lines) if line.startswith("## "))
    lines[heading:heading] = ["This sentence was injected: see @Q99 and compare Q99.", ""]
    victim.write_text("\n".join(lines))
    _, diags = resolve_real(real_book)
    path = victim.relative_to(real_book).as_posix()
    line = heading + 1
    assert [d.headline() for d in diags.errors] == [
        f"{path}:{line}:33: error: @Q99 refers to a question that does not exist [ref.unknown]",
        f"{path}:{line}:50: error: Q99 refers to a question that does not exist [ref.unknown]",
    ]
    code, _, err = run("check", "--source", str(real_book))
    assert code == 1 and err.count("[ref.unknown]") == 2
