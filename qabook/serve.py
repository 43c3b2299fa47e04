"""`qabook serve`: a live preview of the book for its author, on 127.0.0.1 only.

One long-lived process keeps the book model and the caches warm. watchfiles reports each
save; the `Previewer` thread then checks the book (incrementally, `pipeline.check` with the
cache) and renders only the questions someone is looking at, through the renderers' own
preview seams (render/preview.py): the Anki cards and the EPUB page (in two threads), and
the printed pages (in a process of its own, `Printer`, with its pool of layout workers,
forked at start-up). Every browser tab listens on a server-sent event stream and fetches
the new state when told; a save that breaks the book shows its diagnostics over the last
good preview until a save fixes it.

Exposure: the socket is bound to a loopback address (any other --host is refused), every
request must name that address and port in its Host header (no DNS rebinding), only files
this process generated (under its own temporary folder, one resolved path, regular files,
no listing) and the preview's own page and script are served, each page with a
Content-Security-Policy that allows nothing but this origin. Nothing reaches the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import os
import shutil
import socket
import stat
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qabook import pipeline, resources
from qabook.cache import Cache, key
from qabook.diagnostics import NOWHERE, Diagnostic, Diagnostics, visible
from qabook.render import RenderContext, RenderError
from qabook.report import diagnostic_lines

STATIC = resources.TEMPLATES / "serve"
DEFAULT_PORT = 8017
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; frame-src 'self'; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
TYPES = {".html": "text/html; charset=utf-8", ".xhtml": "application/xhtml+xml; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
         ".svg": "image/svg+xml", ".woff2": "font/woff2", ".otf": "font/otf",
         ".ttf": "font/ttf", ".json": "application/json"}


class ServeError(Exception):
    """The server cannot start (the port is taken, the host is not loopback…)."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


#: the Python packages the preview imports beyond a build's (pyproject.toml installs them)
PACKAGES = {"starlette": "starlette", "uvicorn": "uvicorn", "watchfiles": "watchfiles",
            "pypdfium2": "pypdfium2"}


def missing_packages() -> list[str]:
    """The packages `qabook serve` needs that this Python cannot import."""
    import importlib.util

    return [name for module, name in PACKAGES.items()
            if importlib.util.find_spec(module) is None]


def loopback(host: str) -> bool:
    """Whether host names this machine only: localhost, 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one), or ServeError."""
    if not loopback(host):
        raise ServeError(f"--host {host} is not a loopback address: the preview serves the "
                         "book to this machine only", "leave --host out (127.0.0.1), or give "
                         "localhost or ::1")
    address = "127.0.0.1" if host == "localhost" else host
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(f"port {port} on {address} is in use (another qabook serve, or "
                             "another server)", "stop it, or choose another port with "
                             "--port N (--port 0 picks a free one)") from None
        raise ServeError(f"cannot listen on {address}:{port}: {exc.strerror or exc}",
                         "choose another port with --port N") from None
    sock.listen(64)
    sock.set_inheritable(False)
    return sock


# --- the state: what each question shows --------------------------------------------------

@dataclass
class View:
    """One question's preview: the files of its cards and EPUB page (of check `book`), and
    of its printed pages (of check `printed`)."""

    book: int = -1
    cards: list = field(default_factory=list)
    epub: str = ""
    printed: int = -1
    pages: list = field(default_factory=list)
    first: str = ""
    timings: dict = field(default_factory=dict)


FOLLOW = "latest"  #: what a tab that follows the file last saved asks for
LOADED = ("EPUB/styles/", "EPUB/media/", "EPUB/fonts/")  #: what an EPUB page may load


@dataclass(frozen=True)
class Printed:
    """A question's printed pages as `Printer` made them: each page as PNG, the printed
    number of the first, the layout checks' findings."""

    images: list[bytes]
    first: str
    warnings: tuple[Diagnostic, ...]


class Printer:
    """The printed pages of a question, made in a process of its own (forked at start-up,
    before any thread, with its own pool of layout workers): the print HTML, the layout's
    bookkeeping and the page images are Python work that would otherwise hold the server's
    interpreter lock while its previewer makes the cards and the EPUB page. It runs at a
    lower priority, so those two come first on a busy machine. One request at a time."""

    NICE = 15

    def __init__(self, root: Path):
        import multiprocessing

        fork = multiprocessing.get_context("fork")
        self.pipe, child = fork.Pipe()
        self.process = fork.Process(target=_printing, args=(child, self.pipe, root, os.getpid()),
                                    name="qabook-serve-print")
        self.process.start()
        child.close()
        self.lock = threading.Lock()

    @staticmethod
    def parcel(ctx: RenderContext) -> bytes:
        """The context as `pages` sends it. It is made in the previewer's thread before the
        cards and EPUB threads start: they fill the context's memos (cached properties)
        as they go, and a dictionary that grows while it is pickled stops the pickle."""
        import pickle

        return pickle.dumps(ctx, pickle.HIGHEST_PROTOCOL)

    def pages(self, parcel: bytes, anchor: str) -> Printed:
        """The pages of the question at `anchor`, in the context `parcel` carries
        (RenderError for what the book's print cannot show)."""
        with self.lock:
            try:
                self.pipe.send_bytes(parcel)
                self.pipe.send(anchor)
                kind, value = self.pipe.recv()
            except (EOFError, OSError):
                raise RuntimeError("the print preview's process died") from None
        if kind == "error":
            raise RenderError(value[0].message, diagnostics=value)
        if kind == "crash":
            raise RuntimeError(value)
        return value

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.pipe.close()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _printing(pipe, server_end, root: Path, parent: int) -> None:
    """The print process: a request at a time until the server closes its end (the copy of
    that end this process inherited is closed first, or it would never see the pipe end)."""
    import pickle
    import signal

    from qabook.children import die_with_parent
    from qabook.render import pdf, preview
    from qabook.render.pdf_layout import warm_up

    die_with_parent(parent)
    server_end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when to stop
    os.nice(Printer.NICE)  # (its layout workers inherit it)
    pool = pdf.pool()
    for _ in range(pdf.WORKERS):  # the workers fork now, and load fonts meanwhile
        pool.submit(warm_up, root, "a4", "en")
    try:
        while True:
            try:
                ctx = pickle.loads(pipe.recv_bytes())
                anchor = pipe.recv()
            except (EOFError, OSError):
                return
            try:
                made = pdf.preview(ctx, anchor, pool)
                answer = ("ok", Printed(preview.page_images(made.pdf, made.pad), made.first,
                                        made.warnings))
            except RenderError as exc:
                answer = ("error", exc.diagnostics)
            except Exception as exc:  # noqa: BLE001 - the server reports it
                answer = ("crash", f"{type(exc).__name__}: {exc}")
            try:
                pipe.send(answer)
            except OSError:  # the server is gone
                return
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class Previewer:
    """The book, checked after each save, and the previews of the questions being viewed.

    One worker thread does the work in order: check, then the cards and EPUB pages of every
    question a tab shows (the EPUB pages in a second thread), then their printed pages; the
    first question's pages are made by the `Printer` meanwhile (a third thread waits for
    it), and a save that arrives meanwhile starts over before the next printed page.
    `version` counts the states; every change is announced to the listeners (`listen`)."""

    def __init__(self, source: Path, cache: Path | None, files: Path, printer: Printer,
                 tell=None):
        self.source = source
        self.root = source.resolve()
        self.cache = cache
        self.files = files  #: the generated files (c/: named by content; e/: EPUB pages)
        self.printer = printer
        self.remembered: dict = {}  #: what the checks read from the cache (Cache's memory)
        self.tell = tell or (lambda diags, seconds: None)
        self.resolved = None
        self.diagnostics: list[Diagnostic] = []
        self.failed: list[Diagnostic] = []  #: what the last render found (the book checked)
        self.checks = 0  #: good checks so far (a view of another check is stale)
        self.checked = False
        self.views: dict[int, View] = {}
        self.attempted: dict[int, int] = {}  #: question -> the check it was last rendered at
        self.latest: int | None = None  #: the question of the file last saved
        self.watching: Counter = Counter()  #: question number (or FOLLOW) -> tabs
        self.version = 0
        self.generation = 0
        self.changed: set[Path] = set()
        self.wanted: set[int] = set()
        self.busy = ""
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stopping = False
        self.listeners: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = []
        self.mathml = None
        self.thread = threading.Thread(target=self._run, name="qabook-preview", daemon=True)

    # called from the server's event loop ------------------------------------------------

    def start(self) -> None:
        self.thread.start()
        self.wake.set()

    def stop(self) -> None:
        self.stopping = True
        self.wake.set()
        for loop, queue in list(self.listeners):
            loop.call_soon_threadsafe(queue.put_nowait, None)

    def saved(self, paths: set[Path]) -> None:
        with self.lock:
            self.changed |= paths
        self.wake.set()

    def want(self, number: int | None) -> None:
        """A tab shows this question: render it if it is not current."""
        if number is None:
            return
        if self.attempted.get(number) == self.checks:
            # made at this check (a view is current only then), or failed: it would fail
            # again (a save retries)
            return
        with self.lock:
            self.wanted.add(number)
        self.wake.set()

    def listen(self, loop, queue, what: int | str | None) -> None:
        self.listeners.append((loop, queue))
        if what is not None:
            with self.lock:  # (the worker reads it)
                self.watching[what] += 1
        self.want(self.number(what))

    def unlisten(self, loop, queue, what: int | str | None) -> None:
        with contextlib.suppress(ValueError):
            self.listeners.remove((loop, queue))
        if what is not None:
            with self.lock:
                self.watching[what] -= 1
                if self.watching[what] <= 0:
                    del self.watching[what]

    def number(self, what: int | str | None) -> int | None:
        """The question a tab shows: its number, or for FOLLOW the question of the file last
        saved (the first question before any save)."""
        if what == FOLLOW:
            if self.latest is not None:
                return self.latest
            questions = self.resolved.book.questions if self.resolved else ()
            return questions[0].number if questions else None
        return what if isinstance(what, int) else None

    def state(self, what: int | str | None) -> dict[str, Any]:
        """What a tab shows, as JSON: the book's questions, the diagnostics, and the views of
        the question it asks for."""
        number = self.number(what)
        book = self.resolved.book if self.resolved else None
        out: dict[str, Any] = {
            "version": self.version, "checked": self.checked, "busy": self.busy,
            "title": book.config.title if book else "",
            "chapters": [{"number": ch.number, "title": ch.title,
                          "questions": [{"number": q.number, "label": q.label,
                                         "title": q.title, "path": q.doc.path}
                                        for q in ch.questions]}
                         for ch in (book.chapters if book else ())],
            "diagnostics": [self._shown(d) for d in self.diagnostics + self.failed],
            "failed": any(d.severity == "error" for d in self.diagnostics + self.failed),
            "question": None,
        }
        question = next((q for q in book.questions if q.number == number), None) \
            if book else None
        if question is not None:
            view = self.views.get(number) or View()
            out["question"] = {
                "number": number, "label": question.label, "title": question.title,
                "path": question.doc.path, "cards": view.cards, "epub": view.epub,
                "pages": view.pages, "first": view.first,
                "current": {"cards": view.book == self.checks,
                            "print": view.printed == self.checks},
                "timings": view.timings}
        return out

    def _shown(self, diag: Diagnostic) -> dict[str, Any]:
        """A diagnostic for the page: its parts, and the source line with its caret exactly
        as the terminal prints them (report.py; unprintable characters escaped)."""
        lines = diagnostic_lines(diag, self.source)
        excerpt = [line for line in lines[1:] if not line.startswith("  hint: ")]
        return {"where": diag.where(), "severity": diag.severity, "code": diag.code,
                "message": diag.shown(), "hint": visible(diag.hint) if diag.hint else "",
                "excerpt": "\n".join(excerpt)}

    # the worker -----------------------------------------------------------------------------

    def _run(self) -> None:
        from qabook.render.preview import MathCache

        self.mathml = MathCache()
        while True:
            self.wake.wait()
            self.wake.clear()
            if self.stopping:
                return
            self._guarded(self._once)

    def _guarded(self, work, *args) -> None:
        """`work(*args)`; what it raises is shown to the author as an internal error (the
        server goes on) instead of a traceback on the terminal."""
        try:
            work(*args)
        except Exception as exc:  # noqa: BLE001 - shown to the author, the server goes on
            if os.environ.get("QABOOK_DEBUG"):
                raise
            self._failed([Diagnostic(
                NOWHERE, "error", "serve.internal",
                f"internal error: {type(exc).__name__}: {exc}",
                "this is a bug in qabook; rerun with QABOOK_DEBUG=1 for details")])

    def _once(self) -> None:
        with self.lock:
            changed, self.changed = self.changed, set()
            wanted, self.wanted = self.wanted, set()
        if changed or not self.checked:
            self._check(changed)
        if self.resolved is None or any(d.severity == "error" for d in self.diagnostics):
            return
        with self.lock:  # (the tabs come and go meanwhile, in the server's thread)
            watching = list(self.watching)
        # (a tab may ask for a question the book no longer has: it shows none)
        numbers = {q.number for q in self.resolved.book.questions}
        shown = {self.number(what) for what in watching} & numbers
        wanted &= numbers
        targets = [n for n in [self.latest, *sorted(shown | wanted)]
                   if n is not None and n in shown | wanted]
        targets = list(dict.fromkeys(targets))
        self.failed = []
        ctx = RenderContext(self.resolved, self.source, self.files, {}, self.cache)
        todo = [n for n in targets if self.views.get(n, View()).book != self.checks]
        printing = [n for n in targets if self.views.get(n, View()).printed != self.checks]
        # the first question's pages are laid out (in a layout worker) while this thread
        # makes the cards and EPUB pages: the print no longer waits for them
        with self.lock:
            for number in todo + printing:
                self.attempted[number] = self.checks
        parcel = self.printer.parcel(ctx) if printing else b""  # before any thread starts
        beside = None
        if printing and todo:
            beside = threading.Thread(target=self._guarded, name="qabook-preview-print",
                                      args=(self._render_print, ctx, parcel, printing.pop(0)),
                                      daemon=True)
            beside.start()
        try:
            if todo:
                self._render_fast(ctx, todo)
        finally:  # (never left running into the next check's views)
            if beside is not None:
                beside.join()
        for number in printing:
            if self.changed or self.stopping:  # a newer save: start over
                self.wake.set()
                return
            self._render_print(ctx, parcel, number)

    def _check(self, changed: set[Path]) -> None:
        self.busy = "checking"
        self._announce()
        began = time.monotonic()
        diags = Diagnostics()
        resolved = pipeline.check(self.source, diags, Cache(self.cache, memory=self.remembered))
        self.checked = True
        self.diagnostics = diags.sorted()
        if resolved is not None and not diags.has_errors():
            self.resolved = resolved
            self.checks += 1
        elif self.resolved is None and resolved is not None:
            self.resolved = resolved  # the questions to list, though nothing renders yet
        saved = self._question_of(changed)
        if saved is not None:
            self.latest = saved
        self.busy = ""
        self.tell(diags, time.monotonic() - began)
        self._announce()

    def _question_of(self, changed: set[Path]) -> int | None:
        """The question whose file was saved (the last one, when several were)."""
        if self.resolved is None:
            return None
        paths = {}
        for question in self.resolved.book.questions:
            paths[(self.root / question.doc.path).resolve()] = question.number
        found = [paths[p.resolve()] for p in sorted(changed) if p.resolve() in paths]
        return found[-1] if found else None

    def _render_fast(self, ctx: RenderContext, numbers: list[int]) -> None:
        """The cards of these questions and, in a second thread meanwhile, their EPUB pages
        (the two wait on pandoc in turn); each is shown (the tabs told) as soon as it is
        made."""
        from qabook.render import preview

        self.busy = "cards"
        began = time.monotonic()
        anchors = {q.number: q.anchor for q in ctx.book.questions if q.number in numbers}
        outcome: dict[str, Any] = {}

        def epub() -> None:
            try:
                pages = preview.epub_pages(ctx, [anchors[n] for n in numbers])
                if not self.stopping:
                    self._show_epub(numbers, anchors, pages, began)
            except RenderError as exc:
                outcome["failed"] = exc.diagnostics
            except Exception as exc:  # noqa: BLE001 - raised again in the previewer's thread
                outcome["crash"] = exc

        beside = threading.Thread(target=epub, name="qabook-preview-epub", daemon=True)
        beside.start()
        try:
            failed = self._cards(ctx, numbers, began, beside)
        finally:  # (whatever the cards raise)
            beside.join()
        if failed is not None:
            self._failed(failed)
            return
        if "crash" in outcome:
            raise outcome["crash"]
        if "failed" in outcome:
            self._failed(outcome["failed"])
            return
        with self.lock:
            for number in numbers:  # its cards and EPUB page are current
                self.views.setdefault(number, View()).book = self.checks
        self.busy = "print"
        self._announce()

    def _cards(self, ctx: RenderContext, numbers: list[int], began: float,
               beside: threading.Thread):
        """The cards of these questions, each shown as it is made; what made one fail, or
        None. Once they are made, the page says the EPUB thread is waited for."""
        from qabook.render import preview

        try:
            for number in numbers:
                if self.stopping:
                    break
                made = preview.cards(ctx, number, self.mathml)
                pages = {}
                for name, data in made.files.items():  # by content: an unchanged card
                    pages[name] = self._stored(f"q{number}/{name}", data)  # keeps its URL
                cards = [{"name": card["name"], "kind": card["kind"],
                          "sides": {side: {theme: pages[file] for theme, file in themes.items()}
                                    for side, themes in card["sides"].items()}}
                         for card in made.cards]
                with self.lock:
                    view = self.views.setdefault(number, View())
                    view.cards = cards
                    view.timings = {**view.timings, "cards": round(time.monotonic() - began, 3)}
        except RenderError as exc:
            return exc.diagnostics
        if beside.is_alive():
            self.busy = "e-book"
            self._announce()
        return None

    def _show_epub(self, numbers: list[int], anchors: dict[int, str], pages, began: float):
        """Write the EPUB pages and tell the tabs. A page's stylesheet and figures go into a
        folder named by their digest, served as never changing; its text file is replaced in
        that folder and named with a new query, so that after an edit a tab loads the text
        file alone."""
        with self.lock:
            self.generation += 1
            generation = self.generation
        shown = {}
        for number in numbers:
            path, files = pages[anchors[number]]
            # what the text file loads (the package's documents it does not) and changes
            # only when a figure or the stylesheet does
            rest = sorted((name, data) for name, data in files.items()
                          if name.startswith(LOADED) and name != path)
            name = f"e/{key('epub-page', rest)[:24]}/q{number}"
            folder = self.files / name
            if not folder.is_dir():  # made whole, then named
                (self.files / "e").mkdir(mode=0o700, exist_ok=True)
                staging = Path(tempfile.mkdtemp(dir=self.files / "e"))
                _write(staging, dict(rest))
                folder.parent.mkdir(mode=0o700, exist_ok=True)
                os.replace(staging, folder)
            _write(folder, {path: files[path]})
            shown[number] = f"/files/{name}/{path}?v={generation}"
        with self.lock:
            for number in numbers:
                view = self.views.setdefault(number, View())
                view.epub = shown[number]
                view.timings = {**view.timings,
                                "cards+epub": round(time.monotonic() - began, 3)}
        self._announce()

    def _stored(self, name: str, data: bytes) -> str:
        """The URL of a generated file that keeps its name while its bytes stay the same:
        a card page is named by its digest (the fonts and figures it names already are)."""
        from hashlib import sha256

        folder, _, file = name.rpartition("/")
        if file.endswith((".html", ".png")):
            stem, dot, suffix = file.rpartition(".")
            file = f"{stem}-{sha256(data).hexdigest()[:20]}.{suffix}"
        path = self.files / "c" / folder / file
        if not path.exists():
            _write(self.files / "c", {f"{folder}/{file}": data})
        return f"/files/c/{folder}/{file}"

    def _render_print(self, ctx: RenderContext, parcel: bytes, number: int) -> None:
        question = next(q for q in ctx.book.questions if q.number == number)
        began = time.monotonic()
        self.busy = "print"
        try:
            made = self.printer.pages(parcel, question.anchor)
        except RenderError as exc:
            self._failed(exc.diagnostics)
            return
        pages = [self._stored(f"q{number}/print/page-{index}.png", data)
                 for index, data in enumerate(made.images, 1)]
        with self.lock:  # (the cards and EPUB page of the same question may be shown now)
            view = self.views.setdefault(number, View())
            view.printed, view.pages, view.first = self.checks, pages, made.first
            view.timings = {**view.timings, "print": round(time.monotonic() - began, 3)}
        self._failed(made.warnings)

    def _failed(self, found) -> None:
        """What a render found, beside what the other thread's render found; the tabs are
        told."""
        with self.lock:
            self.failed = self.failed + list(found)
        self.busy = ""
        self._announce()

    def _announce(self) -> None:
        with self.lock:  # (the previewer's threads announce)
            self.version += 1
            version = self.version
        for loop, queue in list(self.listeners):
            with contextlib.suppress(RuntimeError):  # a loop that is closing
                loop.call_soon_threadsafe(queue.put_nowait, version)


def _write(folder: Path, files: dict[str, bytes]) -> None:
    from qabook.render.preview import safe_name

    for name, data in files.items():
        if not safe_name(name):
            raise RenderError(f"a preview file would be written outside its folder: {name}",
                              code="serve.internal", hint="report a bug")
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(data)
        os.replace(partial, path)  # a tab reading it meanwhile gets the old or the new file


# --- the web application ------------------------------------------------------------------

def application(previewer: Previewer, allowed_hosts: set[str]):
    """The Starlette app: pages, state, events, generated files."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
    from starlette.routing import Route

    def headers(content_type: str) -> dict[str, str]:
        return {"content-type": content_type, "content-security-policy": CSP,
                "x-content-type-options": "nosniff", "referrer-policy": "no-referrer",
                "cache-control": "no-store", "cross-origin-resource-policy": "same-origin"}

    pages = _pages()

    def static(name: str) -> Response:
        data = pages[name] if name in pages else (STATIC / name).read_bytes()
        return Response(data, headers=headers(TYPES[Path(name).suffix]))

    def what(request: Request) -> int | str | None:
        value = request.query_params.get("q", "")
        if value == FOLLOW:
            return FOLLOW
        return int(value) if value.isdigit() and len(value) < 10 else None

    async def overview(request: Request) -> Response:
        return static("overview.html")

    async def question(request: Request) -> Response:
        value = request.path_params["what"]
        if value != FOLLOW and not (value.isdigit() and len(value) < 10):
            return PlainTextResponse("not found", 404, headers=headers("text/plain"))
        return static("question.html")

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ("preview.js", "preview.css"):
            return PlainTextResponse("not found", 404, headers=headers("text/plain"))
        return static(name)

    async def state(request: Request) -> Response:
        asked = what(request)
        previewer.want(previewer.number(asked))
        return JSONResponse(previewer.state(asked), headers={
            k: v for k, v in headers("application/json").items() if k != "content-type"})

    async def events(request: Request) -> Response:
        asked = what(request)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        async def stream():
            previewer.listen(loop, queue, asked)
            try:
                yield f"retry: 500\ndata: {previewer.version}\n\n"
                while True:
                    try:
                        version = await asyncio.wait_for(queue.get(), 15)
                    except asyncio.TimeoutError:
                        yield ": still here\n\n"
                        continue
                    if version is None:
                        return
                    while not queue.empty():  # only the newest state matters
                        version = queue.get_nowait()
                        if version is None:
                            return
                    yield f"data: {version}\n\n"
            finally:
                previewer.unlisten(loop, queue, asked)

        return StreamingResponse(stream(), headers={
            **{k: v for k, v in headers("text/event-stream").items() if k != "content-type"},
            "x-accel-buffering": "no"}, media_type="text/event-stream")

    async def generated(request: Request) -> Response:
        path = _generated(previewer.files, request.path_params["path"])
        if path is None:
            return PlainTextResponse("not found", 404, headers=headers("text/plain"))
        found = headers(TYPES.get(path.suffix.lower(), "application/octet-stream"))
        name = request.path_params["path"]
        if name.startswith("c/") or (name.startswith("e/") and not name.endswith(".xhtml")):
            found["cache-control"] = "private, max-age=86400, immutable"  # named by content
        else:  # an EPUB page's text, replaced after each save
            found["cache-control"] = "no-cache"
        return Response(path.read_bytes(), headers=found)

    routes = [Route("/", overview), Route("/q/{what}", question),
              Route("/static/{name}", asset), Route("/api/state", state),
              Route("/events", events), Route("/files/{path:path}", generated)]
    inner = Starlette(routes=routes)

    async def app(scope, receive, send):
        """Every HTTP request must name this server in its Host header (DNS rebinding: a
        page of another site that resolves its own name to 127.0.0.1 is refused)."""
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
            if host not in allowed_hosts:
                response = PlainTextResponse("this server answers only to "
                                             + " or ".join(sorted(allowed_hosts)), 421,
                                             headers=headers("text/plain"))
                await response(scope, receive, send)
                return
        await inner(scope, receive, send)

    return app


def _pages() -> dict[str, bytes]:
    """The overview and question pages, made once from their templates (both extend
    page.html: the head, the header and the diagnostics overlay)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(loader=FileSystemLoader(STATIC), autoescape=True,
                              undefined=StrictUndefined)
    return {name: environment.get_template(name).render().encode("utf-8")
            for name in ("overview.html", "question.html")}


def _generated(folder: Path, name: str) -> Path | None:
    """A file the preview generated: one resolved path inside folder, a regular file (no
    folder, no listing, no link out); None for anything else."""
    if not name or "\\" in name or "\x00" in name:
        return None
    root = folder.resolve()
    try:
        path = (root / name).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(root) or path == root:
        return None
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    return path if stat.S_ISREG(mode) else None


def hosts(sock: socket.socket) -> set[str]:
    """The Host headers a request to this socket may carry."""
    port = sock.getsockname()[1]
    address = sock.getsockname()[0]
    names = {"localhost", "127.0.0.1"} if sock.family == socket.AF_INET else {"localhost",
                                                                               "[::1]"}
    if sock.family == socket.AF_INET and address != "127.0.0.1":
        names.add(address)
    return {f"{name}:{port}" for name in names}


def url(sock: socket.socket) -> str:
    address, port = sock.getsockname()[:2]
    return f"http://{'[' + address + ']' if ':' in address else address}:{port}/"


def serve(source: Path, sock: socket.socket, cache: Path | None, tell, ready) -> None:
    """Run until Ctrl-C (SIGINT) or SIGTERM: the print process first (forked before any
    thread starts), then the watcher, the previewer and the web server."""
    import uvicorn
    import watchfiles

    files = Path(tempfile.mkdtemp(prefix="qabook-serve-"))
    printer = Printer(source.resolve())  # forked now, before any thread starts
    previewer = None
    try:
        previewer = Previewer(source, cache, files, printer, tell)
        app = application(previewer, hosts(sock))
        ignored = {files.resolve()} | ({cache.resolve()} if cache is not None else set())

        class Filter(watchfiles.DefaultFilter):
            def __call__(self, change, path: str) -> bool:
                resolved = Path(path).resolve()
                return super().__call__(change, path) and not any(
                    resolved.is_relative_to(folder) for folder in ignored)

        async def main() -> None:
            config = uvicorn.Config(app, log_level="warning", access_log=False,
                                    lifespan="off", timeout_graceful_shutdown=1,
                                    ws="none", http="h11")
            server = uvicorn.Server(config)
            stop = asyncio.Event()

            async def watch() -> None:
                async for changes in watchfiles.awatch(source, watch_filter=Filter(),
                                                       stop_event=stop, step=20,
                                                       debounce=400, rust_timeout=200):
                    previewer.saved({Path(path) for _, path in changes})

            watcher = asyncio.create_task(watch())
            previewer.start()
            ready(url(sock))
            try:
                await server.serve(sockets=[sock])
            finally:
                previewer.stop()
                stop.set()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(watcher, 2)

        asyncio.run(main())
    finally:
        if previewer is not None:  # it may be writing a preview: let it end first
            previewer.stop()
            if previewer.thread.is_alive():
                previewer.thread.join(30)
        printer.stop()
        shutil.rmtree(files, ignore_errors=True)
        sock.close()
