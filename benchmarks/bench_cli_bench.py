"""What `engine-studio bench` costs beyond the seconds it measures: the whole command's wall time
for a grid of configurations (batch 1,8 x clients 1,2 by default: four runs), and what each run's
child process takes to start (spawn, imports, the runner's session) before it measures, on a
user's model (a torch export from the test corpus) with synthetic ids. Medians of --repeat
commands; with --baseline, another checkout of the studio is run alternately, in one run.

    .venv/bin/python benchmarks/bench_cli_bench.py [--repeat 3] [--baseline CHECKOUT] [--model M.onnx]

The measured time per run is --duration + --warmup; the rest is the command's overhead."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "tests" / "data" / "corpus" / "minilm_2in_pooled" / "model.onnx"
OUT = ROOT / ".cache" / "benchmarks" / "cli_bench.json"

CHILD_START = r"""
import sys, time
from studio.core.bench.harness import BenchConfig
from studio.core.bench.isolated import IsolatedBench, feed_spec
import numpy  # as in the command: the caller has numpy, so its children are spawned, not forked
t0 = time.perf_counter()
IsolatedBench(sys.argv[2], "onnxruntime", feed_spec(sys.argv[2], seq_len=16),
              BenchConfig(iterations=1, warmup_iters=0)).run()
print(time.perf_counter() - t0)
"""


def command_seconds(checkout: Path, model: Path, args) -> float:
    argv = [sys.executable, "-m", "studio", "bench", str(model), "--batch", args.batch, "--concurrency",
            args.concurrency, "--duration", str(args.duration), "--warmup", str(args.warmup), "--json", "-q"]
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=checkout, check=True, capture_output=True, env=_env(checkout))
    return time.perf_counter() - t0


def child_start_seconds(checkout: Path, model: Path) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD_START, str(checkout), str(model)], cwd=checkout, check=True,
                         capture_output=True, text=True, env=_env(checkout))
    return float(out.stdout.strip().splitlines()[-1])


def _env(checkout: Path) -> dict:
    """The checkout's studio and its backends first on the path (the installed ones are this
    checkout's, editable)."""
    import os

    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(checkout), str(checkout / "plugins")])}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", metavar="CHECKOUT", help="another checkout to run alternately")
    ap.add_argument("--model", type=Path, default=MODEL)
    ap.add_argument("--batch", default="1,8")
    ap.add_argument("--concurrency", default="1,2")
    ap.add_argument("--duration", type=float, default=0.5)
    ap.add_argument("--warmup", type=float, default=0.2)
    args = ap.parse_args()
    checkouts = {"this": ROOT} | ({"baseline": Path(args.baseline).resolve()} if args.baseline else {})
    runs = len(args.batch.split(",")) * len(args.concurrency.split(","))
    walls = {name: [] for name in checkouts}
    starts = {name: [] for name in checkouts}
    for _ in range(args.repeat):
        for name, checkout in checkouts.items():
            walls[name].append(command_seconds(checkout, args.model.resolve(), args))
            starts[name].append(child_start_seconds(checkout, args.model.resolve()))
    measured = runs * (args.duration + args.warmup)
    print(f"{args.model.name}: {runs} runs of {args.duration:g} s + {args.warmup:g} s warm-up "
          f"({measured:.1f} s measured), medians of {args.repeat}")
    print(f"{'checkout':10} {'command s':>10} {'overhead s':>11} {'per run s':>10} {'child start s':>14}")
    figures = {}
    for name in checkouts:
        wall, start = statistics.median(walls[name]), statistics.median(starts[name])
        figures[name] = {"command_s": walls[name], "child_start_s": starts[name], "measured_s": measured}
        print(f"{name:10} {wall:10.2f} {wall - measured:11.2f} {(wall - measured) / runs:10.2f} {start:14.3f}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    if args.baseline:
        print(f"command this / baseline: {statistics.median(walls['this']) / statistics.median(walls['baseline']):.2f}; "
              f"child start this / baseline: "
              f"{statistics.median(starts['this']) / statistics.median(starts['baseline']):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
