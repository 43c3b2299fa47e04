"""What the CLI prints, and how: colour on a terminal only (never under NO_COLOR, when piped,
or with `--color never`), `--quiet` and `--verbose`, diagnostics as text or as JSON, and a
build's progress (a line rewritten in place on a terminal, plain lines otherwise)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from qabook.cache import READS
from qabook.diagnostics import UNPRINTABLE, Diagnostic, Diagnostics
from qabook.pipeline import Progress
from qabook.report import diagnostic_lines, plain, summary_line

COLOR = ("auto", "always", "never")
QUIET, NORMAL, VERBOSE = 0, 1, 2

#: how each role of report.py is shown on a terminal (click.style's arguments)
STYLES: dict[str, dict[str, Any]] = {
    "where": {"bold": True}, "error": {"fg": "red", "bold": True},
    "warning": {"fg": "yellow", "bold": True}, "message": {"bold": True},
    "code": {"dim": True}, "gutter": {"fg": "blue"}, "hint": {"fg": "cyan", "bold": True},
    "good": {"fg": "green"}, "notice": {"dim": True}, "time": {"dim": True},
}


def colour(stream, choice: str) -> bool:
    """Whether to colour what goes to stream: `--color always|never` decides; else NO_COLOR
    (set and not empty, no-color.org) or TERM=dumb says no, and a terminal says yes."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return _tty(stream)


def _tty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


class Output:
    """One command's printing: diagnostics, its summary, what it wrote, notices, progress.
    Text for people goes to stderr (diagnostics, progress, notices) and stdout (the summary,
    what was written); with `--diagnostics json`, stdout holds the JSON array alone."""

    def __init__(self, color: str = "auto", level: int = NORMAL, as_json: bool = False):
        self.level = level
        self.as_json = as_json
        self.colours = {False: colour(sys.stdout, color), True: colour(sys.stderr, color)}
        self.found: dict[Diagnostic, dict] = {}  #: the JSON objects, once each
        self.live: Live | None = None  #: the status line on stderr, if one is shown

    def paint(self, err: bool):
        """The paint function for stderr (err) or stdout."""
        if not self.colours[err]:
            return plain
        return lambda text, role: click.style(text, **STYLES[role]) if text else text

    def echo(self, text: str, err: bool = False) -> None:
        if err and self.live is not None:  # a line of text never lands on the status line
            self.live.clear()
        click.echo(text, err=err, color=self.colours[err])

    def diagnostics(self, diags: Diagnostics, source: Path, strict: bool) -> bool:
        """Print them (with --quiet, only those that fail the run); True when they fail it:
        an error, or a warning under --strict."""
        failing = diags.has_errors() or (strict and bool(diags.warnings))
        paint = self.paint(err=True)
        for diag in diags.sorted():
            if self.as_json:
                self.found.setdefault(diag, as_object(diag, source))
            elif self.level > QUIET or diag.severity == "error" or strict:
                for line in diagnostic_lines(diag, source, paint):
                    self.echo(line, err=True)
        return failing

    def summary(self, command: str, diags: Diagnostics, files: int | None) -> None:
        """The one-line summary (not with --quiet or JSON)."""
        if self.level > QUIET and not self.as_json:
            self.echo(summary_line(command, diags, files, self.paint(err=False)))

    def wrote(self, path: Path, rebuilt: bool) -> None:
        """`wrote PATH` or `up to date: PATH` (on stderr beside JSON; not with --quiet)."""
        if self.level > QUIET:
            self.echo(f"{'wrote' if rebuilt else 'up to date:'} {path}", err=self.as_json)

    def notice(self, text: str) -> None:
        """What a run did that its user must know (not with --quiet)."""
        if self.level > QUIET:
            self.echo(self.paint(err=self.as_json)(f"qabook: {text}", "notice"),
                      err=self.as_json)

    def warn(self, text: str) -> None:
        """A warning of qabook's own, on stderr (not with --quiet)."""
        if self.level > QUIET:
            self.echo(self.paint(err=True)(text, "warning"), err=True)

    def fail(self, text: str) -> None:
        """An error of qabook's own, on stderr, always."""
        self.echo(self.paint(err=True)(text, "error"), err=True)

    def debug(self, text: str) -> None:
        """Detail for --verbose, on stderr."""
        if self.level >= VERBOSE:
            self.echo(self.paint(err=True)(text, "time"), err=True)

    def close(self) -> None:
        """End the command's output: with --diagnostics json, the array of what it found."""
        if self.as_json:
            click.echo(dumps(list(self.found.values())), color=False)

    def progress(self, command: str) -> "Plain":
        """A build's progress display for stderr: none with --quiet, a line rewritten in place
        on a terminal, plain lines (one per stage, with its time) otherwise."""
        if self.level == QUIET:
            return Plain(self, command, shown=False)
        if _tty(sys.stderr) and os.environ.get("TERM") != "dumb":
            return Live(self, command)
        return Plain(self, command)


def as_object(diag: Diagnostic, source: Path) -> dict:
    """A diagnostic for machines: file (as the text shows it, null for the machine), line and
    column (1-based, null when not known), severity, code, message, hint (null if none)."""
    loc = diag.location
    return {"file": diag.path(str(source)), "line": loc.line or None,
            "column": (loc.col or 1) if loc.line else None, "severity": diag.severity,
            "code": diag.code, "message": diag.message, "hint": diag.hint or None}


def dumps(objects: list[dict]) -> str:
    """A JSON array, one object a line, with the characters a terminal acts on escaped
    (`\\u202e`), like `visible`: the text stays exact for a reader of JSON and cannot drive
    the terminal that shows it. (json escapes the C0 controls itself, so what is left to
    escape can only be inside strings.)"""
    lines = [UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}",
                             json.dumps(obj, ensure_ascii=False)) for obj in objects]
    return "[" + ",".join(f"\n{line}" for line in lines) + ("\n]" if lines else "]")


def reads_text(reads: dict[str, list[int]]) -> str:
    """A process's cache reads in words: `cache: 40 of 42 reads hit (model 30/30, tex 10/12)`."""
    if not reads:
        return "cache: no reads"
    hits = sum(h for h, _ in reads.values())
    total = sum(h + m for h, m in reads.values())
    kinds = ", ".join(f"{kind} {h}/{h + m}" for kind, (h, m) in sorted(reads.items()))
    return f"cache: {hits} of {total} reads hit ({kinds})"


def _since(before: dict[str, list[int]]) -> dict[str, list[int]]:
    """This process's cache reads since before."""
    since = {kind: [hits - before.get(kind, [0, 0])[0], misses - before.get(kind, [0, 0])[1]]
             for kind, (hits, misses) in READS.items()}
    return {kind: counts for kind, counts in since.items() if any(counts)}


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


class Plain(Progress):
    """A build's progress as plain lines on stderr, one per stage as it ends (`qabook build:
    pdf 12.3 s`), no control codes: for logs and pipes. It keeps each stage's time."""

    def __init__(self, output: Output, command: str, shown: bool = True):
        self.output = output
        self.command = command
        self.shown = shown
        self.began = time.monotonic()
        self.started: dict[str, float] = {}
        self.ended: dict[str, str] = {}  #: each stage that ended: its time or state, in order
        self.before: dict[str, list[int]] = {}  #: the cache reads before the check

    def start(self, *stages: str) -> None:
        now = time.monotonic()
        self.started.update((stage, now) for stage in stages)
        if "check" in stages:  # it runs here: its reads are this process's
            self.before = {kind: list(counts) for kind, counts in READS.items()}

    def done(self, stage: str, state: str = "done", reads: dict | None = None) -> None:
        if stage == "check":
            reads = _since(self.before)
        spent = time.monotonic() - self.started.get(stage, self.began)
        self.ended[stage] = state if state == "up to date" else \
            seconds(spent) + ("" if state == "done" else f" ({state})")
        line = f"qabook {self.command}: {stage} {self.ended[stage]}"
        if reads is not None and self.output.level >= VERBOSE:
            line += f"; {reads_text(reads)}"
        self.show(line, state)

    def show(self, line: str, state: str) -> None:
        if self.shown:
            self.output.echo(line, err=True)

    def close(self) -> None:
        """The build ended."""

    def timings(self) -> None:
        """After a build that finished: the time of each stage (on a terminal)."""


class Live(Plain):
    """A build's progress on a terminal: one status line, rewritten in place as stages start
    and end and a few times a second while the formats render (carriage returns only: no
    escape sequence but colour, which follows --color), then the timings of every stage."""

    def __init__(self, output: Output, command: str):
        super().__init__(output, command)
        self.width = 0  #: of the status line on screen
        output.live = self

    def start(self, *stages: str) -> None:
        super().start(*stages)
        self.status()

    def waiting(self) -> None:
        self.status()

    def show(self, line: str, state: str) -> None:
        if self.output.level >= VERBOSE:  # else the status line says it, and then the timings
            self.output.echo(self.output.paint(err=True)(line, "time"), err=True)
        self.status()

    def status(self) -> None:
        """What runs now, with the time it has taken so far."""
        running = [s for s in self.started if s not in self.ended]
        if not running:
            return self.clear()
        now = time.monotonic()
        doing = {"check": "checking the book…", "publish": "publishing…"}
        what = doing.get(running[0]) or f"rendering {', '.join(running)}… " \
            f"{now - self.started[running[0]]:.1f} s"  # the clock ticks while they render
        text = f"qabook {self.command}: {what}"
        done = [f"{s} {t}" for s, t in self.ended.items() if s not in ("check", "publish")]
        if done:
            text += f" (done: {', '.join(done)})"
        text = text[:max(_columns() - 1, 20)]
        self.write("\r" + self.output.paint(err=True)(text, "time")
                   + " " * max(self.width - len(text), 0) + "\r")
        self.width = len(text)

    def clear(self) -> None:
        if self.width:
            self.write("\r" + " " * self.width + "\r")
            self.width = 0

    def write(self, text: str) -> None:
        click.echo(text, err=True, nl=False, color=self.output.colours[True])

    def close(self) -> None:
        """Take the status line away."""
        self.clear()
        if self.output.live is self:
            self.output.live = None

    def timings(self) -> None:
        if self.ended:
            paint = self.output.paint(err=True)
            stages = ", ".join(f"{stage} {paint(spent, 'time')}"
                               for stage, spent in self.ended.items())
            total = seconds(time.monotonic() - self.began)
            self.output.echo(f"qabook {self.command}: {paint(total, 'good')} ({stages})",
                             err=True)


def _columns() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns or 80  # 0: not known
    except (OSError, ValueError, AttributeError):
        return 80
