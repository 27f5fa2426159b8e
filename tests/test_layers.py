"""The package's layers: no module imports a module of a layer above it, and no import cycle.

Every ``import`` of the source (module level, inside functions, under ``TYPE_CHECKING``) is
read with :mod:`ast`; the layers follow the data flow (docs/api.md, "Package layout").
"""

from __future__ import annotations

import ast
from pathlib import Path

import maillage

SOURCE = Path(maillage.__file__).parent

#: Layers from the bottom up: a module may import its own layer and the layers below.
LAYERS: list[tuple[str, ...]] = [
    ("maillage._errors", "maillage._data", "maillage._cache", "maillage._progress"),
    ("maillage.notes", "maillage.schema"),
    (
        "maillage.sources._report",
        "maillage.services.schema",
        "maillage.services.typology",
        "maillage.services.opening_hours",
    ),
    ("maillage.sources", "maillage.download"),
    ("maillage.territory",),
    ("maillage.services",),
    ("maillage.network",),
    ("maillage.indicators",),
    ("maillage.planning",),
    ("maillage.scale",),
    ("maillage.outputs",),
    ("maillage.study",),
    ("maillage.web",),
    ("maillage.cli",),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int:
    """The layer of a module: its longest matching prefix in :data:`LAYERS`."""
    best, rank = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    if rank < 0:
        raise AssertionError(f"{module} belongs to no layer: add it to LAYERS")
    return rank


def imports() -> dict[str, set[str]]:
    """Each maillage module → the maillage modules it imports (resolved to modules)."""
    paths = {module_name(path): path for path in SOURCE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        if ".migrations" in name:
            continue
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    base = f"{base}.{node.module}" if node.module else base
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in paths else base)
        graph[name] = {t for t in targets if t in paths and t != name and t != "maillage"}
    return graph


def test_no_module_imports_a_layer_above_its_own() -> None:
    graph = imports()
    assert len(graph) > 80
    upward = [
        f"{source} → {target}"
        for source, targets in graph.items()
        if source != "maillage"
        for target in targets
        if layer_of(target) > layer_of(source)
    ]
    assert not upward, "\n".join(sorted(upward))


def test_no_import_cycle() -> None:
    graph = imports()
    graph.pop("maillage", None)  # the package root re-exports the API lazily
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert not cycles, cycles


def test_the_walk_sees_a_planted_upward_import() -> None:
    """The check can fail: an upward import (planning → outputs, the old cycle) is caught."""
    assert layer_of("maillage.outputs.report.planning") > layer_of("maillage.planning.scenario")
    assert layer_of("maillage.services.catalogue") > layer_of("maillage.territory.territory")
    assert layer_of("maillage.services.schema") < layer_of("maillage.sources.bpe")
