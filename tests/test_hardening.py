"""Hardening: random input, engine failures, killed builds, no network, containment, escaping."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from conftest import BASE, SOURCE, artifacts, reported, run
from qabook import pandoc, pipeline
from qabook.cache import Cache
from qabook.diagnostics import Diagnostics

FRAGMENTS = [
    "@Q1", "Q2", "@Q99", "Q0", "[@smith2020tiny]", "[see @smith2020tiny, p. 3; @nobody]",
    "[-@lee2019small]", "@fig-first", "@tbl-x", "@eq-y", "@ex-z", "$x^2$", "$$y = 1$$ {#eq-z}",
    "`code @Q1`", "[^n]", "\n\n[^n]: a note\n", "\n::: exercise\n", "\n::: solution\n", "\n:::\n",
    "\n::: question\n", "\n::: summary\n", "\n::: {.exercise #ex-q}\n",
    '![cap](../../figures/q01-a.svg){#fig-x fig-alt="alt"}', "![](http://example.com/y.png)",
    "![x](../../../../etc/passwd)", "<div>", "<script>alert(1)</script>", "\n# H\n", "\n## H\n",
    "\n| a | b |\n|---|---|\n| Q1 | @Q3 |\n\n: cap {#tbl-t}\n", "{#eq-q}", "\t", "\r\n",
    "\ufeff", "é", "—", "\n---\n", "*", "**", "[", "]", "{", "}", "\\", "<!-- c -->",
    "[link](https://example.com)", "[bad](#q1)", "[Q14]{.noxref}", "```python\nx = 1\n```",
]
TEXT = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=30).map(
    "".join)
FRONT = st.sampled_from(["---\nnumber: 4\ntitle: Random\n---\n", "---\nnumber: [\n---\n",
                         "---\nnumber: 4\n", "", "---\n- a list\n---\n",
                         "---\nnumber: 1\ntitle: Clash\ntags: nope\n---\n"])
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


MATH_CACHE = Cache(Path(tempfile.mkdtemp(prefix="qabook-math-")))


def check_only_diagnoses(book: Path) -> None:
    """Load, model and resolve may report problems, never raise. (The math engines' verdicts
    are kept between examples: the same few formulas come back in every one.)"""
    pipeline.check(book, Diagnostics(), MATH_CACHE)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    return book


@SETTINGS
@given(front=FRONT, body=TEXT)
def test_random_question_files_only_ever_give_diagnostics(tiny: Path, front: str, body: str):
    (tiny / "chapters/02-two/q04-random.md").write_text(front + body, encoding="utf-8")
    check_only_diagnoses(tiny)


MUTATIONS = st.lists(st.tuples(st.sampled_from(["delete", "insert", "swap", "repeat"]),
                               st.floats(0, 1), st.floats(0, 1), st.sampled_from(FRAGMENTS)),
                     min_size=1, max_size=4)


@SETTINGS
@given(which=st.integers(0, 26), mutations=MUTATIONS)
def test_mutated_real_questions_only_ever_give_diagnostics(tiny: Path, which: int, mutations):
    real = sorted(SOURCE.glob("chapters/*/*.md"))[which].read_text(encoding="utf-8")
    lines = real.split("\n")
    for kind, a, b, fragment in mutations:
        i, j = sorted((int(a * len(lines)), int(b * len(lines))))
        if kind == "delete":
            del lines[i:j + 1]
        elif kind == "insert":
            lines.insert(i, fragment)
        elif kind == "swap" and j < len(lines):
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "repeat":
            lines[i:i] = lines[i:j + 1]
    (tiny / "chapters/02-two/q04-mutant.md").write_text("\n".join(lines), encoding="utf-8")
    check_only_diagnoses(tiny)


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(front=FRONT, body=TEXT)
def test_check_never_prints_a_traceback(tiny: Path, front: str, body: str):
    (tiny / "chapters/02-two/q04-random.md").write_text(front + body, encoding="utf-8")
    code, out, err = run("check", "--source", str(tiny))
    assert code in (0, 1)
    assert "Traceback" not in out + err and "internal error" not in out + err


def test_a_pandoc_crash_is_reported_once_and_blames_no_file(tiny: Path, tmp_path: Path,
                                                            monkeypatch) -> None:
    broken = tmp_path / "pandoc"
    broken.write_text(f"#!/bin/sh\n[ \"$1\" = --version ] && echo 'pandoc {pandoc.VERSION}' && exit\n"
                      "echo 'pandoc: simulated crash' >&2\nexit 83\n")
    broken.chmod(0o755)
    monkeypatch.setattr(pandoc, "executable", lambda: str(broken))
    code, out, err = run("check", "--source", str(tiny), "--no-cache")
    assert code == 1 and "Traceback" not in err
    assert err.count("error:") == 1, err
    assert "qabook: error: pandoc could not read the book: pandoc: simulated crash" in err
    assert "could not read this file" not in err


def test_the_file_that_exceeds_pandocs_memory_is_named_and_the_rest_is_read(
        tiny: Path, monkeypatch) -> None:
    """A real pandoc with a lower heap cap: the batch fails, each file is read alone, and
    only the file that exceeds the cap alone is blamed."""
    monkeypatch.setattr(pandoc, "MEMORY", "-M100m")
    words = "word " * 180_000  # 0.9 MB: under the file size limit, over 100 MB of heap
    (tiny / "chapters/02-two/q04-huge.md").write_text(
        f"---\nnumber: 4\ntitle: Huge\n---\n\n::: question\nHuge?\n:::\n\n{words}\n")
    code, out, err = run("check", "--source", str(tiny), "--no-cache")
    assert code == 1 and "Traceback" not in err
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert errors == [f"{tiny}/chapters/02-two/q04-huge.md:1:1: error: pandoc could not read "
                      "this file: pandoc needs more memory than its limit of 100 MiB "
                      "[pandoc.failed]"], err


def test_a_figure_weasyprint_cannot_draw_is_reported_where_the_book_shows_it(
        tiny: Path, tmp_path: Path) -> None:
    (tiny / "figures/q03-b.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20">'
        '<rect width="5" height="5" transform="rotate(abc)"/></svg>')
    code, _, err = run("build", "--source", str(tiny), "--out", str(tmp_path / "out"), "-f", "pdf")
    assert code == 1
    q3 = tiny / "chapters/02-two/q03-third.md"
    row = next(i for i, line in enumerate(q3.read_text().splitlines(), 1) if "q03-b.svg" in line)
    assert reported(err).startswith(f"{q3}:{row}:1: error: WeasyPrint cannot draw "
                                    "'figures/q03-b.svg': Failed to render SVG image"), err
    assert "[image.unprintable]" in err and "Traceback" not in err and "book.yaml" not in err


def test_a_weasyprint_message_about_content_names_the_file_it_comes_from(
        tiny: Path, tmp_path: Path) -> None:
    """A link whose web address WeasyPrint cannot parse (check lets any http(s) link through;
    styles, which used to provoke such messages, are refused by check since issue 15),
    reported at the question that holds it."""
    q2 = tiny / "chapters/01-one/q02-second.md"
    q2.write_text(q2.read_text().replace("precedes Q3.", "precedes [Q3](https://[oops)."))
    code, _, err = run("build", "--source", str(tiny), "--out", str(tmp_path / "out"), "-f", "pdf")
    assert code == 1
    assert reported(err).startswith(f"{q2}: error: WeasyPrint: Malformed URL: https://[oops"), err
    assert "[pdf.failed]" in err and "book.yaml" not in err


def test_a_failed_build_leaves_previous_artifacts_untouched(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    previous = out / "a-tiny-book.pdf"
    previous.write_bytes(b"the previous edition")
    q2 = tiny / "chapters/01-one/q02-second.md"
    q2.write_text(q2.read_text().replace("precedes Q3.", r"precedes Q3, $\left( x$."))
    assert run("build", "--source", str(tiny), "--out", str(out), "-f", "pdf")[0] == 1
    assert artifacts(out) == [previous.name]
    assert previous.read_bytes() == b"the previous edition"


def test_an_artifact_killed_while_being_written_leaves_no_file(tmp_path: Path) -> None:
    previous = tmp_path / "book.pdf"
    previous.write_bytes(b"the previous edition")
    script = ("import sys, time\nfrom pathlib import Path\n"
              "from qabook.render.output import atomic_write\n"
              "def slow(handle):\n"
              "    handle.write(b'%PDF-half' * 1000)\n    handle.flush()\n"
              "    print('writing', flush=True)\n    time.sleep(60)\n"
              "atomic_write(Path(sys.argv[1]), slow)\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(previous)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert artifacts(tmp_path) == [previous.name]
    assert previous.read_bytes() == b"the previous edition"


def test_a_full_build_never_opens_a_network_connection(tiny: Path, tmp_path: Path,
                                                        monkeypatch) -> None:
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("the network is off for this test")

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    code, _, err = run("build", "--source", str(tiny), "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert attempts == []
    assert len(artifacts(tmp_path / "out")) == 3


def test_the_print_fetcher_serves_only_the_book(tiny: Path) -> None:
    from weasyprint.urls import FatalURLFetchingError

    from qabook.render.pdf_layout import BookFetcher

    fetcher = BookFetcher([tiny])
    assert fetcher.fetch((tiny / "figures/q01-a.svg").resolve().as_uri())
    assert fetcher.fetch("data:text/plain,hello")
    for url in ("file:///etc/passwd", "http://127.0.0.1/secret", "https://example.com/x.css",
                (tiny / ".." / "outside.txt").resolve().as_uri(), "ftp://example.com/x"):
        with pytest.raises(FatalURLFetchingError):
            fetcher.fetch(url)


def test_hostile_markup_is_refused_and_nothing_is_built(tiny: Path, tmp_path: Path) -> None:
    q2 = tiny / "chapters/01-one/q02-second.md"
    q2.write_text(q2.read_text().replace("It follows Q1 and precedes Q3.", (
        '<link rel="attachment" href="file:///etc/passwd">\n\n'
        '<iframe src="https://example.com"></iframe>\n\n'
        "Text <script>alert(1)</script>.\n\n"
        "![secret](../../../../../etc/passwd){#fig-s fig-alt=\"s\"}")))
    code, _, err = run("build", "--source", str(tiny), "--out", str(tmp_path / "out"))
    assert code == 1 and err.count("[html.raw]") >= 3 and "[image.outside]" in err
    assert artifacts(tmp_path / "out") == []


def test_artifacts_hold_only_the_referenced_figures(real_epub, real_pdf, real_apkg) -> None:
    figures = {f.read_bytes() for f in (SOURCE / "figures").iterdir()}
    with zipfile.ZipFile(real_epub) as epub:
        media = [epub.read(n) for n in epub.namelist() if n.startswith("EPUB/media/file")]
    assert {m for m in media if not m.startswith(b"\x89PNG")} <= figures
    assert PdfReader(real_pdf).attachments == {}
    with zipfile.ZipFile(real_apkg) as apkg:
        names = json.loads(apkg.read("media"))
        deck_media = {names[n]: apkg.read(n) for n in apkg.namelist() if n.isdigit()}
    fonts = {name: data for name, data in deck_media.items() if name.startswith("_")}
    assert fonts and all(data.startswith(b"wOF2") and name.endswith(".woff2")
                         for name, data in fonts.items())  # the card fonts, WOFF2 subsets
    shown = [data for name, data in deck_media.items() if name not in fonts]
    assert shown and set(shown) <= figures


def test_titles_are_escaped_in_every_format(tiny: Path, tmp_path: Path) -> None:
    q3 = tiny / "chapters/02-two/q03-third.md"
    q3.write_text(q3.read_text().replace("title: The Third Question",
                                         "title: 'A <script>alert(1)</script> title'"))
    out = tmp_path / "out"
    code, _, err = run("build", "--source", str(tiny), "--out", str(out))
    assert code == 0, err
    with zipfile.ZipFile(out / "a-tiny-book.epub") as epub:
        pages = b"".join(epub.read(n) for n in epub.namelist() if n.endswith(".xhtml"))
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in pages and b"<script" not in pages
    with zipfile.ZipFile(out / "a-tiny-book.apkg") as apkg:
        collection = apkg.read("collection.anki2")
    assert b"&lt;script&gt;" in collection and b"<script>alert" not in collection
    text = "".join(page.extract_text() for page in PdfReader(out / "a-tiny-book.pdf").pages)
    assert "A <script>alert(1)</script> title" in text


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_renderers_exit_when_the_build_is_killed_during_the_check(tiny: Path,
                                                                  tmp_path: Path) -> None:
    """Each format's process starts before the check; killing the build then (SIGKILL, no
    clean-up) must not leave them waiting for a book that never comes."""
    proc = subprocess.Popen([sys.executable, "-m", "qabook", "build", "--source", str(tiny),
                             "--out", str(tmp_path / "out"), "--no-cache"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(_children(proc.pid)) < 3:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)
    renderers = _children(proc.pid)
    proc.kill()
    proc.wait()
    try:
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in renderers):
            assert time.monotonic() < deadline, "a renderer outlived the killed build"
            time.sleep(0.05)
    finally:
        for pid in renderers:  # when the test fails, do not leave them behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


def test_a_renderer_that_cannot_load_its_engine_reports_why(tiny: Path, tmp_path: Path) -> None:
    """The engine is imported in the format's own process, before the book is handed over:
    its error is the one reported, not a broken pipe; and `-f` twice builds once."""
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "genanki.py").write_text('raise ImportError("this genanki is broken")\n')
    env = {**os.environ, "PYTHONPATH": str(fake)}
    proc = subprocess.run([sys.executable, "-m", "qabook", "build", "--source", str(tiny),
                           "--out", str(tmp_path / "out"), "-f", "apkg", "-f", "apkg"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode != 0
    assert "this genanki is broken" in proc.stderr and "Traceback" not in proc.stderr


def test_a_question_whose_prompt_starts_with_a_heading_keeps_its_text_in_the_epub(
        tiny: Path, tmp_path: Path) -> None:
    """pandoc starts an EPUB file at a Div that begins with a level-2 heading; the question's
    file must still hold all of it (prompt, answer, quiz)."""
    q2 = tiny / "chapters/01-one/q02-second.md"
    text = q2.read_text()
    q2.write_text(text.replace("::: question\n", "::: question\n## A heading first\n\n", 1))
    assert run("build", "--source", str(tiny), "--out", str(tmp_path / "out"), "-f", "epub",
               "-f", "epub")[0] == 0
    with zipfile.ZipFile(next((tmp_path / "out").glob("*.epub"))) as archive:
        pages = [archive.read(n).decode() for n in archive.namelist() if n.endswith(".xhtml")]
    home = [page for page in pages if "precedes" in page]  # the answer's own file
    assert len(home) == 1
    assert all(words in home[0] for words in ("What comes second?", "after", "precedes",
                                               "Name the third question"))


def test_an_output_folder_that_cannot_be_written_is_named(tiny: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, out, err = run("build", "--source", str(tiny), "--out", str(blocker / "out"),
                         "-f", "epub")
    assert code == 1 and "Traceback" not in err and "internal error" not in err
    assert err.startswith(f"qabook: error: cannot write into the output folder {blocker / 'out'}: "
                          "Not a directory [build.write]"), err
