"""`qabook serve`: the live preview, in Debian's chromium (tests/serve.js through
puppeteer-core, as tests/reading.js), and its defences, over real HTTP.

The server runs as `python -m qabook serve` in a process of its own, on a free port, on a
starter book (`qabook new`)."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from lxml import html as lxml_html

from conftest import REPO, run
from reading import tools_dir

SCRIPT = Path(__file__).parent / "serve.js"
QUESTION = Path("chapters") / "01-memory" / "q01-spaced-reviews.md"
OPENING = "Hermann Ebbinghaus measured his own forgetting"


class Server:
    """`qabook serve` in a subprocess; its URL from the first line it prints."""

    def __init__(self, book: Path, *args: str):
        env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qabook", "serve", "--source", str(book), "--port", "0",
             "--cache", str(book.parent / "cache"), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            cwd=book.parent)
        line = self.process.stdout.readline()
        found = re.search(r"at (http://\S+/) ", line)
        if found is None:
            self.process.kill()
            raise AssertionError(f"serve did not start: {line}{self.process.stderr.read()}")
        self.url = found.group(1)
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))

    def get(self, path: str, host: str | None = None) -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", f"127.0.0.1:{self.port}" if host is None else host)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body

    def state(self, question: str = "1") -> dict:
        return json.loads(self.get(f"/api/state?q={question}")[2])

    def wait(self, test, timeout: float = 180) -> dict:
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            state = self.state()
            if test(state):
                return state
            time.sleep(0.2)
        raise AssertionError(f"the server never got there: {json.dumps(self.state())[:2000]}")

    def stop(self) -> tuple[int, str, str]:
        self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, out, err


def ready(state: dict) -> bool:
    question = state["question"]
    return bool(question and question["current"]["cards"] and question["current"]["print"]
                and question["pages"])


@pytest.fixture
def book(tmp_path: Path) -> Path:
    folder = tmp_path / "book"
    assert run("new", str(folder))[0] == 0
    return folder


@pytest.fixture
def server(book: Path):
    served = Server(book)
    yield served
    if served.process.poll() is None:
        served.stop()


def browse(job: dict, timeout: float = 600) -> dict:
    tools, chromium = tools_dir(), shutil.which("chromium")
    if tools is None or chromium is None or shutil.which("node") is None:
        pytest.fail("run `make test`: it installs node's tools (tools/node) and chromium")
    with tempfile.TemporaryDirectory(prefix="serve-job-") as tmp:
        path = Path(tmp) / "job.json"
        path.write_text(json.dumps({"tools": str(tools), "chromium": chromium, **job}))
        env = {**os.environ, "HOME": tmp, "XDG_CONFIG_HOME": tmp, "XDG_CACHE_HOME": tmp}
        proc = subprocess.run(["node", str(SCRIPT), str(path)], capture_output=True, text=True,
                              timeout=timeout, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_the_preview_follows_edits_and_shows_a_broken_reference_until_it_is_fixed(
        book: Path, server: Server, tmp_path: Path) -> None:
    file = book / QUESTION
    text = file.read_text("utf-8")
    assert OPENING in text and "(@fig-forgetting)" in text
    edited = text.replace(OPENING, "Hermann Ebbinghaus (edited-one) measured his own forgetting")
    edited2 = text.replace(OPENING, "Hermann Ebbinghaus (edited-two) measured his own forgetting")
    broken = edited2.replace("(@fig-forgetting)", "(see Q99)")
    line = broken.splitlines().index(next(l for l in broken.splitlines() if "see Q99" in l)) + 1
    column = broken.splitlines()[line - 1].index("Q99") + 1
    where = f"{QUESTION}:{line}:{column}"
    shots = tmp_path / "shots"
    shots.mkdir()
    answer = browse({"url": server.url + "q/1", "file": str(file), "timeout": 120_000,
                     "shots": str(shots), "steps": [
                         {"kind": "text", "content": edited, "expect": "(edited-one)",
                          "shot": "edited.png"},
                         {"kind": "text", "content": edited2, "expect": "(edited-two)"},
                         {"kind": "broken", "content": broken, "expect": where,
                          "shot": "broken.png"},
                         {"kind": "fixed", "content": edited2, "expect": "(edited-two)",
                          "shot": "fixed.png"}]})
    assert answer["failed"] is None, answer["failed"]
    assert [step["ok"] for step in answer["steps"]] == [True] * 4, answer["steps"]
    # the starter's question has a question note, two exercises and key terms: every card
    # side in four modes
    assert answer["opened"]["cards"] >= 4 * 2 * 3 and answer["opened"]["pages"] >= 1
    broken_step = answer["steps"][2]
    assert "ref.unknown" in broken_step["overlay"] and "Q99" in broken_step["overlay"]
    assert answer["outside"] == [], answer["outside"]  # no request left this origin
    assert answer["errors"] == [], answer["errors"]
    for shot in ("opened.png", "edited.png", "broken.png", "fixed.png"):
        assert (shots / shot).stat().st_size > 10_000
    code, out, err = server.stop()
    assert code == 0 and "Traceback" not in err, err
    assert "qabook serve: stopped" in out
    assert f"{QUESTION}:{line}:{column}: error:" in err  # the terminal said it too


def test_served_pages_name_nothing_outside_the_server(book: Path, server: Server) -> None:
    state = server.wait(ready)
    question = state["question"]
    pages = ["/", "/q/1", "/q/latest", question["epub"]]
    pages += [side[theme] for card in question["cards"] for side in card["sides"].values()
              for theme in ("light", "night")]
    for path in pages:
        status, headers, body = server.get(path)
        assert status == 200, path
        assert "default-src 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        root = lxml_html.document_fromstring(body)
        for element in root.iter():
            for attribute in ("src", "href", "data", "action", "poster"):
                value = element.get(attribute) if isinstance(element.tag, str) else None
                if value is None or value.startswith("#"):
                    continue
                # a card may link to a web page (an <a>), which loads nothing
                if element.tag == "a" and value.startswith(("http://", "https://", "mailto:")):
                    continue
                assert "//" not in value and ":" not in value.split("/")[0], \
                    f"{path}: <{element.tag} {attribute}={value!r}>"


def test_after_an_edit_an_epub_page_loads_its_text_alone(book: Path, server: Server) -> None:
    """A question's EPUB page keeps the URLs of its stylesheet and figures across edits
    (named by their content, served as never changing), while its text file is served as
    changing and named with a new query after each save: a tab loads the text alone."""
    from urllib.parse import urljoin, urlsplit

    state = server.wait(ready)
    first = state["question"]["epub"]
    status, headers, body = server.get(first)
    assert status == 200 and headers["cache-control"] == "no-cache"
    root = lxml_html.document_fromstring(body)
    assets = {urljoin(urlsplit(first).path, element.get(attribute))
              for element in root.iter() if isinstance(element.tag, str)
              for attribute in ("src", "href")
              if element.get(attribute) and not element.get(attribute).startswith("#")
              and (element.tag != "a")}
    assert any(a.endswith(".css") for a in assets), assets
    for asset in assets:
        status, headers, _ = server.get(asset)
        assert status == 200 and "immutable" in headers["cache-control"], asset
    source = book / QUESTION
    source.write_text(source.read_text().replace(OPENING, OPENING + " (edited)"))
    state = server.wait(lambda s: ready(s) and s["question"]["epub"] != first)
    second = state["question"]["epub"]
    assert urlsplit(second).path == urlsplit(first).path  # the same folder, a new query
    assert b"(edited)" in server.get(second)[2]
    assert b"(edited)" in server.get(urlsplit(second).path)[2]


def test_only_the_servers_own_name_is_answered(server: Server) -> None:
    assert server.get("/")[0] == 200
    assert server.get("/", host=f"localhost:{server.port}")[0] == 200
    for host in (f"evil.example:{server.port}", "evil.example", f"127.0.0.1:{server.port + 1}",
                 ""):
        status, _, body = server.get("/", host=host)
        assert status == 421, host
        assert b"answers only to" in body


def test_no_path_leads_outside_the_generated_files(book: Path, server: Server) -> None:
    state = server.wait(ready)
    page = state["question"]["pages"][0]
    assert server.get(page)[0] == 200
    generation = page.split("/")[2]
    secret = book.parent / "secret.txt"
    secret.write_text("not for the browser")
    (book.parent / "cache").mkdir(exist_ok=True)
    link_target = Path(tempfile.gettempdir())
    for path in ("/files/../secret.txt", "/files/%2e%2e/%2e%2e/etc/passwd",
                 f"/files/{generation}/../../../../../etc/passwd",
                 f"/files/{generation}/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                 "/files/%2fetc%2fpasswd", "/files//etc/passwd", "/files/", f"/files/{generation}",
                 f"/files/{generation}/", f"/files/{generation}/q1", "/static/../book.yaml",
                 "/static/overview.html", "/q/..%2f..%2fbook.yaml", "/book.yaml",
                 f"/files/{link_target}"):
        status, _, body = server.get(path)
        assert status == 404, (path, status)
        assert b"root:" not in body and b"not for the browser" not in body


def test_a_host_that_is_not_loopback_is_refused(book: Path) -> None:
    for host in ("0.0.0.0", "192.168.1.10", "example.com", "::"):
        code, out, err = run("serve", "--source", str(book), "--host", host, "--port", "0")
        assert code == 2, (host, out, err)
        assert "not a loopback address" in err


def test_a_port_in_use_is_named(book: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        code, out, err = run("serve", "--source", str(book), "--port", str(port))
    finally:
        taken.close()
    assert code == 1
    assert f"port {port} on 127.0.0.1 is in use" in err and "--port" in err
    assert "Traceback" not in err


def test_a_folder_without_a_book_is_refused(tmp_path: Path) -> None:
    code, out, err = run("serve", "--source", str(tmp_path / "nothing"), "--port", "0")
    assert code == 1
    assert "holds no book.yaml" in err and "qabook new" in err


def test_card_sides_are_filled_in_as_anki_fills_them() -> None:
    from qabook.render.preview import card_side, cloze_ordinals

    template = ("<div>{{Heading}}</div>{{#Answer}}<details>{{Answer}}</details>{{/Answer}}"
                "{{^Extra}}<i>no extra</i>{{/Extra}}")
    assert card_side(template, {"Heading": "Q1", "Answer": "<p>A</p>", "Extra": ""}) == \
        "<div>Q1</div><details><p>A</p></details><i>no extra</i>"
    assert card_side(template, {"Heading": "Q1", "Answer": " ", "Extra": "x"}) == \
        "<div>Q1</div>"
    back = card_side("{{FrontSide}}<hr id=answer>{{Summary}}", {"Summary": "S"}, 1, "F")
    assert back == "F<hr id=answer>S"
    text = "A {{c1::forgetting curve}} and the {{c2::spacing effect::effect}}."
    fields = {"Text": text}
    assert cloze_ordinals(text) == [1, 2]
    assert card_side("{{cloze:Text}}", fields, 2) == \
        'A forgetting curve and the <span class="cloze" data-ordinal="2">[effect]</span>.'
    assert card_side("{{cloze:Text}}", fields, 1, front="") == \
        'A <span class="cloze" data-ordinal="1">forgetting curve</span> and the spacing effect.'


def descendants(pid: int) -> set[int]:
    """The processes below pid (from /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        children = {child for child, of in parents.items() if of == parent}
        todo += children - found
        found |= children
    return found


def test_sigterm_stops_it_as_ctrl_c_does(book: Path) -> None:
    served = Server(book)
    served.wait(ready)  # its print process and layout workers have worked
    below = descendants(served.process.pid)
    assert len(below) >= 2, below  # the print process and its layout workers at least
    served.process.send_signal(signal.SIGTERM)
    out, err = served.process.communicate(timeout=30)
    assert served.process.returncode == 0, err
    assert "qabook serve: stopped" in out and "Traceback" not in err
    time.sleep(1)
    assert not [pid for pid in below if Path(f"/proc/{pid}").exists() and
                "qabook" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")]


@pytest.fixture
def previewer(book: Path, tmp_path: Path):
    """serve's previewer of the starter book in this process, with its print process (the
    worker's steps are called by the test)."""
    from qabook import serve
    from qabook.render import preview

    printer = serve.Printer(book.resolve())
    (tmp_path / "files").mkdir(mode=0o700)  # (as serve makes it)
    made = serve.Previewer(book, tmp_path / "cache", tmp_path / "files", printer)
    made.mathml = preview.MathCache()
    yield made
    printer.stop()


def test_the_print_preview_is_sent_whole_while_the_other_threads_fill_the_context(
        previewer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cards and EPUB threads fill the render context's memos (cached properties) while
    the first question's pages are being laid out in the print process: what goes to that
    process must not be read from the context meanwhile (a dictionary that grows while it is
    pickled stops the pickle, and the print thread died with a traceback)."""
    from qabook.render import preview

    def filling(real):
        def renderer(ctx, *args):
            began, step = time.monotonic(), 0
            while time.monotonic() < began + 0.5:  # memo after memo, as a renderer fills
                ctx.__dict__[f"{real.__name__}-{step}"] = step  # (and then clears) its own
                step += 1
            for made in range(step):
                del ctx.__dict__[f"{real.__name__}-{made}"]
            return real(ctx, *args)
        return renderer

    monkeypatch.setattr(preview, "cards", filling(preview.cards))
    monkeypatch.setattr(preview, "epub_pages", filling(preview.epub_pages))
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # the threads take turns often, as on a busy machine
    try:
        for _ in range(3):
            previewer.checks += 1  # every view stale: cards, EPUB page and print again
            previewer.want(1)
            previewer._once()
            assert [d.message for d in previewer.failed if d.severity == "error"] == []
            view = previewer.views[1]
            assert view.printed == view.book == previewer.checks
            assert view.pages and view.cards and view.epub
    finally:
        sys.setswitchinterval(switching)


def test_tabs_coming_and_going_while_the_preview_renders_are_no_error(previewer) -> None:
    """The server's thread adds and removes the questions the tabs watch while the
    previewer's thread reads them to choose what to render (some of them questions the
    book does not have: a tab left open on a question since renumbered)."""
    import threading

    stop = threading.Event()
    try:
        class Tab:  # a tab's event loop and queue, told nothing here
            def call_soon_threadsafe(self, *args) -> None:
                pass

            def put_nowait(self, version: int) -> None:
                pass

        loop = queue = Tab()

        def tabs() -> None:
            while not stop.is_set():
                for number in range(1, 40):
                    previewer.listen(loop, queue, number)
                for number in range(1, 40):
                    previewer.unlisten(loop, queue, number)

        busy = threading.Thread(target=tabs, daemon=True)
        busy.start()
        for _ in range(3):
            previewer.checks += 1  # every view stale
            previewer._guarded(previewer._once)
            assert [d.message for d in previewer.failed if d.severity == "error"] == []
    finally:
        stop.set()


def test_a_print_that_failed_is_not_asked_again_until_the_book_changes(previewer) -> None:
    """A failed render is shown; the tabs, told, ask for the question again, and that must
    not start the same failing render over and over."""
    previewer.printer.stop()  # its process is gone: every print fails
    previewer.want(1)
    previewer._guarded(previewer._once)
    assert any("print preview's process died" in d.message for d in previewer.failed)
    assert previewer.views[1].printed != previewer.checks and previewer.views[1].cards
    previewer.wake.clear()
    previewer.want(1)  # a tab refreshed after the failure was announced
    assert not previewer.wake.is_set()
    previewer.checks += 1  # the book changed: it is tried again
    previewer.want(1)
    assert previewer.wake.is_set()
