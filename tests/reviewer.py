"""Cards shown the way Anki's reviewer shows them, measured in headless chromium.

The page is Anki's own reviewer page (aqt/_aqt/data/web from the aqt wheel, see the Makefile's
tools/aqt): webview.css, reviewer.css and reviewer.js, which loads Anki's MathJax from
/_anki/js/vendor/mathjax. A small HTTP server plays Anki's media server: /_anki/… from the
wheel, anything else from the collection's media folder. Each card's question() and answer()
go through reviewer.js's own _showQuestion and _showAnswer; `.mobile` is put on <html> as
AnkiDroid does, `nightMode` on the body as Anki does at night.

`measure` returns, for every card side, the page and element overflows, the fonts the page
loaded, MathJax errors and every figure's smallest text in CSS px (`figure_text_px`).
`screenshot` writes a PNG of one card side.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mathjax_probe import _element_text, _run_to_end

WEB = Path("_aqt") / "data" / "web"
PHONE, DESKTOP = 390, 1024


def aqt_dir() -> Path | None:
    """The unpacked aqt wheel: $QABOOK_AQT_DIR, else tools/aqt of this checkout or of the
    main checkout it is a worktree of (None if there is none)."""
    here = Path(__file__).resolve().parent.parent
    candidates = [os.environ.get("QABOOK_AQT_DIR"), here / "tools" / "aqt"]
    common = subprocess.run(["git", "-C", str(here), "rev-parse", "--git-common-dir"],
                            capture_output=True, text=True).stdout.strip()
    if common:
        candidates.append((here / common).resolve().parent / "tools" / "aqt")
    for candidate in candidates:
        if candidate and (Path(candidate) / WEB / "js" / "reviewer.js").is_file():
            return Path(candidate)
    return None


@dataclass(frozen=True)
class Mode:
    width: int
    night: bool

    @property
    def mobile(self) -> bool:
        return self.width < 600

    @property
    def name(self) -> str:
        return f"{'phone' if self.mobile else 'desktop'}-{'night' if self.night else 'light'}"


MODES = tuple(Mode(w, n) for w in (PHONE, DESKTOP) for n in (False, True))

# Runs after reviewer.js: shows each card, opens the folds, measures. Writes JSON into #out.
_HARNESS_JS = r"""
(async function () {
  const input = window.QABOOK_INPUT;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const errors = [];
  window.addEventListener("error", (e) => errors.push(String(e.message)));
  window.bridgeCommand = () => {};
  window.pycmd = () => {};
  if (input.mobile) document.documentElement.classList.add("mobile");
  const bodyclass = "card card1" + (input.night ? " nightMode night_mode" : "");
  if (input.night) document.documentElement.classList.add("night-mode");
  const qa = document.getElementById("qa");
  async function shown(call) {
    qa.style.opacity = "0.5";
    call();
    for (let i = 0; i < 400 && qa.style.opacity !== "1"; i++) await sleep(25);
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
    await document.fonts.ready;
    await sleep(50);
  }
  function scrollBox(el) {
    // a deliberate scroll box: it scrolls, and its background shows a shadow at the edge
    // with more content (covers that scroll with the content: background-attachment local)
    const style = getComputedStyle(el);
    return (style.overflowX === "auto" || style.overflowX === "scroll") &&
      el.matches(input.scrollBoxes) && style.backgroundAttachment.includes("local");
  }
  function describe(el) {
    let text = (el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 60);
    return el.tagName.toLowerCase() + (el.className && typeof el.className === "string" ?
      "." + el.className.trim().split(/\s+/).join(".") : "") + " " + JSON.stringify(text);
  }
  function contentRight(el) {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.right - parseFloat(s.paddingRight) - parseFloat(s.borderRightWidth);
  }
  function measure() {
    // Overflow: anything (outside a scroll box and outside MathJax's clipped assistive
    // MathML) whose right edge passes the card's content box, the page wider than the
    // viewport, or a box that clips content it cannot scroll.
    const root = document.documentElement;
    const out = {pageWidth: root.scrollWidth, viewport: root.clientWidth, overflows: [],
                 scrollBoxes: [], figures: [], mathErrors: 0, height: root.scrollHeight};
    const boxes = [...qa.querySelectorAll(".qb")];
    for (const el of qa.querySelectorAll("*")) {
      if (el.closest("mjx-assistive-mml") || el.closest("details:not([open])")) continue;
      const box = el.parentElement && el.parentElement.closest(input.scrollBoxes);
      if (box && box !== el && qa.contains(box) && scrollBox(box)) continue;
      const style = getComputedStyle(el);
      if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
        const item = {el: describe(el), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth};
        if (scrollBox(el)) { out.scrollBoxes.push(item); continue; }
        if (style.overflowX !== "visible" && !el.tagName.startsWith("MJX")) out.overflows.push(item);
      }
      const card = el.parentElement && el.parentElement.closest(".qb");
      const limit = card ? contentRight(card) : root.clientWidth;
      const rect = el.getBoundingClientRect();
      const right = scrollBox(el) ? contentRight(el) : rect.right;
      if (rect.width > 0 && right > limit + 1) {
        out.overflows.push({el: describe(el), right: Math.round(right), limit: Math.round(limit)});
      }
    }
    if (out.pageWidth > out.viewport) out.overflows.push({el: "page", scrollWidth: out.pageWidth, clientWidth: out.viewport});
    out.mathErrors = qa.querySelectorAll("mjx-merror, [data-mjx-error]").length;
    out.mathCount = qa.querySelectorAll("mjx-container").length;
    for (const img of qa.querySelectorAll("img")) {
      out.figures.push({src: img.getAttribute("src"), width: img.getBoundingClientRect().width,
                        complete: img.complete && img.naturalWidth > 0});
    }
    return out;
  }
  async function figureText(src) {
    // the SVG inlined in a shadow root of its own (its <style> stays inside), sized by its viewBox
    const text = await (await fetch(src)).text();
    const host = document.createElement("div");
    document.body.appendChild(host);
    const shadow = host.attachShadow({mode: "open"});
    shadow.innerHTML = text.replace(/^<\?xml[^>]*>/, "");
    const svg = shadow.querySelector("svg");
    const box = svg && svg.viewBox && svg.viewBox.baseVal;
    let min = Infinity;
    if (svg) {
      for (const t of svg.querySelectorAll("text, tspan")) {
        if (!t.textContent.trim()) continue;
        min = Math.min(min, parseFloat(getComputedStyle(t).fontSize));
      }
    }
    host.remove();
    return {viewBoxWidth: box ? box.width : null, minFontUnits: min === Infinity ? null : min};
  }
  const results = [];
  for (const card of input.cards) {
    const result = {name: card.name};
    await shown(() => _showQuestion(card.question, card.answer, bodyclass));
    result.front = measure();
    await shown(() => _showAnswer(card.answer));
    for (const d of qa.querySelectorAll("details")) d.open = true;
    await sleep(50);
    if (window.MathJax && MathJax.typesetPromise) await MathJax.typesetPromise([qa]).catch(() => {});
    await document.fonts.ready;
    result.back = measure();
    await document.fonts.ready;  // what laying the card out asked for
    // each card brings its own <style> and so its own FontFace objects: look at them now
    result.fonts = [];
    document.fonts.forEach((f) => result.fonts.push({family: f.family.replace(/"/g, ""),
      weight: f.weight, style: f.style, status: f.status}));
    results.push(result);
    if (input.stay) break;
  }
  const fonts = [].concat(...results.map((r) => r.fonts));
  const sizes = {};
  for (const r of results) for (const f of r.back.figures) {
    if (f.src && f.src.endsWith(".svg") && !(f.src in sizes)) sizes[f.src] = await figureText(f.src);
  }
  const target = (window.parent && window.parent !== window ? window.parent : window).document;
  if (input.stay) frameElement.style.height = document.documentElement.scrollHeight + "px";
  target.getElementById("out").textContent = JSON.stringify(
    {results, fonts, figures: sizes, errors}).replace(
      /[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
})().catch((e) => { window.parent.document.getElementById("out").textContent = JSON.stringify({failed: String(e.stack || e)}); });
"""

_PAGE = """<!doctype html>
<html class="" dir="ltr"><head><meta charset="utf-8"><title>reviewer</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/_anki/css/webview.css">
<link rel="stylesheet" href="/_anki/css/reviewer.css">
</head><body class="card">
<script src="/_anki/js/webview.js"></script>
<script src="/_anki/js/reviewer.js"></script>
<div id="_mark" hidden>&#x2605;</div>
<div id="_flag" hidden>&#x2691;</div>
<div id="qa" dir="auto"></div>
<script src="/harness-input.js"></script>
<script src="/harness.js"></script>
</body></html>
"""

# chromium's window is at least 500 px wide: the reviewer page runs in a frame of the width
_OUTER = """<!doctype html>
<html><head><meta charset="utf-8"><title>frame</title></head>
<body style="margin:0;background:#888"><iframe src="/index.html" style="border:0;display:block;width:{width}px;height:{height}px"></iframe>
<pre id="out" style="display:none">PENDING</pre></body></html>
"""

#: the elements the card stylesheet makes scroll boxes on purpose, with a visible affordance
SCROLL_BOXES = ".qb .math.display, .mobile .qb .math.inline, .qb table, .qb pre"


class _Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, media: Path, web: Path, pages: dict, **kwargs):
        self.media, self.web, self.pages = media, web, pages
        super().__init__(*args, directory=str(media), **kwargs)

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if clean.startswith("/_anki/"):
            return str(self.web / clean[len("/_anki/"):])
        return super().translate_path(path)

    def do_GET(self):
        page = self.pages.get(self.path.split("?", 1)[0])
        if page is None:
            return super().do_GET()
        body = page.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8" if self.path.endswith(".html")
                         else "text/javascript; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def _server(media: Path, aqt: Path, pages: dict):
    handler = functools.partial(_Handler, media=media, web=aqt / WEB, pages=pages)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _chromium(url: str, width: int, height: int, extra: list[str], timeout: float, tmp: Path
              ) -> str:
    chromium = shutil.which("chromium")
    if not chromium:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--hide-scrollbars", "--force-device-scale-factor=1",
               f"--window-size={width},{height}", f"--user-data-dir={tmp / 'profile'}",
               "--virtual-time-budget=120000", *extra, url]
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp / "config"), "XDG_CACHE_HOME": str(tmp / "cache")}
    with open(tmp / "stdout", "wb") as stdout, open(tmp / "stderr", "wb") as stderr:
        _run_to_end(command, env, stdout, stderr, timeout, marker=f"{tmp}{os.sep}")
    return (tmp / "stdout").read_text(encoding="utf-8", errors="replace")


def measure(cards: list[dict], media: Path, mode: Mode, aqt: Path, timeout: float = 300) -> dict:
    """Show each card ({"name", "question", "answer"}) in Anki's reviewer and measure it."""
    job = {"cards": cards, "mobile": mode.mobile, "night": mode.night,
           "scrollBoxes": SCROLL_BOXES}
    pages = {"/outer.html": _OUTER.format(width=mode.width, height=800), "/index.html": _PAGE,
             "/harness.js": _HARNESS_JS,
             "/harness-input.js": f"window.QABOOK_INPUT = {json.dumps(job)};\n"}
    with tempfile.TemporaryDirectory(prefix="reviewer-", ignore_cleanup_errors=True) as tmp, \
            _server(media, aqt, pages) as base:
        dom = _chromium(f"{base}/outer.html", max(mode.width, 500), 800, ["--dump-dom"],
                        timeout, Path(tmp))
    text = _element_text(dom, "out")
    try:
        answer = json.loads(text or "")
    except ValueError:
        raise RuntimeError(f"no answer from the reviewer page: {text!r}") from None
    if "failed" in answer:
        raise RuntimeError(f"the reviewer page failed: {answer['failed']}")
    return answer


def screenshot(card: dict, media: Path, mode: Mode, aqt: Path, png: Path, height: int) -> None:
    """A PNG of one card's back (folds open), as tall as `height` CSS px."""
    job = {"cards": [card], "mobile": mode.mobile, "night": mode.night,
           "scrollBoxes": SCROLL_BOXES, "stay": True}
    pages = {"/outer.html": _OUTER.format(width=mode.width, height=height), "/index.html": _PAGE,
             "/harness.js": _HARNESS_JS,
             "/harness-input.js": f"window.QABOOK_INPUT = {json.dumps(job)};\n"}
    with tempfile.TemporaryDirectory(prefix="reviewer-", ignore_cleanup_errors=True) as tmp, \
            _server(media, aqt, pages) as base:
        _chromium(f"{base}/outer.html", max(mode.width, 500), height, [f"--screenshot={png}"],
                  300, Path(tmp))


def figure_text_px(report: dict) -> dict[str, float]:
    """Each figure's smallest text in CSS px as shown: the SVG's smallest font size (in
    viewBox units) × the width the card shows it at / the viewBox width (the narrowest
    showing of the figure counts)."""
    shown: dict[str, float] = {}
    for result in report["results"]:
        for figure in result["back"]["figures"] + result["front"]["figures"]:
            if figure["width"] > 0:
                shown[figure["src"]] = min(shown.get(figure["src"], figure["width"]),
                                           figure["width"])
    sizes = {}
    for src, width in shown.items():
        info = report["figures"].get(src)
        if info and info["viewBoxWidth"] and info["minFontUnits"]:
            sizes[src] = info["minFontUnits"] * width / info["viewBoxWidth"]
    return sizes


def collection_cards(collection) -> list[dict]:
    """Every card of an `anki` Collection as the reviewer gets it, in due order."""
    cards = sorted((collection.get_card(cid) for cid in collection.find_cards("")),
                   key=lambda c: c.due)
    return [{"name": card.note()["Key"], "question": card.question(), "answer": card.answer()}
            for card in cards]
