"""Safe YAML with source positions: the only module that imports PyYAML.

A book's YAML is small and flat, so the loader allows no more than it needs: no anchors or
aliases (an 817-byte alias bomb expands to billions of nodes), no tags, a bounded depth and
number of nodes, YAML 1.2 scalars (`0x1F`, `1:00`, `1_000` and `017` are text, not numbers;
`yes` and `no` are text, not booleans) and only dates that exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from qabook import characters

Path_ = tuple  # a key path such as ("chapters", 0, "folder")

MAX_DEPTH = 20  #: levels of nested lists and mappings; book.yaml needs 4
MAX_NODES = 20_000  #: values in one document; a book of 1,000 chapters needs about 5,000
SYNTAX_HINT = "check indentation and quote values that contain ': ' or '#'"


class YamlError(Exception):
    """A YAML document that cannot be read, with its 1-based position, a code and a hint."""

    def __init__(self, message: str, line: int, col: int, code: str = "yaml.syntax",
                 hint: str = SYNTAX_HINT):
        super().__init__(message)
        self.message, self.line, self.col, self.code, self.hint = message, line, col, code, hint


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that a book does not accept, at the mark where it starts."""

    def __init__(self, code: str, problem: str, mark: yaml.Mark, hint: str):
        super().__init__(problem=problem, problem_mark=mark)
        self.code, self.hint = code, hint


_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
# YAML 1.2's core schema, plus a bound on digits so that every integer converts at once
_CORE = (
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (_INT, r"^[-+]?(?:0|[1-9][0-9]{0,17})$", "-+0123456789"),
    (_FLOAT, r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
             r"|[-+]?[0-9]+[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "-+0123456789."),
)


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, held to the limits above while it composes the node tree
    (before anything is constructed or walked)."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}

    def __init__(self, text: str):
        super().__init__(text)
        self.depth = self.nodes = 0

    def compose_node(self, parent: Any, index: Any) -> yaml.Node:
        event = self.peek_event()
        _refuse_event(event)
        _refuse_text(event)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Refused("yaml.too-large", f"more than {MAX_NODES:,} values", event.start_mark,
                           "front matter and book.yaml hold a few settings; move data out")
        if self.depth >= MAX_DEPTH:
            raise _Refused("yaml.too-deep", f"lists or mappings nested more than {MAX_DEPTH} "
                           "deep", event.start_mark, "flatten the value")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):  # 2026-02-30, hour 25, …
            raise _Refused("yaml.date", f"'{node.value}' is not a calendar date",
                           node.start_mark, "write a date that exists, as YYYY-MM-DD") from None


for _tag, _pattern, _first in _CORE:
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))
_Loader.add_constructor(_TIMESTAMP, _Loader.construct_yaml_timestamp)


def _refuse_text(event: yaml.Event) -> None:
    """A value whose escapes make what a source file may not hold (`"\\x1b"`, `"\\u202e"`,
    `"\\ud800"`), or text Anki would act on (see characters.py)."""
    if isinstance(event, yaml.ScalarEvent):
        found = characters.problem(event.value, prose=True)
        if found is not None:
            raise _Refused("yaml.character", found[1], event.start_mark, found[2])


def _refuse_event(event: yaml.Event) -> None:
    """Anchors, aliases and tags: YAML machinery a book never needs, and the door to alias
    bombs and to constructors."""
    if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
        raise _Refused("yaml.alias", "YAML anchors and aliases (&name, *name) are not allowed",
                       event.start_mark, "write the value out where it is needed")
    if getattr(event, "tag", None) is not None:
        tag = event.tag.replace("tag:yaml.org,2002:", "!!", 1)
        raise _Refused("yaml.tag", f"YAML tags such as '{tag}' are not allowed",
                       event.start_mark, "remove the tag; quote the value if it must be text")


@dataclass
class YamlDoc:
    """A safely loaded YAML value plus the position of every key and value in it."""

    value: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    duplicates: list[tuple[Path_, tuple[int, int]]] = field(default_factory=list)

    def pos(self, path: Path_, key: bool = False) -> tuple[int, int]:
        """Position of a value (or of its key), falling back to the nearest known parent."""
        table = self.keys if key else self.values
        while path and path not in table:
            path = path[:-1]
        return table.get(path, (1, 1))


def load(text: str, first_line: int = 1) -> YamlDoc:
    """Parse text with the book's loader; positions count from first_line."""
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML refuses, found on reading
        before = text[: exc.position]
        line = before.count("\n") + first_line
        col = exc.position - (before.rfind("\n") + 1) + 1
        raise YamlError(f"invalid YAML: character #x{exc.character:04x} is not allowed",
                        line, col) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(None)
        value = loader.construct_document(node)
    except _Refused as exc:
        mark = exc.problem_mark
        raise YamlError(exc.problem, mark.line + first_line, mark.column + 1, exc.code,
                        exc.hint) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + first_line, mark.column + 1) if mark else (first_line, 1)
        raise YamlError(_describe(exc), line, col) from None
    except yaml.YAMLError as exc:  # unmarked errors are rare; report at the start
        raise YamlError(str(exc), first_line, 1) from None
    finally:
        loader.dispose()
    doc = YamlDoc(value)
    _walk(node, (), doc, first_line - 1)
    return doc


def _describe(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    return "invalid YAML: " + ", ".join(parts) if parts else "invalid YAML"


def _walk(node: yaml.Node, path: Path_, doc: YamlDoc, offset: int) -> None:
    """Record positions; the tree has no aliases and at most MAX_DEPTH levels."""
    doc.values[path] = (node.start_mark.line + 1 + offset, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            child = path + (key,)
            where = (key_node.start_mark.line + 1 + offset, key_node.start_mark.column + 1)
            if key in seen:
                doc.duplicates.append((child, where))
            seen.add(key)
            doc.keys[child] = where
            _walk(value_node, child, doc, offset)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), doc, offset)
