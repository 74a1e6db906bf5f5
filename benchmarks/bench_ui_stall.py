"""Is the window ever frozen? An event-loop heartbeat (a 5 ms QTimer; lateness beyond its period
is time the UI thread could not run) measured in the real main window (offscreen) while:

  build    a BERT-base-dims model (12 layers, hidden 768, random weights) is built with
           TensorRT-RTX (FP16) through the build panel, i.e. run_build's child process;
  stream   the benchmark panel receives 1,000 harness samples per second for 10 s from a
           producer thread (the path the harness's on_sample feeds), plots refreshing;
  bench    a real ONNX Runtime benchmark of a small model (closed loop, batch 1) streams its
           samples into the same plots; the panel runs it in a child process (bench.isolated);
  bench_in_process  the same benchmark run by the harness in a thread of the window's process,
           as the panel did before: the "before" of that change, in the same run.

Targets: stall <= 50 ms, plots >= 20 frames per second.

    .venv/bin/python benchmarks/bench_ui_stall.py [--skip-build] [--build-model PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
CACHE = ROOT / ".cache" / "benchmarks"


def stall_stats(stalls: list[float]) -> dict:
    import numpy as np
    a = np.asarray(stalls or [0.0])
    return {"max_ms": round(float(a.max()), 1), "p99_ms": round(float(np.percentile(a, 99)), 2),
            "over_50ms": int((a > 50).sum()), "ticks": len(stalls)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--build-model", help="ONNX model to build (default: BERT-base dims, generated)")
    ap.add_argument("--stream-seconds", type=float, default=10.0)
    args = ap.parse_args()

    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    import tempfile

    from studio.core.bench.harness import Sample
    from studio.ui.demo_driver import Heartbeat, pump, wait_for
    from studio.ui.main_window import MainWindow
    from studio.ui.settings import Settings
    tmp = Path(tempfile.mkdtemp(prefix="stall-"))
    win = MainWindow(settings=Settings(tmp / "s.ini"), modal_errors=False)
    win.build_panel.output_dir = str(tmp / "builds")
    win.show()
    heart = Heartbeat(5)
    heart.start()
    out = {"cpu_count": os.cpu_count(), "load_avg_start": os.getloadavg()}

    # --- a BERT-base build in the background
    if not args.skip_build:
        if args.build_model:
            model = args.build_model
        else:
            from bench_graph_view import make_model
            model = str(make_model("bert-base", 12, 768, 12, 3072))
        win.open_path(model)
        wait_for(lambda: win.graphs.before.ready, 300, "the model")
        pump(0.5)
        win.build_panel.select_backend("tensorrt")
        win.build_panel.select_precision("fp16")
        heart.reset()
        cpu0 = time.thread_time()
        t0 = time.perf_counter()
        task = win.build_panel.start_build()
        wait_for(lambda: not win.build_panel.running, 1800, "the build")
        secs = time.perf_counter() - t0
        pump(0.5)
        out["build"] = {"model": Path(model).name, "seconds": round(secs, 1), "error": task.error,
                        "ui_thread_cpu_fraction": round((time.thread_time() - cpu0) / secs, 3),
                        **stall_stats(heart.stalls)}
        print(f"build ({Path(model).name}, {secs:.0f} s): stall max {out['build']['max_ms']} ms, "
              f"p99 {out['build']['p99_ms']} ms, {out['build']['over_50ms']} ticks over 50 ms; UI thread busy "
              f"{100 * out['build']['ui_thread_cpu_fraction']:.0f}%"
              + (f"  [error: {task.error}]" if task.error else ""))

    # --- 1,000 samples per second into the live plots
    bench = win.bench
    win.docks["Benchmark"].raise_()
    bench.live.clear_plots()
    bench.live.ensure_series("stream", "stream 1k/s")
    bench.live.timer.start()
    stop = threading.Event()
    sent = [0]

    def produce():
        import random
        rnd = random.Random(0)
        t_start = time.perf_counter()
        i = 0
        while not stop.is_set():
            now = time.perf_counter() - t_start
            due = int(now * 1000)
            while i < due:  # the harness delivers in completion order, as fast as they come
                bench.live.buffer.append(("stream", Sample(seq=i, t=i / 1000, latency_ms=rnd.lognormvariate(0, 0.3),
                                                      batch=1)))
                i += 1
            sent[0] = i
            time.sleep(0.001)

    th = threading.Thread(target=produce, daemon=True)
    heart.reset()
    frames0 = bench.live.frames
    cpu0 = time.thread_time()
    t0 = time.perf_counter()
    th.start()
    pump(args.stream_seconds)
    stop.set()
    th.join()
    secs = time.perf_counter() - t0
    ui_cpu = (time.thread_time() - cpu0) / secs
    fps = (bench.live.frames - frames0) / secs
    bench.live.timer.stop()
    out["stream"] = {"samples": sent[0], "rate": round(sent[0] / secs, 1), "fps": round(fps, 1),
                     "ui_thread_cpu_fraction": round(ui_cpu, 3),
                     "plotted": int(bench.live.series["stream"].t.n), **stall_stats(heart.stalls)}
    print(f"stream {out['stream']['rate']:.0f} samples/s for {secs:.0f} s: {fps:.1f} fps, stall max "
          f"{out['stream']['max_ms']} ms, p99 {out['stream']['p99_ms']} ms, {out['stream']['over_50ms']} over 50 ms; "
          f"UI thread busy {100 * ui_cpu:.0f}% of the time")

    # --- a real ONNX Runtime benchmark streaming into the plots
    import onnx

    from studio.core.backends.base import BuildConfig
    from studio.core.demo.bert_onnx import build_bert_onnx
    from studio.core.demo.weights import BertConfig, random_head, random_weights
    from studio.core.jobs.build_job import run_build
    from studio.core.jobs.build_job import BuildEntry
    cfg = BertConfig(vocab_size=1000, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                     max_position_embeddings=128)
    small = tmp / "small.onnx"
    onnx.save(build_bert_onnx(cfg, random_weights(cfg), random_head(32, 3)), str(small))
    bc = BuildConfig(model=str(small), backend="onnxruntime", output=str(tmp / "small-ort.onnx"), precision="fp32")
    entry = BuildEntry(run_build(bc), bc)
    win.builds.add(entry)
    bench.check([entry.key])
    bench.duration.setValue(5.0)
    bench.batches.setText("1")
    heart.reset()
    frames0 = bench.live.frames
    t0 = time.perf_counter()
    bench.start()
    # the session is created on the harness thread; ONNX Runtime holds the GIL while it does,
    # so that part is reported apart from the streaming that follows
    wait_for(lambda: any(s.t.n > 0 for s in bench.live.series.values()), 60, "the first samples")
    startup = stall_stats(heart.stalls)
    heart.reset()
    wait_for(lambda: not bench.running, 120, "the benchmark")
    secs = time.perf_counter() - t0
    fps = (bench.live.frames - frames0) / secs
    res = bench.results[0][1] if bench.results else None
    out["bench"] = {"requests": res.requests if res else 0,
                    "samples_per_s": round(res.requests / res.duration_s, 1) if res else 0,
                    "fps": round(fps, 1), "startup": startup, **stall_stats(heart.stalls)}
    print(f"real ORT benchmark ({out['bench']['samples_per_s']:.0f} samples/s): {fps:.1f} fps, stall max "
          f"{out['bench']['max_ms']} ms, p99 {out['bench']['p99_ms']} ms, {out['bench']['over_50ms']} over 50 ms "
          f"while streaming; session start-up stall max {startup['max_ms']} ms")

    # --- the same benchmark in this process, as the panel ran it before bench.isolated
    from studio.core.backends.registry import get_backend
    from studio.core.bench.harness import Bench, BenchConfig
    from studio.core.bench.isolated import feed_spec, open_feed_spec

    bench.live.ensure_series("inproc", "in process", bench.live.series[next(iter(bench.live.series))].color)
    feed = open_feed_spec(feed_spec(str(small)))
    backend = get_backend("onnxruntime")
    inproc = Bench(lambda: backend.open_runner(entry.result.output), feed, BenchConfig(batch=1, duration_s=5.0),
                   on_sample=lambda s: bench.live.buffer.append(("inproc", s)))
    bench.live.timer.start()
    heart.reset()
    frames0 = bench.live.frames
    t0 = time.perf_counter()
    inproc.start()
    wait_for(lambda: bench.live.series["inproc"].t.n > 0, 60, "the first in-process samples")
    startup_in = stall_stats(heart.stalls)
    heart.reset()
    wait_for(lambda: inproc.done, 120, "the in-process benchmark")
    secs = time.perf_counter() - t0
    res = inproc.result()
    out["bench_in_process"] = {"samples_per_s": round(res.requests / res.duration_s, 1),
                               "fps": round((bench.live.frames - frames0) / secs, 1), "startup": startup_in,
                               **stall_stats(heart.stalls)}
    bench.live.timer.stop()
    print(f"the same benchmark in the window's process ({out['bench_in_process']['samples_per_s']:.0f} samples/s): "
          f"stall max {out['bench_in_process']['max_ms']} ms while streaming; session start-up stall max "
          f"{startup_in['max_ms']} ms (child process: {startup['max_ms']} ms)")

    heart.stop()
    win.close()
    out["load_avg_end"] = os.getloadavg()
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "bench_ui_stall.json").write_text(json.dumps(out, indent=2))
    print(f"written {CACHE / 'bench_ui_stall.json'} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
