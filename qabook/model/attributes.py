"""Attributes the author may write: an id, the documented classes and the documented keys.

pandoc's attribute syntax (`{#id .class key=value}`) carries anything it is given into the
HTML of the cards and the XHTML of the EPUB: event handlers (`onclick`), styles that fetch
(`style="background:url(…)"`), `tabindex`, `epub:type`, and classes the tool itself gives a
meaning to (`qabook-xref`, `equation`). So what each kind of element may carry is listed here,
and every attribute the author wrote passes through `clean_attr`: what is not on the list is
reported where it was written and left out of the book.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


from qabook import ast
from qabook.model.context import BOOKKEEPING, FileContext, Pos, position, sourcepos_free

STRUCTURE = ("question", "summary", "exercise", "solution")  #: the divs of a question file
NOXREF_CLASS = "noxref"  #: a span whose `Q17` is not a cross-reference
CLOZE_CLASS = "cloze"  #: a key term of a summary, hidden on the question's cloze card
#: a code element's one class is its language; pandoc's highlighter names all of them this way
LANGUAGE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
ALERTS = ("note", "tip", "important", "warning", "caution")  #: commonmark_x's `> [!NOTE]`


@dataclass(frozen=True)
class Allowed:
    """What the author may write on one kind of element besides an id."""

    name: str  #: the element, as a message names it
    classes: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    language: bool = False  #: its one class names a programming language (code)
    ident: bool = True
    #: classes kept only inside one div of a question file: (class, div, what it is for)
    only_in: tuple[tuple[str, str, str], ...] = ()

    def summary(self) -> str:
        """The hint: everything this element may carry."""
        parts = ["an id"] if self.ident else []
        parts += [f".{c}" for c in self.classes] + [f"{k}=…" for k in self.keys]
        parts += ["one class naming its language"] if self.language else []
        if not parts:
            return (f"{self.name} carries no attributes: put them on a fenced div "
                    "(::: {…}) or a span ([…]{…}) instead")
        return f"{self.name} may carry {_listing(parts)} (see docs/authoring.md)"


#: by pandoc element; "Block" is a paragraph, list or quote with `{…}` on a line before it,
#: whose attributes pandoc keeps only on a wrapper that the book drops
ELEMENTS = {
    "Span": Allowed("a span", classes=(NOXREF_CLASS, CLOZE_CLASS), keys=("lang",),
                    only_in=((CLOZE_CLASS, "summary", "marks a key term for the question's "
                              "cloze card"),)),
    "Div": Allowed("a div", classes=STRUCTURE, keys=("lang",)),
    "Code": Allowed("inline code", language=True),
    "CodeBlock": Allowed("a code block", language=True),
    "Header": Allowed("a heading"),
    "Link": Allowed("a link"),
    "Image": Allowed("an image", keys=("fig-alt",)),
    "Table": Allowed("a table"),
    "Block": Allowed("a paragraph, list or quote", ident=False),
}


def clean_attr(attr: Any, element: str, ctx: FileContext, here: Pos) -> list:
    """The attribute as the book keeps it: without pandoc's sourcepos bookkeeping and with
    only what the author may write on this element; the rest is reported and left out."""
    allowed = ELEMENTS[element]
    here = position(attr) or here
    ident, classes, pairs = sourcepos_free(attr)
    if ident and not allowed.ident:
        _refuse(ctx, here, f"#{ident}", f"an id is not kept on {allowed.name}", allowed)
        ident = ""
    kept_classes = _classes(classes, allowed, ctx, here)
    kept = [[key, value] for key, value in pairs if _key(key, value, allowed, ctx, here)]
    return [ident, kept_classes, kept]


def _classes(classes: list[str], allowed: Allowed, ctx: FileContext, here: Pos) -> list[str]:
    if allowed.language:
        for extra in classes[1:]:
            _refuse(ctx, here, f".{extra}", f"{allowed.name} names one language, so "
                    f"'.{extra}' is one class too many", allowed)
        if classes and not LANGUAGE.fullmatch(classes[0]):
            _refuse(ctx, here, classes[0], f"'{classes[0]}' is not a language name",
                    allowed, "write the language as one word of letters, digits, - or _, "
                    "e.g. cpp for C++")
            return []
        return classes[:1]
    for name in classes:
        if name not in allowed.classes:
            _refuse(ctx, here, f".{name}", f"class '.{name}' is not allowed on {allowed.name}",
                    allowed)
    kept = [name for name in classes if name in allowed.classes]
    for name, div, purpose in allowed.only_in:
        if name in kept and (ctx.part != div or ctx.in_note):
            where = ("a footnote" if ctx.in_note and ctx.part == div else
                     f"the '{ctx.part}' div" if ctx.part else
                     "the answer" if ctx.in_question else "front or back matter")
            _refuse(ctx, here, f".{name}", f"'.{name}' {purpose}, so it belongs in the "
                    f"'{div}' div's own text; this one is in {where}",
                    allowed, f"move the term into the ::: {div} div, or remove {{.{name}}}",
                    code=f"{name}.misplaced")
            kept.remove(name)
    return kept


def _key(key: str, value: str, allowed: Allowed, ctx: FileContext, here: Pos) -> bool:
    """Whether the pair is kept; reports why not."""
    if key not in allowed.keys:
        _refuse(ctx, here, f"{key}=", f"attribute '{key}' is not allowed on {allowed.name}",
                allowed)
        return False
    if key == "lang" and not language_tag(value):
        better = _standard(value)
        _refuse(ctx, here, f"{key}=", f"lang '{value}' is not a BCP 47 language tag", allowed,
                f"did you mean lang={better}?" if better else
                "for example lang=de, lang=fr-CA or lang=zh-Hant", code="attr.lang")
        return False
    return True


def is_cloze(node: dict) -> bool:
    """Whether node is a key term the model accepted (`[term]{.cloze}` in a summary)."""
    return node["t"] == "Span" and CLOZE_CLASS in node["c"][0][1]


def term_key(content: list) -> str:
    """What a cloze is known by: its plain text, whitespace-normalised and casefolded (so
    editing its text makes it another term, and re-wrapping a line does not)."""
    return " ".join(ast.stringify(content).split()).casefold()


def plain_cloze(node: dict, content: list) -> list:
    """A cloze span as plain text: content, inside a span only if the author gave the term
    other attributes (a lang)."""
    ident, classes, pairs = node["c"][0]
    rest = [c for c in classes if c != CLOZE_CLASS]
    if not (ident or rest or pairs):
        return content
    return [ast.Span([ident, rest, [list(pair) for pair in pairs]], content)]


def plain_clozes(content: Any) -> Any:
    """content with every cloze span as plain text: what every format but the cloze card
    shows."""
    def visit(node: dict) -> Any:
        return plain_cloze(node, plain_clozes(node["c"][1])) if is_cloze(node) else None

    return ast.walk(content, visit)


def is_emoji(attr: Any) -> bool:
    """pandoc's span around an emoji it read from `:smile:`: its attributes are pandoc's own,
    so the book keeps only the emoji (the same for a span written to look like one)."""
    return attr[1] == ["emoji"] and [k for k, _ in attr[2] if k not in BOOKKEEPING] == \
        ["data-emoji"]


def alert(content: list) -> str | None:
    """The kind of a GitHub alert (`> [!NOTE]`), which pandoc reads as a div of that class
    whose first child is a title div it made; None for any other div."""
    attr, children = content
    first = children[0] if children else {}
    if len(attr[1]) == 1 and attr[1][0] in ALERTS and first.get("t") == "Div" \
            and first["c"][0] == ["", ["title"], []]:
        return attr[1][0]
    return None


def language_tag(value: str) -> bool:
    """Whether value is a well-formed BCP 47 tag made of registered subtags (langcodes knows
    the IANA registry; it also reads `de_DE`, which is not a tag, so hyphens are required)."""
    return bool(re.fullmatch(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", value)) \
        and _langcodes().tag_is_valid(value)


def _langcodes():
    """langcodes, imported when a book first gives a `lang` (its registry takes 25 ms)."""
    import langcodes

    return langcodes


def _standard(value: str) -> str:
    """The registered tag a near miss (`de_DE`, `EN-us`) stands for, or ""."""
    try:
        tag = _langcodes().standardize_tag(value)
    except ValueError:  # not even shaped like a tag
        return ""
    return tag if tag != value and language_tag(tag) else ""


def _refuse(ctx: FileContext, here: Pos, written: str, message: str, allowed: Allowed,
            hint: str = "", code: str = "attr.unsupported") -> None:
    """Report at what the author wrote: on the element's first line, or on a line just
    before it (`{…}` on a line of its own; a table starts at its rule line); else at the
    element."""
    location = ctx.loc(here)
    for line, start in ((location.line, location.col - 1), (location.line - 1, 0),
                        (location.line - 2, 0)):
        text = ctx.lines[line - 1] if 0 < line <= len(ctx.lines) else ""
        found = text.find(written, max(start, 0))
        if found >= 0:
            location = location.at(line, found + 1)
            break
    ctx.diags.error(location, code, message, hint or allowed.summary())


def _listing(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
