"""The package imports downwards only: no import cycle, and no stage imports a later one."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "qabook"
# Each module's layer, by its longest matching prefix; a module may import its own layer and
# those before it. The helpers under the stages come first, the command line last.
LAYERS = [
    ("qabook", "qabook.diagnostics", "qabook.ast", "qabook.cache", "qabook.yamldoc", "qabook.children",
     "qabook.resources", "qabook.environment", "qabook.pandoc", "qabook.tex"),
    ("qabook.config",),
    ("qabook.load",),
    ("qabook.model",),
    ("qabook.resolve", "qabook.deck"),
    ("qabook.render",),
    ("qabook.pipeline", "qabook.report", "qabook.starter", "qabook.terminal", "qabook.serve"),
    ("qabook.cli", "qabook.__main__"),
]


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every qabook module this one imports, anywhere in it (function bodies included), with
    the packages Python initialises on the way (importing a.b.c runs a/__init__ and a/b/__init__)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for imported in names:
            while imported and imported not in known:
                imported = imported.rpartition(".")[0]
            parts = imported.split(".") if imported else []
            for end in range(2, len(parts) + 1):  # the top package holds only the version
                target = ".".join(parts[:end])
                implicit = end < len(parts)
                if target != name and not (implicit and name.startswith(target + ".")):
                    out.add(target)
    return out


def layer(name: str) -> int:
    best = max(((len(prefix), index) for index, prefixes in enumerate(LAYERS)
                for prefix in prefixes if name == prefix or name.startswith(prefix + ".")),
               default=None)
    assert best is not None, f"{name} belongs to no layer: add it to LAYERS"
    return best[1]


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(edges[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_scanner_sees_imports_inside_functions_and_parent_packages() -> None:
    edges = graph()
    assert "qabook.render.pdf_layout" in edges["qabook.render.pdf"]  # imported in functions
    assert "qabook.yamldoc" in edges["qabook.config"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_no_module_imports_a_later_stage() -> None:
    upward = [f"{name} ({layer(name)}) imports {other} ({layer(other)})"
              for name, others in sorted(graph().items()) for other in sorted(others)
              if layer(other) > layer(name)]
    assert upward == []


@pytest.mark.parametrize("statement", [
    "from qabook.config import BookConfig",
    "from qabook.yamldoc import YamlDoc",
    "import qabook.model.inlines",
    "import qabook.model.images",
    "from qabook.resolve import resolve",
    "import qabook.render.print_html",
])
def test_each_layer_imports_on_its_own(statement: str) -> None:
    proc = subprocess.run([sys.executable, "-c", statement], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
