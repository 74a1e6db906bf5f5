"""What a benchmark's start costs the UI thread in the live plots: clearing them, making each
run's curves and legend entry (four runs, as two builds x two batch sizes), and the first frame
that paints them. Measured for the first benchmark of a window and for a later one, with the
plots' off-screen warm-up and without it (the "before"), each case in a fresh process (fonts
and glyph caches are per process), medians of --repeat processes, in one run.

    .venv/bin/python benchmarks/bench_plots_start.py [--repeat 5] [--baseline CHECKOUT]

--baseline adds the same measure of another checkout of the studio (e.g. `git worktree add
/tmp/base HEAD~1`), run alternately with this one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
from PySide6.QtWidgets import QApplication
app = QApplication([])
from studio.ui.bench_plots import LivePlots, SERIES
if sys.argv[2] == "cold":
    LivePlots._warm_up = lambda self: None
lp = LivePlots()
lp.resize(1300, 500)
lp.show()
app.processEvents()

def start():
    t0 = time.perf_counter()
    lp.clear_plots()
    for i in range(4):
        lp.ensure_series(f"build{i // 2}|{i}", f"build {i // 2} batch {8 ** (i % 2)}", SERIES[i % len(SERIES)])
    t1 = time.perf_counter()
    app.processEvents()     # the first frame with the new runs
    t2 = time.perf_counter()
    return {"make_ms": (t1 - t0) * 1e3, "paint_ms": (t2 - t1) * 1e3, "total_ms": (t2 - t0) * 1e3}

print(json.dumps({"first": start(), "later": start()}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--baseline", metavar="CHECKOUT", help="another checkout to measure the same way")
    args = ap.parse_args()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    cases = {"cold": (ROOT, "cold"), "warm": (ROOT, "warm")}
    if args.baseline:
        cases["baseline"] = (Path(args.baseline).resolve(), "warm")
    runs: dict[str, list[dict]] = {case: [] for case in cases}
    for _ in range(args.repeat):
        for case, (root, mode) in cases.items():   # alternated: a busy moment of the machine hits all
            out = subprocess.run([sys.executable, "-c", CHILD, str(root), mode], env=env, check=True,
                                 capture_output=True, text=True).stdout
            runs[case].append(json.loads(out.strip().splitlines()[-1]))
    table = {}
    for case, rs in runs.items():
        for which in ("first", "later"):
            table[f"{case} {which}"] = {k: round(statistics.median(r[which][k] for r in rs), 1)
                                        for k in ("make_ms", "paint_ms", "total_ms")}
    for name, row in table.items():
        print(f"{name:12s} make {row['make_ms']:6.1f} ms  first frame {row['paint_ms']:6.1f} ms  "
              f"total {row['total_ms']:6.1f} ms")
    ratio = table["warm first"]["total_ms"] / table["cold first"]["total_ms"]
    print(f"first benchmark's start, warm / cold: {ratio:.2f}")
    if args.baseline:
        print(f"first benchmark's start, warm / baseline: "
              f"{table['warm first']['total_ms'] / table['baseline first']['total_ms']:.2f}")
    print(json.dumps(table))


if __name__ == "__main__":
    main()
