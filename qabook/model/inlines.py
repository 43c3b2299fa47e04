"""Inline content: drop sourcepos wrappers, find citations and cross-references in the text.

pandoc's `commonmark_x` reader gives exact source positions but has no `citations`
extension, so `[@key]`, `@key`, `@Q17` and a bare `Q17` arrive as plain Str tokens. This
module lays a run of inlines out as one string (other inline nodes become a placeholder
character), matches pandoc's citation syntax on it, and rebuilds the inlines with `Cite`
nodes and cross-reference placeholders, each with the position of its `@` or `Q`.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any, Callable

from qabook import ast
from qabook.characters import OBJECT  # a non-text inline node inside the laid-out string
from qabook.model.attributes import (CLOZE_CLASS, NOXREF_CLASS, clean_attr, is_emoji,
                                     term_key)
from qabook.model.context import (FileContext, Pos, has_user_attr, is_wrapper, position,
                                  refuse_text, unwrapped)
from qabook.model.images import figure_image
from qabook.model.nodes import NUMBER_DIGITS, Citation, Cloze, Equation, Ref, ref_kind
from qabook.tex import Formula

KEY = r"\w(?:\w|[:.#$%&\-+?<>~/](?=\w))*"  # pandoc's citation key: internal punctuation only
GROUP = re.compile(r"\[([^\[\]]*)\]")
ITEM = re.compile(rf"^(?P<prefix>.*?)(?<!\w)(?P<neg>-?)@(?P<key>{KEY})(?P<suffix>.*)$", re.S)
AT = re.compile(rf"(?<![\w@])@(?P<key>{KEY})")
BARE = re.compile(rf"(?<![\w@])Q(?P<num>[0-9]{{1,{NUMBER_DIGITS}}})(?!\w)")  # longer: not a ref
NOTE_CALL = re.compile(r"\[\^([^\]\s]+)\]")  # pandoc leaves an undefined footnote call as text
STYLE = ("Emph", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps", "Underline")
XREF_CLASS = "qabook-xref"


def unwrap(raw: list[Any], pos: Pos = None) -> list[tuple[dict, Pos]]:
    """Inline nodes without sourcepos wrapper Spans, each with its position."""
    out: list[tuple[dict, Pos]] = []
    stack = [(iter(raw), pos)]
    while stack:
        items, here = stack[-1]
        node = next(items, None)
        if node is None:
            stack.pop()
            continue
        if node.get("t") == "Span" and is_wrapper(node["c"][0]):
            attr = node["c"][0]
            where = position(attr) or here
            if has_user_attr(attr):  # `{#eq-x}` and friends ride on a wrapper
                out.append((ast.Span(unwrapped(attr), node["c"][1]), where))
            else:
                stack.append((iter(node["c"][1]), where))
        else:
            out.append((node, here))
    return out


def inlines(raw: list[Any], ctx: FileContext, pos: Pos = None, scan: bool = True) -> list[Any]:
    """Clean inline content; with scan, turn citations and cross-references into nodes."""
    with ctx.nested(pos) as within:
        return _inlines(raw, ctx, pos, scan) if within else []


def _inlines(raw: list[Any], ctx: FileContext, pos: Pos, scan: bool) -> list[Any]:
    chars: list[str] = []
    where: list[Pos] = []
    objects: dict[int, Any] = {}
    strays: list[tuple[int, int]] = []  #: each `$` that pandoc did not take for math
    previous: tuple[dict, Pos] | None = None
    for node, here in unwrap(raw, pos):
        kind = node["t"]
        _amount(previous, node, ctx)
        previous = node, here
        if kind == "Str":
            line, col = here if here else (0, 0)
            if node["c"] == "$" and here and _unescaped(here, ctx):
                strays.append(here)
            for offset, char in enumerate(node["c"]):
                chars.append(char)
                where.append((line, col + offset) if here else None)
            continue
        if kind in ("Space", "SoftBreak"):
            chars.append(" " if kind == "Space" else "\n")
            where.append(here)
            continue
        if _equation_label(node, objects.get(len(chars) - 1), ctx, here):
            continue
        objects[len(chars)] = _node(node, ctx, here, scan)
        chars.append(OBJECT)
        where.append(here)
    for index, here in enumerate(strays):
        if index and strays[index - 1] == (here[0], here[1] - 1):
            continue  # the second `$` of a `$$`
        ctx.error(here, "math.unclosed", "this '$' is not part of a formula: if it opens or "
                  "closes one, the other '$' is missing or the braces between do not balance "
                  "(pandoc then shows the TeX as text)",
                  "mend the formula; for a dollar sign write \\$")
    text = "".join(chars)
    refuse_text(text, prose=True, ctx=ctx, here=lambda index: where[index] or pos)
    if not scan:
        return _nodes(text, 0, len(text), objects)
    return _scan(text, where, objects, ctx)


def _amount(previous: tuple[dict, Pos] | None, node: dict, ctx: FileContext) -> None:
    """`$10-$20`: pandoc's CommonMark takes `$10-$` for a formula, where pandoc's own Markdown
    (and TeX's users) would not, since a digit follows the closing `$`."""
    if previous is None or previous[0]["t"] != "Math" or node["t"] != "Str":
        return
    math, where = previous
    if math["c"][0]["t"] == "InlineMath" and node["c"][:1].isdigit():
        ctx.error(where, "math.unclosed", f"'${math['c'][1]}$' was read as a formula, but a "
                  "digit follows its closing '$': these look like dollar amounts",
                  "write \\$ for a dollar sign")


def _unescaped(here: tuple[int, int], ctx: FileContext) -> bool:
    """Whether a `$` token was written as `$` (not `\\$`): pandoc gives each `$` a token of
    its own, so the source character where the token starts tells."""
    location = ctx.loc(here)
    line = ctx.lines[location.line - 1] if 0 < location.line <= len(ctx.lines) else ""
    return line[location.col - 1:location.col] == "$"


def _equation_label(node: Any, previous: Any, ctx: FileContext, here: Pos) -> bool:
    """Attach `{#eq-name}` written right after display math to that math; True if it was one."""
    if node["t"] != "Span" or not node["c"][0][0]:
        return False
    label = node["c"][0][0]
    if previous is None or previous.get("t") != "Span" or "equation" not in previous["c"][0][1]:
        return False
    if previous["c"][0][0]:
        return False
    clean_attr(node["c"][0], "Span", ctx, here)  # the label's span itself is not kept
    previous["c"][0][0] = label
    math = previous["c"][1][0]
    ctx.equations.append(Equation(label, math["c"][1], ctx.loc(here)))
    previous["c"][0][2].append(["n", str(len(ctx.equations))])
    if ref_kind(label) != "equation":
        ctx.error(here, "label.prefix", f"equation label '{label}' must start with 'eq-'",
                  f"rename it to eq-{label.split('-', 1)[-1]}")
    return True


def _node(node: dict, ctx: FileContext, here: Pos, scan: bool) -> Any:
    """Clean one non-text inline node."""
    kind, content = node["t"], node.get("c")
    if kind in ("Link", "Image", "Code", "Span"):  # these carry their own position
        here = position(content[0]) or here
    if kind in STYLE:
        return {"t": kind, "c": inlines(content, ctx, here, scan)}
    if kind == "Quoted":
        return {"t": kind, "c": [content[0], inlines(content[1], ctx, here, scan)]}
    if kind == "Math":
        display = content[0]["t"] == "DisplayMath"
        if not content[1].strip():
            ctx.error(here, "math.invalid", "an empty formula", "write the formula, or remove the "
                      "dollar signs")
        else:
            refuse_text(content[1], prose=False, ctx=ctx, here=lambda _: here)
            ctx.formulas.append(Formula(content[1], display, ctx.loc(here), ctx.in_question))
        return ast.Span(ast.attr("", ["equation"]), [node]) if display else node
    if kind == "Code":
        refuse_text(content[1], prose=False, ctx=ctx, here=lambda _: here)
        return {"t": "Code", "c": [clean_attr(content[0], "Code", ctx, here), content[1]]}
    if kind == "LineBreak":
        return node
    if kind == "Span" and is_emoji(content[0]):
        return {"t": "Span", "c": [ast.attr(), inlines(content[1], ctx, here, scan)]}
    if kind == "Span":
        attr = clean_attr(content[0], "Span", ctx, here)
        noxref = NOXREF_CLASS in attr[1]
        attr[1] = [c for c in attr[1] if c != NOXREF_CLASS]
        if CLOZE_CLASS in attr[1]:
            return _cloze(attr, content[1], ctx, here, scan and not noxref)
        return ast.Span(attr, inlines(content[1], ctx, here, scan and not noxref))
    if kind == "Link":
        return _link(content, ctx, here)
    if kind == "Note":
        ctx.footnotes += 1
        ctx.in_note += 1
        try:
            return {"t": "Note", "c": ctx.parse_blocks(content, ctx, here)}
        finally:
            ctx.in_note -= 1
    if kind == "Image":
        ctx.error(here, "image.inline", "an image inside a sentence",
                  "put the image alone in its own paragraph to make it a figure")
        return figure_image(content, ctx, here)
    if kind == "RawInline":
        ctx.error(here, "html.raw", f"raw {content[0]} is not allowed: {content[1].strip()[:40]}",
                  "use Markdown instead; raw markup cannot be checked or carried to every format")
        return ast.Str(content[1])
    ctx.error(here, "markup.unsupported", f"unsupported inline element {kind}")
    return ast.Str("")


#: what Anki's cloze syntax (`{{c1::term::hint}}`) is made of: inside a term it would end the
#: term early or make a hint of what follows
CLOZE_SYNTAX = ("::", "{{", "}}")


def _cloze(attr: list, raw: list, ctx: FileContext, here: Pos, scan: bool) -> Any:
    """A key term (`[term]{.cloze}`; clean_attr kept the class only inside a summary). A term
    that cannot be one is reported and kept as plain text."""
    if ctx.in_cloze:
        ctx.error(here, "cloze.nested", "a cloze inside a cloze",
                  "a card hides one term at a time: mark the inner term or the outer one")
        attr[1].remove(CLOZE_CLASS)
        return ast.Span(attr, inlines(raw, ctx, here, scan))
    ctx.in_cloze = True
    try:
        content = inlines(raw, ctx, here, scan)
    finally:
        ctx.in_cloze = False
    key = term_key(content)
    written = _card_text(content)
    clash = next((s for s in CLOZE_SYNTAX if s in written), "}" if written.endswith("}") else "")
    other = _not_a_term(content)
    if not key:
        ctx.error(here, "cloze.empty", "an empty cloze: there is no term to hide",
                  "write the key term inside the brackets, or remove {.cloze}")
    elif other:
        ctx.error(here, "cloze.content", f"the cloze holds {other}: a key term is words or a "
                  "formula the learner recalls", "put it outside the brackets: [term]{.cloze} "
                  "(@Q17)")
    elif clash:
        ctx.error(here, "cloze.syntax", f"the cloze holds '{clash}', which Anki reads as "
                  "part of its cloze markup (it would end the term early or make a hint)"
                  if clash != "}" else "the cloze ends with '}', which runs into the '}}' "
                  "that closes it on the card",
                  "reword the term; in a formula write a space between braces: } }")
    else:
        ctx.clozes.append(Cloze(key, ctx.loc(here)))
        return ast.Span(attr, content)
    attr[1].remove(CLOZE_CLASS)
    return ast.Span(attr, content)


def _not_a_term(content: list) -> str:
    """What a term may not hold (its text is its identity, the same in the model and on the
    card; a reference's or a citation's text is decided later, a footnote's is elsewhere)."""
    for node in ast.iter_nodes(content):
        if node["t"] == "Span" and XREF_CLASS in node["c"][0][1]:
            return "a cross-reference"
        if node["t"] in ("Cite", "Note"):
            return "a citation" if node["t"] == "Cite" else "a footnote"
    return ""


def _card_text(content: list) -> str:
    """The text of a term as it stands on a card: formulas between MathJax's delimiters."""
    def visit(node: dict) -> Any:
        if node["t"] == "Math":
            display = node["c"][0]["t"] == "DisplayMath"
            return ast.Str(("\\[{}\\]" if display else "\\({}\\)").format(node["c"][1]))
        return None

    return ast.stringify(ast.walk(content, visit))


def _link(content: list, ctx: FileContext, here: Pos) -> Any:
    url = content[2][0]
    refuse_text(url, prose=False, ctx=ctx, here=lambda _: here)
    if not re.match(r"^(https?|mailto):", url, re.I):
        ctx.error(here, "link.target", f"link to '{url}' is not a web address",
                  "refer to questions, figures and exercises with @Q17, @fig-… or @ex-…")
    return {"t": "Link", "c": [clean_attr(content[0], "Link", ctx, here),
                               inlines(content[1], ctx, here, False), content[2]]}


def _scan(text: str, where: list[Pos], objects: dict[int, Any], ctx: FileContext) -> list[Any]:
    """Rebuild text as nodes with Cite nodes and cross-reference placeholders in place.

    Matches are collected first and turned into nodes in text order, so that references and
    citations are recorded in the order they are written.
    """
    found: list[tuple[int, int, Callable[[], Any]]] = []  # (start, end, make node)
    taken = [False] * len(text)

    def claim(start: int, end: int, make: Callable[[], Any]) -> None:
        found.append((start, end, make))
        for index in range(start, end):
            taken[index] = True

    for match in NOTE_CALL.finditer(text):
        ctx.error(where[match.start()], "footnote.undefined",
                  f"footnote [^{match.group(1)}] has no definition",
                  f"add a paragraph '[^{match.group(1)}]: …' (usually at the end of the file)")
    for match in GROUP.finditer(text):
        make = _group(match, text, where, objects, ctx)
        if make is not None:
            claim(match.start(), match.end(), make)
    for match in AT.finditer(text):
        if not taken[match.start()]:
            claim(match.start(), match.end(), partial(_at, match, where, ctx))
    for match in BARE.finditer(text):
        if not taken[match.start()]:
            here, label = where[match.start()], f"Q{match.group('num')}"
            claim(match.start(), match.end(),
                  partial(_xref, label, "question", True, match.group(0), here, ctx))
    out: list[Any] = []
    cursor = 0
    for start, end, make in sorted(found, key=lambda item: item[0]):
        out.extend(_nodes(text, cursor, start, objects))
        out.append(make())
        cursor = end
    out.extend(_nodes(text, cursor, len(text), objects))
    return out


def _at(match: re.Match, where: list[Pos], ctx: FileContext) -> Any:
    """`@key` outside brackets: a cross-reference, or an in-text citation."""
    key, source, here = match.group("key"), match.group(0), where[match.start()]
    kind = ref_kind(key)
    if kind == "question" and len(key) - 1 > NUMBER_DIGITS:
        ctx.error(here, "ref.number", f"@Q is followed by {len(key) - 1:,} digits; question "
                  f"numbers have at most {NUMBER_DIGITS}", "correct the number")
        return ast.Str(source)
    if kind:
        return _xref(key, kind, False, source, here, ctx)
    return _cite([_citation(key, [], [], "AuthorInText", here, ctx)], source)


def _group(match: re.Match, text: str, where: list[Pos], objects, ctx: FileContext):
    """A maker of the Cite node for `[see @a, p. 3; @b]`, or None if it is not a citation."""
    items, offset = [], match.start(1)
    for part in match.group(1).split(";"):
        item = ITEM.match(part)
        if item is None:
            return None
        items.append((item, offset))
        offset += len(part) + 1

    def make() -> Any:
        citations = []
        for item, start in items:
            at = start + item.start("key") - 1
            key = item.group("key")
            if ref_kind(key):
                ctx.error(where[at], "ref.bracketed",
                          f"cross-reference @{key} inside a citation group",
                          f"write it without brackets, e.g. (see @{key})")
                continue
            prefix = _nodes(text, start + item.start("prefix"), start + item.end("prefix"), objects)
            suffix = _nodes(text, start + item.start("suffix"), start + item.end("suffix"), objects)
            mode = "SuppressAuthor" if item.group("neg") else "NormalCitation"
            citations.append(_citation(key, _trim(prefix), suffix, mode, where[at], ctx))
        if not citations:
            return ast.Str(match.group(0))
        return _cite(citations, match.group(0))

    return make


def _trim(nodes: list[Any]) -> list[Any]:
    while nodes and nodes[-1]["t"] in ("Space", "SoftBreak"):
        nodes.pop()
    while nodes and nodes[0]["t"] in ("Space", "SoftBreak"):
        nodes.pop(0)
    return nodes


def _citation(key: str, prefix: list, suffix: list, mode: str, here: Pos, ctx: FileContext) -> dict:
    ctx.citations.append(Citation(key, ctx.loc(here)))
    return {"citationId": key, "citationPrefix": prefix, "citationSuffix": suffix,
            "citationMode": {"t": mode}, "citationNoteNum": 0, "citationHash": 0}


def _cite(citations: list[dict], source: str) -> dict:
    return {"t": "Cite", "c": [citations, ast.text_inlines(source.replace(OBJECT, ""))]}


def _xref(target: str, kind: str, bare: bool, source: str, here: Pos, ctx: FileContext) -> Any:
    ctx.refs.append(Ref(target, kind, bare, ctx.loc(here)))
    index = str(len(ctx.refs) - 1)
    return ast.Span(ast.attr("", [XREF_CLASS], [["ref", index]]), [ast.Str(source)])


def _nodes(text: str, start: int, end: int, objects: dict[int, Any]) -> list[Any]:
    """text[start:end] as Str, Space and SoftBreak nodes, placeholders as their objects."""
    out: list[Any] = []
    word: list[str] = []

    def flush() -> None:
        if word:
            out.append(ast.Str("".join(word)))
            word.clear()

    for index in range(start, end):
        char = text[index]
        if char == " ":
            flush()
            out.append(ast.SPACE)
        elif char == "\n":
            flush()
            out.append(ast.SOFTBREAK)
        elif char == OBJECT and index in objects:
            flush()
            out.append(objects[index])
        else:
            word.append(char)
    flush()
    return out
