"""Each format's renderer in a process of its own, started before the book is checked.

A build forks one process per format at once: it loads its engine (the renderer module's
`prepare` hook, if any) while the parent checks the book, then renders the book it is
handed; the formats of a build render at the same time. `Renderers` is the one interface
the pipeline sees: start them, hand them the book, take what each made as it arrives (with
its process's cache reads, for `--verbose`). Leaving it by an exception (an error
elsewhere, Ctrl-C, SIGTERM) kills them all, with their own workers: a stopped build never
goes on writing behind the user's back.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import sqlite3
import tempfile
from multiprocessing import connection
from pathlib import Path
from typing import Callable, Iterator

from qabook import cache, pandoc
from qabook.children import die_with_parent
from qabook.diagnostics import NOWHERE, Diagnostic
from qabook.render import (Made, RenderContext, RenderError, engine_failure, renderer,
                           renderer_module)

SLOWEST = "pdf"  # the format every build waits for; the others yield the CPU to it
TICK = 0.25  #: seconds between calls of render's `waiting` (a progress display's clock)

#: an artifact (with the warnings found making it), or the diagnostics that say why not
Outcome = Path | Made | list[Diagnostic]


class Renderers:
    """The renderer processes of one build (a context manager)."""

    def __init__(self, formats: tuple[str, ...], source: Path, options: dict):
        self._processes: dict[str, _Process] = {}
        for fmt in formats:
            others = [p.pipe for p in self._processes.values()]
            self._processes[fmt] = _Process(fmt, source, options, formats, others)

    def __enter__(self) -> "Renderers":
        return self

    def __exit__(self, kind, exc, trace) -> None:
        for process in self._processes.values():
            process.stop(kill=kind is not None)

    def render(self, ctx: RenderContext, formats: list[str],
               waiting: Callable[[], None] | None = None) -> Iterator[tuple[str, Outcome]]:
        """Hand the book to these formats' processes; each format with what it made, as it
        arrives (waiting is called every TICK seconds in between). The others are stopped
        unused. A crash (a bug) raises RuntimeError."""
        book = pickle.dumps(ctx, pickle.HIGHEST_PROTOCOL)  # once for all of them
        # the slowest first: every build waits for it
        for fmt, process in sorted(self._processes.items(), key=lambda p: p[0] != SLOWEST):
            if fmt in formats:
                process.render(book)
            else:
                process.stop(kill=True)
        pending = {self._processes[fmt].pipe: self._processes[fmt] for fmt in formats}
        while pending:
            ready = connection.wait(list(pending), TICK if waiting else None)
            if not ready and waiting is not None:
                waiting()
            for pipe in ready:  # a message, or the end of a process that died
                process = pending.pop(pipe)
                yield process.fmt, process.outcome()

    def reads(self, fmt: str) -> dict[str, list[int]]:
        """The cache reads of a format's process ({kind: [hits, misses]}), once it is done."""
        return self._processes[fmt].reads


def render_one(ctx: RenderContext, fmt: str) -> Outcome:
    """Render one format in this process: the artifact's path (and its warnings), or why
    not."""
    try:
        return renderer(fmt)(ctx)
    except RenderError as exc:
        return exc.diagnostics
    except pandoc.PandocError as exc:
        return engine_failure(fmt, exc).diagnostics
    except (OSError, sqlite3.OperationalError) as exc:  # a full or read-only disk
        return [Diagnostic(NOWHERE, "error", "build.write", f"cannot write the {fmt}: {exc}",
                           "make room on the disk and let qabook write to the output folder; "
                           "the previous artifacts are untouched")]


class _Process:
    """One format's forked process and the parent's end of its pipe."""

    def __init__(self, fmt: str, source: Path, options: dict, formats: tuple[str, ...],
                 others: list):
        """formats: those of the build; others: the parent's ends of the processes started
        before this one."""
        fork = multiprocessing.get_context("fork")
        self.fmt = fmt
        self.pipe, child = fork.Pipe()
        # The child closes every parent end it inherits, so that it sees the end of its pipe
        # (and exits) when the parent dies before handing it the book.
        self.process = fork.Process(target=_serve, daemon=False, args=(
            fmt, source, options, formats, child, [*others, self.pipe], os.getpid()))
        self.process.start()
        child.close()
        self.handed = False  #: it was given the book, so it exits by itself when done
        self.reads: dict[str, list[int]] = {}  #: its cache reads, sent with its outcome

    def render(self, book: bytes) -> None:
        """Hand it the book: the RenderContext, pickled."""
        self.handed = True
        try:
            self.pipe.send_bytes(book)
        except OSError:  # it died while loading its engine; outcome() reads why
            pass

    def outcome(self) -> Outcome:
        try:
            kind, value, self.reads = self.pipe.recv()
        except (EOFError, ConnectionResetError):  # it died, mid-message or not
            self.process.join(5)
            code = self.process.exitcode
            if code is not None and code < 0:  # killed: by the system, or by someone
                return [Diagnostic(NOWHERE, "error", "environment.killed",
                                   f"the {self.fmt} renderer was killed by signal "
                                   f"{signal.Signals(-code).name}", "the system may be out of "
                                   "memory; its artifact was not written: run the build again")]
            kind, value = "crash", f"the {self.fmt} renderer's process died"
        if kind == "crash":
            raise RuntimeError(value)
        return value

    def stop(self, kill: bool) -> None:
        """Wait for a process that was given work and is finishing, unless told to kill it;
        kill an unused one at once (it holds only loaded modules), with its workers."""
        if self.process.is_alive() and (kill or not self.handed):
            with contextlib.suppress(ProcessLookupError):  # it and its workers at once
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.kill()  # in case it had not made its group yet
        self.process.join()
        self.pipe.close()


def _serve(fmt: str, source: Path, options: dict, formats: tuple[str, ...], pipe,
           parent_ends: list, parent: int) -> None:
    die_with_parent(parent)
    os.setpgid(0, 0)  # a group of its own with its workers, so that they are killed with it
    for end in parent_ends:
        end.close()
    # The parent decides when to stop: a Ctrl-C sent to the whole terminal group is its call.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cache.READS.clear()  # this format's own reads, not those inherited from the parent
    try:
        if fmt != SLOWEST and len(formats) > 1:
            os.nice(5)  # they finish long before it anyway, in the gaps where it waits
        module = renderer_module(fmt)
        prepare = getattr(module, "prepare", None)
        if prepare is not None:
            prepare(source, options, formats)
        ctx: RenderContext = pickle.loads(pipe.recv_bytes())
        if ctx.scratch is not None:  # the engines' temporary files are the build's own
            tempfile.tempdir = os.environ["TMPDIR"] = str(ctx.scratch)
        pipe.send(("ok", render_one(ctx, fmt), cache.READS))
    except EOFError:
        pass  # the parent is gone or needs nothing
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which decides
        try:
            pipe.send(("crash", f"{type(exc).__name__}: {exc}", {}))
        except OSError:
            pass
    finally:
        pipe.close()
