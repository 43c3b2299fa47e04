"""The command line: exit codes, output format, no tracebacks."""

from __future__ import annotations

import subprocess
import sys

from conftest import BASE, BOOKS, artifacts, assemble, run


def test_check_clean_book_exits_zero() -> None:
    assert run("check", "--source", str(BASE))[0] == 0


def test_usage_errors_exit_two() -> None:
    assert run("check", "--nonsense")[0] == 2
    assert run("build", "--source", str(BASE), "-f", "docx")[0] == 2


def test_missing_source_is_an_error_not_a_traceback(tmp_path) -> None:
    code, out, err = run("check", "--source", str(tmp_path / "nowhere"))
    assert code == 1
    assert "error: no book.yaml in" in err and "[file.missing]" in err
    assert "Traceback" not in out + err


def test_diagnostic_format_with_excerpt_and_hint(tmp_path) -> None:
    book = assemble(BOOKS / "ref-unknown", tmp_path)
    code, out, err = run("check", "--source", str(book))
    lines = err.splitlines()
    first = f"{book}/chapters/01-one/q02-second.md:14:20: error: @Q4 refers to a question that does not exist [ref.unknown]"
    assert lines[0] == first
    assert lines[1].startswith("   14 | It follows Q1, see @Q4")
    assert lines[2].index("^") - lines[1].index("It follows") == 19
    assert lines[3] == "  hint: did you mean @Q3?"
    assert out.strip() == "qabook check: 3 errors, 0 warnings in 4 files"


def test_strict_fails_on_warnings(tmp_path) -> None:
    case = tmp_path / "case"
    case.mkdir()
    (case / "book.yaml").write_text((BASE / "book.yaml").read_text() + "colour: blue\n")
    book = assemble(case, tmp_path / "books")
    assert run("check", "--source", str(book))[0] == 0
    code, _, err = run("check", "--source", str(book), "--strict")
    assert code == 1 and "[config.unknown-key]" in err


def test_build_refuses_a_book_with_errors(tmp_path) -> None:
    book = assemble(BOOKS / "image-missing", tmp_path)
    code, out, err = run("build", "--source", str(book), "--out", str(tmp_path / "out"))
    assert code == 1 and "[image.missing]" in err
    assert artifacts(tmp_path / "out") == []


def test_list_shows_counts() -> None:
    code, out, _ = run("list", "--source", str(BASE))
    assert code == 0
    assert "Q1  The First Question    2    1" in out
    assert "3 questions, 3 exercises, 2 figures" in out


def test_module_entry_point_runs() -> None:
    proc = subprocess.run([sys.executable, "-m", "qabook", "check", "--source", str(BASE)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "no problems" in proc.stdout


def test_build_leaves_no_process_behind(tmp_path) -> None:
    """Each format's process starts before the check: after a refused book, a no-op build and
    a real one, none is left running."""
    import multiprocessing

    book = assemble(BOOKS / "feature-noxref", tmp_path / "books")
    out = tmp_path / "out"
    assert run("build", "--source", str(book), "--out", str(out), "-f", "apkg")[0] == 0
    assert run("build", "--source", str(book), "--out", str(out))[0] == 0  # builds epub, pdf
    assert run("build", "--source", str(book), "--out", str(out))[0] == 0  # no-op
    (book / "chapters/01-one/q02-second.md").write_text("---\nnumber: [\n")
    assert run("build", "--source", str(book), "--out", str(out))[0] == 1
    assert multiprocessing.active_children() == []
