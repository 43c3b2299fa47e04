"""Safe YAML with source positions: the only module that imports PyYAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple  # a key path such as ("chapters", 0, "folder")


class YamlError(Exception):
    """A YAML document that cannot be read, with its 1-based position."""

    def __init__(self, message: str, line: int, col: int):
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


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
    """Parse text with the safe loader; positions count from first_line."""
    try:
        loader = yaml.SafeLoader(text)
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
