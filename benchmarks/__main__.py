"""`python -m benchmarks` lists the benchmark scripts with what each measures;
`python -m benchmarks NAME [ARGS...]` runs one (NAME with or without its bench_ prefix), e.g.
`python -m benchmarks precision --models demo`. Each writes its figures under .cache/benchmarks/."""

from __future__ import annotations

import ast
import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts() -> dict[str, str]:
    out = {}
    for p in sorted(HERE.glob("*.py")):
        if p.name.startswith("_"):
            continue
        doc = ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) or ""
        out[p.stem] = doc.strip().splitlines()[0] if doc.strip() else ""
    return out


def main(argv: list[str]) -> int:
    found = scripts()
    if not argv:
        for name, line in found.items():
            print(f"{name:<24} {line}")
        print("\nrun one: python -m benchmarks NAME [ARGS...]   (make benchmarks lists them)")
        return 0
    name = argv[0] if argv[0] in found else f"bench_{argv[0]}"
    if name not in found:
        print(f"no benchmark {argv[0]!r}; there are: {', '.join(found)}", file=sys.stderr)
        return 2
    sys.argv = [str(HERE / f"{name}.py"), *argv[1:]]
    runpy.run_path(sys.argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
