"""Block content: figures, tables with captions, headings, code, lists and plain divs."""

from __future__ import annotations

from typing import Any, Iterator

from qabook import ast
from qabook.model.attributes import STRUCTURE, alert, clean_attr
from qabook.model.context import (FileContext, Pos, has_user_attr, is_wrapper, position,
                                  refuse_text)
from qabook.model.images import figure
from qabook.model.inlines import inlines, unwrap
from qabook.model.nodes import Table, ref_kind
from qabook.model.positions import fingerprint


def unwrap_blocks(raw: list[Any], ctx: FileContext,
                  pos: Pos = None) -> Iterator[tuple[dict, Pos]]:
    """Blocks without sourcepos wrapper Divs, each with its position. A wrapper also holds
    the attributes written on a line before a paragraph or list; the book does not keep them,
    so they are checked here (and reported) like every other element's."""
    for block in raw:
        if block.get("t") == "Div" and is_wrapper(block["c"][0]):
            attr = block["c"][0]
            if has_user_attr(attr):
                clean_attr(attr, "Block", ctx, pos)
            yield from unwrap_blocks(block["c"][1], ctx, position(attr) or pos)
        else:
            attr = _attr_of(block)
            yield block, (position(attr) if attr else None) or pos


def _attr_of(block: dict) -> Any:
    kind, content = block["t"], block.get("c")
    if kind in ("Div", "CodeBlock", "Table", "Figure"):
        return content[0]
    if kind == "Header":
        return content[1]
    return None


def blocks(raw: list[Any], ctx: FileContext, pos: Pos = None) -> list[Any]:
    """Clean a list of blocks, reporting what cannot go into a book."""
    out: list[Any] = []
    with ctx.nested(pos) as within:
        for block, here in unwrap_blocks(raw, ctx, pos) if within else ():
            out.extend(block_(block, here, ctx, out))
    return out


def block_(block: dict, here: Pos, ctx: FileContext, before: list[Any]) -> list[Any]:
    """One cleaned block (a list: some blocks vanish, such as a table caption paragraph)."""
    kind, content = block["t"], block.get("c")
    if kind in ("Para", "Plain"):
        return _paragraph(kind, content, here, ctx, before)
    if kind == "Header":
        return [_header(content, here, ctx)]
    if kind == "CodeBlock":
        attr = clean_attr(content[0], "CodeBlock", ctx, here)
        code = content[1]  # its lines start on the line after the fence
        refuse_text(code, prose=False, ctx=ctx, here=lambda i: here and (
            here[0] + 1 + code.count("\n", 0, i), i - code.rfind("\n", 0, i)))
        if not content[0][1]:  # a language that is not a name was reported already
            ctx.warning(here, "code.language", "code block without a language",
                        "name it after the opening fence, e.g. ```python or ```text")
        ctx.place(fingerprint(content[1], code=True), here)
        return [{"t": "CodeBlock", "c": [attr, content[1]]}]
    if kind == "RawBlock":
        ctx.error(here, "html.raw", f"raw {content[0]} is not allowed: {content[1].strip()[:40]}",
                  "use Markdown instead; raw markup cannot be checked or carried to every format")
        return []
    if kind == "BlockQuote":
        return [{"t": kind, "c": blocks(content, ctx, here)}]
    if kind == "BulletList":
        return [{"t": kind, "c": [blocks(item, ctx, here) for item in content]}]
    if kind == "OrderedList":
        return [{"t": kind, "c": [content[0], [blocks(item, ctx, here) for item in content[1]]]}]
    if kind == "DefinitionList":
        return [{"t": kind, "c": [[inlines(term, ctx, here), [blocks(d, ctx, here) for d in defs]]
                                  for term, defs in content]}]
    if kind == "LineBlock":
        return [{"t": kind, "c": [inlines(line, ctx, here) for line in content]}]
    if kind == "Div":
        return [_div(content, here, ctx)]
    if kind == "Table":
        return [_table(content, here, ctx)]
    if kind == "HorizontalRule":
        return [block]
    ctx.error(here, "markup.unsupported", f"unsupported block element {kind}")
    return []


def _paragraph(kind: str, content: list, here: Pos, ctx: FileContext, before: list) -> list:
    # Only short paragraphs can be a lone figure or a table caption: look at the first tokens.
    tokens = [(n, p) for n, p in unwrap(content[:4], here) if n["t"] not in ("Space", "SoftBreak")]
    if len(content) <= 3 and len(tokens) == 1 and tokens[0][0]["t"] == "Image":
        image, where = tokens[0]
        where = position(image["c"][0]) or where or here  # in a footnote, only it has one
        return [figure(image["c"], inlines(image["c"][1], ctx, where), ctx, where)]
    if tokens and tokens[0][0]["t"] == "Str" and tokens[0][0]["c"].startswith(":") and before \
            and before[-1]["t"] == "Table" and not before[-1]["c"][1][1]:
        _caption(before[-1], content, here, ctx)
        return []
    cleaned = inlines(content, ctx, here)
    _orphan_labels(cleaned, here, ctx)
    ctx.place(fingerprint(cleaned), here)
    return [{"t": kind, "c": cleaned}]


def _orphan_labels(cleaned: list, here: Pos, ctx: FileContext) -> None:
    for node in cleaned:
        if node["t"] == "Span" and node["c"][0][0] and not ast.stringify(node["c"][1]).strip():
            ctx.error(here, "label.orphan", f"label '{node['c'][0][0]}' is attached to nothing",
                      "put {#eq-…} on the same line right after the closing $$, "
                      "or {#tbl-…} at the end of a table caption")


def _caption(table: dict, content: list, here: Pos, ctx: FileContext) -> None:
    """Turn the `: Caption {#tbl-x}` paragraph after a table into its caption and label."""
    cleaned = inlines(content, ctx, here)
    first = cleaned[0]
    first = ast.Str(first["c"][1:])
    words = [first] if first["c"] else []
    label = ""
    for node in cleaned[1:]:
        if node["t"] == "Span" and node["c"][0][0] and not ast.stringify(node["c"][1]).strip():
            label = node["c"][0][0]
        else:
            words.append(node)
    while words and words[0]["t"] in ("Space", "SoftBreak"):
        words.pop(0)
    table["c"][0][0] = label
    table["c"][1] = [None, [ast.Plain(words)]]
    if label and ref_kind(label) != "table":
        ctx.error(here, "label.prefix", f"table label '{label}' must start with 'tbl-'",
                  f"rename it to tbl-{label.split('-', 1)[-1]}")
    ctx.tables[-1] = Table(label, ctx.tables[-1].location)


def _header(content: list, here: Pos, ctx: FileContext) -> dict:
    level, attr, text = content
    if ctx.in_question and level == 1:
        ctx.error(here, "heading.level", "a level-1 heading inside a question",
                  "the question's title is its level-1 heading; use ## for sections")
    return ast.Header(level, clean_attr(attr, "Header", ctx, here), inlines(text, ctx, here))


def _div(content: list, here: Pos, ctx: FileContext) -> dict:
    kind = alert(content)
    if kind:
        ctx.error(here, "markup.unsupported", f"a GitHub alert (> [!{kind.upper()}]) is not "
                  "supported", "write an ordinary paragraph, e.g. one that starts with **Note:**")
        return ast.Div(ast.attr(), blocks(content[1][1:], ctx, here))
    attr = clean_attr(content[0], "Div", ctx, here)
    misplaced = [c for c in attr[1] if c in STRUCTURE]
    if misplaced:
        where = "a question file's top level" if misplaced[0] != "solution" else "an exercise"
        ctx.error(here, "div.misplaced", f"a '{misplaced[0]}' div is only allowed at {where}",
                  "see the example question in docs/authoring.md")
    return ast.Div(attr, blocks(content[1], ctx, here))


def _table(content: list, here: Pos, ctx: FileContext) -> dict:
    attr, caption, colspecs, head, bodies, foot = content
    ctx.tables.append(Table("", ctx.loc(here)))
    attr = clean_attr(attr, "Table", ctx, here)
    attr[2].append(["n", str(len(ctx.tables))])

    def part(raw: Any) -> list:  # rows, cells, head, bodies and foot carry attributes too
        return clean_attr(raw, "Table", ctx, here)

    def rows(raw_rows: list) -> list:
        return [[part(r[0]), [[part(c[0]), c[1], c[2], c[3], blocks(c[4], ctx, here)]
                              for c in r[1]]] for r in raw_rows]

    head_rows = rows(head[1])
    empty = [n for row in head_rows for n, cell in enumerate(row[1], 1)
             if not ast.stringify(cell[4]).strip()]
    if empty:
        ctx.warning(here, "table.empty-header",
                    f"the table's header cell {empty[0]} is empty: a screen reader names its "
                    "column by nothing, and accessibility checkers (DAISY Ace) report it",
                    "name what the column holds (\"Aspect\", \"Method\"), or leave the "
                    "table without a header row")
    return {"t": "Table", "c": [
        attr, [caption[0], blocks(caption[1], ctx, here)], colspecs,
        [part(head[0]), head_rows],
        [[part(b[0]), b[1], rows(b[2]), rows(b[3])] for b in bodies],
        [part(foot[0]), rows(foot[1])],
    ]}
