"""Does a benchmark child yield the CPU to the window? The window's UI-thread stalls while its
Benchmark panel runs the sample model's two ONNX Runtime builds (closed loop, batch 1, 3 s each,
the child niced 5 as the panel has it), alternating two ways, in one run:

  grouped   as the studio runs it: the child, in a session of its own and so in a scheduling
            autogroup of its own (Linux), gives that group the nice level it inherited
            (studio.core.jobs.child.yield_as_niced);
  group-0   the same, but this script sets the child's autogroup back to nice 0 as soon as the
            child appears: how children ran before, their threads' nice counting only among
            themselves.

Each benchmark's worst tick of a 5 ms heartbeat on the UI thread is split as `engine-studio demo`
splits it (the window's own work, waiting for a CPU, blocked). A monitor process runs beside the
window, started as from its terminal (same session, same autogroup), reading the window's and
its children's threads in /proc every 3 ms as `top` would, about a quarter of a CPU.

What it showed on the 2-core development VM: the worst stalls were alike either way (18-34 ms,
with the monitor or without, 4-5 rounds each), and the heartbeat's 99th percentile was lower with
the child's group niced in 19 of 21 rounds. The 100-ms waits that led to the change were seen
once, with a monitor of this kind, and not on demand since.

    .venv/bin/python benchmarks/bench_child_priority.py [--rounds 4] [--no-monitor]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def threads(pid: int) -> list[str]:
    """/proc folders of every thread of `pid` and of its descendants, read from each thread's
    `children` (a child started by a worker thread is listed there, not under the main thread)."""
    found, queue = [], [pid]
    while queue:
        p = queue.pop()
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tids:
            found.append(f"/proc/{p}/task/{tid}")
            try:
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    queue += [int(k) for k in fh.read().split()]
            except OSError:
                continue
    return found


def descendants(pid: int) -> list[int]:
    return sorted({int(t.split("/")[2]) for t in threads(pid)} - {pid})


def monitor(pid: int) -> None:
    """What a monitor in the window's terminal does, as `top -d 0.003` would: read every thread's
    /proc entries of the window and its children every 3 ms (about a quarter of a CPU here)."""
    while os.path.exists(f"/proc/{pid}"):
        for folder in threads(pid):
            for name in ("stat", "schedstat"):
                try:
                    with open(f"{folder}/{name}") as fh:
                        fh.read()
                except OSError:
                    pass
        time.sleep(0.003)


class GroupReset(threading.Thread):
    """Set every child's autogroup back to nice 0 as it appears (the "before" of the change)."""

    def __init__(self):
        super().__init__(daemon=True, name="group-reset")
        self.on = threading.Event()
        self.done: set[int] = set()

    def run(self) -> None:
        while True:
            if self.on.is_set():
                for pid in descendants(os.getpid()):
                    if pid not in self.done:
                        try:
                            with open(f"/proc/{pid}/autogroup", "w") as fh:
                                fh.write("0")
                            self.done.add(pid)
                        except OSError:
                            pass
            time.sleep(0.002)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--no-monitor", action="store_true", help="without the monitor process beside the window")
    ap.add_argument("--monitor", type=int, metavar="PID", help=argparse.SUPPRESS)   # the monitor process itself
    args = ap.parse_args()
    if args.monitor:
        monitor(args.monitor)
        return
    if not os.path.exists("/proc/self/autogroup"):
        print("this kernel has no scheduling autogroups: nothing to compare")
        return
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])

    from studio.core.demo.paths import ensure_demo_model
    from studio.ui.demo_driver import Heartbeat, pump, wait_for
    from studio.ui.main_window import MainWindow
    from studio.ui.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="child-priority-"))
    win = MainWindow(settings=Settings(tmp / "s.ini"), modal_errors=False)
    win.build_panel.output_dir = str(tmp / "builds")
    win.resize(1366, 768)
    win.show()
    win.open_path(str(ensure_demo_model()))
    wait_for(lambda: win.graphs.before.ready, 300, "the model")
    for precision in ("fp32", "int8"):
        win.build_panel.select_backend("onnxruntime")
        win.build_panel.select_precision(precision)
        task = win.build_panel.start_build()
        wait_for(lambda: not task.running, 300, "the build")
    pump(1.0)
    bench = win.bench
    builds = [e.key for e in win.builds.entries if bench.can_run(e)[0]]
    reset = GroupReset()
    reset.start()
    # Started as from the window's terminal: its session, and so its autogroup.
    background = (None if args.no_monitor else
                  subprocess.Popen([sys.executable, __file__, "--monitor", str(os.getpid())]))
    heart = Heartbeat(5)
    heart.start()
    worst: dict[str, list[float]] = {"grouped": [], "group-0": []}
    for i in range(args.rounds):
        for mode in worst:
            (reset.on.set if mode == "group-0" else reset.on.clear)()
            bench.duration.setValue(3.0)
            bench.batches.setText("1")
            bench.check(builds)
            win.docks["Benchmark"].raise_()
            pump(0.3)
            heart.reset()
            task = bench.start()
            wait_for(lambda: not task.running, 120, "the benchmark")
            w = heart.worst
            worst[mode].append(w.late_ms if w else 0.0)
            print(f"round {i + 1} {mode:8s}: worst stall {w.late_ms if w else 0:6.1f} ms (window's work "
                  f"{(w.ui_work_ms or 0) if w else 0:.0f}, waiting for a CPU {(w.cpu_wait_ms or 0) if w else 0:.0f}, "
                  f"blocked {(w.blocked_ms or 0) if w else 0:.0f}), P99 {heart.p99_ms():.1f} ms", flush=True)
            pump(0.3)
    if background is not None:
        background.kill()
    for mode, w in worst.items():
        print(f"{mode:8s} worst stall per benchmark: {', '.join(f'{x:.0f}' for x in w)} ms "
              f"(median {statistics.median(w):.0f}, max {max(w):.0f})")
    win.close()
    app.processEvents()


if __name__ == "__main__":
    main()
