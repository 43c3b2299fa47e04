"""One question as each format shows it, for `qabook serve`: its Anki cards as Anki renders
them, its EPUB page, its printed pages as images.

Nothing here renders a format a second way: the card fields come from render/anki.py's
`preview` (the deck's own functions), the EPUB page is the file render/epub.py's
`entries_of` finishes for the EPUB, the pages are the chunk render/pdf.py's `preview` lays
out and writes. What is added is what Anki and a reading system do on the reader's side:
Anki's template syntax filled in with the fields (`card_side`), the card in the page Anki
shows it in (body classes for night mode), and the PDF's pages drawn as PNG (pypdfium2).

Maths on the cards: Anki typesets `\\(…\\)` with its own MathJax, which qabook cannot ship;
the preview shows each formula as the MathML pandoc makes of it (the EPUB's), which
chromium draws natively. The page says so.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree
from lxml import html as lxml_html

from qabook import pandoc
from qabook.render import RenderContext, RenderError, anki, epub
from qabook.render.epub_package import ids

#: the card widths shown (CSS px): AnkiDroid on a phone, Anki on a desktop
WIDTHS = {"phone": 390, "desktop": 1024}
THEMES = ("light", "night")

#: Anki's template language: {{Field}}, {{#Field}}…{{/Field}}, {{^Field}}…{{/Field}},
#: {{filter:Field}} (the card templates' syntax, not HTML)
_SECTION = re.compile(r"\{\{([#^])([^}]+)\}\}(.*?)\{\{/\2\}\}", re.S)
_FIELD = re.compile(r"\{\{([^#^/}][^}]*)\}\}")
#: a cloze deletion in a field: {{c3::text}} or {{c3::text::hint}} (Anki's cloze syntax)
_CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)


def card_side(template: str, fields: dict[str, str], ordinal: int = 1,
              front: str | None = None) -> str:
    """A card side's HTML as Anki renders the template: sections kept when their field has
    text, fields put in, `{{cloze:F}}` showing deletion `ordinal` as […] on the front and as
    its text on the back (the others as their text), `{{FrontSide}}` the front's HTML."""
    def filled(name: str) -> bool:
        return bool(fields.get(name.strip(), "").strip())

    def section(match: re.Match) -> str:
        shown = filled(match.group(2)) == (match.group(1) == "#")
        return match.group(3) if shown else ""

    def put(match: re.Match) -> str:
        name = match.group(1).strip()
        if name == "FrontSide":
            return front or ""
        if name.startswith("cloze:"):
            return _cloze(fields.get(name[6:], ""), ordinal, back=front is not None)
        return fields.get(name, "")

    previous = None
    while previous != template:  # sections may nest
        previous, template = template, _SECTION.sub(section, template)
    return _FIELD.sub(put, template)


def _cloze(text: str, ordinal: int, back: bool) -> str:
    def put(match: re.Match) -> str:
        if int(match.group(1)) != ordinal:
            return match.group(2)
        if back:
            return f'<span class="cloze" data-ordinal="{ordinal}">{match.group(2)}</span>'
        hint = html.escape(match.group(3) or "...")  # Anki shows [...]
        return f'<span class="cloze" data-ordinal="{ordinal}">[{hint}]</span>'
    return _CLOZE.sub(put, text)


def cloze_ordinals(text: str) -> list[int]:
    return sorted({int(m.group(1)) for m in _CLOZE.finditer(text)})


@dataclass
class Views:
    """What the preview shows of one question: files written into a folder, by name."""

    files: dict[str, bytes] = field(default_factory=dict)
    cards: list[dict] = field(default_factory=list)  #: {name, kind, sides: {front, back}}
    epub: str = ""  #: the EPUB page's file name


def cards(ctx: RenderContext, number: int, mathml: "MathCache") -> Views:
    """Every card of question `number`, each side in each theme, as standalone pages that
    hold the card stylesheet (with its fonts) the way Anki's reviewer does."""
    made = anki.preview(ctx, number)
    views = Views()
    for name, data in made.media.items():
        views.files[f"cards/{name}"] = data
    for index, note in enumerate(made.notes):
        fields = dict(zip(anki.FIELDS[note.model], note.fields))
        front_t, back_t = made.templates[note.model]
        ordinals = cloze_ordinals(fields.get("Text", "")) if note.model == "cloze" else [1]
        for ordinal in ordinals:
            front = card_side(front_t, fields, ordinal)
            back = card_side(back_t, fields, ordinal, front)
            label = note.item.shown if note.item else note.key
            if note.model == "cloze":
                label = f"{label} card {ordinal}"
            card = {"name": label, "kind": note.model, "sides": {}}
            for side, body in (("front", front), ("back", back)):
                body = mathml.replace(body)
                for theme in THEMES:
                    file = f"cards/card{index}-{ordinal}-{side}-{theme}.html"
                    views.files[file] = _card_page(made.css, body, ordinal,
                                                   theme == "night", label)
                    card["sides"].setdefault(side, {})[theme] = file
            views.cards.append(card)
    return views


def _card_page(css: str, body: str, ordinal: int, night: bool, title: str) -> bytes:
    """A card side as Anki's reviewer holds it: the note type's CSS in a <style>, the side in
    a body of class `card cardN` (and `nightMode night_mode` at night)."""
    classes = f"card card{ordinal}" + (" nightMode night_mode" if night else "")
    return (f"<!doctype html><html><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{css}</style>"
            f"<style>body {{ margin: 0; }}</style></head>"
            f"<body class=\"{classes}\"><div id=\"qa\">{body}</div></body></html>").encode()


class MathCache:
    """Each formula's MathML (pandoc's, as the EPUB has it), kept while the server runs:
    the card preview's stand-in for Anki's MathJax."""

    def __init__(self):
        self.known: dict[tuple[str, bool], str] = {}

    def replace(self, fragment: str) -> str:
        """The card HTML with the TeX of each `span.math` replaced by its MathML."""
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
        spans = [(span, _tex(span)) for span in root.iter("span")
                 if "math" in (span.get("class") or "").split()]
        spans = [(span, found) for span, found in spans if found is not None]
        if not spans:
            return fragment
        todo = sorted({found for _, found in spans} - set(self.known))
        if todo:
            for formula, (_, made) in zip(todo, pandoc.mathml(todo)):
                self.known[formula] = _math_element(made)
        for span, found in spans:
            made = self.known.get(found)
            if made:
                tail = span.tail
                for child in list(span):
                    span.remove(child)
                span.text = None
                span.append(lxml_html.fragment_fromstring(made))
                span.tail = tail
        return html.escape(root.text or "", quote=False) + "".join(
            lxml_html.tostring(child, encoding="unicode") for child in root)


def _tex(span) -> tuple[str, bool] | None:
    text = span.text_content()
    for opening, closing, display in (("\\(", "\\)", False), ("\\[", "\\]", True)):
        if text.startswith(opening) and text.endswith(closing):
            return text[2:-2], display
    return None


def _math_element(made: str) -> str:
    """The <math> element of pandoc's HTML paragraph, as text ("" when it has none)."""
    if not made:
        return ""
    root = lxml_html.fragment_fromstring(made, create_parent="div")
    found = root.find(".//math")
    return lxml_html.tostring(found, encoding="unicode", with_tail=False) if found is not None \
        else ""


def epub_pages(ctx: RenderContext, anchors: list[str]) -> dict[str, tuple[str, dict[str, bytes]]]:
    """For each question anchor, the EPUB file that holds it (its path inside the package)
    and what a reading system loads with it (the package's stylesheets and media; the other
    text files are not finished for a preview): {anchor: (path, {path: bytes})}."""
    entries = dict(epub.entries_of(ctx, lambda: [], only=anchors))
    out = {}
    for anchor in anchors:
        found = None
        for name, data in entries.items():
            if name.endswith(".xhtml") and "/text/" in name:
                root = etree.fromstring(data, etree.XMLParser(resolve_entities=False,
                                                              no_network=True))
                if anchor in ids(etree.ElementTree(root)):
                    found = name
                    break
        if found is None:
            raise RenderError(f"the EPUB has no file for #{anchor}", code="epub.failed",
                              hint="report a bug")
        files = {name: data for name, data in entries.items()
                 if not name.endswith(".xhtml") or name == found}
        out[anchor] = (found, files)
    return out


def page_images(pdf: bytes, skip: int, scale: float = 1.5) -> list[bytes]:
    """The PDF's pages from `skip` on, as PNG (pdfium draws them)."""
    import io

    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        out = []
        for index in range(skip, len(document)):
            image = document[index].render(scale=scale).to_pil()
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", compress_level=1)
            out.append(buffer.getvalue())
        return out
    finally:
        document.close()


def safe_name(path: str) -> bool:
    """Whether a generated file's name stays inside its folder."""
    parts = PurePosixPath(path).parts
    return bool(parts) and not any(p in ("..", "") or p.startswith("/") for p in parts) \
        and not Path(path).is_absolute()
