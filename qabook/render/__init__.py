"""Render: one module per artifact, each turning a ResolvedBook into one file.

A renderer is a function `render(ctx: RenderContext) -> Path | Made`. It sees the resolved
book and the options, reads no source file except the assets the model points to (figures),
and writes its artifact atomically into ctx.out; a renderer that found something the author
should know while making it (the print layout checks) returns the path with those warnings.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from qabook import pandoc
from qabook.load import history
from qabook.diagnostics import NOWHERE, Diagnostic, Location
from qabook.regular import NotRegular, TooLarge, read_regular
from qabook.model.images import MAX_BYTES as MAX_FIGURE_BYTES
from qabook.model.nodes import Figure
from qabook.render.options import PrintOptions
from qabook.resolve import ResolvedBook

FORMATS = ("apkg", "epub", "pdf")
#: the deck's history (load/history.py) is written by the deck renderer beside the deck it
#: makes, and a build publishes it into the source folder with the artifacts
HISTORY = history.HISTORY
# format -> module under qabook.render; imported only when that format is built
RENDERERS: dict[str, str] = {"apkg": "anki", "epub": "epub", "pdf": "pdf"}


@dataclass(frozen=True)
class RenderContext:
    """All a renderer may see."""

    resolved: ResolvedBook
    root: Path  #: the source folder, for the figure files the model points to
    out: Path  #: the output folder
    options: dict[str, Any] = field(default_factory=dict)  #: per format, e.g. "pdf": PrintOptions
    cache: Path | None = None  #: the cache folder (None: no cache)
    scratch: Path | None = None  #: the build's own temporary folder (None: the system's)

    @property
    def book(self):
        return self.resolved.book

    @property
    def config(self):
        return self.resolved.book.config

    @cached_property
    def figure_files(self) -> dict[str, Figure]:
        """Each figure file (by its src) as the model checked it, where the book first shows it."""
        found: dict[str, Figure] = {}
        for doc in self.book.documents:
            for figure in doc.figures:
                found.setdefault(figure.src, figure)
        return found

    @cached_property
    def positions(self) -> dict[str, dict[str, int]]:
        """Each file's table of fingerprint -> line (model/positions.py), by its path."""
        return {doc.path: dict(doc.positions) for doc in self.book.documents}

    def line_of(self, where: str) -> Location | None:
        """The source line of a block of the print HTML, from its `data-src`
        ("path#fingerprint", and "+N" for its Nth line after that), None if unknown."""
        block, _, offset = where.partition("+")
        path, _, found = block.rpartition("#")
        line = self.positions.get(path, {}).get(found)
        if line is None:
            return None
        return Location(path, line + (int(offset) if offset.isdigit() else 0), 1)

    def figure_digest(self, src: str) -> str:
        """The digest of a figure file as the model checked it ("" for no figure of the book)."""
        figure = self.figure_files.get(src)
        return figure.digest if figure else ""

    def figure_bytes(self, src: str) -> bytes:
        """A figure file's bytes, exactly those the model checked: a renderer ships nothing
        else, and reads nothing that is not a regular file (src is the checked real path)."""
        figure = self.figure_files.get(src)
        try:
            data = read_regular(self.root / src, MAX_FIGURE_BYTES)
        except (OSError, NotRegular, TooLarge):
            data = b""
        if figure is None or hashlib.sha256(data).hexdigest() != figure.digest:
            raise RenderError(f"figure '{src}' changed after the book was checked",
                              figure.location if figure else NOWHERE, "image.changed",
                              "something changed the source folder during the build: "
                              "build again")
        return data

    @cached_property
    def _files(self) -> dict[str, str]:
        book = self.book
        files = {q.anchor: q.doc.path for q in book.questions}
        files.update((m.ident, m.doc.path) for m in book.front + book.back)
        return files

    def source_of(self, anchor: str) -> Location:
        """The file a question or a front or back matter (by its anchor) was written in;
        NOWHERE for anything else."""
        path = self._files.get(anchor)
        return Location(path) if path else NOWHERE

    @cached_property
    def figures(self) -> dict[str, Location]:
        """Where each figure file (by src) is first shown in the book's source."""
        return {src: figure.location for src, figure in self.figure_files.items()}


@dataclass(frozen=True)
class Made:
    """An artifact, with the warnings its renderer found while making it (a build reports
    them, and again while the artifact stays up to date)."""

    path: Path
    warnings: tuple[Diagnostic, ...] = ()


#: where an engine message comes from, when it is not about a file of the book
MACHINE = "machine"  #: the machine's libraries (WeasyPrint's font engine)
ENGINE = "engine"  #: the engine itself failed (an exception inside it)
LIMIT = "limit"  #: what it was asked to lay out took more than its budget of time or memory


class RenderError(Exception):
    """A renderer could not make its artifact: the diagnostics say why, each where it can
    (the file and line of the book that caused it, or NOWHERE for the machine or engine)."""

    def __init__(self, message: str, location: Location = NOWHERE,
                 code: str = "render.failed", hint: str = "",
                 diagnostics: list[Diagnostic] | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or [Diagnostic(location, "error", code, message, hint)]


def engine_failure(fmt: str, exc: Exception) -> RenderError:
    """An engine that failed on the whole job: not a file of the book's doing."""
    environment = isinstance(exc, pandoc.PandocError) and exc.cause == "environment"
    return RenderError(f"pandoc failed while writing the {fmt}: {exc}", NOWHERE,
                       "environment.pandoc" if environment else "pandoc.failed",
                       "a problem of the machine, not of the book: check free memory and "
                       "disk space" if environment else
                       "not caused by one file of the book; report it with QABOOK_DEBUG=1")


def target(fmt: str, ctx: RenderContext) -> Path:
    """Where a format's artifact goes (known before rendering, for the no-op check)."""
    if fmt == "pdf":
        return ctx.out / ctx.options.get("pdf", PrintOptions()).filename(ctx.config.slug)
    return ctx.out / f"{ctx.config.slug}.{fmt}"


def inputs(fmt: str, ctx: RenderContext, history: str | None = None) -> list:
    """Everything besides the code that an artifact depends on: the digest is its identity.

    The book is a function of its source files as they were checked: the settings, the
    digest of each file's text, the bibliography and the figures' digests stand for it (a
    digest of the resolved book itself would depend on how Python happens to share
    objects; reading the files again would see an edit made during the build). The deck
    depends on the history too: `history` stands for the file's bytes when it is about to
    change (the digest of the history a build publishes with the deck it made).
    """
    book = ctx.book
    references = book.bibliography.references if book.bibliography else None
    parts: list = [fmt, repr(ctx.options.get(fmt)), repr(ctx.config),
                   json.dumps(references, sort_keys=True)]
    parts += [(doc.path, doc.digest) for doc in book.documents]
    parts += sorted((src, figure.digest) for src, figure in ctx.figure_files.items())
    if fmt == "apkg":  # the deck's lock file, as the load stage read it
        parts.append(history if history is not None else
                     ctx.book.history.digest if ctx.book.history else "")
    return parts


def renderer(fmt: str) -> Callable[[RenderContext], Path] | None:
    """The render function of a format, or None when the format is not built yet."""
    module = renderer_module(fmt)
    return None if module is None else module.render


def renderer_module(fmt: str):
    """A format's renderer module (importing it loads the engine), or None.

    Besides render(ctx), a module may define prepare(source, options, formats), which a
    build calls in the format's process while the book is still being checked (formats:
    all those the build makes)."""
    module = RENDERERS.get(fmt)
    return None if module is None else importlib.import_module(f"qabook.render.{module}")


def book_inputs(ctx: RenderContext) -> list:
    """What any one question's rendering may depend on besides its own file: what every
    label says (not where it was written), the settings and the bibliography, all as they
    were checked. A renderer keys a question's output by this plus the question's
    `Document.digest`, and rebuilds only what changed."""
    book = ctx.book
    labels = sorted((t.label, str(t.kind), t.text, t.anchor, t.question, t.title)
                    for t in ctx.resolved.labels.values())
    references = book.bibliography.references if book.bibliography else None
    return [labels, repr(ctx.config), json.dumps(references, sort_keys=True)]
