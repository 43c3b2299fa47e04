"""Small helpers to build and inspect pandoc JSON AST nodes (plain dicts and lists)."""

from __future__ import annotations

from typing import Any, Callable, Iterator

Node = dict[str, Any]
Attr = list  # [id, [classes], [[key, value], ...]]


def attr(ident: str = "", classes: list[str] | None = None, kv: list[list[str]] | None = None) -> Attr:
    return [ident, list(classes or []), [list(p) for p in (kv or [])]]


def Str(text: str) -> Node:
    return {"t": "Str", "c": text}


SPACE: Node = {"t": "Space"}
SOFTBREAK: Node = {"t": "SoftBreak"}


def text_inlines(text: str) -> list[Node]:
    """Plain text as Str and Space nodes."""
    out: list[Node] = []
    for index, word in enumerate(text.split(" ")):
        if index:
            out.append({"t": "Space"})
        if word:
            out.append(Str(word))
    return out


def Span(a: Attr, content: list[Node]) -> Node:
    return {"t": "Span", "c": [a, content]}


def Div(a: Attr, content: list[Node]) -> Node:
    return {"t": "Div", "c": [a, content]}


def Link(a: Attr, content: list[Node], url: str, title: str = "") -> Node:
    return {"t": "Link", "c": [a, content, [url, title]]}


def Para(content: list[Node]) -> Node:
    return {"t": "Para", "c": content}


def Plain(content: list[Node]) -> Node:
    return {"t": "Plain", "c": content}


def Header(level: int, a: Attr, content: list[Node]) -> Node:
    return {"t": "Header", "c": [level, a, content]}


def kv(a: Attr) -> dict[str, str]:
    return {k: v for k, v in a[2]}


def stringify(node: Any) -> str:
    """The plain text of a node or list of nodes (like pandoc.utils.stringify)."""
    parts: list[str] = []
    _stringify(node, parts)
    return "".join(parts)


def _stringify(node: Any, parts: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _stringify(item, parts)
        return
    if not isinstance(node, dict):
        return
    t, c = node.get("t"), node.get("c")
    if t == "Str":
        parts.append(c)
    elif t in ("Space", "SoftBreak", "LineBreak"):
        parts.append(" ")
    elif t in ("Code", "Math"):
        parts.append(c[1])
    elif t == "Quoted":
        quote = "“”" if c[0]["t"] == "DoubleQuote" else "‘’"
        parts.append(quote[0])
        _stringify(c[1], parts)
        parts.append(quote[1])
    elif t == "Note":
        return
    elif t in ("Link", "Image", "Span"):
        _stringify(c[1], parts)
    elif t == "Cite":
        _stringify(c[1], parts)
    elif t in ("Para", "Plain", "Header"):
        _stringify(c if t != "Header" else c[2], parts)
        parts.append(" ")
    elif isinstance(c, list):
        _stringify(c, parts)


def walk(node: Any, visit: Callable[[Node], Node | list[Node] | None]) -> Any:
    """Return a copy of node where visit(n) replaced each dict node it returns a value for
    (nodes with nothing below them, like Str, are shared with the input, not copied).

    visit may return a node, a list of nodes (spliced into the parent list) or None (keep,
    and descend into the children).
    """
    if isinstance(node, list):
        out: list[Any] = []
        for item in node:
            if isinstance(item, dict) and "t" in item:
                replaced = visit(item)
                if replaced is None:
                    out.append(_walk_children(item, visit))
                elif isinstance(replaced, list):
                    out.extend(replaced)
                else:
                    out.append(replaced)
            elif isinstance(item, (list, dict)):
                out.append(walk(item, visit))
            else:
                out.append(item)
        return out
    if isinstance(node, dict) and "t" in node:
        replaced = visit(node)
        return _walk_children(node, visit) if replaced is None else replaced
    return node


def _walk_children(node: Node, visit: Callable[[Node], Any]) -> Node:
    content = node.get("c")
    if not isinstance(content, (list, dict)):  # Space, Str, …: nothing below to visit
        return node  # shared with the input: nodes are never changed in place
    return {"t": node["t"], "c": walk(content, visit)}


def iter_nodes(node: Any) -> Iterator[Node]:
    """Every dict node under node, depth first, in document order."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "t" in item:
                yield item
            if "c" in item:
                stack.append(item["c"])
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed(item))


def word_count(blocks: Any) -> int:
    """Words of prose: Str tokens with a letter or digit, outside code and math."""
    count = 0
    for node in iter_nodes(blocks):
        if node["t"] == "Str" and any(ch.isalnum() for ch in node["c"]):
            count += 1
    return count
