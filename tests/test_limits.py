"""Limits on the input, and every user or environment error a located diagnostic (issue 15).

The tiny books yaml-*, chars-*, nesting-*, history-*, bib-malformed and config-date-range
(run by test_books.py) hold the cases that git can carry; here are those it cannot (FIFOs,
symlink loops, file names with control characters, the real alias bomb under a memory
limit) and the units behind them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import BASE, REPO, run
from qabook import characters, pandoc, yamldoc
from qabook.diagnostics import UNPRINTABLE, Diagnostics, did_you_mean, visible
from qabook.load.files import footnote_cycle, outside_code_spans
from qabook.load.history import EMPTY, HISTORY, MAX_TIME, Entry, History, Stamp, dumps, parse, read_history

def bomb(levels: int) -> str:
    """An alias bomb under an unknown key: nine aliases a level, 9^levels strings expanded.
    Ten levels is the audit's (817 bytes there; PyYAML parses it in 5 ms, sharing the nodes);
    three is safe to load in the test process even if the defence failed."""
    return "bomb:\n  lol1: &lol1 [" + ", ".join(['"lol"'] * 9) + "]\n" + "".join(
        f"  lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * 9) + "]\n"
        for level in range(2, levels + 1))


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    return book


def check(book: Path) -> tuple[int, str]:
    """`qabook check` in-process: (exit code, stderr)."""
    code, _, err = run("check", "--no-cache", "--source", str(book))
    assert "Traceback" not in err and "internal error" not in err
    return code, err


def question(number: str, body: str = "Why?", front: str = "") -> str:
    return f"---\nnumber: {number}\ntitle: Extra\n{front}---\n\n::: question\n{body}\n:::\n"


# --- YAML -----------------------------------------------------------------------------------

def test_the_real_alias_bomb_is_refused_at_once_within_a_memory_limit(tiny: Path) -> None:
    """Before, it took more than 4 GiB and a minute; under a 1 GiB limit it was a MemoryError."""
    assert 750 < len(bomb(10)) < 850
    (tiny / "book.yaml").write_text((tiny / "book.yaml").read_text() + bomb(10))
    limit = ("import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30));"
             "sys.argv = ['qabook', 'check', '--no-cache', '--source', sys.argv[1]];"
             "runpy.run_module('qabook', run_name='__main__')")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", limit, str(tiny)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert time.monotonic() - start < 20
    assert proc.returncode == 1, proc.stderr
    assert f"{tiny}/book.yaml:19:9: error: YAML anchors and aliases" in proc.stderr


def test_the_alias_bomb_in_front_matter_is_refused_before_it_expands() -> None:
    with pytest.raises(yamldoc.YamlError) as error:
        yamldoc.load("number: 4\ntitle: x\n" + bomb(3) + "tags: *lol3\n", first_line=2)
    assert (error.value.code, error.value.line, error.value.col) == ("yaml.alias", 5, 9)


@pytest.mark.parametrize("text, code, line, col", [
    ("a: &x 1\n", "yaml.alias", 1, 4),  # an anchor alone is refused too
    ("tags: " + "[" * 5000 + "]" * 5000 + "\n", "yaml.too-deep", 1, 26),
    ("a:\n" + "".join(" " * i + "b:\n" for i in range(1, 30)), "yaml.too-deep", 20, 20),
    # the mapping, its key and the list count too: item MAX_NODES - 3 is one too many
    ("tags: [" + ", ".join(["x"] * yamldoc.MAX_NODES) + "]\n", "yaml.too-large", 1,
     8 + 3 * (yamldoc.MAX_NODES - 3)),
    ("date: 2026-02-30\n", "yaml.date", 1, 7),
    ("date: 2026-01-15T25:61:00Z\n", "yaml.date", 1, 7),
    ("x: !!python/object/apply:os.system ['true']\n", "yaml.tag", 1, 4),
    ("number: !!int 0x1F\n", "yaml.tag", 1, 9),
])
def test_yaml_beyond_a_books_needs_is_a_located_error(text: str, code: str, line: int,
                                                      col: int) -> None:
    with pytest.raises(yamldoc.YamlError) as error:
        yamldoc.load(text)
    assert (error.value.code, error.value.line, error.value.col) == (code, line, col)


@pytest.mark.parametrize("written, value", [
    ("0x1F", "0x1F"), ("1:00", "1:00"), ("0o17", "0o17"), ("017", "017"), ("1_000", "1_000"),
    ("yes", "yes"), ("off", "off"), ("7" * 5000, "7" * 5000),  # YAML 1.1 forms stay text
    ("17", 17), ("-3", -3), ("3.5", 3.5), ("1e3", 1000.0), ("true", True), ("null", None),
])
def test_numbers_are_plain_decimal_digits(written: str, value) -> None:
    assert yamldoc.load(f"n: {written}\n").value == {"n": value}


# --- special files, names and terminal safety --------------------------------------------

def test_a_fifo_in_the_book_is_named_and_never_opened(tiny: Path) -> None:
    """A FIFO hung check, and the excerpt printer opened it too. In a process of its own, so
    that a regression fails the test instead of hanging the suite."""
    os.mkfifo(tiny / "chapters" / "02-two" / "q97.md")
    os.mkfifo(tiny / HISTORY)
    proc = subprocess.run([sys.executable, "-m", "qabook", "check", "--no-cache", "--source",
                           str(tiny)], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 1
    headlines = [line for line in proc.stderr.splitlines() if ": error: " in line]
    assert headlines == [
        f"{tiny}/{HISTORY}: error: '{HISTORY}' is a named pipe (FIFO), not a file "
        "[file.not-regular]",
        f"{tiny}/chapters/02-two/q97.md:1:1: error: 'chapters/02-two/q97.md' is a named pipe "
        "(FIFO), not a file [file.not-regular]"]


def test_control_characters_never_reach_the_terminal(tiny: Path) -> None:
    """Escape sequences in a source line and a file name that tries to forge a diagnostic."""
    chapter = tiny / "chapters" / "02-two"
    (chapter / "q03-third.md").write_text(
        (chapter / "q03-third.md").read_text() + "\nTitle \x1b]0;PWNED\x07 clear \x1b[2J\u202e.\n")
    (chapter / "q05-\x1b[31mx\nfake.md:1:1: error: all good [ok].md").write_text(question("5"))
    code, err = check(tiny)
    assert code == 1
    raw = [char for char in err if UNPRINTABLE.match(char) and char != "\n"]
    assert raw == []
    assert not any(line.startswith("fake.md") for line in err.splitlines())
    assert "q05-\\x1b[31mx\\x0afake.md:1:1: error: all good [ok].md: error: the file name " \
           "holds character U+001B, which is not allowed [file.name]" in err
    assert "Title \\x1b]0;PWNED\\x07 clear \\x1b[2J\\u202e." in err  # the excerpt, escaped
    assert "q03-third.md:15:7: error: character U+001B" in err


def test_the_excerpt_printer_never_shows_a_file_outside_the_book(tiny: Path,
                                                                 tmp_path: Path) -> None:
    """A chapter file linked out of the book is refused at its own 1:1, and the printer then
    printed the outside file's first line."""
    (tmp_path / "secret.txt").write_text("SECRET first line\n")
    (tiny / "chapters/01-one/q09.md").symlink_to(tmp_path / "secret.txt")
    code, err = check(tiny)
    assert code == 1 and "[file.outside]" in err and "SECRET" not in err


def test_visible_escapes_only_what_a_terminal_would_act_on() -> None:
    assert visible("a\tb é — \x00\x1b\n\x9b\u2028\u202e\u2066") == \
        "a\tb é — \\x00\\x1b\\x0a\\x9b\\u2028\\u202e\\u2066"


def test_a_look_alike_suggestion_names_the_character_that_differs() -> None:
    """"did you mean @fig-firѕt?" looked exactly like what the author had typed."""
    assert did_you_mean("fig-first", ["fig-fir\u0455t"], "@") == (
        "did you mean @fig-fir\u0455t? (it has U+0455 CYRILLIC SMALL LETTER DZE where this has "
        "U+0073 LATIN SMALL LETTER S)")
    assert did_you_mean("fig-frst", ["fig-first"], "@") == "did you mean @fig-first?"


def test_a_chapter_folder_that_cannot_be_listed_is_named(tiny: Path, monkeypatch) -> None:
    """As a folder without read permission does (which root, running the tests, never meets)."""
    folder = tiny / "chapters" / "02-two"
    listing = Path.iterdir

    def refuse(path: Path):
        if path == folder:
            raise PermissionError(13, "Permission denied")
        return listing(path)

    monkeypatch.setattr(Path, "iterdir", refuse)
    code, err = check(tiny)
    assert code == 1
    assert (f"{tiny}/book.yaml:16:5: error: cannot list chapter folder 'chapters/02-two': "
            "Permission denied [chapter.unreadable]") in err


# --- the Markdown ----------------------------------------------------------------------------

def test_an_ast_too_deep_for_json_loads_is_decoded_without_recursion() -> None:
    [result] = pandoc._parallel([{"text": "> " * 400 + "deep\n\nQ1 and *Q2*.\n",
                                  "from": pandoc.MARKDOWN, "to": "json"}], pandoc._serve, 1)
    with pytest.raises(RecursionError):
        json.loads(result["output"])
    tree = pandoc._decode(result)
    assert tree["pandoc-api-version"] == pandoc.API_VERSION
    shallow = '{"a": [1, -2.5e3, "x\\"\\u00e9", true, false, null, {}, []], "b": {"c": [[]]}}'
    assert pandoc._decode_deep(shallow) == json.loads(shallow)



class TooSlow(BaseException):
    """Raised by the deadline; a BaseException, so no `except Exception` on the way swallows it."""


def within(seconds: float, call):
    """call() if it returns within seconds, else a failure then and there: the old code took
    hours on some of these, and regular expressions answer signals."""
    def expire(*_):
        raise TooSlow(f"took more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return call()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("note", [
    "`" * 200_000,  # `(`+).+?\1` was cubic: 1.5 s at 5,000 backticks, 99 s at 20,000
    "[^" * 100_000,  # a label that could hold `[` was quadratic: 4 s at 20,000
    "`a" * 100_000,
    " ".join("`" * length for length in range(1, 600)),  # runs of every length, none closed
    "`` ` " * 40_000,
])
def test_the_footnote_pre_scan_takes_linear_time(note: str) -> None:
    """A source file may hold a megabyte; each of these takes milliseconds now."""
    assert within(2, lambda: footnote_cycle("[^a]: " + note)) is None


@pytest.mark.parametrize("line, calls", [  # each as pandoc 3.9's commonmark_x reads it
    ("x ``a`[^n]`` y `` `z` [^n]", ["n"]),  # a run closes only on one of its length; `` is text
    ("x ```a`` [^n]`` y", []),  # ``` is never closed, so `` opens the span (was: a call)
    ("x[^a]`c`: y", ["a"]),  # a call before code (was: the span removed, `[^a]:` no call)
    ("`[^a]` and [^a[b] and [^b]", ["b"]),  # `[` ends a label
])
def test_footnote_calls_in_code_spans_are_found_as_commonmark_finds_them(
        line: str, calls: list[str]) -> None:
    from qabook.load.files import NOTE_CALL
    assert [c for piece in outside_code_spans(line) for c in NOTE_CALL.findall(piece)] == calls


def test_thousands_of_notes_calling_each_other_are_followed_without_recursion() -> None:
    """2,000 chained notes were a RecursionError, so `check` exited 3."""
    chain = "\n\n".join(f"[^n{i}]: see[^n{i + 1}]" for i in range(5000))
    assert within(10, lambda: footnote_cycle(chain)) is None
    loop = "Text[^n0].\n\n" + chain.replace("[^n5000]", "[^n0]")
    assert within(10, lambda: footnote_cycle(loop)) == (
        3, 1, [f"n{i}" for i in range(5000)] + ["n0"])


def test_the_first_note_in_a_loop_is_named_with_a_path_back_to_itself() -> None:
    # a calls itself first (its calls are followed in sorted order), but p comes first
    assert footnote_cycle("[^p]: [^a]\n\n[^a]: [^p] [^a]\n") == (1, 1, ["p", "a", "p"])
    assert footnote_cycle("[^x]: [^b]\n\n[^b]: [^c]\n\n[^c]: [^b] [^z]\n") == (
        3, 1, ["b", "c", "b"])
    assert footnote_cycle("[^x]: [^x]\n") == (1, 1, ["x", "x"])
    assert footnote_cycle("[^x]: [^y]\n\n[^y]: [^z]\n\n    ```\n    [^x]\n    ```\n") is None

# --- anki-history.json ---------------------------------------------------------------------

ENTRY = '"Q1": [1768435200, "8bc2924e4b928d59"]'


@pytest.mark.parametrize("content, line, col, message", [
    (f'{{\n  {ENTRY},\n<<<<<<< HEAD\n  "Q2": [1, "8bc2924e4b928d59"]\n=======\n}}\n', 3, 1,
     "has merge-conflict markers at line 3"),
    ("[1, 2, 3]\n", 1, 1, "must be a JSON object, not a list"),
    (f'{{\n  {ENTRY},\n  "Q2": ["x", 3]\n}}\n', 3, 3, "the entry of 'Q2' must be [time, hash]"),
    (f'{{\n  "Q2": [{MAX_TIME + 1}, "8bc2924e4b928d59"]\n}}\n', 2, 3, "the entry of 'Q2'"),
    (f'{{\n  "Q2": [{"9" * 5000}, "8bc2924e4b928d59"]\n}}\n', 2, 3, "the entry of 'Q2'"),
    ('{\n  "Q2": [-1, "8bc2924e4b928d59"]\n}\n', 2, 3, "the entry of 'Q2'"),
    ('{\n  "Q2": [true, "8bc2924e4b928d59"]\n}\n', 2, 3, "the entry of 'Q2'"),
    (f'{{\n  {ENTRY},\n  {ENTRY}\n}}\n', 3, 3, "'Q1' is given twice"),
    (f'{{\n  {ENTRY},,\n}}\n', 2, 42, "is not valid JSON: Expecting property name"),
    ("[" * 100_000 + "]" * 100_000, 1, 1, "is nested too deeply"),
    ('{\n  "qabook-anki-history ": [1, "8bc2924e4b928d59"]\n}\n', 2, 3,
     "is not a note of a first-format history"),
])
def test_a_history_that_cannot_be_used_is_located(tmp_path: Path, content: str, line: int,
                                                  col: int, message: str) -> None:
    (tmp_path / HISTORY).write_text(content)
    diags = Diagnostics()
    assert read_history(tmp_path, diags) is None
    [diag] = diags.items
    assert (diag.code, diag.location.line, diag.location.col) == ("history.invalid", line, col)
    assert message in diag.message


def test_a_history_in_another_encoding_or_with_control_characters_is_located(
        tmp_path: Path) -> None:
    (tmp_path / HISTORY).write_bytes('{"Q\xe9": [1, "8bc2924e4b928d59"]}'.encode("latin-1"))
    diags = Diagnostics()
    assert read_history(tmp_path, diags) is None
    assert [(d.code, d.location.line, d.location.col) for d in diags.items] == [
        ("file.encoding", 1, 4)]
    (tmp_path / HISTORY).write_text('{"Q\x1b": [1, "8bc2924e4b928d59"]}')
    diags = Diagnostics()
    read_history(tmp_path, diags)
    assert [d.code for d in diags.items][:1] == ["file.character"]


def test_the_history_the_deck_writes_is_one_the_check_accepts(tmp_path: Path) -> None:
    history = History(
        {label: Entry(f"g{label}", 1768435200, "8bc2924e4b928d59", "exercise", "01.001.A",
                      f"Exercise {label}", "Book::01 One", label == "2-A",
                      (("term", 1),) if label == "Q1" else ())
         for label in ("Q1", "1-A", "2-A", 'odd "label"', "ex-é")},
        {"question": Stamp(1768435200, "8bc2924e4b928d59")})
    (tmp_path / HISTORY).write_text(dumps(history))
    diags = Diagnostics()
    read = read_history(tmp_path, diags)
    assert not diags.items and (read.notes, read.types) == (history.notes, history.types)
    assert parse("{}") == replace(EMPTY, legacy=True, digest=read_digest("{}"))
    assert read_history(tmp_path / "none", Diagnostics()) is EMPTY


def read_digest(text: str) -> str:
    import hashlib
    return hashlib.sha256(text.encode()).hexdigest()


def test_two_notes_with_one_guid_are_refused_where_the_second_is(tmp_path: Path) -> None:
    """What a merge of two branches leaves when one re-keyed a note the other edited."""
    note = '{"guid": "same", "time": 1, "hash": "8bc2924e4b928d59", "kind": "question"}'
    (tmp_path / HISTORY).write_text(f'{{\n  "qabook-anki-history": 2,\n  "notes": {{\n'
                                    f'    "Q1": {note},\n    "first": {note}\n  }}\n}}\n')
    diags = Diagnostics()
    assert read_history(tmp_path, diags) is None
    [diag] = diags.items
    assert (diag.code, diag.location.line) == ("history.invalid", 5)
    assert "'Q1' and 'first' have the same guid" in diag.message


@pytest.mark.parametrize("note, message", [
    ('{"guid": "x", "time": 1, "hash": "8bc2924e4b928d59"}', "has no 'kind'"),
    ('{"guid": "", "time": 1, "hash": "8bc2924e4b928d59", "kind": "question"}', "guid"),
    ('{"guid": "x", "time": -1, "hash": "8bc2924e4b928d59", "kind": "question"}', "a time"),
    ('{"guid": "x", "time": 1, "hash": "8bc2", "kind": "question"}', "a hash"),
    ('{"guid": "x", "time": 1, "hash": "8bc2924e4b928d59", "kind": "poem"}', "a kind"),
    ('{"guid": "x", "time": 1, "hash": "8bc2924e4b928d59", "kind": "cloze", "terms": {"a": 1, '
     '"b": 1}}', "'terms'"),
    ('{"guid": "x", "time": 1, "hash": "8bc2924e4b928d59", "kind": "cloze", "mine": 1}',
     "unknown key 'mine'"),
    ('[1, "8bc2924e4b928d59"]', "must be an object, not a list"),
    ('{"guid": "x", "time": 1, "hash": "8bc2924e4b928d59", "kind": "question", '
     '"heading": "[sound:x.mp3]"}', "a heading with characters or markup"),
    ('{"guid": "x", "time": 1, "hash": "8bc2924e4b928d59", "kind": "question", '
     '"key": "\\\\(x\\\\)"}', "a key with characters or markup"),
])
def test_a_broken_note_of_the_current_format_is_located(tmp_path: Path, note: str,
                                                        message: str) -> None:
    (tmp_path / HISTORY).write_text(f'{{\n  "qabook-anki-history": 2,\n  "notes": {{\n'
                                    f'    "Q1": {note}\n  }}\n}}\n')
    diags = Diagnostics()
    assert read_history(tmp_path, diags) is None
    [diag] = diags.items
    assert (diag.code, diag.location.line, diag.location.col) == ("history.invalid", 4, 5)
    assert message in diag.message and "the note 'Q1'" in diag.message


# --- every one of these through the CLI: exit 1, never 3 -----------------------------------

def _book_yaml(book: Path, old: str, new: str) -> None:
    path = book / "book.yaml"
    path.write_text(path.read_text().replace(old, new))


def _question_file(book: Path, text: str) -> None:
    (book / "chapters/01-one/q09.md").write_text(text)


CASES = {  # name: (how to break the tiny book, the code check must report)
    "datetime-invalid": (lambda b: _book_yaml(b, "date: 2026-01-15",
                                              "date: 2026-01-15T25:61:00Z"), "yaml.date"),
    "book-yaml-deep": (lambda b: _book_yaml(b, "subjects: [Testing]",
                                            "subjects: " + "[" * 3000 + "]" * 3000),
                       "yaml.too-deep"),
    "book-yaml-nul": (lambda b: _book_yaml(b, "A Tiny Book", "A Tiny\x00 Book"),
                      "file.character"),
    "md-folder": (lambda b: (b / "chapters/01-one/q09.md").mkdir(), "file.not-regular"),
    "md-symlink-loop": (lambda b: (b / "chapters/01-one/q09.md").symlink_to("q09.md"),
                        "file.not-regular"),
    "bib-symlink-loop": (lambda b: ((b / "references.bib").unlink(),
                                    (b / "references.bib").symlink_to("references.bib")),
                         "file.not-regular"),
    "history-list": (lambda b: (b / HISTORY).write_text("[1, 2, 3]\n"), "history.invalid"),
    "history-not-utf8": (lambda b: (b / HISTORY).write_bytes(b'{"Q\xe9": [1, "ab"]}'),
                         "file.encoding"),
    "history-deep": (lambda b: (b / HISTORY).write_text("[" * 100_000 + "]" * 100_000),
                     "history.invalid"),
    "at-q-5000-digits": (lambda b: _question_file(b, question("9", "See @Q" + "7" * 5000)),
                         "ref.number"),
    "number-5000-digits": (lambda b: _question_file(b, question("7" * 5000)), "meta.number"),
    "title-esc": (lambda b: _question_file(b, question("9").replace("title: Extra",
                                                                    "title: E\x1b[2Jxtra")),
                  "file.character"),
    "quotes-5000-deep": (lambda b: _question_file(b, question("9") + "\n" + "> " * 5000 + "x\n"),
                         "markup.too-deep"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_reports_each_case_and_exits_1_not_3(tiny: Path, case: str) -> None:
    make, code = CASES[case]
    make(tiny)
    exit_code, err = check(tiny)
    assert exit_code == 1 and f"[{code}]" in err, err


def test_a_bare_q_with_thousands_of_digits_is_text(tiny: Path) -> None:
    _question_file(tiny, question("9", "See Q" + "7" * 5000 + "."))
    assert check(tiny) == (0, "")


def test_a_long_chain_of_notes_is_refused_before_pandoc_reads_it(tiny: Path) -> None:
    """pandoc's time grows with the square of a chain of notes calling each other (5,000
    ran into its 300 s guard); no book needs more than the model's nesting allows."""
    q2 = tiny / "chapters/01-one/q02-second.md"
    notes = "\n\n".join(f"[^n{i}]: See[^n{i + 1}]." for i in range(5000))
    q2.write_text(q2.read_text() + f"\nThe chain[^n0].\n\n{notes}\n\n[^n5000]: The end.\n")
    started = time.monotonic()
    code, _, err = run("check", "--source", str(tiny), "--no-cache")
    assert time.monotonic() - started < 30
    assert code == 1 and "[footnote.too-deep]" in err and "q02-second.md:" in err, err


def test_a_formula_nested_too_deep_is_refused_before_an_engine_sees_it(tiny: Path) -> None:
    """pandoc's converter doubles its time with each level of scripts on scripts (30 levels
    ran past its 300 s guard); the check refuses such a formula at once, where it is."""
    tex = "x"
    for _ in range(30):
        tex = f"x^{{{tex}}}"
    _question_file(tiny, question("9", f"A tower ${tex}$ of powers."))
    started = time.monotonic()
    code, _, err = run("check", "--source", str(tiny), "--no-cache")
    assert time.monotonic() - started < 30
    assert code == 1 and "[math.too-deep]" in err and "30 levels deep" in err, err


def test_the_printable_characters_are_those_of_the_books_fonts() -> None:
    """check refuses what none of the fonts draws from a list of their code points (reading
    the fonts costs 0.1 s a check): the list must be theirs (scripts/printable.py)."""
    spec = importlib.util.spec_from_file_location("printable", REPO / "scripts/printable.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert json.loads(characters.PRINTABLE.read_text()) == script.ranges()
