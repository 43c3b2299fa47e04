"""The command line: `qabook new`, `qabook check`, `qabook list`, `qabook build`, `qabook serve`.
Options and exit codes only."""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import signal
import sys
import time
from pathlib import Path

import click

from qabook import __version__, handouts as handout_sets, load, pipeline, serve as server, starter
from qabook.cache import READS, Cache
from qabook.diagnostics import NOWHERE, BuildFailed, Diagnostics, did_you_mean, visible
from qabook.render import FORMATS
from qabook.render.output import StoppedAfterPublishing
from qabook.render.options import PAPER_SIZES, PrintOptions
from qabook.report import book_table
from qabook.terminal import COLOR, NORMAL, QUIET, VERBOSE, Output, reads_text, seconds

SOURCE = click.option("--source", "source", default="source", show_default=True,
                      type=click.Path(file_okay=False, path_type=Path),
                      help="Folder that holds book.yaml.")
CACHE = click.option("--cache", "cache", default=None,
                     type=click.Path(file_okay=False, path_type=Path),
                     help="Cache folder (default: build/.cache, or OUT/.cache for build).")
NO_CACHE_OPT = click.option("--no-cache", is_flag=True, help="Use no cache at all.")


EXIT_STATUS = """\b
Exit status:
  0  success (serve: stopped by Ctrl-C or SIGTERM)
  1  the book has errors (or warnings, with --strict); a build failed, or was
     stopped by Ctrl-C, SIGTERM or SIGHUP (it published nothing); Ctrl-C
     stops check and list too ("Aborted!")
  2  usage error: an unknown option, a bad value
  3  internal error: a bug of qabook (QABOOK_DEBUG=1 shows the traceback)

\b
Shell completion (bash; zsh and fish alike, see the README):
  eval "$(_QABOOK_COMPLETE=bash_source qabook)"
"""
EXITS = "Exit status: 0 success, 1 errors, 2 usage error, 3 a bug (qabook --help says more)."


def _cache(cache: Path | None, no_cache: bool, out: Path = Path("build")) -> Path | None:
    return None if no_cache else (cache or out / ".cache")


def _output(json: bool):
    """The options of what a command prints (--color, --quiet, --verbose and, with json,
    --diagnostics), handed to the command as one `output`."""
    options = [
        click.option("--color", type=click.Choice(COLOR), default="auto", show_default=True,
                     help="Colour: auto (on a terminal, unless NO_COLOR is set), always or "
                          "never."),
        click.option("-q", "--quiet", is_flag=True,
                     help="Print only errors: no warnings, progress, summary or 'wrote' lines."),
        click.option("-v", "--verbose", is_flag=True,
                     help="Also print detail: each stage's time and the cache's hits."),
    ] + ([click.option("--diagnostics", type=click.Choice(("text", "json")), default="text",
                       show_default=True,
                       help="json: the diagnostics as one JSON array on stdout, for CI and "
                            "editors (fields in the README), and no text for them.")]
         if json else [])

    def decorate(command):
        @functools.wraps(command)
        def run(*args, color: str, quiet: bool, verbose: bool, diagnostics: str = "text",
                **kwargs):
            if quiet and verbose:
                raise click.UsageError("--quiet and --verbose exclude each other")
            level = QUIET if quiet else VERBOSE if verbose else NORMAL
            READS.clear()  # --verbose counts this command's cache reads
            return command(*args, output=Output(color, level, diagnostics == "json"), **kwargs)

        for option in reversed(options):
            run = option(run)
        return run

    return decorate


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_STATUS)
@click.version_option(__version__, prog_name="qabook")
def main() -> None:
    """Compile a question-and-answer book into an Anki deck, an EPUB and a print PDF."""


@main.command(epilog=EXITS)
@click.argument("folder", type=click.Path(path_type=Path))
@_output(json=False)
def new(folder: Path, output: Output) -> None:
    """Start a book in FOLDER, from a starter that uses every feature of the format.

    FOLDER must be new or empty. The starter has a documented book.yaml with a fresh
    identifier and today's date, a bibliography, and one question with a figure, a table,
    equations, a footnote, a citation, code, cross-references and two quiz items; it passes
    `check --strict` and builds all three formats."""
    try:
        written = starter.create(folder)
    except starter.NewBookError as problem:
        diags = Diagnostics()
        diags.error(NOWHERE, problem.code, visible(problem.message), problem.hint)
        output.diagnostics(diags, folder, strict=False)
        sys.exit(1)
    if output.level == QUIET:
        return
    output.echo(f"qabook new: wrote a starter book into {visible(str(folder))}")
    for path in written:
        output.echo(f"  {visible(str(folder / path))}")
    quoted = shlex.quote(str(folder))
    output.echo("Check it, then build the deck, the EPUB and the PDF into {0}:\n"
                "  qabook check --source {1} --strict\n"
                "  qabook build --source {1} --out {2}".format(
                    visible(str(folder / "build")), visible(quoted),
                    visible(shlex.quote(str(folder / "build")))))


@main.command(epilog=EXITS)
@SOURCE
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@CACHE
@NO_CACHE_OPT
@_output(json=True)
def check(source: Path, strict: bool, cache: Path | None, no_cache: bool,
          output: Output) -> None:
    """Check the whole book and report every problem."""
    diags = Diagnostics()
    store = Cache(_cache(cache, no_cache))
    began = time.monotonic()
    resolved = _guard(output, lambda: pipeline.check(source, diags, store))
    failed = output.diagnostics(diags, source, strict)
    files = len(resolved.book.documents) if resolved else None
    output.summary("check", diags, files)
    _spent(output, "check", began, store)
    _exit(output, 1 if failed else 0)


@main.command(name="list", epilog=EXITS)
@SOURCE
@CACHE
@NO_CACHE_OPT
@_output(json=False)
def list_(source: Path, cache: Path | None, no_cache: bool, output: Output) -> None:
    """List chapters, questions, exercises, figures and word counts."""
    diags = Diagnostics()
    store = Cache(_cache(cache, no_cache))
    began = time.monotonic()
    book = _guard(output, lambda: pipeline.read_book(source, diags, store))
    failed = output.diagnostics(diags, source, strict=False)
    if book is not None:
        click.echo(book_table(book))
    _spent(output, "list", began, store)
    _exit(output, 1 if failed or book is None else 0)


@main.command(epilog=EXITS)
@SOURCE
@click.option("--port", type=click.IntRange(0, 65535), default=server.DEFAULT_PORT,
              show_default=True, help="Port on 127.0.0.1 (0: a free one, printed).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Loopback address to listen on (127.0.0.1, ::1 or localhost; nothing "
                   "else is accepted).")
@click.option("--open/--no-open", "open_browser", default=False, show_default=True,
              help="Open the overview in the web browser once the server listens.")
@CACHE
@NO_CACHE_OPT
@_output(json=False)
def serve(source: Path, port: int, host: str, open_browser: bool, cache: Path | None,
          no_cache: bool, output: Output) -> None:
    """Preview the book while you write it, live, at http://127.0.0.1:PORT/.

    Each save checks the book again and updates, for the question shown, its Anki cards
    (phone and desktop, light and night), its EPUB page and its printed pages; a save that
    breaks the book shows the diagnostics over the page until a save fixes them. Ctrl-C
    stops it."""
    if not server.loopback(host):
        raise click.BadParameter(f"{host} is not a loopback address: the preview serves the "
                                 "book to this machine only (give 127.0.0.1, ::1 or "
                                 "localhost)", param_hint="'--host'")
    missing = server.missing_packages()
    if missing:
        diags = Diagnostics()
        diags.error(NOWHERE, "environment.missing", "qabook serve needs the Python packages "
                    f"{', '.join(missing)}", "install qabook again (pip install …), which "
                    "installs them, or pip install " + " ".join(missing))
        output.diagnostics(diags, source, strict=False)
        _exit(output, 1)
    if not (source / "book.yaml").is_file():
        diags = Diagnostics()
        diags.error(NOWHERE, "serve.source", f"{visible(str(source))} holds no book.yaml",
                    "give the book's folder with --source (qabook new DIR starts one)")
        output.diagnostics(diags, source, strict=False)
        _exit(output, 1)
    try:
        sock = server.bind(host, port)
    except server.ServeError as problem:
        diags = Diagnostics()
        diags.error(NOWHERE, "serve.listen", str(problem), problem.hint)
        output.diagnostics(diags, source, strict=False)
        _exit(output, 1)
    store = _cache(cache, no_cache)
    state = {"shown": None}

    def checked(diags: Diagnostics, spent: float) -> None:
        shown = tuple(diags.sorted())
        if shown != state["shown"]:  # each new set of problems once
            state["shown"] = shown
            output.diagnostics(diags, source, strict=False)
            output.summary("check", diags, None)
        output.debug(f"qabook serve: checked in {seconds(spent)}")

    def ready(address: str) -> None:
        output.echo(f"qabook serve: previewing {visible(str(source))} at {address} "
                    "(Ctrl-C stops)")
        if open_browser:
            import webbrowser
            webbrowser.open(address)

    try:
        with _stoppable():  # SIGTERM and SIGHUP stop it as Ctrl-C does, cleaning up
            _guard(output, lambda: server.serve(source, sock, store, checked, ready))
    except KeyboardInterrupt:
        pass
    if output.level > QUIET:
        output.echo("qabook serve: stopped")
    _exit(output, 0)


def _spent(output: Output, command: str, began: float, store: Cache) -> None:
    """With --verbose: the command's time and its cache reads."""
    reads = reads_text(READS) if store.folder is not None else "no cache"
    output.debug(f"qabook {command}: {seconds(time.monotonic() - began)}; {reads}")


def _exit(output: Output, code: int) -> None:
    output.close()
    sys.exit(code)


@main.command(epilog=EXITS)
@SOURCE
@click.option("--out", default="build", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(FORMATS),
              help="Format to build (repeat for several; default: all).")
@click.option("--paper", type=click.Choice(PAPER_SIZES), default="a4", show_default=True,
              help="PDF trim size.")
@click.option("--chapter", "chapters", multiple=True, type=click.IntRange(min=1),
              help="PDF handout of this chapter (repeatable).")
@click.option("--question", "questions", multiple=True, type=click.IntRange(min=1),
              help="PDF handout of this question (repeatable).")
@click.option("--worksheet", is_flag=True,
              help="PDF worksheet of the chosen questions (or of all): prompts and quiz items "
                   "with space to write, no answers.")
@click.option("--answer-key", is_flag=True,
              help="PDF answer key of the chosen questions (or of all): quiz solutions, and "
                   "where the book answers each question.")
@click.option("--handout", "handouts", multiple=True, metavar="NAME",
              help="Build the PDFs of this handout set of book.yaml (repeatable): each of its "
                   "kinds, or those --worksheet / --answer-key ask for.")
@click.option("--no-solutions", is_flag=True,
              help="Deprecated: builds the worksheet; use --worksheet.")
@click.option("--locked", is_flag=True,
              help="Fail (publishing nothing) if the deck's anki-history.json would change: "
                   "for CI, to prove the committed history is current.")
@click.option("--strict", is_flag=True,
              help="Fail (publishing nothing) on warnings too, those of the print layout "
                   "checks included.")
@CACHE
@NO_CACHE_OPT
@_output(json=True)
def build(source: Path, out: Path, formats: tuple[str, ...], paper: str,
          chapters: tuple[int, ...], questions: tuple[int, ...], worksheet: bool,
          answer_key: bool, handouts: tuple[str, ...], no_solutions: bool,
          locked: bool, strict: bool, cache: Path | None, no_cache: bool,
          output: Output) -> None:
    """Check the book, then build the requested formats into the output folder."""
    if no_solutions:
        output.warn("qabook: --no-solutions is deprecated and builds the worksheet now "
                    "(prompts and quiz items with space to write, no answers): use --worksheet")
        worksheet = True
    kinds = tuple(k for k, wanted in (("worksheet", worksheet), ("answer-key", answer_key))
                  if wanted)
    selected = (tuple(sorted(set(chapters))), tuple(sorted(set(questions))))
    if handouts and any(selected):
        raise click.UsageError("--handout builds a set of book.yaml: give it without "
                               "--chapter and --question")
    if handouts:
        runs = _handout_runs(output, source, paper, handouts, kinds)
    else:
        kinds = kinds or (("handout",) if any(selected) else ("book",))
        runs = [PrintOptions(paper, *selected, kind=kind) for kind in kinds]
    if any(run != PrintOptions() for run in runs) and formats != ("pdf",):
        raise click.UsageError("--paper, --chapter, --question, --worksheet, --answer-key and "
                               "--handout apply to the PDF only: add -f pdf and no other -f")
    for print_options in runs:
        _build(output, source, out, formats, print_options, locked, strict, cache, no_cache)
    _exit(output, 0)


def _handout_runs(output: Output, source: Path, paper: str, names: tuple[str, ...],
                  kinds: tuple[str, ...]) -> list[PrintOptions]:
    """The PDFs of the named handout sets of book.yaml (each of their kinds, or kinds)."""
    diags = Diagnostics()
    config = _guard(output, lambda: load.read_config(source, diags))
    if config is None or diags.has_errors():
        output.diagnostics(diags, source, strict=False)
        output.summary("build", diags, None)
        _exit(output, 1)
    runs = []
    for name in dict.fromkeys(names):
        found = handout_sets.find(config, name)
        if found is None:
            known = [h.name for h in config.handouts]
            hint = (did_you_mean(name, known) or f"its sets are {', '.join(known)}") if known \
                else "declare it under 'handouts:' (see docs/authoring.md)"
            raise click.UsageError(f"book.yaml has no handout set '{name}': {hint}")
        runs += [PrintOptions(paper, found.chapters, found.questions, kind, found.name,
                              found.title) for kind in (kinds or found.kinds)]
    return runs


def _build(output: Output, source: Path, out: Path, formats: tuple[str, ...],
           print_options: PrintOptions, locked: bool, strict: bool, cache: Path | None,
           no_cache: bool) -> None:
    diags = Diagnostics()
    options = pipeline.BuildOptions(source=source, out=out, formats=formats or FORMATS,
                                    cache=_cache(cache, no_cache, out),
                                    options={"pdf": print_options}, locked=locked,
                                    strict=strict)
    progress = output.progress("build")
    try:
        with _stoppable():
            written = _guard(output, lambda: pipeline.build(options, diags, progress))
    except BuildFailed:
        progress.close()
        output.diagnostics(diags, source, strict)
        output.summary("build", diags, None)
        _exit(output, 1)
    except StoppedAfterPublishing as stop:
        progress.close()
        output.fail(f"qabook: the build was stopped ({stop.args[0]}) after it had published "
                    f"the new set into {out}")
        _exit(output, 1)
    except KeyboardInterrupt as stop:
        progress.close()
        output.fail(f"qabook: the build was stopped "
                    f"({stop.args[0] if stop.args else 'SIGINT'}); nothing was published: "
                    f"{out} holds the artifacts it held before")
        _exit(output, 1)
    progress.close()
    output.diagnostics(diags, source, strict)
    for path, rebuilt in written:
        output.wrote(path, rebuilt)
    for notice in diags.notices:
        output.notice(notice)
    progress.timings()


@contextlib.contextmanager
def _stoppable():
    """SIGINT, SIGTERM and SIGHUP stop a build: it unwinds, its renderers are killed and its
    staged files removed, and nothing is published. SIGINT is taken here too, not left to
    Python: Python raises KeyboardInterrupt only when it starts with SIGINT at its default,
    and a shell without job control (a script, CI) starts `qabook build &` with SIGINT
    ignored; such a build went on through a Ctrl-C or `kill -INT`, published and exited 0."""
    def stop(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, stop)
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _guard(output: Output, run):
    """Run a stage; an unexpected exception is a bug: one line, not a traceback."""
    try:
        return run()
    except BuildFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - the user must never see a traceback
        if os.environ.get("QABOOK_DEBUG"):
            raise
        output.fail(f"qabook: internal error: {type(exc).__name__}: {visible(str(exc))}")
        output.echo("  hint: this is a bug in qabook; rerun with QABOOK_DEBUG=1 for details",
                    err=True)
        sys.exit(3)
