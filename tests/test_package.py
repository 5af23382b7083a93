"""The package's shape, read from its source: no import cycle, short modules, only the public
APIs of the libraries it builds on, and a test run that never ends in "no tests collected"."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cbow_torch"
MAX_LINES = 300
# Libraries whose private names (a single leading underscore) this project must not use.
LIBRARIES = {
    "torch",
    "pytorch_lightning",
    "lightning",
    "lightning_fabric",
    "lightning_utilities",
    "jsonargparse",
    "gensim",
}


def sources(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py"))


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, root: Path = ROOT) -> Iterator[tuple[str, int]]:
    """Every module name that ``path`` imports, at any depth of its code (functions and
    ``if TYPE_CHECKING:`` included), relative imports resolved; ``from A import b`` yields
    ``A.b`` as well as ``A``, since ``b`` may be a module."""
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield module, node.lineno
            for alias in node.names:
                yield f"{module}.{alias.name}", node.lineno


def import_graph() -> nx.DiGraph:
    """cbow_torch's modules, an edge for each import of one by another (with its line). An
    import of a module's own parent packages is left out: importing ``a.b.c`` has already run
    ``a`` and ``a.b``, so such an edge makes no cycle of its own."""
    files = {module_name(p): p for p in sources(PACKAGE)}
    graph = nx.DiGraph()
    for name, path in files.items():
        graph.add_node(name)
        for target, line in imported(path):
            if target not in files or target == name or name.startswith(f"{target}."):
                continue
            where = f"{path.relative_to(ROOT)}:{line}"
            graph.add_edge(name, target, where=where)
    return graph


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert graph.number_of_edges() > 50  # the scan does see the package's imports
    cycles = []
    for group in nx.strongly_connected_components(graph):
        if len(group) > 1:
            cycle = nx.find_cycle(graph.subgraph(group))
            cycles.append(" -> ".join(f"{a} ({graph.edges[a, b]['where']})" for a, b in cycle))
    assert not cycles, "import cycles:\n" + "\n".join(sorted(cycles))


def test_the_scan_finds_a_cycle_through_a_function_level_import(tmp_path):
    """The scanner itself: a cycle closed only by an import inside a function is found."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import f\n")
    (pkg / "b.py").write_text("def f():\n    from . import a\n")
    edges = {
        module_name(p, tmp_path): sorted(t for t, _ in imported(p, tmp_path))
        for p in (pkg / "a.py", pkg / "b.py")
    }
    assert edges == {"pkg.a": ["pkg.b", "pkg.b.f"], "pkg.b": ["pkg", "pkg.a"]}


def test_every_module_is_under_300_lines():
    long = {}
    for path in sources(PACKAGE, ROOT / "scripts"):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines >= MAX_LINES:
            long[str(path.relative_to(ROOT))] = lines
    assert not long, f"modules of {MAX_LINES} lines or more (split them): {long}"


def private_uses(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """``name._private`` where ``name`` was imported from one of LIBRARIES (``torch._C``,
    ``pl.Trainer()._x``, ``F._foo``), and imports of a private module (``torch._dynamo``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in LIBRARIES:
                    names.add(alias.asname or alias.name.split(".")[0])
        imports_from = isinstance(node, ast.ImportFrom) and node.module and not node.level
        if imports_from and node.module.split(".")[0] in LIBRARIES:
            names.update(a.asname or a.name for a in node.names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                dotted = f"{getattr(node, 'module', None) or ''}.{alias.name}".strip(".")
                root = dotted.split(".")[0]
                if root in LIBRARIES and any(private(part) for part in dotted.split(".")):
                    yield node.lineno, dotted
        elif isinstance(node, ast.Attribute) and private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute | ast.Call | ast.Subscript):
                base = base.func if isinstance(base, ast.Call) else base.value
            if isinstance(base, ast.Name) and base.id in names:
                yield node.lineno, f"{ast.unparse(node.value)}.{node.attr}"


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_private_attribute_of_torch_lightning_jsonargparse_or_gensim():
    found = []
    for path in sources(PACKAGE, ROOT / "scripts", ROOT / "tests"):
        for line, use in private_uses(ast.parse(path.read_text(encoding="utf-8"))):
            found.append(f"{path.relative_to(ROOT)}:{line}: {use}")
    assert not found, "private attributes of other packages:\n" + "\n".join(found)


def test_the_private_scan_sees_attributes_calls_and_module_paths():
    code = (
        "import torch\nimport torch._dynamo\nfrom torch._C import x\n"
        "import pytorch_lightning as pl\nfrom gensim.models import KeyedVectors\n"
        "torch.nn.functional._pad(1)\npl.Trainer()._x\nKeyedVectors(3)._y\n"
        "torch.__version__\nself._z\nmine._w\n"
    )
    assert sorted(use for _, use in private_uses(ast.parse(code))) == [
        "KeyedVectors(3)._y",
        "pl.Trainer()._x",
        "torch._C.x",
        "torch._dynamo",
        "torch.nn.functional._pad",
    ]


def _pytest(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_pytest_never_exits_5():
    """pytest's exit status 5 (no test ran) is 0 when a selection (``make test-fast`` on a file
    of slow tests, ``-k``) left none, and a failure when there is no test at all."""
    selected = _pytest(__file__, "-k", "no_test_has_this_name")
    assert selected.returncode == 0, selected.stdout[-2000:]
    assert "deselected" in selected.stdout
    empty = _pytest(str(ROOT / "tests" / "_fast.py"))  # a module of the suite without a test
    assert empty.returncode == 1, empty.stdout[-2000:]
