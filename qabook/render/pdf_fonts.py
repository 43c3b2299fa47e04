"""One copy of each font in the print book (pikepdf and fontTools): the chunks' subsets of a
face are replaced at the merge by one subset of the shipped font, made once for the glyphs
the whole book uses.

WeasyPrint embeds, in every chunk it writes, a subset of each face the chunk uses: a CID
font (Identity-H, CIDToGIDMap Identity) whose program is HarfBuzz's subset of the font file
with its glyph ids retained, its widths (W) and its ToUnicode map. So a glyph id means the
same glyph in every chunk, and the chunks' fonts of one face differ only in which glyphs they
carry, which widths they list and how their ToUnicode maps read. `share_fonts` gives every
face one font program: the shipped font file (templates/fonts) subset by fontTools to the
union of the glyphs the book's chunks use, ids retained, hints dropped as WeasyPrint drops
them, cached by the file's digest and that set of glyphs (an edit that shows no new glyph
subsets nothing). The chunks' font dictionaries of a face are then merged into one (the
union of their widths and ToUnicode maps, over one descriptor), which every page names
instead.

The text and the glyphs stay as each chunk had them: a content stream is never touched, a
dictionary merges only with others that give every glyph they share the same width (the
content streams position glyphs by them) and the same text (what search and copy get); one
that disagrees keeps a dictionary of its own, over the same program. A font this cannot
vouch for (not Identity-H, a program that is not one of the shipped fonts, widths that are
not that font's) is left exactly as the chunk wrote it.
"""

from __future__ import annotations

import functools
import hashlib
import io
import struct
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name

from qabook.cache import NO_CACHE, Cache, key
from qabook.resources import FONTS, TEMPLATES

#: how far a width in W may be from the font's own advance (in 1000ths of an em: WeasyPrint
#: rounds Pango's extents at the size it first meets the glyph) and still be that glyph's
TOLERANCE = 2


@dataclass
class _Font:
    """One Type0 font dictionary of a chunk, as read."""

    font: pikepdf.Object  #: the Type0 dictionary
    face: str  #: its BaseFont without the subset tag
    widths: dict[int, float]  #: glyph id -> width (W)
    text: dict[int, str]  #: glyph id -> text (ToUnicode)


@dataclass
class _Group:
    """Fonts of one face whose widths and texts agree: they become one dictionary."""

    members: list[_Font] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    text: dict[int, str] = field(default_factory=dict)

    def admits(self, font: _Font) -> bool:
        return all(self.widths.get(g, w) == w for g, w in font.widths.items()) and \
            all(self.text.get(g, t) == t for g, t in font.text.items())

    def add(self, font: _Font) -> None:
        self.members.append(font)
        self.widths.update(font.widths)
        self.text.update(font.text)


def share_fonts(book: pikepdf.Pdf, cache: Cache = NO_CACHE) -> None:
    """Give every shipped face of the book one font program, and merge its dictionaries."""
    uses = list(_font_uses(book))
    fonts: dict[tuple, _Font] = {}
    for _, _, font in uses:
        if font.objgen not in fonts:
            fonts[font.objgen] = _read(font)
    faces: dict[str, list[_Font]] = {}
    for read in fonts.values():
        if read is not None:
            faces.setdefault(read.face, []).append(read)
    survivor: dict[tuple, pikepdf.Object] = {}
    for members in faces.values():
        program = _program(book, members, cache)
        if program is None:
            continue
        groups: list[_Group] = []
        for read in members:
            group = next((g for g in groups if g.admits(read)), None)
            if group is None:
                group = _Group()
                groups.append(group)
            group.add(read)
        descriptor = _descriptor(members, program)
        for group in groups:
            merged = _merged(book, group, descriptor)
            for member in group.members:
                survivor[member.font.objgen] = merged
    for resources, name, font in uses:
        if font.objgen in survivor:
            resources[name] = survivor[font.objgen]


def _font_uses(book: pikepdf.Pdf):
    """(font resource dictionary, name, font) for every font of every page, and of the
    forms and patterns they draw, each resource dictionary once."""
    seen: set = set()
    stack = [page.obj for page in reversed(book.pages)]  # popped in reading order
    while stack:
        holder = stack.pop()
        resources = holder.get("/Resources")
        if not isinstance(resources, Dictionary):
            continue
        if resources.is_indirect:
            if resources.objgen in seen:
                continue
            seen.add(resources.objgen)
        fonts = resources.get("/Font")
        if isinstance(fonts, Dictionary) and not (fonts.is_indirect and fonts.objgen in seen):
            if fonts.is_indirect:
                seen.add(fonts.objgen)
            for name in sorted(fonts.keys()):
                font = fonts[name]
                if isinstance(font, Dictionary) and font.is_indirect:
                    yield fonts, name, font
        for kind in ("/XObject", "/Pattern"):
            objects = resources.get(kind)
            if isinstance(objects, Dictionary):
                for name in sorted(objects.keys()):
                    child = objects[name]
                    if child.is_indirect and child.objgen not in seen:
                        seen.add(child.objgen)
                        stack.append(child)


def _read(font: pikepdf.Object) -> _Font | None:
    """A Type0 font as WeasyPrint writes it (Identity-H, one CID font with an OpenType or
    TrueType program), or None for anything else."""
    try:
        if font.get("/Subtype") != Name.Type0 or font.get("/Encoding") != Name("/Identity-H"):
            return None
        descendant = font.DescendantFonts[0]
        descriptor = descendant.FontDescriptor
        if descendant.get("/CIDToGIDMap", Name.Identity) != Name.Identity or \
                _program_stream(descriptor) is None:
            return None
        base = str(font.BaseFont)[1:]
        tag, plus, rest = base.partition("+")
        face = rest if plus and len(tag) == 6 and tag.isalpha() and tag.isupper() else base
        widths = _widths(descendant.get("/W", Array()))  # IndexError, ValueError: None
        text = _to_unicode(font.ToUnicode.read_bytes()) if "/ToUnicode" in font else {}
    except (AttributeError, KeyError, IndexError, TypeError, ValueError, pikepdf.PdfError):
        return None
    if widths is None or text is None:
        return None
    return _Font(font, face, widths, text)


def _program_stream(descriptor) -> pikepdf.Object | None:
    stream = descriptor.get("/FontFile3")
    if isinstance(stream, pikepdf.Stream) and stream.get("/Subtype") == Name.OpenType:
        return stream
    stream = descriptor.get("/FontFile2")
    return stream if isinstance(stream, pikepdf.Stream) else None


def _widths(array) -> dict[int, float] | None:
    """W as glyph id -> width ([first [w …]] and first last w runs)."""
    tokens = array.unparse().decode("latin-1").replace("[", " [ ").replace("]", " ] ").split()
    if tokens[:1] != ["["] or tokens[-1:] != ["]"]:
        return None
    tokens, widths, index = tokens[1:-1], {}, 0
    while index < len(tokens):
        first = int(tokens[index])
        if tokens[index + 1] == "[":
            end = tokens.index("]", index + 2)
            for offset, width in enumerate(tokens[index + 2:end]):
                widths[first + offset] = float(width)
            index = end + 1
        else:
            for glyph in range(first, int(tokens[index + 1]) + 1):
                widths[glyph] = float(tokens[index + 2])
            index += 3
    return widths


def _to_unicode(data: bytes) -> dict[int, str] | None:
    """A ToUnicode CMap's bfchar and bfrange entries as glyph id -> text, or None for a map
    this does not read."""
    tokens = _cmap_tokens(data)
    text: dict[int, str] = {}
    index = 0
    try:
        while index < len(tokens):
            token = tokens[index]
            if token == "beginbfchar":
                index += 1
                while tokens[index] != "endbfchar":
                    text[_code(tokens[index])] = _utf16(tokens[index + 1])
                    index += 2
            elif token == "beginbfrange":
                index += 1
                while tokens[index] != "endbfrange":
                    low, high, target = tokens[index:index + 3]
                    if target == "[":
                        end = tokens.index("]", index + 3)
                        for offset, item in enumerate(tokens[index + 3:end]):
                            text[_code(low) + offset] = _utf16(item)
                        index = end + 1
                    else:
                        start = _utf16(target)
                        for offset in range(_code(high) - _code(low) + 1):
                            text[_code(low) + offset] = start[:-1] + chr(ord(start[-1]) +
                                                                         offset)
                        index += 3
            index += 1
    except (IndexError, ValueError):
        return None
    return text


def _cmap_tokens(data: bytes) -> list[str]:
    """The CMap's words, hex strings (with their brackets) and array brackets."""
    spaced = data.decode("latin-1")
    for mark in ("[", "]"):
        spaced = spaced.replace(mark, f" {mark} ")
    spaced = spaced.replace("<", " <").replace(">", "> ").replace("< <", "<<").replace(
        "> >", ">>")
    return spaced.split()


def _code(token: str) -> int:
    if not (token.startswith("<") and token.endswith(">")):
        raise ValueError(token)
    return int(token[1:-1], 16)


def _utf16(token: str) -> str:
    if not (token.startswith("<") and token.endswith(">")):
        raise ValueError(token)
    return bytes.fromhex(token[1:-1]).decode("utf-16-be")


@dataclass(frozen=True)
class _Program:
    """The face's one font program in the book."""

    stream: pikepdf.Object
    file_key: str  #: /FontFile3 or /FontFile2


def _program(book: pikepdf.Pdf, members: list[_Font], cache: Cache) -> _Program | None:
    """The shipped font the face's subsets were cut from, subset to every glyph they use and
    embedded once; None when the face is not a shipped font, or its widths say the glyph
    ids are not that font's."""
    descriptor = members[0].font.DescendantFonts[0].FontDescriptor
    stream = _program_stream(descriptor)
    shipped = _shipped(cache).get(_postscript_name(stream.read_bytes()))
    if shipped is None:
        return None
    name, digest, advances = shipped
    glyphs = sorted({g for m in members for g in m.widths} | {g for m in members for g in m.text}
                    | {0})
    if glyphs[-1] >= len(advances) or any(
            abs(w - advances[g]) > TOLERANCE for m in members for g, w in m.widths.items()):
        return None
    ident = key("pdf-font", digest, glyphs)
    data = cache.get("pdf-font", ident)
    if not isinstance(data, bytes):
        try:
            data = subset((TEMPLATES / "fonts" / name).read_bytes(), glyphs)
        except (OSError, ValueError):  # no subsetter: the chunks keep their own subsets
            return None
        cache.put("pdf-font", ident, data)
    file_key = "/FontFile3" if "/FontFile3" in descriptor else "/FontFile2"
    stream = pikepdf.Stream(book, data)
    if file_key == "/FontFile3":
        stream.Subtype = Name.OpenType
    else:
        stream.Length1 = len(data)
    return _Program(stream, file_key)


def subset(data: bytes, glyphs: list[int]) -> bytes:
    """The font file cut down to these glyph ids, each keeping its id: HarfBuzz's subsetter
    with the flags and dropped tables WeasyPrint 70 uses (pdf/fonts.py, `_harfbuzz_subset`),
    so the program is the one WeasyPrint would embed for a chunk holding the whole book."""
    ffi, hb, hb_subset = _harfbuzz()
    blob = ffi.gc(hb.hb_blob_create(data, len(data), 0, ffi.NULL, ffi.NULL),  # duplicate
                  hb.hb_blob_destroy)
    face = ffi.gc(hb.hb_face_create(blob, 0), hb.hb_face_destroy)
    request = ffi.gc(hb_subset.hb_subset_input_create_or_fail(),
                     hb_subset.hb_subset_input_destroy)
    kept = hb_subset.hb_subset_input_glyph_set(request)
    wanted = sorted(set(glyphs))
    hb.hb_set_add_sorted_array(kept, ffi.new("hb_codepoint_t[]", wanted), len(wanted))
    dropped = hb_subset.hb_subset_input_set(request, 3)  # HB_SUBSET_SETS_DROP_TABLE_TAG
    tags = sorted(hb.hb_tag_from_string(tag, -1) for tag in WEASYPRINT_DROPPED)
    hb.hb_set_add_sorted_array(dropped, ffi.new("hb_codepoint_t[]", tags), len(tags))
    hb_subset.hb_subset_input_set_flags(request, RETAIN_GIDS | PASSTHROUGH | DESUBROUTINIZE)
    first = ffi.gc(hb_subset.hb_subset_or_fail(face, request), hb.hb_face_destroy)
    if first == ffi.NULL:
        raise ValueError("HarfBuzz could not subset the font")
    # As WeasyPrint does: a second pass keeps every id up to the last one used (the first
    # kept them all, empty), now without hints.
    hb.hb_set_add_range(kept, 0, wanted[-1])
    hb_subset.hb_subset_input_set_flags(request, PASSTHROUGH | DESUBROUTINIZE | NO_HINTING)
    second = ffi.gc(hb_subset.hb_subset_or_fail(first, request), hb.hb_face_destroy)
    if second == ffi.NULL:
        raise ValueError("HarfBuzz could not subset the font")
    out = ffi.gc(hb.hb_face_reference_blob(second), hb.hb_blob_destroy)
    length = ffi.new("unsigned int *")
    pointer = hb.hb_blob_get_data(out, length)
    if pointer == ffi.NULL or not length[0]:
        raise ValueError("HarfBuzz could not subset the font")
    return bytes(ffi.buffer(pointer, length[0]))


NO_HINTING, RETAIN_GIDS, DESUBROUTINIZE, PASSTHROUGH = 0x1, 0x2, 0x4, 0x20
#: the tables WeasyPrint 70 drops from the fonts it embeds
WEASYPRINT_DROPPED = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF",
                      b"LTSH", b"PCLT", b"SVG ")
_HARFBUZZ = """
    typedef ... hb_blob_t;
    typedef ... hb_face_t;
    typedef ... hb_set_t;
    typedef ... hb_subset_input_t;
    typedef uint32_t hb_codepoint_t;
    typedef uint32_t hb_tag_t;
    typedef void (*hb_destroy_func_t) (void *user_data);
    hb_blob_t * hb_blob_create (const char *data, unsigned int length, int mode,
                                void *user_data, hb_destroy_func_t destroy);
    void hb_blob_destroy (hb_blob_t *blob);
    const char * hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
    hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
    void hb_face_destroy (hb_face_t *face);
    hb_blob_t * hb_face_reference_blob (hb_face_t *face);
    hb_tag_t hb_tag_from_string (const char *str, int len);
    void hb_set_add_sorted_array (hb_set_t *set, const hb_codepoint_t *sorted_codepoints,
                                  unsigned int num_codepoints);
    void hb_set_add_range (hb_set_t *set, hb_codepoint_t first, hb_codepoint_t last);
    hb_subset_input_t * hb_subset_input_create_or_fail (void);
    void hb_subset_input_destroy (hb_subset_input_t *input);
    hb_set_t * hb_subset_input_glyph_set (hb_subset_input_t *input);
    hb_set_t * hb_subset_input_set (hb_subset_input_t *input, int set_type);
    void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned value);
    hb_face_t * hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
"""


@functools.cache
def _harfbuzz():
    """HarfBuzz and its subsetter (the libraries WeasyPrint loads; the build requires both)."""
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(_HARFBUZZ)
    return ffi, _open(ffi, HARFBUZZ_NAMES), _open(ffi, SUBSET_NAMES)


HARFBUZZ_NAMES = ("libharfbuzz.so.0", "libharfbuzz-0", "harfbuzz", "libharfbuzz.0.dylib",
                  "libharfbuzz-0.dll")
SUBSET_NAMES = ("libharfbuzz-subset.so.0", "libharfbuzz-subset-0", "harfbuzz-subset",
                "libharfbuzz-subset.0.dylib", "libharfbuzz-subset-0.dll")


def _open(ffi, names: tuple[str, ...]):
    for name in names[:-1]:
        try:
            return ffi.dlopen(name)
        except OSError:
            continue
    return ffi.dlopen(names[-1])


def _postscript_name(data: bytes) -> str | None:
    """The PostScript name of an embedded font program, or None."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        return TTFont(io.BytesIO(data), lazy=True)["name"].getDebugName(6)
    except (TTLibError, KeyError, IndexError, AssertionError, ValueError, EOFError):
        return None


def _shipped(cache: Cache) -> dict[str, tuple]:
    """The shipped fonts by PostScript name: (file name, digest of the file, each glyph's
    advance in 1000ths of an em); read once per process, and kept in the build cache (its
    keys cover the shipped files)."""
    if "shipped" not in _SHIPPED:
        ident = key("pdf-fonts-shipped", FONTS)
        found = cache.get("pdf-fonts-shipped", ident)
        if not isinstance(found, dict):
            found = {}
            for name in FONTS:
                data = (TEMPLATES / "fonts" / name).read_bytes()
                found[_postscript_name(data)] = (name, hashlib.sha256(data).hexdigest(),
                                                 _advances(data))
            cache.put("pdf-fonts-shipped", ident, found)
        _SHIPPED["shipped"] = found
    return _SHIPPED["shipped"]


_SHIPPED: dict = {}


def _advances(data: bytes) -> tuple[float, ...]:
    """Each glyph's advance width in 1000ths of an em, from the hhea, maxp and hmtx tables."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), lazy=True)
    upem = font["head"].unitsPerEm
    count = struct.unpack(">H", font.reader["maxp"][4:6])[0]
    metrics = struct.unpack(">H", font.reader["hhea"][34:36])[0]
    table = font.reader["hmtx"]
    widths = [struct.unpack(">H", table[4 * i:4 * i + 2])[0] for i in range(metrics)]
    return tuple(widths[min(glyph, metrics - 1)] * 1000 / upem for glyph in range(count))


def _descriptor(members: list[_Font], program: _Program) -> pikepdf.Object:
    """The face's one font descriptor: the first font's, over the face's one program, its
    box and pitch those of every glyph the book shows in that face (as WeasyPrint computes
    them for a chunk)."""
    descriptor = members[0].font.DescendantFonts[0].FontDescriptor
    for old in ("/FontFile2", "/FontFile3", "/CIDSet"):
        if old in descriptor:
            del descriptor[old]
    descriptor[program.file_key] = program.stream
    widths = {glyph: width for member in members for glyph, width in member.widths.items()}
    bbox = descriptor.get("/FontBBox")
    if isinstance(bbox, Array) and len(bbox) == 4:
        bbox[2] = _number(max(widths.values(), default=0))
    flags = int(descriptor.get("/Flags", 0)) & ~1
    if len(widths) > 1 and len(set(widths.values())) == 1:
        flags |= 1  # FixedPitch, as WeasyPrint sets it
    descriptor.Flags = flags
    return descriptor


def _merged(book: pikepdf.Pdf, group: _Group, descriptor: pikepdf.Object) -> pikepdf.Object:
    """The group's first dictionary, made to serve all of them: the union of their widths and
    ToUnicode maps, over the face's one descriptor and program."""
    first = group.members[0].font
    descendant = first.DescendantFonts[0]
    descendant.FontDescriptor = descriptor
    descendant.W = _w_array(group.widths)
    first.ToUnicode = book.make_stream(to_unicode_cmap(group.text))
    return first


def _number(value: float):
    return int(value) if value == int(value) else value


def _w_array(widths: dict[int, float]) -> Array:
    """W in runs of consecutive glyph ids: [first [w …] first [w …] …]."""
    items: list = []
    for glyph in sorted(widths):
        if glyph - 1 not in widths:
            items += [glyph, []]
        items[-1].append(_number(widths[glyph]))
    return Array([Array(item) if isinstance(item, list) else item for item in items])


def to_unicode_cmap(text: dict[int, str]) -> bytes:
    """A ToUnicode CMap for glyph id -> text, written as WeasyPrint writes one."""
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo", b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0",
             b">> def", b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange"]
    items = sorted(text.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [f"<{glyph:04x}> <{value.encode('utf-16-be').hex()}>".encode()
                  for glyph, value in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)
