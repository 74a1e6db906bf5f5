"""The floor under the window's stalls on this machine, and what receiving a benchmark costs it:
how late a 5 ms heartbeat comes (a Python thread that only sleeps) while a benchmark child fills
the cores, as the window's benchmark step does (the sample model's ONNX Runtime build, closed
loop, batch 1, the child niced 5 as the window's benchmark task has it). Two ways, alternated
run by run:

  alone     the benchmark is another process (`engine-studio bench`): the heartbeat's process
            does nothing else. What it sees is the machine's (the kernel's scheduling of the
            vCPUs, the host's of the VM), not the studio's.
  received  the benchmark runs as the window runs it: IsolatedBench started from a worker thread
            of the heartbeat's process niced 5 (as the window's Task does; the child and the
            reader thread inherit it), its samples read and appended to a deque there.

Each tick's lateness is split as the scripted demo splits it (`engine-studio demo`,
`summary.json` `worst_stall`): the thread's own CPU time, waiting for a CPU, and blocked (here:
waiting for the GIL, which the reader thread holds while it takes in samples). The host's stolen time (`/proc/stat` steal) is printed beside it.

    .venv/bin/python benchmarks/bench_stall_floor.py [--runs 5] [--seconds 8] [--modes alone,received]
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / ".cache" / "benchmarks"
STUDIO = [sys.executable, "-m", "studio.cli.main"]


def steal_jiffies() -> int:
    with open("/proc/stat") as fh:
        return int(fh.readline().split()[8])


def heartbeat(stop: threading.Event, period_s: float = 0.005) -> dict:
    """Sleep `period_s` in a loop until `stop`; the worst late wake-up and its attribution."""
    from studio.core.stalls import Stall, thread_schedstat

    worst = Stall(0.0)
    late_ticks, ticks = [], 0
    last, sched = time.perf_counter(), thread_schedstat()
    while not stop.is_set():
        time.sleep(period_s)
        now, s = time.perf_counter(), thread_schedstat()
        late = (now - last - period_s) * 1e3
        ticks += 1
        if late > 0:
            late_ticks.append(late)
        if late > worst.late_ms:
            worst = Stall.between(late, sched, s)
        last, sched = now, s
    late_ticks.sort(reverse=True)
    k = int(0.01 * ticks)
    return {**worst.to_dict(), "p99_ms": late_ticks[k] if k < len(late_ticks) else 0.0,
            "over_50": sum(1 for t in late_ticks if t > 50)}


def ort_build() -> Path:
    from studio.core.demo.paths import ensure_demo_model

    out = CACHE / "stall-floor" / "intent.fp32.ort.onnx"
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([*STUDIO, "build", str(ensure_demo_model()), "--backend", "onnxruntime",
                        "--precision", "fp32", "-o", str(out), "--quiet"], check=True, cwd=ROOT)
    return out


def _received(artifact: Path, seconds: float) -> None:
    from studio.core.bench.harness import BenchConfig
    from studio.core.bench.isolated import IsolatedBench, feed_spec
    from studio.core.demo.paths import ensure_demo_model

    samples: collections.deque = collections.deque()

    def work():
        os.nice(5)
        IsolatedBench(str(artifact), "onnxruntime", feed_spec(str(ensure_demo_model()), seq_len=64),
                      BenchConfig(batch=1, duration_s=seconds, warmup_s=0.5), on_sample=samples.append).run()

    worker = threading.Thread(target=work, name="worker")
    worker.start()
    worker.join()


def one_run(artifact: Path, seconds: float, mode: str) -> dict:
    stop = threading.Event()
    result: dict = {}
    beat = threading.Thread(target=lambda: result.update(heartbeat(stop)), name="heartbeat")
    steal0 = steal_jiffies()
    beat.start()
    if mode == "alone":
        subprocess.run([*STUDIO, "bench", str(artifact), "--batch", "1", "--duration", str(seconds),
                        "--warmup", "0.5", "--seq-len", "64", "--quiet"],
                       cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=lambda: os.nice(5))
    else:
        _received(artifact, seconds)
    stop.set()
    beat.join()
    result["steal_ms"] = (steal_jiffies() - steal0) * 1000 / os.sysconf("SC_CLK_TCK")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--modes", default="alone,received")
    args = ap.parse_args()
    artifact = ort_build()
    modes = args.modes.split(",")
    print(f"heartbeat beside a benchmark of {artifact.name}, {os.cpu_count()} CPUs")
    worst: dict[str, list[float]] = {m: [] for m in modes}
    for i in range(args.runs):
        for mode in modes:
            r = one_run(artifact, args.seconds, mode)
            worst[mode].append(r["late_ms"])
            print(f"run {i + 1} {mode:12s}: worst {r['late_ms']:6.1f} ms (own CPU {r['ui_work_ms'] or 0:.1f}, "
                  f"waiting for a CPU {r['cpu_wait_ms'] or 0:.1f}, blocked {r['blocked_ms'] or 0:.1f}), "
                  f"P99 {r['p99_ms']:.1f} ms, ticks > 50 ms: {r['over_50']}, host steal {r['steal_ms']:.0f} ms",
                  flush=True)
    for mode, w in worst.items():
        print(f"{mode:12s} worst tick per run: {', '.join(f'{x:.1f}' for x in w)} ms (max {max(w):.1f})")


if __name__ == "__main__":
    main()
