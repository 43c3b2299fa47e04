"""Anki's own MathJax (from the aqt wheel) in headless chromium: its TeX macro names and its verdicts on formulas."""

from __future__ import annotations

import html.parser
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

MATHJAX_JS = "tex-chtml-full.js"

# Anki's TeX configuration (aqt/_aqt/data/web/js/mathjax.js); the "verdicts" mode drops noerrors and
# noundefined, which only change how an error is shown, so that errors surface instead.
_PAGE_JS = r"""
(function () {
  const input = window.QABOOK_INPUT;
  const names = input.mode === "names";
  let texError = null;
  const out = (value) => {
    // ASCII-only JSON, so the serialised DOM carries it through unchanged (no &nbsp; and the like)
    document.getElementById("out").textContent = JSON.stringify(value).replace(
      /[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  };
  window.addEventListener("error", (e) => {
    if (document.getElementById("out").textContent === "PENDING") out({ok: false, error: e.message});
  });
  const tex = {
    displayMath: [["\\[", "\\]"]], processEscapes: false, processEnvironments: false, processRefs: false,
    packages: names ? {"[+]": ["noerrors", "mathtools"], "[-]": ["textmacros"]}
                    : {"[+]": ["mathtools"], "[-]": ["textmacros", "noerrors", "noundefined"]},
  };
  if (!names) {
    // MathJax turns a TeX error into an <merror> here; remember the error and let it do so
    tex.formatError = (jax, err) => { texError = err; return jax.formatError(err); };
  }

  function mapsOf(kind) {
    return [...MathJax.startup.input[0].parseOptions.handlers.get(kind)._configuration].map((x) => x.item);
  }

  function knownNames() {
    const DelimiterMap = MathJax._.input.tex.SymbolMap.DelimiterMap;
    const macros = new Set(), environments = new Set();
    for (const map of mapsOf("macro")) {
      for (const key of map.map.keys()) {
        // a delimiter map serves both \left( and \lbrace: only its "\name" keys are control sequences
        if (!(map instanceof DelimiterMap)) macros.add(key);
        else if (key.startsWith("\\")) macros.add(key.slice(1));
      }
    }
    for (const map of mapsOf("environment")) for (const key of map.map.keys()) environments.add(key);
    const sorted = (s) => [...s].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return {version: MathJax.version, macros: sorted(macros), environments: sorted(environments)};
  }

  function verdicts(formulas) {
    return formulas.map(([formula, display]) => {
      // fresh input jax and document for every formula: \newcommand, \def, \require, \label, ...
      // would otherwise carry over to the formulas after it (about 2 ms each)
      MathJax.startup.getComponents();
      texError = null;
      try {
        MathJax.tex2mml(formula, {display: display});
      } catch (err) {
        // \require of a package that is not bundled: MathJax would have to load it from a file first
        if (err && err.retry) return "MathJax retry: \\require of a package missing from tex-chtml-full.js";
        return "MathJax failed: " + String(err && err.message || err);
      }
      return texError ? String(texError.message) : null;
    });
  }

  window.MathJax = {
    tex: tex,
    loader: {load: names ? ["[tex]/noerrors", "[tex]/mathtools"] : ["[tex]/mathtools"]},
    startup: {
      typeset: false,
      pageReady: () => MathJax.startup.defaultPageReady().then(() => {
        out({ok: true, result: names ? knownNames() : verdicts(input.formulas)});
      }).catch((e) => out({ok: false, error: String(e && e.stack || e)})),
    },
  };
})();
"""

_PAGE_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>mathjax probe</title>
<script src="input.js"></script>
<script src="page.js"></script>
<script src="{mathjax}"></script>
</head><body><pre id="out">PENDING</pre></body></html>
"""


def anki_mathjax_dir() -> Path:
    """The MathJax folder inside the unpacked aqt wheel named by $QABOOK_AQT_DIR."""
    root = os.environ.get("QABOOK_AQT_DIR")
    if not root:
        raise RuntimeError(
            "QABOOK_AQT_DIR is not set: point it at an unpacked aqt wheel "
            "(pip download aqt --no-deps, then unzip it)"
        )
    folder = Path(root) / "_aqt" / "data" / "web" / "js" / "vendor" / "mathjax"
    if not (folder / MATHJAX_JS).is_file():
        raise RuntimeError(f"QABOOK_AQT_DIR={root}: no {folder / MATHJAX_JS}; is it an unpacked aqt wheel?")
    return folder


def known_names(mathjax_dir: Path) -> dict:
    """{"version", "macros" (without the backslash), "environments"} defined under Anki's exact configuration.

    noerrors and noundefined are loaded, as in Anki; neither defines a macro or an environment. Packages a
    formula could still pull in with \\require (physics, for one, is bundled) are not counted.
    """
    return _run(Path(mathjax_dir), {"mode": "names"}, timeout=120)


def verdicts(mathjax_dir: Path, formulas: list[tuple[str, bool]], timeout: float = 600) -> list[str | None]:
    """For each (tex, display) pair: None if MathJax's TeX input accepts it, else its error message."""
    job = {"mode": "verdicts", "formulas": [[str(tex), bool(display)] for tex, display in formulas]}
    result = _run(Path(mathjax_dir), job, timeout)
    if len(result) != len(formulas):
        raise RuntimeError(f"MathJax answered {len(result)} verdicts for {len(formulas)} formulas")
    return result


def _run(mathjax_dir: Path, job: dict, timeout: float):
    """Run the page on `job` in a fresh headless chromium and return the page's result."""
    mathjax = (mathjax_dir / MATHJAX_JS).resolve()
    if not mathjax.is_file():
        raise RuntimeError(f"no {mathjax}")
    chromium = shutil.which("chromium")
    if not chromium:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="mathjax-probe-", ignore_cleanup_errors=True) as tmp:
        tmp = Path(tmp)
        (tmp / "input.js").write_text(f"window.QABOOK_INPUT = {json.dumps(job)};\n", encoding="utf-8")
        (tmp / "page.js").write_text(_PAGE_JS, encoding="utf-8")
        page = tmp / "page.html"
        page.write_text(_PAGE_HTML.format(mathjax=mathjax.as_uri()), encoding="utf-8")
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp / 'profile'}",
            # virtual time only runs while the page is idle, so the DOM is dumped after the work, however long
            "--virtual-time-budget=60000", "--dump-dom", page.as_uri(),
        ]
        # crashpad keeps its reports under $XDG_CONFIG_HOME: keep them in the temporary folder too
        env = {**os.environ, "XDG_CONFIG_HOME": str(tmp / "config"), "XDG_CACHE_HOME": str(tmp / "cache")}
        with open(tmp / "stdout", "wb") as stdout, open(tmp / "stderr", "wb") as stderr:
            _run_to_end(command, env, stdout, stderr, timeout, marker=f"{tmp}{os.sep}")
        dom = (tmp / "stdout").read_text(encoding="utf-8", errors="replace")
        log = (tmp / "stderr").read_text(encoding="utf-8", errors="replace")
    text = _element_text(dom, "out")
    try:
        answer = json.loads(text or "")
    except ValueError:
        raise RuntimeError(f"no answer from MathJax in chromium (page: {text!r}); its log:\n{log[-3000:]}") from None
    if not answer.get("ok"):
        raise RuntimeError(f"MathJax page failed: {answer.get('error')}")
    return answer["result"]


def _run_to_end(command: list[str], env: dict, stdout, stderr, timeout: float, marker: str) -> None:
    """Run chromium in a process group of its own, then kill whatever is left of it."""
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                               start_new_session=True)
    deadline = time.monotonic() + timeout
    try:
        # wait without reaping: while chromium is an unreaped zombie, its group id cannot be reused
        while os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"chromium took more than {timeout} s")
            time.sleep(0.05)
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        # chromium's crash handler runs in a session of its own; it is ours if its command line names
        # our (unique) temporary folder: --database=<tmp>/config/chromium/Crash Reports
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if marker.encode() in (proc / "cmdline").read_bytes():
                    os.kill(int(proc.name), signal.SIGKILL)
            except (OSError, ValueError):
                pass


class _ElementText(html.parser.HTMLParser):
    """Collects the text inside the element with a given id."""

    def __init__(self, element_id: str):
        super().__init__()  # convert_charrefs: the text comes out unescaped
        self.element_id, self.depth, self.parts, self.found = element_id, 0, [], False

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.depth, self.found = 1, True

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def _element_text(document: str, element_id: str) -> str | None:
    """The text inside the element with this id in an HTML document, or None if there is none."""
    parser = _ElementText(element_id)
    parser.feed(document)
    parser.close()
    return "".join(parser.parts) if parser.found else None
