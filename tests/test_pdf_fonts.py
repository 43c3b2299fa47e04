"""One copy of each font in the print book (render/pdf_fonts.py), and one hyphen.

On the real book (the session's real_pdf): every face has one font program, the programs
draw every glyph the pages show as the shipped font draws it, each page reads as the chunk
it came from read alone, and no hyphen is U+2010. On real chunks from the session's build
cache: sharing changes neither the text nor a pixel, and gives the same bytes cold and
cached.
"""

from __future__ import annotations

import io
import itertools
import warnings
from pathlib import Path

import pikepdf
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont

from conftest import page_images, page_texts
from qabook.cache import Cache
from qabook.render.pdf_fonts import share_fonts
from qabook.resources import FONTS, TEMPLATES


def _face(name) -> str:
    """A BaseFont or FontName without its subset tag."""
    text = str(name).lstrip("/")
    return text.split("+", 1)[1] if "+" in text[:7] else text


def _fonts(pdf: pikepdf.Pdf):
    """Every Type0 font dictionary the file holds (reachable or not)."""
    return [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary)
            and o.get("/Type") == "/Font" and o.get("/Subtype") == "/Type0"]


def _program(font) -> pikepdf.Object:
    descriptor = font.DescendantFonts[0].FontDescriptor
    return descriptor.get("/FontFile3") or descriptor.get("/FontFile2")


def test_each_face_has_one_font_program(real_pdf):
    pdf = pikepdf.open(real_pdf)
    programs: dict[str, set] = {}
    descriptors: dict[str, set] = {}
    for font in _fonts(pdf):
        programs.setdefault(_face(font.BaseFont), set()).add(_program(font).objgen)
        descriptors.setdefault(_face(font.BaseFont), set()).add(
            font.DescendantFonts[0].FontDescriptor.objgen)
    # the faces the book's stylesheet uses: serif, sans and code, each in several weights
    assert len(programs) >= 9, programs.keys()
    assert {face: len(objects) for face, objects in programs.items() if len(objects) != 1} == {}
    assert {face: len(objects) for face, objects in descriptors.items()
            if len(objects) != 1} == {}
    streams = [o for o in pdf.objects if isinstance(o, pikepdf.Stream)
               and ("/Length1" in o or o.get("/Subtype") == "/OpenType")]
    assert len(streams) == len(programs)  # no font program left over from a chunk


def test_book_is_light(real_pdf):
    """5.6 MB with a subset per chunk and face (2.8 MB of them); 3.0 MB with one copy of each
    face (0.15 MB of fonts), half of it the formulas' outlines drawn on the pages; 2.3 MB with
    each glyph of a formula drawn once (render/pdf_glyphs.py)."""
    pdf = pikepdf.open(real_pdf)
    programs = {_program(font).objgen: len(_program(font).read_raw_bytes())
                for font in _fonts(pdf)}
    fonts = sum(programs.values())
    assert fonts < 400_000, fonts
    assert real_pdf.stat().st_size < 2_500_000, real_pdf.stat().st_size


def _shipped() -> dict[str, TTFont]:
    found = {}
    for name in FONTS:
        font = TTFont(TEMPLATES / "fonts" / name, lazy=True)
        found[font["name"].getDebugName(6)] = font
    return found


def _used_glyphs(pdf: pikepdf.Pdf) -> dict[tuple, set[int]]:
    """Every glyph id the pages (and the forms they draw) show, by font dictionary."""
    used: dict[tuple, set[int]] = {}
    stack, seen = [page.obj for page in pdf.pages], set()
    while stack:
        holder = stack.pop()
        resources = holder.get("/Resources", pikepdf.Dictionary())
        font_resources = resources.get("/Font", pikepdf.Dictionary())
        current = None
        for operands, operator in pikepdf.parse_content_stream(holder):
            if str(operator) == "Tf":
                current = font_resources[operands[0]]
            elif str(operator) in ("Tj", "TJ", "'", '"'):
                strings = [o for o in (operands[0] if str(operator) == "TJ" else operands[-1:])
                           if isinstance(o, pikepdf.String)]
                for string in strings:
                    data = bytes(string)
                    used.setdefault(current.objgen, set()).update(
                        int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
        for child in resources.get("/XObject", pikepdf.Dictionary()).values():
            if child.get("/Subtype") == "/Form" and child.objgen not in seen:
                seen.add(child.objgen)
                stack.append(child)
    return used


def _outline(font: TTFont, glyph: int) -> list:
    pen = RecordingPen()
    glyph_set = font.getGlyphSet()
    glyph_set[font.getGlyphOrder()[glyph]].draw(pen)
    return pen.value


def test_every_glyph_shown_is_the_shipped_glyph(real_pdf):
    """Each glyph id a page shows is in its font's widths and ToUnicode, and the embedded
    program draws it exactly as the shipped font does (ids kept, outline kept)."""
    pdf = pikepdf.open(real_pdf)
    shipped = _shipped()
    checked, faces = 0, set()
    for objgen, glyphs in _used_glyphs(pdf).items():
        font = pdf.get_object(objgen)
        descendant = font.DescendantFonts[0]
        widths = set()
        items = list(descendant.W)
        for first, run in zip(items[::2], items[1::2]):
            widths.update(range(int(first), int(first) + len(run)))
        to_unicode = font.ToUnicode.read_bytes().decode("latin-1")
        embedded = TTFont(io.BytesIO(_program(font).read_bytes()))
        original = shipped[embedded["name"].getDebugName(6)]
        for glyph in sorted(glyphs):
            assert glyph in widths, (font.BaseFont, glyph)
            assert f"<{glyph:04x}> <" in to_unicode, (font.BaseFont, glyph)
            assert glyph < len(embedded.getGlyphOrder()), (font.BaseFont, glyph)
            assert _outline(embedded, glyph) == _outline(original, glyph), (font.BaseFont, glyph)
            checked += 1
        faces.add(_face(font.BaseFont))
    assert len(faces) >= 9 and checked > 500  # every face, every glyph (757 in the book)


def _cached_chunks(book: Path) -> list[bytes]:
    """The PDFs of the chunks laid out for this book, from its build cache."""
    from qabook.render import pdf_layout  # noqa: F401 - the cache finds Laid only if loaded

    cache = Cache(book.parent / ".cache")
    chunks = []
    for path in sorted((book.parent / ".cache" / "pdf-chunk").glob("*/*")):
        laid = cache.get("pdf-chunk", path.name)
        if laid is not None and laid.pdf is not None:
            chunks.append(laid.pdf)
    return chunks


def test_each_page_reads_as_its_chunk_alone(real_pdf, tmp_path):
    """The text of every page of the book is the text of a page of a chunk's own PDF (with
    its own ToUnicode maps): merging the fonts lost or changed no character."""
    together = pikepdf.new()  # one file, so that poppler starts once, not once per chunk
    sources = [pikepdf.open(io.BytesIO(data)) for data in _cached_chunks(real_pdf)]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Copying pages from another Pdf")
        for source in sources:
            together.pages.extend(source.pages)
    together.save(tmp_path / "chunks.pdf")
    chunk_pages = set(page_texts(tmp_path / "chunks.pdf"))
    pages = page_texts(real_pdf)
    assert len(chunk_pages) > 100
    missing = [number for number, text in enumerate(pages, 1)
               if text.strip() and text not in chunk_pages]
    assert missing == []


def test_hyphens_are_hyphen_minus(real_pdf):
    """A hyphenated word ends its line in U+002D, as every hyphen of the source: no U+2010
    in the text layer (search finds "one-hot" wherever it is)."""
    raw = "".join(page_texts(real_pdf, "-raw"))
    assert "\u2010" not in raw
    lines = raw.splitlines()
    broken = [(a, b) for a, b in itertools.pairwise(lines) if a.endswith("-") and b[:1].islower()]
    assert len(broken) > 50  # the book hyphenates: the test sees hyphenation hyphens
    pdf = pikepdf.open(real_pdf)
    assert all("2010" not in font.ToUnicode.read_bytes().decode("latin-1")
               for font in _fonts(pdf))


def test_sharing_keeps_text_and_pixels_and_bytes(real_pdf, tmp_path):
    """Real chunks put together as the merge does, with and without shared fonts: the same
    text and pixels on every page, and the same bytes whether the subsets come from the
    cache or not."""
    chunks = _cached_chunks(real_pdf)[:6]
    assert len(chunks) == 6

    def book(share: bool, cache: Cache | None = None) -> bytes:
        pdf = pikepdf.new()
        sources = [pikepdf.open(io.BytesIO(data)) for data in chunks]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Copying pages from another Pdf")
            for source in sources:
                pdf.pages.extend(source.pages)
        if share:
            share_fonts(pdf, cache or Cache(None))
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()

    cache = Cache(tmp_path / "cache")
    plain, shared = book(False), book(True, cache)
    assert book(True, cache) == shared == book(True)
    (tmp_path / "plain.pdf").write_bytes(plain)
    (tmp_path / "shared.pdf").write_bytes(shared)
    assert len(shared) < len(plain)
    assert page_texts(tmp_path / "plain.pdf") == page_texts(tmp_path / "shared.pdf")
    plain_pages = page_images(tmp_path / "plain.pdf", 60)
    assert plain_pages and len(page_images(tmp_path / "shared.pdf", 60)) == len(plain_pages)
    for page in plain_pages:
        twin = tmp_path / page.name.replace("plain", "shared")
        assert page.read_bytes() == twin.read_bytes(), page.name


def test_a_face_splits_only_where_its_chunks_disagree(real_pdf):
    """A face keeps more than one font dictionary only when its chunks read some glyph as
    different text (the space glyph as a space in one, a no-break space in another)."""
    pdf = pikepdf.open(real_pdf)
    by_face: dict[str, list] = {}
    for font in _fonts(pdf):
        by_face.setdefault(_face(font.BaseFont), []).append(font)
    for face, fonts in by_face.items():
        if len(fonts) < 2:
            continue
        maps = []
        for font in fonts:
            words = font.ToUnicode.read_bytes().decode("latin-1").split()
            maps.append({a: b for a, b in itertools.pairwise(words)
                         if a.startswith("<") and len(a) == 6 and b.startswith("<")})
        disagree = any(maps[i][g] != maps[j][g] for i in range(len(maps))
                       for j in range(i + 1, len(maps)) for g in maps[i].keys() & maps[j].keys())
        assert disagree, face
