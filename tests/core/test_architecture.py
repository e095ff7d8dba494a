"""The direction of imports (DESIGN.md 5): the kernel imports no domain, and no two modules of the app import each
other, directly or round a longer loop.

Read from the source with ``ast``, so the test sees every import: inside functions too (a late import hides a cycle
from Python, not from a reader) and under ``if TYPE_CHECKING:`` (a type annotation should not tie two modules
together either). One kind of edge is left out of the graph: a package's ``__init__`` importing its own submodules
(``init_app`` registering its views, labels, receivers), which is the package assembling itself, while those
submodules import the package only for its blueprint.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
DOMAINS = sorted(p.name for p in APP.iterdir() if p.is_dir() and (p / "__init__.py").exists() and p.name != "core")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(APP.rglob("*.py"))}


def imported_names(path: Path) -> Iterator[tuple[int, str]]:
    """Every absolute module name a file imports (``from a.b import c`` gives ``a.b.c`` when that is a module),
    anywhere in the file, with its line; relative imports are resolved against the file's package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield node.lineno, full if full in MODULES else base


def owning_module(name: str) -> str | None:
    """The app module an imported name lives in (``app.visits.models.Visit`` → ``app.visits.models``)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


@pytest.mark.parametrize("path", sorted((APP / "core").rglob("*.py")), ids=lambda p: p.name)
def test_the_kernel_imports_no_domain(path):
    wrong = [
        f"line {line}: {name}"
        for line, name in imported_names(path)
        if name.split(".")[:2][0] == "app" and len(name.split(".")) > 1 and name.split(".")[1] in DOMAINS
    ]
    assert not wrong, f"app/core/{path.name} imports a domain: {wrong}"


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        edges = set()
        for _line, imported in imported_names(path):
            target = owning_module(imported)
            if target is None or target == name:
                continue
            if path.name == "__init__.py" and target.startswith(name + "."):
                continue  # a package assembling itself in init_app
            edges.add(target)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_modules_of_the_app_import_each_other_in_a_loop():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_loop_through_a_late_import():
    graph = {"app.a": {"app.b"}, "app.b": {"app.c"}, "app.c": {"app.a"}, "app.d": {"app.a"}}
    assert cycles(graph) == [["app.a", "app.b", "app.c"]]


def test_imports_inside_functions_are_read():
    source = APP / "visits" / "report.py"
    names = {name for _line, name in imported_names(source)}
    assert "app.core.files" in names  # imported inside _evidence_fetcher
