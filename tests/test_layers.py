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
    (
        "maillage._errors",
        "maillage._config",
        "maillage._data",
        "maillage._cache",
        "maillage._progress",
    ),
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
    ("maillage.cli", "maillage.__main__"),
]


def module_name(path: Path, source: Path = SOURCE) -> str:
    parts = list(path.relative_to(source.parent).with_suffix("").parts)
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


def imports(source: Path = SOURCE) -> dict[str, set[str]]:
    """Each maillage module → the maillage modules it imports (resolved to modules).

    ``source``: the package folder (the installed ``maillage`` by default).
    """
    paths = {module_name(path, source): path for path in source.rglob("*.py")}
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


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """``source → target`` for every import of a module of a layer above the source's."""
    return sorted(
        f"{source} → {target}"
        for source, targets in graph.items()
        if source != "maillage"
        for target in targets
        if layer_of(target) > layer_of(source)
    )


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles (strongly connected components of more than one module)."""
    graph = {name: targets for name, targets in graph.items() if name != "maillage"}
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
    return cycles


def test_no_module_imports_a_layer_above_its_own() -> None:
    graph = imports()
    assert len(graph) > 80
    upward = upward_imports(graph)
    assert not upward, "\n".join(upward)


def test_no_import_cycle() -> None:
    # The package root re-exports the API lazily: left out of the walk.
    assert not import_cycles(imports())


def test_the_walk_sees_a_planted_upward_import_and_cycle(tmp_path: Path) -> None:
    """The checks can fail: a planted copy of the old planning ↔ outputs cycle is caught.

    The package is invented for this test (three modules in a temporary folder): planning
    imports the report inside a function, as ``planning/scenario.py`` once did, and the
    report imports planning.
    """
    package = tmp_path / "maillage"
    files = {
        "__init__.py": "",
        "planning/__init__.py": "",
        "planning/scenario.py": (
            "def run():\n    from maillage.outputs.report.planning import section\n"
        ),
        "outputs/__init__.py": "",
        "outputs/report/__init__.py": "",
        "outputs/report/planning.py": "from ...planning.scenario import run\n",
    }
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text, encoding="utf-8")
    graph = imports(package)
    assert upward_imports(graph) == [
        "maillage.planning.scenario → maillage.outputs.report.planning"
    ]
    assert import_cycles(graph) == [
        ["maillage.outputs.report.planning", "maillage.planning.scenario"]
    ]
