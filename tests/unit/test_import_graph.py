"""The import graph of app/: layered, no back-edges, no cycles.

Read from the source with ast (nothing is imported). A module may import only modules of
its own layer or a lower one; between modules, imports never form a cycle, whether they
sit at the top of a module or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"

# Lowest first. A module belongs to the layer of its longest matching prefix.
LAYERS: list[set[str]] = [
    {"app", "app.clock", "app.config", "app.error_codes", "app.logging"},
    {"app.errors"},
    {"app.db", "app.pool_checks", "app.sessions"},
    {"app.models", "app.pagination"},
    {"app.schemas", "app.security"},
    {"app.services"},
    {"app.devtools"},
    {"app.api"},
    {"app.main", "app.worker"},
    {"app.cli"},
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(APP.rglob("*.py"))}


def _layer(module: str) -> int:
    best, layer = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, layer = len(prefix), index
    assert layer >= 0, f"{module} has no layer: add it to LAYERS"
    return layer


def _resolve(module: str, name: str | None) -> str | None:
    """The app module an import statement loads (a submodule if it names one)."""
    if name and f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    return module if module in MODULES else None


def _is_type_checking(node: ast.If) -> bool:
    return ast.unparse(node.test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}


def _imports(tree: ast.Module, *, top_level_only: bool) -> set[str]:
    found: set[str] = set()

    def visit(nodes: list[ast.stmt], top: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                continue
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if target := _resolve(alias.name, None):
                        found.add(target)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if target := _resolve(node.module, alias.name):
                        found.add(target)
            for field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, field, None)
                if not isinstance(children, list):
                    continue
                nested = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                if nested and top_level_only:
                    continue
                visit([c for c in children if isinstance(c, ast.stmt | ast.ExceptHandler)], top)

    visit(tree.body, True)
    return found


def _packages(module: str) -> set[str]:
    """The packages Python initialises before `module` (their `__init__` runs first)."""
    parts = module.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts))} & MODULES.keys()


def _graph(*, top_level_only: bool) -> dict[str, set[str]]:
    """Module -> the app modules importing it runs: each imported module and the packages
    around it, except the importer's own packages (already initialising when it runs).
    Without the packages, `a.x -> b.y` hid the cycle `b/__init__ -> ... -> a.x`."""
    graph = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        targets = _imports(tree, top_level_only=top_level_only)
        targets |= {p for t in targets for p in _packages(t)} - _packages(name) - {"app"}
        graph[name] = targets - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return components


@pytest.mark.parametrize("top_level_only", [True, False], ids=["module_level", "any_level"])
def test_no_import_cycle_between_app_modules(top_level_only: bool) -> None:
    assert _cycles(_graph(top_level_only=top_level_only)) == []


def test_no_module_imports_a_higher_layer() -> None:
    back_edges = [
        (source, target)
        for source, targets in _graph(top_level_only=False).items()
        for target in sorted(targets)
        if _layer(target) > _layer(source)
    ]
    assert back_edges == []


def test_the_checks_see_a_cycle_and_a_back_edge() -> None:
    graph = {"app.a": {"app.b"}, "app.b": {"app.c"}, "app.c": {"app.a"}, "app.d": set()}
    assert _cycles(graph) == [["app.a", "app.b", "app.c"]]
    assert _layer("app.services.points.ledger") > _layer("app.models.points")
    assert _layer("app.api.points") > _layer("app.services.points")
    tree = ast.parse("def f():\n    from app.api import deps\nimport app.db\n")
    assert _imports(tree, top_level_only=True) == {"app.db"}
    assert _imports(tree, top_level_only=False) == {"app.db", "app.api.deps"}


def test_importing_a_submodule_counts_as_importing_its_packages() -> None:
    # `from app.services.lifecycle.periods import X` runs app/services/lifecycle/__init__
    # first: the edge that hid gates -> lifecycle -> transitions -> gates.
    assert _packages("app.services.lifecycle.periods") == {
        "app",
        "app.services",
        "app.services.lifecycle",
    }
    graph = _graph(top_level_only=True)
    assert "app.services.lifecycle" in graph["app.services.discipline.records"]
    # A module's own packages are already initialising when it runs: no edge to them.
    assert "app.services.lifecycle" not in graph["app.services.lifecycle.flags"]
