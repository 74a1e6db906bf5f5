"""The shape of the code, checked: import-linter's contracts (no Qt in the core, no plugin in the
core, the core's layers, no cycles between sibling packages; pyproject.toml
[tool.importlinter]), no import cycle between any two modules, and a core that names no backend."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("studio", "studio_tensorrt", "studio_onnxruntime")


def test_import_contracts_hold():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is a test dependency"
    r = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Contracts: 4 kept, 0 broken" in r.stdout


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    ours = sorted(m for m in graph.modules if m.split(".")[0] in PACKAGES)
    edges = {m: sorted(n for n in graph.find_modules_directly_imported_by(m) if n.split(".")[0] in PACKAGES)
             for m in ours}
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    for root in ours:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    component.append(m)
                    if m == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_no_module_imports_one_that_imports_it_back():
    """Function-local imports included: grimp reads every import statement."""
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for m in ("studio.a", "studio.b", "studio.c"):
        graph.add_module(m)
    graph.add_import(importer="studio.a", imported="studio.b")
    graph.add_import(importer="studio.b", imported="studio.a")
    graph.add_import(importer="studio.b", imported="studio.c")
    assert _cycles(graph) == [["studio.a", "studio.b"]]


def _code_strings(path: Path):
    """(line, text) of every string constant in a module except docstrings, which are prose."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_the_core_names_no_backend():
    """The core asks the registered backends; a backend's name in its code would be a branch on
    one. Its entry-point names are what a user types (`--backend tensorrt`)."""
    from studio.core.backends.registry import backend_names

    names = set(backend_names())
    assert {"tensorrt", "onnxruntime"} <= names
    found = [f"{p.relative_to(ROOT)}:{line}: {text!r}"
             for p in sorted((ROOT / "studio" / "core").rglob("*.py"))
             for line, text in _code_strings(p)
             if any(n in text.split() or text == n or f"{n}." in text for n in names)]
    assert found == []


def test_the_core_imports_no_tensorrt():
    """Tools every backend uses (ONNX Runtime's quantizer and shape inference) may be imported;
    a backend's own library may not."""
    graph = grimp.build_graph("studio", cache_dir=None, include_external_packages=True)
    core = {m for m in graph.modules if m.startswith("studio.core")}
    imported = {n.split(".")[0] for m in core for n in graph.find_modules_directly_imported_by(m)}
    assert "onnxruntime" in imported           # the graph does see third-party imports
    assert imported.isdisjoint({"tensorrt", "tensorrt_rtx", "studio_tensorrt", "cuda"})


FIGURE = re.compile(r"#.*\b\d+(\.\d+)?\s?(ms|s)\b")
OPTIONAL = re.compile(r"#.*\boptional\b")


def lazy_imports_without_a_figure(source: Path, skip: str | None = None, root: Path = ROOT) -> list[str]:
    """Functions under `source` that import inside their body with no comment, between their
    `def` and that import, saying what the import saves (`# lazy: 18 ms ...`) or that it is an
    optional dependency."""
    found = []
    for path in sorted(source.rglob("*.py")):
        rel = path.relative_to(source).parts
        if rel[0] == skip or "tests" in rel:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for fn in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            imports = [n for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))]
            if not imports:
                continue
            first = min(imports, key=lambda n: n.lineno)
            said = lines[fn.lineno - 1:first.end_lineno]
            if not any(FIGURE.search(text) or OPTIONAL.search(text) for text in said):
                found.append(f"{path.relative_to(root)}:{first.lineno} in {fn.name}()")
    return found


def test_every_import_inside_a_function_says_what_it_saves():
    """An import inside a function hides a module's dependencies from its reader and from the
    import contracts' first glance; it stays only where it saves start-up that was measured, and
    says how much (`benchmarks/bench_lazy_imports.py` gives each figure and lists those worth
    hoisting). The command line's commands are covered once: `studio/cli/main.py` gives their
    figure and tests/cli/test_main_lazy_commands.py holds it."""
    assert lazy_imports_without_a_figure(ROOT / "studio", skip="cli") == []
    assert lazy_imports_without_a_figure(ROOT / "plugins") == []


def test_an_unexplained_import_inside_a_function_is_found(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(
        "def f():\n    import json\n    return json\n\n"
        "def g():\n    # lazy: 12 ms off this module's import\n    import numpy\n    return numpy\n")
    assert lazy_imports_without_a_figure(tmp_path / "pkg", root=tmp_path) == ["pkg/m.py:2 in f()"]
