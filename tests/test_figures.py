"""Figures from an untrusted book: one resolved, checked file per figure, handed to every
renderer as the bytes that were checked; special files never opened; limits on bytes, pixels
and SVG size; SVG accepted by allow-list.

The tiny books tests/books/image-*, svg-* and figure-in-note hold the cases git can carry
(test_books.py checks their diagnostics); here are those it cannot (FIFOs, loops, files of
megabytes), the checkers' own cases, and what the renderers are handed.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import shutil
import signal
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import BASE, BOOKS, SOURCE, artifacts, assemble, reported, run
from qabook import pipeline
from qabook.cache import Cache
from qabook.diagnostics import Diagnostics
from qabook.model.images import MAX_BYTES
from qabook.model.png import check_png
from qabook.model.svg import MAX_DEPTH, MAX_ELEMENTS, check_svg
from qabook.render import RenderContext, RenderError

Q3 = "chapters/02-two/q03-third.md"
SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    book = tmp_path / "book"
    shutil.copytree(BASE, book)
    return book


class Blocked(BaseException):
    """Raised by the deadline; not an OSError, so no `except OSError` on the way swallows it."""


@pytest.fixture
def deadline():
    """Fail instead of hanging: the old code blocked forever opening a FIFO."""
    def expire(*_):
        raise Blocked("the check did not finish: it is blocked on something")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def problems(book: Path, cache: Cache = Cache(None)) -> list[str]:
    """check's diagnostics as `line:col: message [code]` for q03, the file under test."""
    diags = Diagnostics()
    pipeline.check(book, diags, cache)
    return [d.headline().removeprefix(f"{Q3}:") for d in diags.sorted()]


def png(width: int, height: int, rows: bytes | None = None) -> bytes:
    """A greyscale PNG of that size; rows (its compressed pixel rows) default to all black."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", black_rows(width, height) if rows is None else rows)
            + chunk(b"IEND", b""))


def black_rows(width: int, height: int) -> bytes:
    """The zlib stream of `height` black rows, made without compressing them all: after a
    full flush deflate starts afresh, so one block of rows compresses to the same bytes each
    time, and the stream is that block repeated (the checksum of n zero bytes is n << 16 | 1)."""
    block = math.gcd(height, 1000)
    row = b"\0" * (width + 1)
    packer = zlib.compressobj(9)
    first = packer.compress(row * block) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(row * block) + packer.flush(zlib.Z_FULL_FLUSH)
    size = height * len(row)
    return first + again * (height // block - 1) + b"\x03\x00" + struct.pack(
        ">I", (size % 65521) << 16 | 1)


# --- special files: refused from what lstat says, never opened ---------------------------

def test_a_fifo_figure_is_refused_without_being_opened(tiny: Path, deadline) -> None:
    figure = tiny / "figures/q03-b.svg"
    figure.unlink()
    os.mkfifo(figure)
    assert problems(tiny) == ["13:1: error: image '../../figures/q03-b.svg' is a named pipe "
                              "(FIFO), not a file [image.not-a-file]"]


def test_a_figure_that_became_a_fifo_after_a_cached_check_is_seen(tiny: Path, tmp_path: Path,
                                                                  deadline) -> None:
    """The cached model is valid only while its figures hold what they held: that test must
    not open the FIFO either."""
    cache = Cache(tmp_path / "cache")
    assert problems(tiny, cache) == []
    figure = tiny / "figures/q03-b.svg"
    figure.unlink()
    os.mkfifo(figure)
    assert [line.rsplit(" ", 1)[1] for line in problems(tiny, cache)] == ["[image.not-a-file]"]


def test_a_symlink_loop_is_refused(tiny: Path) -> None:
    figure = tiny / "figures/q03-b.svg"
    figure.unlink()
    figure.symlink_to("q03-loop.svg")
    (tiny / "figures/q03-loop.svg").symlink_to("q03-b.svg")
    assert problems(tiny) == ["13:1: error: image '../../figures/q03-b.svg' is a loop of "
                              "symbolic links, not a file [image.not-a-file]"]


def test_a_symlink_inside_the_book_is_followed_to_the_file_it_names(tiny: Path) -> None:
    figure = tiny / "figures/q03-b.svg"
    (tiny / "figures/drawn").mkdir()
    figure.rename(tiny / "figures/drawn/circle.svg")
    figure.symlink_to("drawn/circle.svg")
    diags = Diagnostics()
    resolved = pipeline.check(tiny, diags)
    assert diags.items == []
    srcs = [f.src for doc in resolved.book.documents for f in doc.figures]
    assert srcs == ["figures/q01-a.svg", "figures/drawn/circle.svg"]


def test_a_symlink_to_a_name_with_url_characters_is_refused(tiny: Path) -> None:
    """The real path is what renderers get, so its name is held to the same characters."""
    figure = tiny / "figures/q03-b.svg"
    figure.rename(tiny / "figures/%2e%2e.svg")
    figure.symlink_to("%2e%2e.svg")
    assert problems(tiny) == ["13:1: error: image '../../figures/q03-b.svg' leads to "
                              "'figures/%2e%2e.svg', whose name has '%' [image.path]"]


def test_nothing_outside_the_book_is_read(tiny: Path, tmp_path: Path, monkeypatch) -> None:
    """A figure that links outside the book is refused, and the file it links to is not
    even read (to hash it for the cache, as the old code did)."""
    from qabook import regular
    from qabook.model import images

    outside = tmp_path / "secret.svg"
    outside.write_text(SVG_OPEN + "<title>secret</title></svg>")
    figure = tiny / "figures/q03-b.svg"
    figure.unlink()
    figure.symlink_to(outside)
    read, original = [], regular.read_regular

    def spy(path, limit):
        read.append(Path(path))
        return original(path, limit)
    monkeypatch.setattr(images, "read_regular", spy)
    monkeypatch.setattr(regular, "read_regular", spy)
    assert [line.rsplit(" ", 1)[1] for line in problems(tiny)] == ["[image.outside]"]
    assert read and all(path.is_relative_to(tiny.resolve()) for path in read), read


# --- limits ------------------------------------------------------------------------------

def test_a_figure_over_the_size_limit_is_refused_unread(tiny: Path) -> None:
    filler = b"<!--" + b"x" * MAX_BYTES + b"-->"
    (tiny / "figures/q03-b.svg").write_bytes(SVG_OPEN.encode() + filler + b"</svg>")
    assert problems(tiny) == ["13:1: error: image '../../figures/q03-b.svg' is 5.0 MiB; the "
                              "limit is 5 MiB [image.too-large]"]


def test_a_png_decompression_bomb_is_refused_from_its_header(tiny: Path) -> None:
    bomb = png(30_000, 30_000)
    assert len(bomb) < 1_000_000  # 875 KB that decode to 900 megapixels
    (tiny / "figures/q03-b.png").write_bytes(bomb)
    q3 = tiny / Q3
    q3.write_text(q3.read_text().replace("q03-b.svg", "q03-b.png"))
    assert problems(tiny) == ["13:1: error: image '../../figures/q03-b.png' is 30,000 × 30,000 "
                              "pixels; the limit is 16.8 million pixels [image.too-large]"]


def test_png_checks() -> None:
    from PIL import Image

    photo = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(photo, "PNG")
    assert check_png(photo.getvalue()) is None
    assert check_png(png(300, 200)) is None  # the test's own PNGs are valid
    assert check_png(png(4096, 4096)) is None  # the limit itself is allowed
    assert check_png(png(4097, 4096))[0] == "image.too-large"
    short_rows = png(100, 100, zlib.compress(b"\0" * 101 * 50)[:-8])  # a cut-off stream
    assert check_png(short_rows)[0] == "image.invalid"
    assert check_png(b"GIF89a...")[0] == "image.invalid"
    frames = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(frames, "PNG", save_all=True,
                                         append_images=[Image.new("RGB", (8, 8), "blue")])
    assert check_png(frames.getvalue()) == ("image.unsupported", "is an animated PNG; figures "
                                            "must be still images")


def test_svg_size_limits() -> None:
    many = SVG_OPEN + "<rect/>" * MAX_ELEMENTS + "</svg>"
    assert check_svg(many.encode()) == ("image.too-large",
                                        f"has more than {MAX_ELEMENTS:,} elements")
    deep = SVG_OPEN + "<g>" * MAX_DEPTH + "</g>" * MAX_DEPTH + "</svg>"
    assert check_svg(deep.encode())[0] == "image.too-large"
    assert check_svg((SVG_OPEN + "<g>" * (MAX_DEPTH - 1) + "</g>" * (MAX_DEPTH - 1)
                      + "</svg>").encode()) is None
    # a pattern that fills its own tiles: a loop, not a bomb
    looped = (SVG_OPEN + '<defs><pattern id="p" width="2" height="2"><rect width="1" '
              'height="1" style="fill: url(#p)"/></pattern></defs><rect width="5" height="5" '
              'fill="url(#p)"/></svg>')
    assert check_svg(looped.encode())[0] == "image.invalid"
    # ... also when the tiles inherit the fill from around the pattern
    inherited = (SVG_OPEN + '<g fill="url(#p)"><pattern id="p" width="2" height="2"><rect '
                 'width="1" height="1"/></pattern><rect width="5" height="5"/></g></svg>')
    assert check_svg(inherited.encode())[0] == "image.invalid"
    # one gradient inherited by 50 rectangles: counted once per rectangle, within the limit
    shared = (SVG_OPEN + '<linearGradient id="g"><stop offset="0" stop-color="red"/>'
              '</linearGradient><g fill="url(#g)">' + "<rect/>" * 50 + "</g></svg>")
    assert check_svg(shared.encode()) is None



def marker_chain(levels: int, vertices: int) -> bytes:
    """Markers m1…m<levels>, each a path of `vertices` vertices drawing the one below at every
    vertex (m0 is a circle), and a path drawing the top one: vertices ** (levels + 1) marker
    drawings from a dozen elements."""
    points = " ".join(f"L{i} {i % 7}" for i in range(1, vertices))
    path = f'<path d="M0 0 {points}" marker-mid="url(#m{{below}})"/>'
    markers = ['<marker id="m0"><circle r="1"/></marker>'] + [
        f'<marker id="m{k}">' + path.format(below=k - 1) + "</marker>"
        for k in range(1, levels + 1)]
    return (SVG_OPEN + "<defs>" + "".join(markers) + "</defs>" + path.format(below=levels)
            + "</svg>").encode()


def test_a_marker_bomb_is_refused() -> None:
    """300⁴ marker drawings in ~8 elements: each reference used to count once per element."""
    problem = check_svg(marker_chain(3, 300))
    assert problem is not None and problem[0] in ("image.unsupported", "image.too-large")


@pytest.mark.parametrize("svg", [
    # one marker of 50 elements at each of 300 vertices: 15,000 drawn
    SVG_OPEN + '<marker id="m"><g>' + "<rect/>" * 49 + '</g></marker><path d="M0 0 '
    + " ".join(f"{i} {i}" for i in range(1, 300)) + '" marker-mid="url(#m)"/></svg>',
    # the same on a polyline, the marker inherited from a group
    SVG_OPEN + '<marker id="m"><g>' + "<rect/>" * 49 + '</g></marker><g style="marker: '
    'url(#m)"><polyline points="' + " ".join(f"{i},{i}" for i in range(300)) + '"/></g></svg>',
    # a pattern of 200 elements painting 100 rectangles that inherit it from their group
    SVG_OPEN + '<pattern id="p" width="1" height="1">' + "<rect/>" * 199 + '</pattern>'
    '<g fill="url(#p)">' + "<rect/>" * 100 + "</g></svg>",
    # ... or from the <use> that copies them
    SVG_OPEN + '<defs><pattern id="p" width="1" height="1">' + "<rect/>" * 199 + '</pattern>'
    '<g id="many">' + "<rect/>" * 100 + '</g></defs><use href="#many" stroke="url(#p)"/></svg>',
])
def test_a_reference_drawn_many_times_is_counted_each_time(svg: str) -> None:
    reason = (f"draws more than {MAX_ELEMENTS:,} elements once its references (<use>, "
              "patterns, markers) are followed")
    assert check_svg(svg.encode()) == ("image.too-large", reason)


@pytest.mark.parametrize("svg", [
    # a pattern whose tiles are filled with another pattern
    SVG_OPEN + '<pattern id="p1" width="1" height="1"><circle r="1"/></pattern>'
    '<pattern id="p2" width="2" height="2"><rect fill="url(#p1)"/></pattern>'
    '<rect fill="url(#p2)"/></svg>',
    # a marker masked by a mask
    SVG_OPEN + '<mask id="k"><rect fill="white"/></mask><marker id="m"><path d="M0 0 L1 1" '
    'style="mask: url(#k)"/></marker><line marker-end="url(#m)"/></svg>',
    # a clip path that draws a marker through a <use>
    SVG_OPEN + '<defs><marker id="m"><circle r="1"/></marker><path id="a" d="M0 0 L5 5" '
    'marker-start="url(#m)"/></defs><clipPath id="c"><use href="#a"/></clipPath>'
    '<rect clip-path="url(#c)"/></svg>',
    # a pattern whose content inherits a marker from the group around it
    SVG_OPEN + '<marker id="m"><circle r="1"/></marker><g marker-mid="url(#m)"><pattern '
    'id="p"><path d="M0 0 L1 1 L2 0"/></pattern></g><rect fill="url(#p)"/></svg>',
    # a mask defined inside a marker
    SVG_OPEN + '<marker id="m"><mask id="k"><rect/></mask><circle r="1"/></marker></svg>',
])
def test_markers_patterns_masks_and_clip_paths_may_not_draw_one_another(svg: str) -> None:
    problem = check_svg(svg.encode())
    assert problem is not None and problem[0] == "image.unsupported", problem
    assert "may not draw one another" in problem[1] and "(SVG line 1)" in problem[1], problem


def test_a_style_sheet_may_not_refer_to_parts_of_the_figure() -> None:
    """A rule applies wherever its selector matches, also inside the pattern or marker it
    refers to: this loop passed, as the check followed a sheet's references from the root."""
    looped = (SVG_OPEN + '<style>.c{fill:url(#p)} .k{marker-start:url(#m)}</style>'
              '<pattern id="p" width="1" height="1"><rect class="c"/></pattern>'
              '<marker id="m"><path class="k" d="M0 0 L1 1"/></marker>'
              '<rect class="c"/><path class="k" d="M0 0 L1 1"/></svg>')
    problem = check_svg(looped.encode())
    assert problem is not None and problem[0] == "image.unsupported", problem
    assert problem[1].startswith("uses url(#p) in <style> (SVG line 1)"), problem


@pytest.mark.parametrize("svg", [
    SVG_OPEN + '<style>\\40 import url(http://e/x.css);</style></svg>',
    SVG_OPEN + '<style>rect{fill:red};</style></svg>',
    SVG_OPEN + '<style>rect{fill:red}}</style></svg>',
    SVG_OPEN + '<style>rect{fill:red; x}</style></svg>',
    SVG_OPEN + '<rect style="fill:red; foo"/></svg>',
    SVG_OPEN + '<rect style="}"/></svg>',
    SVG_OPEN + '<rect style="x"/></svg>',
])
def test_css_tinycss2_cannot_read_is_refused_not_a_crash(svg: str) -> None:
    problem = check_svg(svg.encode())
    assert problem is not None and problem[0] in ("image.invalid", "image.unsupported"), problem
    assert "(SVG line 1)" in problem[1], problem


def test_no_css_raises() -> None:
    css = st.text(alphabet="{}();:,@\\\"'/*!#%-_ \n.<>ax0url", max_size=24)

    @settings(max_examples=50, deadline=None, derandomize=True)
    @given(css, st.sampled_from(["style", "sheet", "fill"]))
    def check(text: str, where: str) -> None:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
        body = {"style": f'<rect style="{escaped}"/>', "fill": f'<rect fill="{escaped}"/>',
                "sheet": f"<style>{escaped}</style>"}[where]
        problem = check_svg((SVG_OPEN + body + "</svg>").encode())
        assert problem is None or problem[0].startswith("image."), problem

    check()


# --- the SVG allow-list --------------------------------------------------------------------

STATIC = """<?xml version="1.0" encoding="{encoding}"?>
<!-- static drawing: every feature a figure may use -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     viewBox="0 0 100 100" width="100" height="100" role="img" aria-labelledby="t">
  <title id="t">Everything static</title><desc>A test of the allow-list.</desc>
  <style type="text/css"><![CDATA[ .a { fill: rgb(10, 20, 30); stroke: blue }
    text { font-family: 'Source Sans 3', sans-serif; font-size: 12px } ]]></style>
  <defs>
    <linearGradient id="g" gradientUnits="userSpaceOnUse"><stop offset="0" stop-color="#fff"/>
      <stop offset="1" style="stop-color: hsl(10, 50%, 50%)"/></linearGradient>
    <radialGradient id="r" xlink:href="#g" fx="0.5" fy="0.5"/>
    <pattern id="p" width="4" height="4" patternUnits="userSpaceOnUse">
      <circle cx="2" cy="2" r="1" fill="black"/></pattern>
    <marker id="m" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6"
            orient="auto"><path d="M0 0 L10 5 L0 10 z"/></marker>
    <clipPath id="c"><rect width="50" height="50"/></clipPath>
    <mask id="k"><rect width="100" height="100" fill="white"/></mask>
    <symbol id="s" viewBox="0 0 10 10"><ellipse cx="5" cy="5" rx="4" ry="2"/></symbol>
    <path id="curve" d="M10 80 Q 50 10 90 80"/>
  </defs>
  <g class="a" clip-path="url(#c)" mask="url('#k')" style="stroke: url(#g)"
     transform="translate(1 1)"
     aria-label="Shapes">
    <rect width="10" height="10" fill="url(#p)" style="stroke-width: 2 !important"/>
    <line x1="0" y1="0" x2="50" y2="50" marker-end="url(#m)" stroke-dasharray="4 2"/>
    <polyline points="0,0 10,10 20,0"/><polygon points="0,0 10,10 20,0" fill="url(#r)"/>
    <use href="#s" x="20" y="20" width="10" height="10"/><use xlink:href="#s" x="40"/>
  </g>
  <text x="10" y="90" xml:space="preserve" text-anchor="middle">A <tspan dy="2"
    font-weight="bold">label</tspan><textPath href="#curve">on a curve</textPath></text>
</svg>
"""


@pytest.mark.parametrize("encoding", ["UTF-8", "UTF-16", "ISO-8859-1"])
def test_static_svg_is_accepted_in_any_encoding_it_declares(encoding: str) -> None:
    data = STATIC.replace("{encoding}", encoding).encode(encoding.lower().replace("-", "_"))
    assert check_svg(data) is None


@pytest.mark.parametrize("svg, code, reason", [
    ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image.unsupported",
     "has attribute 'onload' on <svg> (SVG line 1)"),
    (SVG_OPEN + '<script>alert(1)</script></svg>', "image.unsupported", "has <script>"),
    (SVG_OPEN + '<foreignObject><p xmlns="http://www.w3.org/1999/xhtml"/></foreignObject>'
     '</svg>', "image.unsupported", "has <foreignObject>"),
    (SVG_OPEN + '<image href="data:image/png;base64,AAAA"/></svg>', "image.unsupported",
     "has <image>"),
    (SVG_OPEN + '<use href="https://evil.example/s.svg#a"/></svg>', "image.unsupported",
     "refers to 'https://evil.example/s.svg#a'"),
    (SVG_OPEN + '<use href=" #a"/></svg>', "image.unsupported", "refers to ' #a'"),
    (SVG_OPEN + '<rect style="fill: \\75 rl(https://evil.example/x)"/></svg>',
     "image.unsupported", "refers to 'https://evil.example/x' in CSS"),
    (SVG_OPEN + '<rect style="fill: URL(&quot;//evil.example/x&quot;)"/></svg>',
     "image.unsupported", "refers to '//evil.example/x' in CSS"),
    (SVG_OPEN + '<rect fill="rgb(url(https://evil.example/x))"/></svg>', "image.unsupported",
     "refers to 'https://evil.example/x' in CSS"),
    (SVG_OPEN + '<style>@font-face { src: url(#f) }</style></svg>', "image.unsupported",
     "has CSS '@font-face"),
    (SVG_OPEN + '<style>rect { fill: red } <rect/></style></svg>', "image.unsupported",
     "has a <style> that is not plain CSS"),
    (SVG_OPEN + '<style type="text/xsl">x</style></svg>', "image.unsupported",
     "has a <style> that is not plain CSS"),
    (SVG_OPEN + '<rect style="fill: var(--x)"/></svg>', "image.unsupported",
     "uses the CSS function var()"),
    (SVG_OPEN + '<rect filter="url(#f)"/></svg>', "image.unsupported", "has attribute 'filter'"),
    (SVG_OPEN + '<rect xml:base="https://evil.example/"/></svg>', "image.unsupported",
     "has attribute 'xml:base'"),
    ('<!DOCTYPE svg><svg xmlns="http://www.w3.org/2000/svg"/>', "image.unsupported",
     "declares a DOCTYPE"),
    (SVG_OPEN + '<text>&ent;</text></svg>', "image.invalid", "undefined entity"),
    ('<?xml version="1.0"?><?xml-stylesheet href="x.css"?><svg/>', "image.unsupported",
     "has a processing instruction <?xml-stylesheet?>"),
    ('<svg><rect/></svg>', "image.invalid", "its root element is not <svg>"),
    ('<html xmlns="http://www.w3.org/2000/svg"/>', "image.invalid", "root element is not"),
    ('plain text renamed', "image.invalid", "is not a valid SVG file"),
    ('<?xml version="1.0" encoding="Shift_JIS"?><svg/>', "image.invalid", "not a valid SVG"),
])
def test_svg_outside_the_allow_list_is_refused(svg: str, code: str, reason: str) -> None:
    problem = check_svg(svg.encode())
    assert problem is not None and problem[0] == code and reason in problem[1], problem


@pytest.mark.parametrize("encoding", ["UTF-8", "UTF-16"])
def test_a_figure_with_every_feature_check_accepts_builds_into_the_epub_unchanged(
        tiny: Path, tmp_path: Path, encoding: str) -> None:
    """One SVG policy: what `check` accepts in a figure (classes, styles, <use>, patterns,
    masks, textPath, ARIA, xml:space) the EPUB carries, as the very bytes that were checked,
    and the EPUB's last check judges it by the same code (it used to refuse all of these as
    epub.unsafe, a "bug of qabook", after check had said "no problems")."""
    from qabook.render import epub_safety

    for feature in (" class=", " style=", "<style", "<use", "<symbol", "<pattern", "<mask",
                    "<textPath", " role=", " aria-label=", " xml:space="):
        assert feature in STATIC, feature
    figure = STATIC.replace("{encoding}", encoding).encode(encoding.lower().replace("-", "_"))
    (tiny / "figures/q03-b.svg").write_bytes(figure)
    assert problems(tiny) == []
    out = tmp_path / "out"
    code, _, err = run("build", "--source", str(tiny), "--out", str(out), "-f", "epub")
    assert (code, reported(err)) == (0, ""), err
    with zipfile.ZipFile(out / "a-tiny-book.epub") as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    media = [name for name, data in entries.items() if data == figure]
    assert len(media) == 1 and media[0].startswith("EPUB/media/") and media[0].endswith(".svg")
    assert epub_safety.check_file(media[0], entries[media[0]], set(entries)) is None
    assert epub_safety.problems(list(entries.items())) == []


def test_the_epub_check_remembers_only_svg_files_it_found_safe(tmp_path: Path,
                                                                 monkeypatch) -> None:
    """The digests of safe SVG files are cached for the next build, which parses only the
    files it has not seen: an unsafe file is never remembered (it is reported in every
    build), and a file whose bytes changed is parsed again."""
    from qabook.render import epub_safety

    safe = STATIC.replace("{encoding}", "UTF-8").encode()
    unsafe = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    entries = [("EPUB/media/file1.svg", safe), ("EPUB/media/file2.svg", unsafe)]
    cache = Cache(tmp_path / "cache")
    parsed: list[bytes] = []

    def counted(data: bytes):
        parsed.append(data)
        return check_svg(data)

    monkeypatch.setattr(epub_safety, "check_svg", counted)
    for _ in range(2):  # a new build: this process's memory of safe files is gone
        epub_safety._SAFE.clear()
        found = epub_safety.problems(entries, cache=cache)
        assert [d.code for d in found] == ["epub.unsafe"], found
    assert parsed == [safe, unsafe, unsafe]  # the safe file once; the unsafe one every time
    changed = safe.replace(b"</svg>", b"<script>alert(1)</script></svg>")
    epub_safety._SAFE.clear()
    found = epub_safety.problems([("EPUB/media/file1.svg", changed)], cache=cache)
    assert [d.code for d in found] == ["epub.unsafe"] and parsed[-1] == changed


def test_the_figure_check_and_the_epub_check_read_xml_and_css_through_one_module() -> None:
    """No second CSS walker or expat setup that could drift from the first: both checks import
    qabook.xmlcss, neither imports tinycss2 or expat, neither descends into a CSS function's
    arguments itself (what a walker does), and the EPUB judges SVG files by check_svg."""
    import ast

    from qabook import xmlcss
    from qabook.model import svg
    from qabook.render import epub_safety

    for module in (svg, epub_safety):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {f"{node.module}.{alias.name}" for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) for alias in node.names}
        assert "qabook.xmlcss" in imported, module.__name__
        assert not {name for name in imported
                    if name.split(".")[0] in ("tinycss2", "pyexpat")
                    or name.startswith("xml.parsers")}, module.__name__
        walking = [node.lineno for node in ast.walk(tree)
                   if isinstance(node, ast.Attribute) and node.attr == "arguments"]
        assert walking == [], f"{module.__name__} walks CSS itself, lines {walking}"
        assert not hasattr(module, "_tokens") and not hasattr(module, "_url"), module.__name__
        assert module.xmlcss is xmlcss
    assert epub_safety.check_svg is svg.check_svg


def test_every_figure_of_the_real_book_is_accepted() -> None:
    figures = sorted((SOURCE / "figures").iterdir())
    assert figures
    assert {f.name: check_svg(f.read_bytes()) for f in figures if f.suffix == ".svg"} == {
        f.name: None for f in figures if f.suffix == ".svg"}
    assert max(f.stat().st_size for f in figures) < MAX_BYTES / 100


# --- renderers get the checked file, and nothing else --------------------------------------

def test_renderers_ship_only_the_bytes_that_were_checked(tiny: Path, tmp_path: Path) -> None:
    """After the check, the figure is swapped for an unchecked one: the deck and the EPUB
    refuse to ship it (they read the file the model resolved and compare its digest), and
    nothing is written."""
    from qabook.render import anki, epub

    diags = Diagnostics()
    resolved = pipeline.check(tiny, diags)
    assert resolved is not None and not diags.items
    out = tmp_path / "out"
    out.mkdir()
    ctx = RenderContext(resolved, tiny, out)
    assert ctx.figure_bytes("figures/q03-b.svg") == (tiny / "figures/q03-b.svg").read_bytes()
    (tiny / "figures/q03-b.svg").write_text(SVG_OPEN + "<script>alert(1)</script></svg>")
    for renderer in (epub, anki):
        with pytest.raises(RenderError) as caught:
            renderer.render(ctx)
        (problem,) = caught.value.diagnostics
        assert (str(problem.location), problem.code) == (f"{Q3}:13:1", "image.changed")
    assert os.listdir(out) == []


def test_the_print_fetcher_serves_only_the_checked_figures(tiny: Path) -> None:
    from weasyprint.urls import FatalURLFetchingError

    from qabook.render.pdf_layout import BOOK_URI, BookFetcher

    checked = (tiny / "figures/q03-b.svg").read_bytes()
    fetcher = BookFetcher([], tiny, {"figures/q03-b.svg": hashlib.sha256(checked).hexdigest()})
    response = fetcher.fetch(BOOK_URI + "figures/q03-b.svg")  # the book's URL in a chunk
    assert (response.read(), response.content_type) == (checked, "image/svg+xml")
    for other in ("figures/q01-a.svg", "book.yaml", Q3, "figures/%2e%2e/q03-b.svg"):
        for root in (BOOK_URI, tiny.resolve().as_uri() + "/"):
            with pytest.raises(FatalURLFetchingError):
                fetcher.fetch(root + other)
    with pytest.raises(FatalURLFetchingError):  # only at the book's URL
        fetcher.fetch((tiny.resolve() / "figures/q03-b.svg").as_uri())
    (tiny / "figures/q03-b.svg").write_text(SVG_OPEN + "</svg>")
    with pytest.raises(FatalURLFetchingError, match="changed after the book was checked"):
        fetcher.fetch(BOOK_URI + "figures/q03-b.svg")


def test_a_hostile_figure_book_writes_no_artifact(tmp_path: Path) -> None:
    """The audit's decoy: `%2e%2e` folders inside the book, and the file the renderers used to
    decode the path into, outside it. The build refuses it in check: no format is written."""
    book = assemble(BOOKS / "image-decoy-percent", tmp_path / "books")
    (tmp_path / "books/secret").mkdir()
    (tmp_path / "books/secret/private.svg").write_text(
        SVG_OPEN + "<title>PRIVATE-OUTSIDE-THE-BOOK</title></svg>")
    out = tmp_path / "out"
    code, _, err = run("build", "--source", str(book), "--out", str(out), "--no-cache")
    assert code == 1 and "[image.path]" in err and "Traceback" not in err
    assert artifacts(out) == []


def test_a_cut_off_png_is_refused_after_weasyprint_relaxed_pillow() -> None:
    """WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process when it is
    imported: the check must not depend on it."""
    from PIL import ImageFile
    import weasyprint  # noqa: F401

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    short_rows = png(100, 100, zlib.compress(b"\0" * 101 * 50)[:-8])
    assert check_png(short_rows)[0] == "image.invalid"
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # left as WeasyPrint wants it


SHIFTED = (SVG_OPEN + '<text x="1" y="8">x<tspan font-size="6" {}>1</tspan></text></svg>')


@pytest.mark.parametrize("shift", ['baseline-shift="-3"', 'style="baseline-shift: sub"'])
def test_a_property_print_ignores_is_a_warning_at_the_figure(tiny: Path, shift: str) -> None:
    """WeasyPrint draws a subscript set by baseline-shift on the baseline: the figure would
    print otherwise than a screen shows it, so check says so where the figure is used."""
    (tiny / "figures/q03-b.svg").write_text(SHIFTED.format(shift))
    found = problems(tiny)
    assert len(found) == 1 and found[0].startswith("13:1: warning: image "), found
    assert "baseline-shift on <tspan> (SVG line 1)" in found[0]
    assert found[0].endswith("[image.print-differs]")
    code, _, err = run("check", "--source", str(tiny), "--strict", "--no-cache")
    assert code == 1 and "dy" in err


def test_a_shift_made_with_dy_prints_as_shown(tiny: Path) -> None:
    (tiny / "figures/q03-b.svg").write_text(
        SHIFTED.format('dy="3"').replace("</tspan>", '</tspan><tspan dy="-3">.</tspan>'))
    assert problems(tiny) == []


@pytest.mark.parametrize("text", ['<text x="1" y="8">a ⋯ b</text>',
                                  '<text x="1" y="8">a<tspan>1</tspan> ⋯</text>'])
def test_figure_text_the_books_fonts_lack_is_refused(tiny: Path, text: str) -> None:
    """WeasyPrint draws it from whatever system font has it: the PDF would embed a font the
    book does not ship (DejaVu Sans, for Q9's ⋯ in the second edition's first draft)."""
    (tiny / "figures/q03-b.svg").write_text(SVG_OPEN + text + "</svg>")
    [found] = problems(tiny)
    assert found.startswith("13:1: error: image ") and found.endswith("[image.glyph]")
    assert "U+22EF (MIDLINE HORIZONTAL ELLIPSIS)" in found


def test_only_drawn_text_is_held_to_the_fonts(tiny: Path) -> None:
    (tiny / "figures/q03-b.svg").write_text(
        SVG_OPEN + "<title>a ⋯ b</title><desc>⋯</desc><text x='1' y='8'>a … b</text></svg>")
    assert problems(tiny) == []
