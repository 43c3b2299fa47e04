"""The pipeline: load → model → resolve → render → publish, the set of artifacts at once."""

from __future__ import annotations

import contextlib
import gc
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from qabook.diagnostics import NOWHERE, BuildFailed, Diagnostics, Location
from qabook.load import load
from qabook.model import build_model
from qabook.model.nodes import Book
from qabook import deck, environment, handouts, tex
from qabook.cache import NO_CACHE, Cache, file_digest, key
from qabook.load.history import EMPTY
from qabook.load.history import parse as history_parse
from qabook.render import FORMATS, HISTORY, Made, RenderContext, inputs, target
from qabook.render.output import FolderBusy, OutputFolder, StoppedAfterPublishing
from qabook.render.processes import Renderers
from qabook.resolve import ResolvedBook, resolve


@dataclass(frozen=True)
class BuildOptions:
    """What to build and where."""

    source: Path
    out: Path
    formats: tuple[str, ...] = FORMATS
    cache: Path | None = None  #: the cache folder; None: no cache
    options: dict = field(default_factory=dict)  #: per-format options, e.g. "pdf": PrintOptions
    locked: bool = False  #: fail, publishing nothing, when the deck's history would change
    strict: bool = False  #: fail, publishing nothing, on warnings too (the layout's included)


class Progress:
    """What a build tells whoever watches it (the CLI's progress display): its stages as they
    start and end, "check", then each format, then "publish". This one tells no one."""

    def start(self, *stages: str) -> None:
        """These stages began (the formats of a build render at the same time)."""

    def done(self, stage: str, state: str = "done", reads: dict | None = None) -> None:
        """A stage ended: "done", "failed" or (a format) "up to date"; reads: the cache reads
        of the format's process ({kind: [hits, misses]})."""

    def waiting(self) -> None:
        """Called a few times a second while the formats render."""


NO_PROGRESS = Progress()


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
    resolved = resolve(book, diags)
    handouts.check(resolved.book, diags)
    if not diags.has_errors():
        deck.report(resolved.book, diags)
    return resolved


def build(options: BuildOptions, diags: Diagnostics,
          progress: Progress = NO_PROGRESS) -> list[tuple[Path, bool]]:
    """Check the book, render each requested format that is not up to date, and publish
    what was rendered as one set: all of it, or (on any error, Ctrl-C or kill) nothing.

    Returns each artifact with True when it was (re)built; raises BuildFailed on errors.
    Tells progress each stage as it starts and ends.
    """
    formats = tuple(dict.fromkeys(options.formats))  # `-f pdf -f pdf` builds it once
    if not usable(diags, formats):
        raise BuildFailed(diags)
    with _hold(options.out, diags) as out, \
            Renderers(formats, options.source, options.options) as renderers:
        # the renderers load their engines while the book is checked
        progress.start("check")
        resolved = _check(options.source, diags, Cache(options.cache))
        failed = resolved is None or diags.has_errors()
        progress.done("check", "failed" if failed else "done")
        if failed:
            raise BuildFailed(diags)
        ctx = RenderContext(resolved, options.source, options.out, options.options,
                            options.cache)
        manifest = Manifest(options.cache)
        identities = {fmt: inputs(fmt, ctx) for fmt in formats}
        todo = [fmt for fmt in formats
                if not manifest.current(target(fmt, ctx), key("artifact", *identities[fmt]))]
        for fmt in formats:  # an artifact up to date says again what its build found
            if fmt not in todo:
                diags.extend(manifest.warnings(target(fmt, ctx)))
                progress.done(fmt, "up to date")
        _strict(options, diags)
        if todo:
            staged = _staged(ctx, out, diags)
            found: dict[str, tuple] = {}
            progress.start(*todo)
            for fmt, outcome in renderers.render(staged, todo, progress.waiting):
                if isinstance(outcome, Made):
                    found[fmt] = outcome.warnings
                    diags.extend(outcome.warnings)
                elif not isinstance(outcome, Path):
                    diags.extend(outcome)
                progress.done(fmt, "failed" if isinstance(outcome, list) else "done",
                              renderers.reads(fmt))
            if diags.has_errors():
                raise BuildFailed(diags)
            _strict(options, diags)
            change = _history_change(staged)
            if change and options.locked:
                diags.error(Location(HISTORY), "history.locked",
                            f"{HISTORY} is out of date: this build would change it ({change})",
                            "build without --locked and commit the history it writes with "
                            "the book; nothing was published")
                raise BuildFailed(diags)
            progress.start("publish")
            history = _history(staged, diags)
            if history is not None:
                identities["apkg"] = inputs("apkg", ctx, file_digest(history[0]))
                diags.notices.append(f"{HISTORY} updated ({change}): commit it with the book")
            _publish(out, [target(fmt, staged).name for fmt in todo], history, diags)
            for fmt in todo:
                manifest.record(target(fmt, ctx), key("artifact", *identities[fmt]),
                                found.get(fmt, ()))
            manifest.save()
            progress.done("publish")
            if out.stopped:
                raise StoppedAfterPublishing(out.stopped[0])
    return [(target(fmt, ctx), fmt in todo) for fmt in formats]


def _strict(options: BuildOptions, diags: Diagnostics) -> None:
    """With --strict, a warning fails the build (publishing nothing)."""
    if options.strict and diags.warnings:
        diags.error(NOWHERE, "build.strict", f"{len(diags.warnings)} warning"
                    f"{'s' if len(diags.warnings) != 1 else ''} and --strict: nothing was "
                    "published", "fix what the warnings name, or build without --strict")
        raise BuildFailed(diags)


def _hold(path: Path, diags: Diagnostics) -> OutputFolder:
    """The output folder, held by this build (BuildFailed when it cannot be)."""
    folder = OutputFolder(path)
    try:
        return folder.open()
    except FolderBusy as busy:
        who = f"(process {busy.holder}) " if busy.holder else ""
        diags.error(NOWHERE, "build.busy", f"another qabook build {who}is writing into {path}",
                    "wait for it to finish, or build into another folder with --out")
    except OSError as exc:
        if os.path.islink(path):
            diags.error(NOWHERE, "build.write", f"the output folder {path} is a symbolic link",
                        "give its real path with --out (a folder that came with a book could "
                        "lead anywhere)")
        else:
            _unwritable(diags, path, exc)
    raise BuildFailed(diags)


def _staged(ctx: RenderContext, out: OutputFolder, diags: Diagnostics) -> RenderContext:
    """The context the renderers get: they write into the folder's staging area."""
    try:
        return replace(ctx, out=out.staging, scratch=out.scratch)
    except OSError as exc:
        _unwritable(diags, ctx.out, exc)
        raise BuildFailed(diags) from None


def _history_change(staged: RenderContext) -> str:
    """What the deck's new history changes, in words ("" when the deck left it as it was)."""
    new = staged.out / HISTORY
    if not new.exists():
        return ""
    after = history_parse(new.read_text(encoding="utf-8"))
    before = staged.book.history or EMPTY
    identifier = staged.config.identifier
    by_guid = {entry.guid or deck.legacy_guid(identifier, entry.kind, key): key
               for key, entry in before.notes.items()}
    added, updated, retired, rekeyed = [], [], [], []
    for ident, entry in after.notes.items():
        was = by_guid.get(entry.guid)
        old = before.notes.get(was) if was else None
        name = entry.heading or ident
        if old is None:
            added.append(name)
        elif entry.retired and not old.retired:
            retired.append(name)
        elif old.hash != entry.hash:
            updated.append(name)
        if old is not None and was and was != ident:
            rekeyed.append(f"{was} → {ident}")
    counts = [f"{len(names)} note{'s' if len(names) != 1 else ''} {what}{_some(names)}"
              for names, what in ((updated, "updated"), (added, "added"), (retired, "retired"),
                                  (rekeyed, "known by a new name")) if names]
    if after.types != before.types:
        counts.append("the note types")
    return "; ".join(counts) or "its format"


def _some(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:8])
    return f": {shown}{', …' if len(names) > 8 else ''}"


def _history(staged: RenderContext, diags: Diagnostics) -> tuple[Path, Path] | None:
    """The deck's new history, written beside the source's (renamed into place once the
    artifacts are published: a source folder that cannot take it fails the build before
    anything is published); None when the deck left it as it was.

    It is not in the publication's journal, which names only files of the output folder: a
    build killed between the two leaves the new deck with the old history, and the next
    build, which finds the deck out of date, makes the same deck and history again."""
    new = staged.out / HISTORY
    if not new.exists():
        return None
    final = staged.root / HISTORY
    beside: Path | None = None
    try:
        data = new.read_bytes()
        # a name of its own, created here (O_EXCL): a link planted under a guessable name
        # cannot send the history out of the book
        handle, name = tempfile.mkstemp(dir=final.parent, prefix=f".{HISTORY}.", suffix=".part")
        beside = Path(name)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except OSError as exc:
        if beside is not None:
            with contextlib.suppress(OSError):
                beside.unlink()
        diags.error(Location(HISTORY), "build.write", f"cannot update {HISTORY} in the source "
                    f"folder: {exc.strerror or exc}", "the deck keeps its notes' times in it: "
                    "let qabook write to the source folder; nothing was published")
        raise BuildFailed(diags) from None
    return beside, final


def _publish(out: OutputFolder, names: list[str], history: tuple[Path, Path] | None,
             diags: Diagnostics) -> None:
    """The staged artifacts, then the deck's history, into place."""
    try:
        out.publish(names)
    except OSError as exc:
        if history is not None:
            with contextlib.suppress(OSError):  # a read-only source folder says so above
                history[0].unlink()
        _unwritable(diags, out.path, exc)
        raise BuildFailed(diags) from None
    if history is not None:
        os.replace(*history)


def _unwritable(diags: Diagnostics, path: Path, exc: OSError) -> None:
    diags.error(NOWHERE, "build.write", f"cannot write into the output folder {path}: "
                f"{exc.strerror or exc}", "make room on the disk, or choose a folder qabook may "
                "write with --out; the previous artifacts are untouched")


class Manifest:
    """What each artifact in the output folder was built from, to skip rebuilding it.

    It is a cache entry like any other, sealed by this user's qabook: a manifest that came
    with a downloaded `build/` (which could call its own artifacts up to date) is not
    believed. An artifact is current when the digest of its inputs and its own bytes are
    those recorded. Only a changed manifest is written: a no-op build writes nothing. It
    also keeps the warnings each artifact's renderer found (the print layout checks), which
    a build that finds the artifact current reports again."""

    IDENT = key("manifest")

    def __init__(self, cache: Path | None):
        self.cache = Cache(cache)
        entries = self.cache.get("manifest", self.IDENT)
        self.entries: dict[str, tuple] = entries if isinstance(entries, dict) else {}
        self.changed = False

    def current(self, artifact: Path, ident: str) -> bool:
        entry = self.entries.get(str(artifact.resolve()))
        return entry is not None and entry[:2] == (ident, file_digest(artifact))

    def warnings(self, artifact: Path) -> tuple:
        """The warnings recorded with an artifact."""
        entry = self.entries.get(str(artifact.resolve()))
        return entry[2] if entry is not None and len(entry) > 2 else ()

    def record(self, artifact: Path, ident: str, warnings: tuple = ()) -> None:
        self.entries[str(artifact.resolve())] = (ident, file_digest(artifact), tuple(warnings))
        self.changed = True

    def save(self) -> None:
        if self.changed:
            self.cache.put("manifest", self.IDENT, self.entries)
