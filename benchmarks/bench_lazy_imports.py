"""What each function-local import saves: for every `import` inside a function in studio/ and
plugins/ (the command line's `run` functions aside: `studio/cli/main.py` gives their figure), the time that
importing its module adds to a process that has already imported the module holding it: the
start-up it moves from "import the module" to "call the function". Each pair in a fresh
process, median of --repeat.

A lazy import that saves under --keep-ms (default 1 ms) is not worth the indirection: the
script lists those as "hoist". Every one kept carries a comment with its figure
(tests/test_architecture.py checks that a figure is there).

    .venv/bin/python benchmarks/bench_lazy_imports.py [--repeat 3] [--keep-ms 1] [--only PREFIX] [--json]
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import importlib, sys, time
sys.path.insert(0, sys.argv[1])
importlib.import_module(sys.argv[2])
t = time.perf_counter()
importlib.import_module(sys.argv[3])
print((time.perf_counter() - t) * 1e3)
"""


SOURCES = (ROOT / "studio", ROOT / "plugins")


def module_name(path: Path, source: Path) -> str:
    rel = path.relative_to(source.parent if source.name == "studio" else source).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _submodule(package: str, name: str) -> str | None:
    try:
        return f"{package}.{name}" if importlib.util.find_spec(f"{package}.{name}") else None
    except (ImportError, ValueError):
        return None


def lazy_imports() -> list[tuple[str, int, str]]:
    """(module, line, imported module) for each import inside a function, outside studio/cli
    and the plugins' tests."""
    found = []
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            rel = path.relative_to(source).parts
            if rel[0] == "cli" or "tests" in rel:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            module = module_name(path, source)
            for fn in ast.walk(tree):
                if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(fn):
                    if isinstance(node, ast.Import):
                        found += [(module, node.lineno, a.name) for a in node.names]
                    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                        # `from package import submodule` costs the submodule's import
                        found += [(module, node.lineno, _submodule(node.module, a.name) or node.module)
                                  for a in node.names]
    return sorted(set(found))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep-ms", type=float, default=1.0)
    ap.add_argument("--only", metavar="PREFIX", default="", help="modules whose name starts with PREFIX")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    for module, line, target in lazy_imports():
        if not module.startswith(args.only):
            continue
        times = []
        for _ in range(args.repeat):
            out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), module, target], cwd=ROOT,
                                 capture_output=True, text=True)
            if out.returncode:
                times = None     # an optional dependency that is not installed here
                break
            times.append(float(out.stdout.strip().splitlines()[-1]))
        ms = round(statistics.median(times), 1) if times else None
        verdict = "optional, absent" if ms is None else ("keep" if ms >= args.keep_ms else "hoist")
        rows.append({"module": module, "line": line, "imports": target, "ms": ms, "verdict": verdict})
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    for r in rows:
        ms = "   -  " if r["ms"] is None else f"{r['ms']:6.1f}"
        print(f"{ms} ms  {r['verdict']:16s} {r['module']}:{r['line']}  {r['imports']}")


if __name__ == "__main__":
    main()
