"""The real book's EPUB as reading systems show it, and as calibre converts it for Kindle.

tests/reading.py reads every content file in Debian's chromium at 390 and 600 px, with the
book's own styles, with Readium CSS (day, night, sepia) as Thorium injects it, with night and
dark grey themes that only colour the body (as epub.js does), and under a dark OS on a white
page: nothing may stick out of the text column or scroll sideways, every noteref is raised
above the line, and every text holds 4.5:1 against what it is drawn on. calibre's
ebook-convert (the usual way onto a Kindle) must convert it without a warning, and the
Kindle book's text must not show TeX.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest
import reading
import tinycss2
from lxml import etree

from qabook.render import epub_package, epub_style

XHTML = "http://www.w3.org/1999/xhtml"
EPUB = "http://www.idpf.org/2007/ops"
MATHML = "http://www.w3.org/1998/Math/MathML"
TEX = re.compile(r"\\[A-Za-z]+|_\{|\^\{")  # over plain text converted from the Kindle book


def _tools() -> None:
    assert reading.tools_dir() and shutil.which("chromium") and shutil.which("node"), \
        "run `make test`: it installs node's tools (tools/node) and chromium"


@pytest.fixture(scope="module")
def unpacked(real_epub: Path, tmp_path_factory) -> Path:
    return reading.unzip(real_epub, tmp_path_factory.mktemp("unpacked"))


@pytest.fixture(scope="module")
def files(unpacked: Path) -> list[str]:
    return reading.content_files(unpacked)


@pytest.fixture(scope="module")
def read(unpacked: Path, files: list[str], converting) -> dict:
    """Every content file at both widths in every mode (while calibre converts the book)."""
    _tools()
    return reading.read(unpacked, files)


def _where(result: dict) -> str:
    return f"{PurePosixPath(result['file']).name} at {result['width']} px, {result['mode']}"


def test_every_file_is_read_at_both_widths_in_every_mode(read, files) -> None:
    assert read["errors"] == []
    assert len(files) > 50  # cover, title page, contents and the book's 49 files
    done = sorted((r["file"], r["width"], r["mode"]) for r in read["results"])
    assert done == sorted((f, w, m) for f in files for w in reading.WIDTHS for m in reading.MODES)
    silent = [_where(r) for r in read["results"]
              if r["texts"] == 0 and not r["file"].endswith("cover.xhtml")]
    assert silent == []
    assert [(_where(r), u) for r in read["results"] for u in r["unknownColours"]] == []


def test_nothing_is_wider_than_the_page(read) -> None:
    sticking_out = [(_where(r), o) for r in read["results"] for o in r["overflows"]]
    assert sticking_out == []


def test_every_noteref_is_a_raised_superscript(read, unpacked, files) -> None:
    for path in files:
        root = etree.parse(str(unpacked / path)).getroot()
        links = [a for a in root.iter(f"{{{XHTML}}}a")
                 if "noteref" in (a.get(f"{{{EPUB}}}type") or "").split()]
        for result in (r for r in read["results"] if r["file"] == path):
            assert len(result["noterefs"]) == len(links), _where(result)
            assert reading.unraised(result) == [], _where(result)
            # a smaller figure than the line's, not a full-size digit lifted a little
            assert all(ref["sizeRatio"] < 0.9 for ref in result["noterefs"]), _where(result)
    assert sum(len(r["noterefs"]) for r in read["results"]) > 0


def test_every_text_holds_its_contrast_in_every_mode(read) -> None:
    low = [(_where(r), c) for r in read["results"] for c in r["contrast"]]
    assert low == []


def test_code_is_set_near_the_body_size(read) -> None:
    sizes = [(_where(r), r["codeSize"]) for r in read["results"] if r["codeSize"] is not None]
    assert len({where.split(" at ")[0] for where, _ in sizes}) > 5
    assert [(where, size) for where, size in sizes if size < 0.85] == []


def test_the_markup_the_stylesheet_needs(unpacked, files) -> None:
    """Noterefs hold a <sup>; code lines say their indentation, and the stylesheet has a rule
    for each; display maths sits in its box; no file has a <style> of its own."""
    css = (unpacked / "EPUB" / "styles" / "stylesheet1.css").read_text()
    selectors = {tinycss2.serialize(rule.prelude).strip() for rule in
                 tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
                 if rule.type == "qualified-rule"}
    lines = indented = formulas = 0
    for path in files:
        root = etree.parse(str(unpacked / path)).getroot()
        assert list(root.iter(f"{{{XHTML}}}style")) == [], path
        for a in root.iter(f"{{{XHTML}}}a"):
            if "noteref" in (a.get(f"{{{EPUB}}}type") or "").split():
                assert [child.tag for child in a] == [f"{{{XHTML}}}sup"], path
                assert not (a.text or "").strip() and (a[0].text or "").strip(), path
        for code in root.iterfind(f".//{{{XHTML}}}pre/{{{XHTML}}}code"):
            for line in code:
                assert line.tag == f"{{{XHTML}}}span", path
                text = "".join(line.itertext())
                spaces = len(text) - len(text.lstrip(" "))
                marks = [c for c in (line.get("class") or "").split() if c.startswith("indent-")]
                assert marks == ([f"indent-{spaces}"] if spaces else []), (path, text)
                if spaces:
                    assert f"pre > code > span.indent-{spaces}" in selectors
                    indented += 1
                lines += 1
        for math in root.iter(f"{{{MATHML}}}math"):
            if math.get("display") == "block":
                box = math.getparent()
                assert box.tag == f"{{{XHTML}}}span" and box.get("class") == "display-math", path
                formulas += 1
    assert lines > 100 and indented > 10 and formulas > 10


def test_restyling_a_restyled_file_changes_nothing(unpacked, files) -> None:
    """epub_style's changes are made once: a second pass (a cached file, a re-wired call)
    gives the same bytes, so no <sup> in a <sup>, no box in a box."""
    for path in files:
        data = (unpacked / path).read_bytes()
        tree = epub_package.parse(data)
        epub_style.style(tree.getroot())
        assert epub_package.serialise(tree) == data, path


def test_the_harness_sees_what_it_looks_for(tmp_path: Path) -> None:
    """A page with each fault: the harness must report each, in the modes it shows in."""
    _tools()
    page = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="{EPUB}" lang="en" xml:lang="en">
<head><title>faults</title><style>
body {{ margin: 0 4%; }}
a {{ color: inherit; }}
pre {{ white-space: pre; }}
.box {{ background: #eef4fc; }}
.scroll {{ overflow-x: auto; }}
</style></head>
<body>
<pre id="long"><code>a_line_of_code_much_too_long_for_a_phone_screen(with, arguments)</code></pre>
<p id="flat">A note.<a href="#n1" epub:type="noteref" role="doc-noteref">1</a></p>
<p id="raised">A note.<a href="#n2" epub:type="noteref" role="doc-noteref"><sup>2</sup></a></p>
<div class="box"><p>Light blue behind the text.</p></div>
<div class="scroll"><span style="display: inline-block; width: 900px">wide</span></div>
<aside id="n1" epub:type="footnote"><p>One.</p></aside>
<aside id="n2" epub:type="footnote"><p>Two.</p></aside>
</body></html>
"""
    (tmp_path / "page.xhtml").write_text(page)
    answer = reading.read(tmp_path, ["page.xhtml"], widths=(390,),
                          modes=("publisher", "forced-night", "readium-night"))
    by_mode = {r["mode"]: r for r in answer["results"]}
    for result in by_mode.values():
        kinds = " ".join(f"{o['el']} {o.get('kind', '')}" for o in result["overflows"])
        assert "code in #long" in kinds and "scroll box (auto)" in kinds, result["mode"]
        flat, raised = result["noterefs"]
        assert reading.unraised(result) == [flat] and raised["raise"] >= reading.RAISED
    assert "the page scrolls sideways" in str(by_mode["publisher"]["overflows"])
    # light grey text on the light blue box once a theme sets only the body's colours;
    # Readium's night theme clears every background
    assert [c["colour"] for c in by_mode["forced-night"]["contrast"]] == ["#dddddd"]
    assert by_mode["publisher"]["contrast"] == by_mode["readium-night"]["contrast"] == []


@pytest.fixture(scope="module")
def converting(real_epub: Path, tmp_path_factory):
    """calibre's conversion to AZW3, started (it runs beside the reading harness)."""
    assert shutil.which("ebook-convert"), "run `make test`: it installs calibre"
    out = tmp_path_factory.mktemp("kindle")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(out),
           "CALIBRE_CONFIG_DIRECTORY": str(out / "config")}
    with open(out / "convert.log", "w+", encoding="utf-8") as log:
        proc = subprocess.Popen(["ebook-convert", str(real_epub), str(out / "book.azw3")],
                                stdout=log, stderr=subprocess.STDOUT, text=True, env=env)
        yield proc, out, env, log
        if proc.poll() is None:
            proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def kindle(converting) -> tuple[str, str]:
    """calibre's output converting the book to AZW3, and that book's text."""
    proc, out, env, log = converting
    returncode = proc.wait(timeout=300)
    log.seek(0)
    output = log.read()
    assert returncode == 0, output[-3000:]
    text = subprocess.run(["ebook-convert", str(out / "book.azw3"), str(out / "book.txt")],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert text.returncode == 0, text.stdout[-2000:] + text.stderr[-2000:]
    return output, (out / "book.txt").read_text(encoding="utf-8")


def test_calibre_converts_for_kindle_without_a_warning(kindle) -> None:
    log, text = kindle
    complaints = [line for line in log.splitlines()
                  if re.search(r"warn|error|unknown|invalid|fail", line, re.IGNORECASE)]
    assert complaints == []
    assert "AZW3 output written" in log
    assert "Q17. “Self”-Attention" in text


def test_the_kindle_text_shows_no_tex(kindle) -> None:
    """What a reader without MathML (and calibre's text) shows of a formula: never its TeX.
    (The TeX annotation of each formula is for MathML readers only.)"""
    _, text = kindle
    tex = [line[:120] for line in text.splitlines() if TEX.search(line)]
    assert tex == []
