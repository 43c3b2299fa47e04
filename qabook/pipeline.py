"""The pipeline: load → model → resolve → render, with atomic writes into the output folder."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path

from qabook.diagnostics import BuildFailed, Diagnostics, Location
from qabook.load import load
from qabook.model import build_model
from qabook.model.nodes import Book
from qabook import pandoc
from qabook.cache import NO_CACHE, Cache
from qabook.render import FORMATS, RENDERERS, RenderContext, RenderError, renderer
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
    """Load and model the book; None when not even book.yaml could be read."""
    loaded = load(source, diags, cache)
    if loaded is None:
        return None
    # The ASTs are millions of long-lived containers: keep the cyclic GC from rescanning them
    # while the model stage allocates millions more.
    gc.freeze()
    enabled = gc.isenabled()
    gc.disable()
    try:
        return build_model(loaded, diags, cache)
    finally:
        if enabled:
            gc.enable()


def check(source: Path, diags: Diagnostics, cache: Cache = NO_CACHE) -> ResolvedBook | None:
    """Run every check; the resolved book, or None when a stage could not complete.

    Resolve is skipped when some file could not be read at all: its labels would be missing
    and every reference to them would be reported as a spurious error.
    """
    book = read_book(source, diags, cache)
    if book is None or not book.complete:
        return None
    return resolve(book, diags)


def build(options: BuildOptions, diags: Diagnostics) -> list[Path]:
    """Check the book, then render each requested format; raise BuildFailed on errors."""
    resolved = check(options.source, diags, Cache(options.cache))
    if resolved is None or diags.has_errors():
        raise BuildFailed(diags)
    written: list[Path] = []
    ctx = RenderContext(resolved, options.source, options.out, options.options)
    for fmt in options.formats:
        render = renderer(fmt)
        if render is None:
            diags.error(Location("book.yaml"), "build.unsupported",
                        f"the {fmt} format is not built yet",
                        f"build another format with -f, e.g. -f {_available_hint()}")
            continue
        try:
            written.append(render(ctx))
        except RenderError as exc:
            diags.error(Location(exc.path or "book.yaml"), exc.code, exc.message, exc.hint)
        except pandoc.PandocError as exc:
            diags.error(Location("book.yaml"), "pandoc.failed", f"pandoc failed: {exc}",
                        "simplify the markup the message points at, or report a bug")
    if diags.has_errors():
        raise BuildFailed(diags)
    return written


def _available_hint() -> str:
    return next(iter(RENDERERS), "epub")
