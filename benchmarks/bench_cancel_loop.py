"""Cancel a build 50 times in a row: no partial .engine, no leaked process,
the caller's memory back to where it started.

    .venv/bin/python benchmarks/bench_cancel_loop.py [--count 50] [--model M.onnx]

Each round starts `run_build` on the demo model (or --model) and cancels it at a seeded random
moment between 5 % and 95 % of an uncancelled build's time (measured first), i.e. at every
stage: child start-up, parsing, building, writing. A round that finished before its cancel
counts as "completed" (its files are removed and it is not a failure). Writes
.cache/benchmarks/cancel_loop.json."""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio.core.backends.base import BuildConfig, sidecar_path  # noqa: E402
from studio.core.errors import Cancelled  # noqa: E402
from studio.core.jobs.build_job import run_build  # noqa: E402
from studio.core.jobs.launch import live_children  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--model", default=str(ROOT / "resources/demo/generated/intent-minilm.onnx"))
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    work = ROOT / ".cache" / "bench_cancel"
    work.mkdir(parents=True, exist_ok=True)
    out = work / "cancel.engine"
    rng = random.Random(a.seed)
    t0 = time.perf_counter()
    run_build(BuildConfig(a.model, "tensorrt", str(out)))
    full_s = time.perf_counter() - t0
    for p in (out, sidecar_path(out), out.with_name(out.name + ".layers.txt")):
        p.unlink(missing_ok=True)
    print(f"an uncancelled build takes {full_s:.2f} s", flush=True)
    gc.collect()
    rss0 = rss_mib()
    # Python-level allocations, to tell a leak (grows every round) from the C allocator keeping
    # freed pages of the reader threads' arenas (RSS creeps, Python memory stays flat).
    tracemalloc.start()
    stats = {"cancelled": 0, "completed": 0, "partial_files": [], "leaked_processes": [], "latency_s": []}
    t_all = time.perf_counter()
    for i in range(a.count):
        cancel = threading.Event()
        delay = rng.uniform(0.05, 0.95) * full_s
        fired = {}

        def fire():
            fired["t"] = time.monotonic()
            cancel.set()

        timer = threading.Timer(delay, fire)
        timer.start()
        try:
            run_build(BuildConfig(a.model, "tensorrt", str(out)), cancel=cancel)
            stats["completed"] += 1
            for p in (out, sidecar_path(out), out.with_name(out.name + ".layers.txt")):
                p.unlink(missing_ok=True)
        except Cancelled:
            stats["cancelled"] += 1
            stats["latency_s"].append(round(time.monotonic() - fired["t"], 3))
        finally:
            timer.cancel()
        left = sorted(p.name for p in work.iterdir())
        if left:
            stats["partial_files"].append({"round": i, "files": left})
            for name in left:
                (work / name).unlink()
        if i == 0:
            gc.collect()
            rss_first = rss_mib()   # after one round: imports, thread and allocator warm-up
            py_first = tracemalloc.get_traced_memory()[0]
        kids = live_children()
        if kids:
            stats["leaked_processes"].append({"round": i, "pids": kids})
        print(f"round {i + 1:3d}: cancel at {delay:.2f} s -> "
              f"{'cancelled' if 't' in fired else 'completed first'}; files left {len(left)}, children {len(kids)}",
              flush=True)
    gc.collect()
    rss1 = rss_mib()
    py_end = tracemalloc.get_traced_memory()[0]
    lat = sorted(stats["latency_s"]) or [0.0]
    result = {
        "rounds": a.count, "model": a.model, "uncancelled_build_s": round(full_s, 2),
        **{k: stats[k] for k in ("cancelled", "completed")},
        "rounds_with_partial_files": len(stats["partial_files"]), "rounds_with_leaked_processes": len(stats["leaked_processes"]),
        "cancel_latency_s": {"median": lat[len(lat) // 2], "max": lat[-1]},
        "caller_rss_mib": {"start": round(rss0, 1), "after_round_1": round(rss_first, 1), "end": round(rss1, 1),
                           "growth_after_round_1": round(rss1 - rss_first, 1)},
        "python_heap_kib": {"after_round_1": round(py_first / 1024, 1), "end": round(py_end / 1024, 1)},
        "wall_s": round(time.perf_counter() - t_all, 1), "details": stats,
    }
    dest = ROOT / ".cache" / "benchmarks" / "cancel_loop.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{a.count} rounds: {result['cancelled']} cancelled, {result['completed']} completed first; "
          f"partial files in {result['rounds_with_partial_files']} rounds, leaked processes in "
          f"{result['rounds_with_leaked_processes']}; cancel latency median {result['cancel_latency_s']['median']} s, "
          f"max {result['cancel_latency_s']['max']} s; caller RSS {rss0:.1f} MiB at start, {rss_first:.1f} after "
          f"round 1, {rss1:.1f} at the end; Python heap {py_first / 1024:.0f} KiB after round 1, "
          f"{py_end / 1024:.0f} KiB at the end")
    return 0 if not stats["partial_files"] and not stats["leaked_processes"] else 1


if __name__ == "__main__":
    sys.exit(main())
