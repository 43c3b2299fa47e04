"""The EPUB 3: pandoc writes it from the book document, then the package is finished here.

pandoc (3.9) makes the XHTML, navigation, footnotes (EPUB 3 notes with back-links), MathML and
citations. Afterwards qabook adds what pandoc leaves out — accessibility metadata, MathML alt
text, real titles for the chapter files — and re-zips with fixed metadata so two builds give
the same bytes.
"""

from __future__ import annotations

import html
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from qabook import ast, pandoc
from qabook.cache import Cache, key
from qabook.render import RenderContext
from qabook.render.cover import cover_png
from qabook.render.epub_ast import book_document
from qabook.render.output import atomic_write, read_zip, write_zip

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates" / "epub"
A11Y_SUMMARY = (
    "Every figure has a text alternative and a caption; mathematics is MathML with the TeX "
    "source as alternative text; the book has a navigable table of contents, landmarks, "
    "headings for every question and section, and footnotes and quiz solutions linked in both "
    "directions. No known hazards.")


def render(ctx: RenderContext) -> Path:
    """Write build/<slug>.epub."""
    config = ctx.config
    target = ctx.out / f"{config.slug}.epub"
    document = _cite(book_document(ctx.resolved, _meta(ctx)), Cache(ctx.cache))
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "cover.png").write_bytes(cover_png(config.title, config.subtitle, config.authors))
        (work / "epub.css").write_bytes((TEMPLATES / "epub.css").read_bytes())
        raw = work / "raw.epub"
        pandoc.write_file(document, raw, [
            "--to=epub3", "--mathml", "--toc", "--toc-depth=2", "--split-level=1",
            "--epub-cover-image=cover.png", "--css=epub.css",
            f"--resource-path={ctx.root.resolve()}",
            "--epub-title-page=true",
        ], cwd=work, env={"SOURCE_DATE_EPOCH": str(config.timestamp)})
        entries = _finish_package(read_zip(raw), config)
    atomic_write(target, lambda tmp: write_zip(
        tmp, ((name, data, name != "mimetype") for name, data in entries)))
    return target


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
