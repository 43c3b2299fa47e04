"""The pipeline: load → model → resolve → render, with atomic writes into the output folder."""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import signal
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from qabook.diagnostics import NOWHERE, BuildFailed, Diagnostic, Diagnostics
from qabook.load import load
from qabook.model import build_model
from qabook.model.nodes import Book
from qabook import environment, pandoc, tex
from qabook.cache import NO_CACHE, Cache, file_digest, key
from qabook.children import die_with_parent
from qabook.render import (FORMATS, RenderContext, RenderError, engine_failure,
                           inputs, renderer, renderer_module, target)
from qabook.render.output import atomic_write
from qabook.resolve import ResolvedBook, resolve


@dataclass(frozen=True)
class BuildOptions:
    """What to build and where."""

    source: Path
    out: Path
    formats: tuple[str, ...] = FORMATS
    cache: Path | None = None  #: the cache folder; None: no cache
    options: dict = field(default_factory=dict)  #: per-format options, e.g. "pdf": PrintOptions


def read_book(source: Path, diags: Diagnostics, cache: Cache = NO_CACHE) -> Book | None:
    """Load and model the book (what `qabook list` shows); None when the machine lacks what
    reading needs or not even book.yaml could be read."""
    return _read(source, diags, cache) if usable(diags) else None


def _read(source: Path, diags: Diagnostics, cache: Cache) -> Book | None:
    loaded = load(source, diags, cache)
    if loaded is None:
        return None
    # The ASTs are millions of acyclic containers (reference counting frees them); the cyclic
    # GC would only rescan them, again and again, while the model stage allocates.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return build_model(loaded, diags, cache)
    finally:
        if enabled:
            gc.enable()


def usable(diags: Diagnostics, formats: tuple[str, ...] = ()) -> bool:
    """Whether the machine has what reading the book and building these formats needs; what
    it lacks is reported, with the fix, before any work starts."""
    problems = environment.problems(formats)
    diags.extend(problem.diagnostic() for problem in problems)
    return not problems


def check(source: Path, diags: Diagnostics, cache: Cache = NO_CACHE) -> ResolvedBook | None:
    """Run every check; the resolved book, or None when a stage could not complete."""
    return _check(source, diags, cache) if usable(diags) else None


def _check(source: Path, diags: Diagnostics, cache: Cache) -> ResolvedBook | None:
    """Every formula of every file read is asked of the math engines. Resolve is skipped when
    some file could not be read at all: its labels would be missing and every reference to
    them would be reported as a spurious error."""
    book = _read(source, diags, cache)
    if book is None:
        return None
    formulas = [f for doc in book.documents for f in doc.formulas]
    tex.check(formulas + list(book.bibliography.formulas if book.bibliography else ()), diags,
              cache)
    if not book.complete:
        return None
    return resolve(book, diags)


def build(options: BuildOptions, diags: Diagnostics) -> list[tuple[Path, bool]]:
    """Check the book, then render each requested format that is not up to date.

    Returns each artifact with True when it was (re)built; raises BuildFailed on errors.
    """
    formats = tuple(dict.fromkeys(options.formats))  # `-f pdf -f pdf` builds it once
    if not usable(diags, formats):
        raise BuildFailed(diags)
    # Each format's process starts now and loads its engine while the book is checked.
    renderers: dict[str, _Renderer] = {}
    for fmt in formats:
        renderers[fmt] = _Renderer(fmt, options, [r.pipe for r in renderers.values()])
    try:
        resolved = _check(options.source, diags, Cache(options.cache))
        if resolved is None or diags.has_errors():
            raise BuildFailed(diags)
        ctx = RenderContext(resolved, options.source, options.out, options.options,
                            options.cache)
        manifest = Manifest(options.cache)
        todo = []
        for fmt in formats:
            if not manifest.current(target(fmt, ctx), key("artifact", *inputs(fmt, ctx))):
                todo.append(fmt)
        for fmt in todo:
            renderers[fmt].render(ctx)
        for fmt in todo:
            outcome = renderers[fmt].outcome()
            if isinstance(outcome, Path):
                manifest.record(outcome, key("artifact", *inputs(fmt, ctx)))
            else:
                diags.extend(outcome)
    finally:
        for process in renderers.values():
            process.stop()
    if diags.has_errors():
        raise BuildFailed(diags)
    manifest.save()
    return [(target(fmt, ctx), fmt in todo) for fmt in formats]


def _render_one(ctx: RenderContext, fmt: str):
    """The artifact's path, or the diagnostics that say why not."""
    try:
        return renderer(fmt)(ctx)
    except RenderError as exc:
        return exc.diagnostics
    except pandoc.PandocError as exc:
        return engine_failure(fmt, exc).diagnostics
    except (OSError, sqlite3.OperationalError) as exc:  # a full or read-only disk
        return [Diagnostic(NOWHERE, "error", "build.write", f"cannot write the {fmt}: {exc}",
                           "make room on the disk and let qabook write to the output folder "
                           "and the temporary folder; the previous artifacts are untouched")]


class _Renderer:
    """One format's forked process: it loads its engine (the renderer's prepare hook, if any)
    while the parent checks the book, then renders the book it is handed, or is stopped
    unused. The formats of a build render at the same time."""

    def __init__(self, fmt: str, options: BuildOptions, others: list):
        """others: the parent's ends of the renderers started before this one."""
        fork = multiprocessing.get_context("fork")
        self.fmt = fmt
        self.pipe, child = fork.Pipe()
        # The child closes every parent end it inherits, so that it sees the end of its pipe
        # (and exits) when the parent dies before handing it the book.
        self.process = fork.Process(target=_serve, args=(fmt, options, child,
                                                         [*others, self.pipe]), daemon=False)
        self.process.start()
        child.close()
        self.handed = False  #: it was given the book, so it exits by itself when done

    def render(self, ctx: RenderContext) -> None:
        self.handed = True
        try:
            self.pipe.send(ctx)
        except OSError:  # it died while loading its engine; outcome() reads why
            pass

    def outcome(self):
        """The artifact's path or the diagnostics that say why not; a crash (a bug) raises
        RuntimeError."""
        try:
            kind, value = self.pipe.recv()
        except EOFError:
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

    def stop(self) -> None:
        """Wait for a renderer that was given work (it may still be finishing, e.g. after an
        error elsewhere); end an unused one at once: it holds only loaded modules."""
        if not self.handed and self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self.pipe.close()


SLOWEST = "pdf"  # the format every build waits for; the others yield the CPU to it


def _serve(fmt: str, options: BuildOptions, pipe, parent_ends: list) -> None:
    die_with_parent()
    for end in parent_ends:
        end.close()
    try:
        if fmt != SLOWEST and len(options.formats) > 1:
            os.nice(5)  # they finish long before it anyway, in the gaps where it waits
        module = renderer_module(fmt)
        prepare = getattr(module, "prepare", None)
        if prepare is not None:
            prepare(options.source, options.options)
        ctx = pipe.recv()
        pipe.send(("ok", _render_one(ctx, fmt)))
    except EOFError:
        pass  # the parent is gone or needs nothing
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which decides
        try:
            pipe.send(("crash", f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass
    finally:
        pipe.close()


class Manifest:
    """What each artifact in the output folder was built from, to skip rebuilding it."""

    def __init__(self, cache: Path | None):
        self.path = cache / "manifest.json" if cache else None
        self.entries: dict[str, dict[str, str]] = {}
        if self.path is not None and self.path.is_file():
            try:
                self.entries = json.loads(self.path.read_text())
            except ValueError:
                self.entries = {}

    def current(self, artifact: Path, ident: str) -> bool:
        entry = self.entries.get(str(artifact.resolve()))
        return bool(entry) and entry["key"] == ident and file_digest(artifact) == entry["sha256"]

    def record(self, artifact: Path, ident: str) -> None:
        self.entries[str(artifact.resolve())] = {"key": ident, "sha256": file_digest(artifact)}

    def save(self) -> None:
        """Like the cache, best effort: a folder that cannot be written only costs a rebuild."""
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(self.path, lambda handle: handle.write(
                    json.dumps(self.entries, indent=1, sort_keys=True).encode()))
            except OSError:
                pass

