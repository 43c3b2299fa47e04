"""Tiny books, one per feature and one per error class, with their expected diagnostics.

Each tests/books/<case>/ holds the files it lays over tests/books/_base/ (and a DELETE
list), `expected.txt` with every diagnostic `check` must report (exact path, line, column,
severity, message and code) and, for feature books, `refs.txt` with every reference and
what it resolves to. QABOOK_REGEN=1 rewrites the expectations from the current output;
review the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import BASE, assemble, case_dirs, run
from qabook import pipeline
from qabook.diagnostics import Diagnostics

REGEN = bool(os.environ.get("QABOOK_REGEN"))


def diagnose(book: Path) -> tuple[list[str], object]:
    diags = Diagnostics()
    resolved = pipeline.check(book, diags)
    return [d.headline() for d in diags.sorted()], resolved


def ref_lines(resolved) -> list[str]:
    lines = []
    for doc in resolved.book.documents:
        for ref in doc.refs:
            target = resolved.labels.get(ref.target)
            written = ref.target if ref.bare else f"@{ref.target}"
            lines.append((ref.location, f"{written} -> {target.text} #{target.anchor}"
                          if target else f"{written} -> ?"))
        for cite in doc.citations:
            lines.append((cite.location, f"cite {cite.key}"))
    return [f"{location} {text}" for location, text in sorted(lines)]


def expect(path: Path, actual: list[str]) -> None:
    if REGEN:
        path.write_text("".join(f"{line}\n" for line in actual))
    assert path.exists(), f"{path} is missing (QABOOK_REGEN=1 creates it)"
    assert actual == path.read_text().splitlines()


def test_base_book_is_clean() -> None:
    code, out, err = run("check", "--source", str(BASE), "--strict")
    assert (code, err) == (0, "")
    assert out.strip() == "qabook check: no problems in 4 files"


@pytest.mark.parametrize("case", case_dirs(), ids=lambda p: p.name)
def test_case(case: Path, tmp_path: Path) -> None:
    book = assemble(case, tmp_path)
    headlines, resolved = diagnose(book)
    expect(case / "expected.txt", headlines)
    if (case / "refs.txt").exists() or (REGEN and resolved and not headlines):
        expect(case / "refs.txt", ref_lines(resolved))
    strict = any(" warning: " in line for line in headlines)
    args = ["check", "--source", str(book)] + (["--strict"] if strict else [])
    code, out, err = run(*args)
    assert code == (1 if headlines else 0)
    assert "Traceback" not in out + err
    for line in headlines:  # the CLI prints the same diagnostics, under the --source path
        assert f"{book}/{line}" in err
