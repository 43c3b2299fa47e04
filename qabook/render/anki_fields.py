"""What the deck's fields hold: which part of a note goes where, and how a card refers to things.

A card shows a side at a time. Its front shows the prompt (or the exercise); its back shows
the front again, the summary (or the direct answer) and, folded, the full answer (or the rest
of the solution) and the references. A fold counts as on the card: a learner opens it there.
A cross-reference to a figure, table or equation that is not on the side it is read on says
where the thing is ("Figure 20.3 in Q20": no comma or parenthesis to upset the sentence); a question cross-reference reads as text
("Q6 *Reducing Overfitting*", no parentheses, so it reads well inside parentheses too).
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any, Callable

from qabook import ast
from qabook.model.solutions import split as split_solution
from qabook.render.fonts import Face
from qabook.words import Words

#: the parts each side of a card shows, by the part a reference is written in
SHOWN = {
    "prompt": ("prompt",),
    "summary": ("prompt", "summary", "answer"),
    "answer": ("prompt", "summary", "answer"),
    "exercise": ("exercise",),
    "solution": ("exercise", "solution", "extra"),
    "extra": ("exercise", "solution", "extra"),
    "text": ("text",),
}
#: where a part is, named for a reference from the other side of the same card
def places(say: Words) -> dict[str, str]:
    """Where a part is, for a reference from the other side of the same card."""
    return {"prompt": say.say("in the question"), "summary": say.say("in the answer"),
            "answer": say.say("in the full answer"), "exercise": say.say("in the exercise"),
            "solution": say.say("in the solution"), "extra": say.say("in the full solution"),
            "text": say.say("in the key terms")}


PLACED_KINDS = ("figure", "table", "equation")

def descriptions(kind: str, say: Words) -> dict[str, str]:
    """The Anki field descriptions of a note type (shown in the editor when a field is
    empty), in the book's language; the field names stay as they are (they are the note
    type's identity in learners' collections)."""
    overwritten = say.say("the book fills this field: whatever is written here is replaced "
                          "by the next edition")
    key = say.say("chapter.question: the sort order, set by the book")
    if kind == "question":
        return {"Key": key, "Answer": say.say("the full answer, folded on the card"),
                "Extra": say.say("unused for now; {overwritten}", overwritten=overwritten)}
    if kind == "exercise":
        return {"Key": say.say("chapter.question.letter: the sort order, set by the book"),
                "Solution": say.say("the direct answer: the solution's first paragraph"),
                "Extra": say.say("the rest of the solution, folded under \"{fold}\"; "
                                 "{overwritten}", fold=say.say("Full solution"),
                                 overwritten=overwritten)}
    return {"Key": key, "Text": say.say("the question's summary, its key terms as clozes; "
                                        "{overwritten}", overwritten=overwritten)}


#: the fields that open collapsed in the editor: the long ones
COLLAPSED = ("Answer", "Extra", "References")
SANS = ("Key", "Heading", "Source", "Question")
#: the Browser's Question and Answer columns
BROWSER = {"question": ("{{Heading}}", "{{Summary}}"),
           "exercise": ("{{Heading}}: {{Question}}", "{{Solution}}"),
           "cloze": ("{{Heading}}", "{{cloze:Text}}")}


def field_config(kind: str, names: tuple[str, ...], say: Words) -> list[dict[str, Any]]:
    """genanki field dicts: name, editor font, description and collapsed state."""
    described = descriptions(kind, say)
    return [{"name": name,
             "font": "Source Sans 3" if name in SANS else "Source Serif 4",
             "size": 18,
             "description": described.get(name, ""),
             "collapsed": name in COLLAPSED}
            for name in names]


def note_parts(parts: dict[str, Any]) -> dict[str, Any]:
    """An exercise's solution split into the direct answer and the rest (`extra`)."""
    if "solution" not in parts:
        return dict(parts)
    first, rest = split_solution(tuple(parts["solution"]))
    if not first:  # no direct answer (check warns): the card shows the whole solution
        first, rest = rest, ()
    return {**parts, "solution": first, "extra": rest}


def ids(content: Any) -> set[str]:
    """The ids a part defines (figures, tables, equation spans, headings, divs)."""
    found = set()
    for node in ast.iter_nodes(list(content)):
        value = node.get("c")
        if (node["t"] in ("Figure", "Table", "Span", "Div", "Header") and isinstance(value, list)
                and value):
            attr = value[0] if node["t"] != "Header" else value[1]
            if isinstance(attr, list) and attr and isinstance(attr[0], str) and attr[0]:
                found.add(attr[0])
    return found


def xref_visitor(part: str, defined: dict[str, set[str]], question_of: Callable[[str], int],
                 say: Words) -> Callable[[dict], Any]:
    """The visit function that writes a part's resolved cross-references as card text."""
    shown = set().union(*(defined.get(p, set()) for p in SHOWN.get(part, (part,))))
    place = places(say)

    def visit(node: dict) -> Any:
        attr, text, (url, title) = node["c"]
        kind = ast.kv(attr).get("ref-kind", "")
        inlines = list(text)
        anchor = url[1:] if url.startswith("#") else url
        if kind == "question" and title:
            inlines += [ast.SPACE, {"t": "Emph", "c": ast.text_inlines(title)}]
        elif kind in PLACED_KINDS and anchor not in shown:
            here = next((p for p, found in defined.items() if anchor in found), None)
            if here is not None:  # on the other side of this card
                where = place.get(here) or say.say("in the answer")
            else:  # on another card: "In Figure 20.3 of Q20, the word…"
                number = question_of(anchor)
                where = say.say("of {question}", question=f"Q{number}") if number else \
                    say.say("in the book")
            inlines += [ast.SPACE, *ast.text_inlines(where)]
        return [ast.Span(ast.attr("", ["xref"]), inlines)]

    return visit


class _Entries(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def handle_starttag(self, tag, attrs):
        if "csl-entry" in (dict(attrs).get("class") or "").split():
            self.count += 1


def references(entries: str, say: Words) -> str:
    """The References field: citeproc's entries in a fold of their own, "References (n)"."""
    if not entries.strip():
        return ""
    parser = _Entries()
    parser.feed(entries)
    parser.close()
    title = say.say("References ({count})", count=parser.count) if parser.count else \
        say.say("References")
    return (f'<details class="qb-more qb-refs"><summary>{html.escape(title)}</summary>'
            f'<div class="csl-bib-body">{entries}</div></details>')


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()  # convert_charrefs: the text comes out unescaped
        self.chars: set[str] = set()

    def handle_data(self, data):
        self.chars.update(data)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("alt", "title") and value:
                self.chars.update(value)


def characters(fragments: list[str]) -> set[str]:
    """Every character the text of these HTML fragments shows (MathJax draws the maths with
    its own fonts, but the TeX source is counted too: it costs a few glyphs)."""
    parser = _Text()
    for fragment in fragments:
        parser.feed(fragment)
        parser.close()
        parser.reset()
    return parser.chars


#: the faces card.css names, each shipped as a subset (qabook.render.fonts)
FACES = (
    Face("Source Serif 4", "SourceSerif4-Regular.otf"),
    Face("Source Serif 4", "SourceSerif4-It.otf", style="italic"),
    Face("Source Serif 4", "SourceSerif4-Bold.otf", 700),
    Face("Source Serif 4", "SourceSerif4-BoldIt.otf", 700, "italic"),
    Face("Source Sans 3", "SourceSans3-Regular.otf"),
    Face("Source Sans 3", "SourceSans3-It.otf", style="italic"),
    Face("Source Sans 3", "SourceSans3-Semibold.otf", 600),
    Face("Source Sans 3", "SourceSans3-Bold.otf", 700),
    Face("Source Code Pro", "SourceCodePro-Regular.otf"),
    Face("Source Code Pro", "SourceCodePro-It.otf", style="italic"),
    Face("Source Code Pro", "SourceCodePro-Semibold.otf", 600),
)
