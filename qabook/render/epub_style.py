"""The markup templates/epub/epub.css relies on, put into each XHTML file of the EPUB.

Reading systems treat the book's stylesheet as a suggestion: some override colours, fonts and
margins (Readium CSS, Apple Books' themes), some drop rules they do not understand (calibre's
conversion for Kindle, Adobe's RMSDK), and a night theme may set only the text colour. So what
carries meaning goes into the markup, and the stylesheet only refines it:

- `raise_noterefs`: a noteref's number is a `<sup>` inside its link (pandoc writes a bare
  digit; Standard Ebooks and every print convention raise it), so it stays a superscript
  wherever the stylesheet's `vertical-align` is lost;
- `mark_code_lines`: every line of a code block is a `<span>` of its own (pandoc's highlighted
  lines already are; plain code blocks are split here), with a class `indent-N` saying how many
  columns its own indentation takes, so that epub.css can give it a hanging indent deeper than
  that indentation: a line too long for a phone wraps, and its continuation starts right of the
  line's own code, never at column 0;
- `box_display_math`: every display formula sits in a `<span class="display-math">` (inside
  its numbered equation's box, where it has one, beside the number): chromium does not scroll
  or clip a `<math>` element itself, so the box is what keeps a formula too wide for a phone
  from widening the page (the book's own wide formulas are broken into lines in the source);
- `remove_styles`: no `<style>` element: pandoc copies its highlighting CSS (light-page colours
  that fail at night, `white-space: pre` that runs code off a phone) into the head of every
  file with code, and an empty `<style>` into every other file; epub.css holds the rules now,
  and the EPUB's check (epub_safety) no longer admits `<style>`.

Every function takes the root element of one XHTML file (an lxml tree) and changes it in
place; `style` does all of them (render/epub_finish.py calls it for every file).
"""

from __future__ import annotations

from lxml import etree

from qabook.render.epub_package import MATHML, XHTML, remove


EPUB = "http://www.idpf.org/2007/ops"
#: the deepest indentation (in columns) with a class of its own; epub.css has a rule for each
MAX_INDENT = 32
TAB = 8  #: columns to a tab stop, as CSS's default tab-size
def _x(name: str) -> str:
    return f"{{{XHTML}}}{name}"


def style(root: etree._Element) -> None:
    """Every change this module makes, to the root of one XHTML file."""
    remove_styles(root)
    raise_noterefs(root)
    mark_code_lines(root)
    box_display_math(root)


def remove_styles(root: etree._Element) -> None:
    """Drop every <style> element (their text too); the stylesheet file has the rules."""
    for element in list(root.iter(_x("style"))):
        remove(element)


def box_display_math(root: etree._Element) -> None:
    """Wrap each <math display="block"> in a <span class="display-math"> (once)."""
    for math in list(root.iter(f"{{{MATHML}}}math")):
        if math.get("display") != "block":
            continue
        parent = math.getparent()
        if parent is not None and parent.tag == _x("span") \
                and "display-math" in (parent.get("class") or "").split():
            continue
        box = etree.Element(_x("span"), {"class": "display-math"})
        box.tail, math.tail = math.tail, None
        math.addprevious(box)
        box.append(math)


def is_noteref(element: etree._Element) -> bool:
    """A link to a note: epub:type noteref or role doc-noteref."""
    return element.tag == _x("a") and (
        "noteref" in (element.get(f"{{{EPUB}}}type") or "").split()
        or "doc-noteref" in (element.get("role") or "").split())


def raise_noterefs(root: etree._Element) -> None:
    """Put each noteref's content into a <sup> inside the link (unless it is one already)."""
    for link in list(root.iter(_x("a"))):
        if not is_noteref(link):
            continue
        if len(link) == 1 and link[0].tag == _x("sup") and not (link.text or "").strip() \
                and not (link[0].tail or "").strip():
            continue
        sup = etree.Element(_x("sup"), nsmap=None)
        sup.text, link.text = link.text, None
        for child in list(link):
            sup.append(child)  # moves it, with its tail
        link.append(sup)


def indentation(text: str) -> int:
    """The columns a line's leading spaces and tabs take."""
    column = 0
    for char in text:
        if char == " ":
            column += 1
        elif char == "\t":
            column += TAB - column % TAB
        else:
            break
    return column


def mark_code_lines(root: etree._Element) -> None:
    """Each line of every code block a <span> with the class indent-N (N its indentation in
    columns, at most MAX_INDENT) when it is indented."""
    for pre in root.iter(_x("pre")):
        for code in pre.findall(_x("code")):
            if len(code) == 0:
                _split_lines(code)
            elif (code.text or "").strip() or any(
                    child.tag != _x("span") or (child.tail or "").strip() for child in code):
                continue  # code with other markup than pandoc's lines: left as it is
            for line in code:
                columns = indentation("".join(line.itertext()))
                if columns:
                    _add_class(line, f"indent-{min(columns, MAX_INDENT)}")


def _split_lines(code: etree._Element) -> None:
    """A plain code block's text as one <span> per line, the line breaks between them."""
    text = code.text or ""
    if not text:
        return
    code.text = None
    for number, line in enumerate(text.split("\n")):
        span = etree.SubElement(code, _x("span"))
        span.text = line
        if number:
            span.getprevious().tail = "\n"


def _add_class(element: etree._Element, name: str) -> None:
    classes = (element.get("class") or "").split()
    if name not in classes:
        element.set("class", " ".join(classes + [name]))
