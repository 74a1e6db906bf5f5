"""Cold start to the window shown with the demo model's graph drawn (offscreen), for the
installed package (.venv) and, when `make installer` has run, the frozen bundle started with
no Python environment on PATH. Also the bundle's size on disk and as a tarball.

    .venv/bin/python benchmarks/bench_startup.py [--repeat 3] [--baseline CHECKOUT]

--baseline adds another checkout of the studio (e.g. `git worktree add /tmp/base HEAD~1`), started
as `python -m studio` with that checkout and its plugins first on the path, alternately with this
one started the same way, and prints the ratio.

"Cold" here is a fresh process each time; the OS file cache stays warm after the first run,
as it does for a user who starts the studio twice."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / ".cache" / "benchmarks" / "startup.json"


def time_to_ready(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        if line.startswith("window ready"):
            elapsed = time.perf_counter() - t0
            proc.wait(timeout=30)
            return elapsed
        if line.startswith("window error"):
            break
    proc.kill()
    raise SystemExit(f"{cmd[0]} did not show the window: exit {proc.wait()}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", metavar="CHECKOUT", help="another checkout, run alternately with this one")
    args = ap.parse_args()
    if args.baseline:
        return compare(Path(args.baseline).resolve(), args.repeat)
    results = {}
    venv_env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    targets = {"venv": ([str(ROOT / ".venv" / "bin" / "engine-studio")], venv_env)}
    stages = sorted((ROOT / "dist").glob("engine-studio-*-linux-x86_64"))
    if stages:
        home = ROOT / ".cache" / "bundle-home"
        home.mkdir(parents=True, exist_ok=True)
        targets["bundle"] = ([str(stages[-1] / "engine-studio" / "engine-studio")],
                             {"PATH": "/usr/bin:/bin", "HOME": str(home), "QT_QPA_PLATFORM": "offscreen"})
        info = ROOT / "dist" / "installer.json"
        if info.exists():
            results["bundle_size"] = json.loads(info.read_text())
    for name, (cmd, env) in targets.items():
        times = [time_to_ready(cmd + ["window", "--sample", "--exit-when-ready"], env) for _ in range(args.repeat)]
        results[name] = {"seconds": [round(t, 3) for t in times], "median_s": round(statistics.median(times), 3),
                         "first_s": round(times[0], 3)}
        print(f"{name:7s} window ready in {statistics.median(times):.2f} s (median of {len(times)}; first {times[0]:.2f} s)")
    if "bundle_size" in results:
        b = results["bundle_size"]
        print(f"bundle  {b['bundle_bytes'] / 2**20:.0f} MiB on disk, tarball {b['tarball_bytes'] / 2**20:.0f} MiB")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def compare(baseline: Path, repeat: int) -> int:
    """This checkout and `baseline`, each as `python -m studio`, alternated; medians and their ratio."""
    times: dict[str, list[float]] = {"this": [], "baseline": []}
    for _ in range(repeat):
        for name, checkout in (("this", ROOT), ("baseline", baseline)):
            env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
                       PYTHONPATH=os.pathsep.join([str(checkout), str(checkout / "plugins")]))
            times[name].append(time_to_ready([sys.executable, "-m", "studio", "window", "--sample",
                                              "--exit-when-ready"], env))
    for name, ts in times.items():
        print(f"{name:9s} window ready in {statistics.median(ts):.2f} s (median of {len(ts)}: "
              + ", ".join(f"{t:.2f}" for t in ts) + ")")
    print(f"this / baseline: {statistics.median(times['this']) / statistics.median(times['baseline']):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
