"""The EPUB 3: pandoc writes it a file at a time, then the package is finished here.

pandoc (3.9) makes the XHTML, navigation, footnotes (EPUB 3 notes with back-links), MathML and
citations. The book is split where its files begin (every heading of level 1 or 2: front
matter, chapter openers, questions, appendix parts), and pandoc's EPUB writer runs twice over:
once on the skeleton (the headings alone), which gives the package, navigation, cover and
title page, and once per file on that file's content, which gives the file that goes in.
Both are cached by their input, so after an edit only the edited file is written again, and
the result is the same bytes a clean build gives. Afterwards qabook adds what pandoc leaves
out — accessibility metadata, MathML alt text, real titles for the files, links between files
— and re-zips with fixed metadata so two builds give the same bytes.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from qabook import ast, pandoc, resources
from qabook.cache import Cache, key
from qabook.render import RenderContext, RenderError, epub_pages, epub_safety
from qabook.render.cover import cover_png
from qabook.render.epub_ast import SPLIT_LEVEL, book_document
from qabook.render.output import atomic_write, read_zip, write_zip

TEMPLATES = resources.TEMPLATES / "epub"
A11Y_SUMMARY = (
    "Every figure has a text alternative and a caption; mathematics is MathML with the TeX "
    "source as alternative text; the book has a navigable table of contents, landmarks, "
    "headings for every question and section, and footnotes and quiz solutions linked in both "
    "directions. No known hazards.")


def prepare(source: Path, options: dict) -> None:
    """Load WeasyPrint now, while the book is checked: the print edition's page numbers may
    have to be laid out here (render/pdf.py's edition_pages)."""
    from qabook.render import pdf_layout  # noqa: F401


def render(ctx: RenderContext) -> Path:
    """Write build/<slug>.epub."""
    config = ctx.config
    target = ctx.out / f"{config.slug}.epub"
    cache = Cache(ctx.cache)
    document = _cite(book_document(ctx.resolved, _meta(ctx)), cache)
    files = split(document["blocks"])
    skeleton = _skeleton(ctx, document, files, cache)
    bodies = _bodies(ctx, files, cache)
    entries = _finish_package(_assemble(skeleton, files, bodies), config)
    entries = _page_list(entries, ctx)
    unsafe = epub_safety.problems(entries, ctx.source_of)
    if unsafe:
        raise RenderError(unsafe[0].message, diagnostics=unsafe)
    atomic_write(target, lambda tmp: write_zip(
        tmp, ((name, data, name != "mimetype") for name, data in entries)))
    return target


def split(blocks: list[Any]) -> list[list[Any]]:
    """The book's blocks cut where pandoc starts a new file: before each top-level heading of
    level SPLIT_LEVEL or less (the document starts with one)."""
    files: list[list[Any]] = []
    for block in blocks:
        if block["t"] == "Header" and block["c"][0] <= SPLIT_LEVEL:
            files.append([])
        if not files:
            raise _broken("the EPUB document does not start with a heading")
        files[-1].append(block)
    return files


def _skeleton(ctx: RenderContext, document: dict, files: list[list[Any]],
              cache: Cache) -> list[tuple[str, bytes]]:
    """pandoc's EPUB of the headings alone: package, navigation, cover, title page."""
    config = ctx.config
    meta = {k: v for k, v in document["meta"].items() if k != "references"}
    blocks = [blocks[0] for blocks in files]
    doc = {**document, "meta": meta, "blocks": blocks}
    css = (TEMPLATES / "epub.css").read_bytes()
    ident = key("epub-skeleton", json.dumps(doc, sort_keys=True), css, config.timestamp,
                config.title, config.subtitle, config.authors)
    hit = cache.get("epub", ident)
    if hit is not None:
        return hit
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "cover.png").write_bytes(cover_png(config.title, config.subtitle, config.authors))
        (work / "epub.css").write_bytes(css)
        raw = work / "raw.epub"
        pandoc.write_file(doc, raw, [
            "--to=epub3", "--mathml", "--toc", "--toc-depth=2", f"--split-level={SPLIT_LEVEL}",
            "--epub-cover-image=cover.png", "--css=epub.css", "--epub-title-page=true",
        ], cwd=work, env={"SOURCE_DATE_EPOCH": str(config.timestamp)})
        entries = read_zip(raw)
    cache.put("epub", ident, entries)
    return entries


def _bodies(ctx: RenderContext, files: list[list[Any]],
            cache: Cache) -> list[tuple[str, dict[str, tuple[bytes, str]]]]:
    """Each file's XHTML as pandoc's EPUB writer makes it from that file's content alone (so
    its head holds the styles its own code needs), with the media it uses.

    pandoc never reads the book's folder: each image is handed to it as the bytes the model
    checked, in a folder of its own, under a name made of their digest."""
    meta = {"lang": {"t": "MetaString", "c": ctx.config.language}}
    media: dict[str, str] = {}  # name pandoc is given -> the figure's src
    docs = [{"pandoc-api-version": pandoc.API_VERSION, "meta": meta,
             "blocks": _media_names(ctx, blocks, media)} for blocks in files]
    keys = [key("epub-file", json.dumps(doc, sort_keys=True)) for doc in docs]
    out: list[Any] = [cache.get("epub", k) for k in keys]
    todo = [i for i, hit in enumerate(out) if hit is None]
    with tempfile.TemporaryDirectory() as scratch:
        for name in sorted({n for i in todo for n in _images(docs[i]["blocks"])}):
            (Path(scratch) / name).write_bytes(ctx.figure_bytes(media[name]))
        jobs = [{"epub": docs[i], "root": scratch, "output": f"{scratch}/{i}.epub",
                 "options": {"html_math_method": "mathml", "split_level": SPLIT_LEVEL,
                             "epub_title_page": False}} for i in todo]
        for i, result in zip(todo, pandoc.run_batch(jobs)):
            complaint = result.get("error") or "; ".join(result.get("warnings") or [])
            if complaint:  # about this file's content: name the file it comes from
                raise RenderError(f"pandoc could not write this content into the EPUB: "
                                  f"{complaint}", ctx.source_of(_ident(files[i][0])),
                                  "pandoc.failed",
                                  "simplify the markup around what the message names")
            out[i] = _body(read_zip(Path(f"{scratch}/{i}.epub")), _ident(files[i][0]))
            cache.put("epub", keys[i], out[i])
    return out


def _media_names(ctx: RenderContext, blocks: list[Any], media: dict[str, str]) -> list[Any]:
    """The blocks with each image's path replaced by the name of its checked bytes (digest and
    type), recorded in media."""
    def visit(node: dict) -> Any:
        if node["t"] != "Image":
            return None
        src = node["c"][2][0]
        name = ctx.figure_digest(src) + Path(src).suffix.lower()
        media[name] = src
        return {"t": "Image", "c": [node["c"][0], node["c"][1], [name, node["c"][2][1]]]}
    return ast.walk(blocks, visit)


def _images(blocks: list[Any]) -> list[str]:
    return sorted({node["c"][2][0] for node in ast.iter_nodes(blocks) if node["t"] == "Image"})


def _ident(header: dict) -> str:
    return header["c"][1][0]


def _body(entries: list[tuple[str, bytes]],
          ident: str) -> tuple[str, dict[str, tuple[bytes, str]]]:
    """The one text file of a file's own EPUB that holds its heading, and its media (a file
    that starts at level 2 comes after an empty level-1 file pandoc adds)."""
    texts = [(name, data.decode("utf-8")) for name, data in entries if TEXT.fullmatch(name)]
    found = [text for _, text in texts if f'id="{ident}"' in text]
    others = [name for name, text in texts if f'id="{ident}"' not in text and CONTENT.search(text)]
    if len(found) != 1 or others:
        raise _broken(f"pandoc did not write the EPUB file of #{ident} as one file")
    # each image with the media type pandoc gave it in that EPUB's manifest
    opf = next(data for name, data in entries if name.endswith(".opf")).decode("utf-8")
    types = {attributes.get("href"): attributes.get("media-type") for attributes in
             (dict(ATTRIBUTE.findall(item)) for item in ITEM.findall(opf))}
    media = {name.rsplit("/", 1)[1]: (data, types[name.removeprefix("EPUB/")])
             for name, data in entries if name.startswith("EPUB/media/")}
    # pandoc points links to its own file by that EPUB's file name; the book's name differs
    return OWN_FILE_LINK.sub('href="#', found[0]), media


TEXT = re.compile(r"EPUB/text/ch(\d+)\.xhtml")
CONTENT = re.compile(r"<(p|div|figure|table|pre|ul|ol|dl|blockquote|aside|img|math|h[2-6])\b")
OWN_FILE_LINK = re.compile(r'href="ch\d+\.xhtml#')
MEDIA_SRC = re.compile(r'(src|href)="\.\./media/([^"]+)"')


def _assemble(skeleton: list[tuple[str, bytes]], files: list[list[Any]],
              bodies: list[tuple[str, dict[str, tuple[bytes, str]]]]) -> list[tuple[str, bytes]]:
    """The skeleton's package with each file, its media and manifest entries put in."""
    texts = sorted((name for name, _ in skeleton if TEXT.fullmatch(name)),
                   key=lambda name: int(TEXT.fullmatch(name).group(1)))
    if len(texts) != len(files):
        raise _broken(f"pandoc split the EPUB into {len(texts)} files, not {len(files)}")
    content = dict(skeleton)
    media: dict[str, tuple[str, bytes, str]] = {}  # digest -> (book-wide name, bytes, type)
    replaced: dict[str, bytes] = {}
    for name, blocks, (body, own_media) in zip(texts, files, bodies):
        if f'id="{_ident(blocks[0])}"'.encode() not in content[name]:
            raise _broken(f"{name} of pandoc's EPUB is not the file of #{_ident(blocks[0])}")
        names = {}
        for local, (data, media_type) in sorted(own_media.items()):
            digest = hashlib.sha256(data).hexdigest()
            if digest not in media:
                media[digest] = (f"file{len(media) + 1}{Path(local).suffix}", data, media_type)
            names[local] = media[digest][0]
        body = MEDIA_SRC.sub(lambda m, names=names: f'{m.group(1)}="../media/'
                             f'{names.get(m.group(2), m.group(2))}"', body)
        replaced[name] = body.encode("utf-8")
    opf_name = next(name for name in content if name.endswith(".opf"))
    opf, found = ITEM.subn(lambda m: _item(m, replaced), content[opf_name].decode("utf-8"))
    items = [f'<item id="{n.replace(".", "_")}" href="media/{n}" media-type="{media_type}" />'
             for n, _, media_type in media.values()]
    opf, listed = MANIFEST_END.subn(lambda m: "".join(f"{m.group(1)}  {item}" for item in items)
                                    + m.group(0), opf, count=1)
    if listed != 1 or not found:
        raise _broken("pandoc's package document has no manifest qabook can read")
    replaced[opf_name] = opf.encode("utf-8")
    out = [(name, replaced.get(name, data)) for name, data in skeleton]
    return out + [(f"EPUB/media/{n}", data) for n, data, _ in media.values()]


ITEM = re.compile(r"<item\b[^>]*/>")
MANIFEST_END = re.compile(r"(\n[ \t]*)</manifest>")
ATTRIBUTE = re.compile(r'([\w:-]+)="([^"]*)"')


def _item(match: re.Match, replaced: dict[str, bytes]) -> str:
    """A manifest entry with the properties its file needs now that it has its content."""
    tag = match.group(0)
    attributes = dict(ATTRIBUTE.findall(tag))
    data = replaced.get(f"EPUB/{attributes.get('href', '')}")
    if data is None or b"<math" not in data or "mathml" in attributes.get("properties", ""):
        return tag
    if "properties" in attributes:
        return tag.replace(f'properties="{attributes["properties"]}"',
                           f'properties="{attributes["properties"]} mathml"')
    return re.sub(r"\s*/>$", ' properties="mathml" />', tag)


def _broken(message: str) -> RenderError:
    return RenderError(message, code="epub.failed", hint="report a bug")


def _cite(document: dict[str, Any], cache: Cache) -> dict[str, Any]:
    """The document with its citations formatted and its references listed, by citeproc.

    citeproc runs on a small document holding each distinct citation once (and the reference
    list), whose result is cached: an edit that changes no citation does not run it again.
    """
    cites: dict[str, Any] = {}
    for node in ast.iter_nodes(document["blocks"]):
        if node["t"] == "Cite":
            cites.setdefault(json.dumps(node, sort_keys=True), node)
    probe = {"pandoc-api-version": pandoc.API_VERSION, "meta": document["meta"],
             "blocks": [ast.Para([cite]) for cite in cites.values()]
             + [ast.Div(ast.attr("refs"), [])]}
    ident = key("citeproc", json.dumps(probe, sort_keys=True))
    done = cache.get("citeproc", ident)
    if done is None:
        (result,) = pandoc.run_batch([{"write": probe, "format": "json", "citeproc": True}])
        if "error" in result:
            raise pandoc.PandocError(result["error"])
        blocks = json.loads(result["text"])["blocks"]
        done = ([block["c"][0] for block in blocks[:-1]], blocks[-1])
        cache.put("citeproc", ident, done)
    formatted = dict(zip(cites, done[0]))

    def visit(node: dict) -> Any:
        if node["t"] == "Cite":
            return formatted[json.dumps(node, sort_keys=True)]
        if node["t"] == "Div" and node["c"][0][0] == "refs":
            return done[1]
        return None

    return {**document, "blocks": ast.walk(document["blocks"], visit)}


def _meta(ctx: RenderContext) -> dict[str, Any]:
    config = ctx.config
    text = lambda value: {"t": "MetaInlines", "c": ast.text_inlines(value)}  # noqa: E731
    meta = {
        "title": text(config.title),
        "subtitle": text(config.subtitle),
        "author": {"t": "MetaList", "c": [text(a) for a in config.authors]},
        "lang": {"t": "MetaString", "c": config.language},
        "identifier": {"t": "MetaString", "c": config.identifier},
        "date": {"t": "MetaString", "c": config.date.isoformat()},
        "description": text(config.description),
        "rights": text(config.rights),
        "subject": {"t": "MetaList", "c": [text(s) for s in config.subjects]},
        "link-citations": {"t": "MetaBool", "c": True},
        "link-bibliography": {"t": "MetaBool", "c": True},
    }
    if ctx.book.bibliography is not None:
        meta["references"] = ctx.book.bibliography.references
    return meta


def _a11y_metadata() -> str:
    """Accessibility metadata that is true of every qabook EPUB (EPUB Accessibility 1.1)."""
    rows = [
        ("schema:accessMode", "textual"), ("schema:accessMode", "visual"),
        ("schema:accessModeSufficient", "textual"),
        ("schema:accessModeSufficient", "textual,visual"),
        ("schema:accessibilityFeature", "alternativeText"),
        ("schema:accessibilityFeature", "MathML"),
        ("schema:accessibilityFeature", "describedMath"),
        ("schema:accessibilityFeature", "tableOfContents"),
        ("schema:accessibilityFeature", "structuralNavigation"),
        ("schema:accessibilityFeature", "readingOrder"),
        ("schema:accessibilityFeature", "displayTransformability"),
        ("schema:accessibilityHazard", "none"),
        ("schema:accessibilitySummary", A11Y_SUMMARY),
    ]
    return "".join(f'    <meta property="{p}">{html.escape(v)}</meta>\n' for p, v in rows)


MATH = re.compile(r"<math(?![^>]*alttext)([^>]*)>(.*?)</math>", re.S)
TEX = re.compile(r'<annotation encoding="application/x-tex">(.*?)</annotation>', re.S)
TITLE = re.compile(r"<title>[^<]*</title>")
FIRST_HEADING = re.compile(r"<h[12][^>]*>(.*?)</h[12]>", re.S)
NOTE = re.compile(r'(<aside epub:type="footnote" role="doc-footnote" id="fn(\d+)">\s*<p>)')


ID = re.compile(r'\sid="([^"]+)"')
LOCAL_HREF = re.compile(r'href="#([^"]+)"')
MI_STRETCHY = re.compile(r"<mi ([^>]*stretchy[^>]*)>(.*?)</mi>")


def _finish_package(entries: list[tuple[str, bytes]], config) -> list[tuple[str, bytes]]:
    """Finish every file; then point same-file links whose target lives elsewhere at that file.

    pandoc rewrites cross-file links for headings and tables but not for figures, so a
    reference to a figure from another chapter file would dangle.
    """
    finished = [(name, _finish(name, data, config)) for name, data in entries]
    home: dict[str, str] = {}
    for name, data in finished:
        if name.startswith("EPUB/text/") and name.endswith(".xhtml"):
            for ident in ID.findall(data.decode("utf-8")):
                home.setdefault(ident, name.rsplit("/", 1)[1])
    out = []
    for name, data in finished:
        if name.startswith("EPUB/text/") and name.endswith(".xhtml"):
            text = data.decode("utf-8")
            here = set(ID.findall(text))
            own = name.rsplit("/", 1)[1]

            def fix(match: re.Match, here=here, own=own) -> str:
                ident = match.group(1)
                if ident in here or ident not in home or home[ident] == own:
                    return match.group(0)
                return f'href="{home[ident]}#{ident}"'

            data = LOCAL_HREF.sub(fix, text).encode("utf-8")
        out.append((name, data))
    return out


def _finish(name: str, data: bytes, config) -> bytes:
    """Add what pandoc leaves out to one file of the package."""
    if name.endswith(".opf"):
        return _opf(data.decode("utf-8"), config).encode("utf-8")
    if not name.endswith(".xhtml"):
        return data
    text = data.decode("utf-8")
    if name.endswith("nav.xhtml"):
        return _landmarks(text).encode("utf-8")
    text = MATH.sub(_math_alt, text)
    text = MI_STRETCHY.sub(r"<mo \1>\2</mo>", text)  # texmath puts stretchy on <mi>: invalid
    text = NOTE.sub(r'\1<a href="#fnref\2" class="footnote-back" role="doc-backlink">\2.</a> ', text)
    heading = FIRST_HEADING.search(text)
    if heading and re.search(r"<title>ch\d+\.xhtml</title>", text):
        title = re.sub(r"<[^>]+>", "", heading.group(1)).strip()
        text = TITLE.sub(f"<title>{title}</title>", text, count=1)
    return text.encode("utf-8")


def _opf(text: str, config) -> str:
    """Our accessibility metadata instead of pandoc's defaults, and the subtitle."""
    text = re.sub(r'\s*<meta property="schema:[^"]+">[^<]*</meta>', "", text)
    subtitle = ""
    if config.subtitle:
        subtitle = (f'    <dc:title id="epub-subtitle">{html.escape(config.subtitle)}</dc:title>\n'
                    '    <meta refines="#epub-title-1" property="title-type">main</meta>\n'
                    '    <meta refines="#epub-subtitle" property="title-type">subtitle</meta>\n')
    return text.replace("  </metadata>", subtitle + _a11y_metadata() + "  </metadata>", 1)


def _landmarks(text: str) -> str:
    """Add the start of the body matter and the bibliography to pandoc's landmarks."""
    body = re.search(r'<a href="(text/[^"#]+)#(chapter-1)"', text)
    refs = re.search(r'<a href="(text/[^"#]+#references)"', text)
    extra = ""
    if body:
        extra += (f'    <li>\n      <a href="{body.group(1)}#{body.group(2)}" '
                  'epub:type="bodymatter">Start of Content</a>\n    </li>\n')
    if refs:
        extra += (f'    <li>\n      <a href="{refs.group(1)}" epub:type="bibliography">'
                  'References</a>\n    </li>\n')
    return re.sub(r"(<nav epub:type=\"landmarks\"[^>]*>\s*<ol>\n)", lambda m: m.group(1) + extra,
                  text, count=1)


def _math_alt(match: re.Match) -> str:
    tex = TEX.search(match.group(2))
    if tex is None:
        return match.group(0)
    alt = html.escape(html.unescape(tex.group(1)).strip(), quote=True)
    return f'<math{match.group(1)} alttext="{alt}">{match.group(2)}</math>'


def _page_list(entries: list[tuple[str, bytes]], ctx: RenderContext) -> list[tuple[str, bytes]]:
    """The print edition's page numbers put in (render/epub_pages.py): page-break markers in
    the content documents, the page list in the navigation document, the metadata."""
    from lxml import etree

    from qabook.render.pdf import edition_pages

    content = dict(entries)
    opf_name = next(name for name in content if name.endswith(".opf"))
    opf = etree.fromstring(content[opf_name])
    ns = {"opf": epub_pages.OPF}
    hrefs = {item.get("id"): item.get("href")
             for item in opf.iterfind("opf:manifest/opf:item", ns)}
    spine = [hrefs[ref.get("idref")] for ref in opf.iterfind("opf:spine/opf:itemref", ns)]
    texts = [href for href in spine if TEXT.fullmatch(f"EPUB/{href}")]
    trees = {href: etree.fromstring(content[f"EPUB/{href}"]).getroottree() for href in texts}
    listed = epub_pages.insert({href: tree.getroot() for href, tree in trees.items()},
                               edition_pages(ctx))
    nav = etree.fromstring(content["EPUB/nav.xhtml"]).getroottree()
    nav.getroot().find(f"{{{epub_pages.XHTML}}}body").append(epub_pages.page_list_nav(listed))
    etree.cleanup_namespaces(opf)  # pandoc's unused xmlns:opf would prefix what is added
    metadata = opf.find("opf:metadata", ns)
    for meta in epub_pages.metadata(ctx.config):
        metadata.append(meta)
    changed = {f"EPUB/{href}": tree for href, tree in trees.items()}
    changed["EPUB/nav.xhtml"] = nav
    changed[opf_name] = opf.getroottree()
    for tree in changed.values():
        etree.cleanup_namespaces(tree)
    return [(name, etree.tostring(changed[name], xml_declaration=True, encoding="UTF-8")
             if name in changed else data) for name, data in entries]
