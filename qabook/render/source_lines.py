"""Source lines in the print HTML, and code lines made to wrap as a typesetter wraps them.

The layout checks (render/pdf_checks.py) report a problem at the file and line the author
wrote: `locate` gives every paragraph and code block the print writer sees its file and
fingerprint (model/positions.py; `RenderContext.line_of` turns them into the line it starts
on when a finding is reported), as pandoc writes it: an empty marker span at the end
of a paragraph, an attribute on a code block. `finish` then turns the pandoc HTML of one part
into what the print stylesheet expects:

- the marker becomes `data-src="path#fingerprint"` on the element that holds it (the `<p>`, a list
  item's or a table cell's), and a code block's on its `<pre>`;
- every line of a code block is a `<span class="code-line indent-N">` of its own (pandoc's
  highlighted lines already are; plain code blocks are split here, as the EPUB's are, see
  render/epub_style.py), N being the columns its own indentation takes: book.css gives it a
  hanging indent two columns deeper than that and (class long, for a line long enough to
  wrap on some paper) a continuation mark, so a line too long for the measure wraps right of
  its own code, never at column 0;
- a numbered equation's formula and number go into a `<span class="equation-line">` inside
  it: the line is the flex box that puts the number beside the formula or below it, and
  the equation stays a block whose margins a page break truncates (a flex box's it does
  not, in WeasyPrint 70).
"""

from __future__ import annotations

from typing import Any, Callable

import lxml.html
from lxml import etree

from qabook import ast
from qabook.model.positions import fingerprint
from qabook.render.epub_package import remove
from qabook.render.epub_style import MAX_INDENT, indentation

#: "path#fingerprint" of the paragraph or code block an element prints: not its line, so
#: that an edit which moves lines changes no other chunk's HTML (Appendix A and B print a
#: question's parts again); the line is looked up when a finding is reported
ATTRIBUTE = "data-src"
MARKER = "qb-src"  #: the key pandoc writes as data-qb-src
LINE_CLASS = "code-line"
EQUATION = 'class="equation"'  #: how pandoc writes a numbered equation's span
#: columns past which a code line may wrap on some paper (6x9in holds about 60 in a quiz box):
#: only such lines get the continuation mark, which is an image drawn with every line that
#: has it (class long)
LONG = 48


def locate(node: dict, positions: dict[str, int], path: str,
           visit: Callable[[dict], Any]) -> dict:
    """A paragraph (its inlines walked with visit) or code block that says where it starts."""
    kind = node["t"]
    if kind == "CodeBlock":
        found = fingerprint(node["c"][1], code=True)
        attr = node["c"][0]
        if found in positions:
            attr = [attr[0], attr[1], [*attr[2], [MARKER, f"{path}#{found}"]]]
        return {"t": kind, "c": [attr, node["c"][1]]}
    found = fingerprint(node["c"])
    content = ast.walk(node["c"], visit)
    if found in positions:
        content = [*content, ast.Span(ast.attr("", [], [[MARKER, f"{path}#{found}"]]), [])]
    return {"t": kind, "c": content}


def finish(html: str) -> str:
    """One part's HTML with its markers as attributes and its code in lines."""
    if "data-" + MARKER not in html and "<pre" not in html and EQUATION not in html:
        return html
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in list(root.iter()):
        where = element.get("data-" + MARKER)
        if where is None:
            continue
        if element.tag == "span" and len(element) == 0 and not element.text:
            holder = element.getparent()
            remove(element)
            holder.set(ATTRIBUTE, where)
        else:  # a code block: pandoc puts it on the <div class="sourceCode"> or the <pre>
            del element.attrib["data-" + MARKER]
            pre = element if element.tag == "pre" else next(element.iter("pre"), None)
            if pre is not None:
                pre.set(ATTRIBUTE, where)
    for pre in root.iter("pre"):
        for code in pre.findall("code"):
            mark_lines(code)
    for equation in root.iter("span"):
        if "equation" in (equation.get("class") or "").split():
            line = etree.Element("span", {"class": "equation-line"})
            line.text, equation.text = equation.text, None
            line.extend(list(equation))
            equation.append(line)
    return (root.text or "") + "".join(etree.tostring(child, encoding="unicode", method="html")
                                       for child in root)


def mark_lines(code) -> None:
    """Each line of a code block a span of class code-line and indent-N; the line breaks
    between them go (the lines are blocks, see book.css)."""
    if len(code) == 0:
        text = code.text or ""
        code.text = None
        for line in text.split("\n"):
            etree.SubElement(code, "span").text = line
    elif (code.text or "").strip() or any(child.tag != "span" or (child.tail or "").strip()
                                          for child in code):
        return  # code with other markup than pandoc's lines: left as it is
    code.text = None
    for line in code:
        line.tail = None
        text = "".join(line.itertext()).expandtabs(8)
        columns = min(indentation(text), MAX_INDENT)
        line.set("class", " ".join([*(line.get("class") or "").split(), LINE_CLASS,
                                    f"indent-{columns}", *(["long"] if len(text) > LONG else [])]))
