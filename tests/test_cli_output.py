"""What the CLI prints, run as a real process: piped, and on a pseudo-terminal (colour, the
build's progress), --quiet, --verbose, --diagnostics json, exit codes in --help, and shell
completion."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from conftest import BASE, BOOKS, assemble, reported
from qabook.diagnostics import Diagnostic, Location
from qabook.terminal import as_object, dumps

ESC = "\x1b"
RED_ERROR = "\x1b[31m\x1b[1merror\x1b[0m"  # "error", red and bold
BROKEN = "chapters/01-one/q02-second.md"  # where ref-unknown's three errors are
QABOOK = Path(sys.executable).parent / "qabook"  # the console script (completion needs it)


def environ(**changes: str | None) -> dict[str, str]:
    """This environment for a colour-capable terminal, without NO_COLOR, with changes."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["TERM"] = "xterm-256color"
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def piped(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qabook", *args], capture_output=True,
                          text=True, timeout=300, env=env or environ())


def on_terminal(*args: str, env: dict | None = None) -> tuple[int, str]:
    """Run qabook with stdin, stdout and stderr on one pseudo-terminal 120 columns wide: its
    exit status and everything it wrote there (raw: escape codes, carriage returns)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "qabook", *args], stdin=slave,
                            stdout=slave, stderr=slave, env=env or environ(),
                            start_new_session=True)
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        return proc.wait(timeout=60), screen.decode()
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A tiny book with three unknown references (tests/books/ref-unknown)."""
    return assemble(BOOKS / "ref-unknown", tmp_path / "books")


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    book = tmp_path / "tiny"
    shutil.copytree(BASE, book)
    return book


def test_piped_output_has_no_escape_codes_and_color_always_paints_errors(broken, tmp_path):
    out = tmp_path / "out"
    for args in (("check", "--source", str(broken)),
                 ("build", "--source", str(broken), "--out", str(out))):
        done = piped(*args)
        assert done.returncode == 1 and "error: @Q4 refers to a question" in done.stderr
        assert ESC not in done.stdout + done.stderr and "\r" not in done.stderr
        painted = piped(*args, "--color", "always")
        assert painted.returncode == 1 and RED_ERROR in painted.stderr
        assert "\x1b[33m" not in painted.stderr  # yellow is for warnings; there are none
        # the flag is the user's word for this run: it outranks NO_COLOR
        assert RED_ERROR in piped(*args, "--color", "always", env=environ(NO_COLOR="1")).stderr


def test_on_a_terminal_auto_colours_unless_no_color_or_never(broken):
    code, screen = on_terminal("check", "--source", str(broken))
    assert code == 1 and RED_ERROR in screen and "\x1b[32m" not in screen
    code, screen = on_terminal("check", "--source", str(broken), env=environ(NO_COLOR="1"))
    assert code == 1 and "error: @Q4 refers" in screen and ESC not in screen
    code, screen = on_terminal("check", "--source", str(broken), env=environ(NO_COLOR=""))
    assert code == 1 and RED_ERROR in screen  # NO_COLOR set but empty: no effect
    code, screen = on_terminal("check", "--source", str(broken), "--color", "never")
    assert code == 1 and "error: @Q4 refers" in screen and ESC not in screen


def test_a_build_on_a_terminal_shows_its_stages_and_their_times(tiny, tmp_path):
    code, screen = on_terminal("build", "--source", str(tiny), "--out", str(tmp_path / "out"))
    assert code == 0, screen
    assert "qabook build: checking the book…" in screen
    assert "qabook build: rendering apkg, epub, pdf… " in screen
    assert "qabook build: publishing…" in screen
    assert "(done: apkg " in screen  # a format that is done is said so as it arrives
    status = screen[:screen.index("wrote")]
    assert "\n" not in status.replace("\r\n", "")  # the status line is rewritten in place
    assert "\r" in status
    last = screen.rstrip().splitlines()[-1]
    assert last.startswith("qabook build: ") and ESC in last  # its timings, painted
    plain = last.replace("\x1b[2m", "").replace("\x1b[32m", "").replace("\x1b[0m", "")
    for stage in ("check", "apkg", "epub", "pdf", "publish"):
        assert f"{stage} " in plain and " s" in plain.split(f"{stage} ", 1)[1][:10], plain
    for name in ("apkg", "epub", "pdf"):
        assert f"wrote {tmp_path / 'out' / 'a-tiny-book'}.{name}" in screen


def test_a_piped_build_writes_one_plain_line_per_stage(tiny, tmp_path):
    out = tmp_path / "out"
    done = piped("build", "--source", str(tiny), "--out", str(out), "-f", "apkg")
    assert done.returncode == 0, done.stderr
    lines = progress(done.stderr)
    assert [line.split(" ")[2] for line in lines] == ["check", "apkg", "publish"], lines
    assert all(line.endswith(" s") and float(line.split(" ")[3]) >= 0 for line in lines)
    assert ESC not in done.stderr and "\r" not in done.stderr
    again = piped("build", "--source", str(tiny), "--out", str(out), "-f", "apkg")
    assert progress(again.stderr)[1:] == ["qabook build: apkg up to date"], again.stderr


def progress(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("qabook build: ")]


def test_quiet_prints_only_errors(broken, tiny, tmp_path):
    done = piped("build", "--source", str(broken), "--out", str(tmp_path / "b"), "--quiet")
    assert done.returncode == 1 and done.stdout == ""
    headlines = [line for line in done.stderr.splitlines() if ": error: " in line]
    assert len(headlines) == 3 and "@Q4 refers to a question" in headlines[0]
    assert "qabook build" not in done.stderr  # no progress, no summary
    built = piped("build", "--source", str(tiny), "--out", str(tmp_path / "t"), "-f", "apkg",
                  "-q")
    assert (built.returncode, built.stdout, built.stderr) == (0, "", "")
    assert (tmp_path / "t" / "a-tiny-book.apkg").exists()
    # a warning is not an error, unless --strict makes it fail the run
    (tiny / "book.yaml").write_text((tiny / "book.yaml").read_text() + "colour: blue\n")
    quiet = piped("check", "--source", str(tiny), "-q")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    strict = piped("check", "--source", str(tiny), "-q", "--strict")
    assert strict.returncode == 1 and "[config.unknown-key]" in strict.stderr
    assert strict.stdout == ""


def test_verbose_prints_more_than_the_default(tiny, tmp_path):
    """The same build twice (the first writes the deck's history, which the others read):
    --verbose adds each stage's cache reads and changes nothing else."""
    assert piped("build", "--source", str(tiny), "--out", str(tmp_path / "a"), "-f",
                 "apkg").returncode == 0
    default = piped("build", "--source", str(tiny), "--out", str(tmp_path / "b"), "-f", "apkg")
    verbose = piped("build", "--source", str(tiny), "--out", str(tmp_path / "c"), "-f", "apkg",
                    "-v")
    assert default.returncode == verbose.returncode == 0
    assert len(verbose.stderr) > len(default.stderr)
    assert reported(verbose.stderr) == reported(default.stderr)  # the same warnings
    assert verbose.stdout.replace("/c/", "/b/") == default.stdout
    check, apkg, publish = progress(verbose.stderr)
    assert "; cache: 0 of " in check and "model 0/4" in check  # a new cache: misses
    assert "; cache: " in apkg and "; cache" not in publish
    again = piped("check", "--source", str(tiny), "--cache", str(tmp_path / "c/.cache"), "-v")
    assert again.returncode == 0 and "qabook check: 0 errors, 5 warnings" in again.stdout
    spent = again.stderr.splitlines()[-1]
    assert spent.startswith("qabook check: ") and "model 4/4" in spent, again.stderr
    quiet = piped("check", "--source", str(tiny), "-q", "-v")
    assert quiet.returncode == 2 and "--quiet and --verbose exclude each other" in quiet.stderr


def test_diagnostics_json_names_file_line_column_and_code(broken, tmp_path):
    expected = [{"file": str(broken / BROKEN), "line": 14, "column": column,
                 "severity": "error", "code": "ref.unknown", "message": message, "hint": hint}
                for column, message, hint in (
                    (20, "@Q4 refers to a question that does not exist", "did you mean @Q3?"),
                    (28, "Q9 refers to a question that does not exist",
                     "no question has this number; write [Q…]{.noxref} for a number that is "
                     "not a link"),
                    (36, "@fig-frist refers to a figure that does not exist",
                     "did you mean @fig-first?"))]
    for args in (("check",), ("build", "--out", str(tmp_path / "out"))):
        done = piped(*args, "--source", str(broken), "--diagnostics", "json")
        assert done.returncode == 1
        assert json.loads(done.stdout) == expected  # stdout is the JSON and nothing else
        assert "@Q4" not in done.stderr  # the human text is gone
    clean = piped("check", "--source", str(BASE), "--diagnostics", "json")
    assert (clean.returncode, json.loads(clean.stdout)) == (0, [])
    nowhere = piped("check", "--source", str(tmp_path / "nowhere"), "--diagnostics", "json")
    (missing,) = json.loads(nowhere.stdout)
    assert nowhere.returncode == 1 and missing["code"] == "file.missing"
    assert (missing["line"], missing["column"]) == (None, None)


def test_json_escapes_what_would_drive_a_terminal_and_keeps_the_text_exact():
    message = "a \x1b[31mred\x1b[0m title with \u202edesrever\u202c text\u0085"
    diag = Diagnostic(Location("q\u2028.md", 3, 4), "warning", "x.y", message)
    text = dumps([as_object(diag, Path("book"))])
    assert not any(c in text for c in "\x1b\u202e\u202c\u0085\u2028")
    assert "\\u202e" in text and "\\u001b" in text
    (back,) = json.loads(text)
    assert back["message"] == message and back["file"] == "book/q\u2028.md"
    assert back["hint"] is None and (back["line"], back["column"]) == (3, 4)


def test_help_documents_the_exit_codes():
    done = piped("--help")
    assert done.returncode == 0
    for line in ("0  success", "1  the book has errors", "2  usage error",
                 "3  internal error"):
        assert line in done.stdout, done.stdout
    assert "_QABOOK_COMPLETE=bash_source qabook" in done.stdout


def test_bash_completion_script_is_printed_and_completes():
    env = environ(_QABOOK_COMPLETE="bash_source")
    script = subprocess.run([str(QABOOK)], capture_output=True, text=True, env=env, timeout=60)
    assert script.returncode == 0
    assert "complete -o nosort -F _qabook_completion qabook" in script.stdout
    # the script in a real bash: `qabook bu<TAB>` and `qabook build --co<TAB>`
    probe = ('eval "$(_QABOOK_COMPLETE=bash_source qabook)"; '
             'COMP_WORDS=(qabook bu); COMP_CWORD=1; _qabook_completion qabook; '
             'echo "${COMPREPLY[*]}"; '
             'COMPREPLY=(); COMP_WORDS=(qabook build --co); COMP_CWORD=2; '
             '_qabook_completion qabook; '
             'echo "${COMPREPLY[*]}"')
    env = environ(PATH=f"{QABOOK.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.stdout.splitlines() == ["build", "--color"], done.stdout + done.stderr
