"""Jobs through the Ray executor against the local executor, on a Ray cluster started here on
loopback (one node labelled `target:cpu-a`), in one run:

- dispatch cost: the wall time of the same ONNX Runtime FP32 build of a corpus BERT through the
  Ray executor minus through the local executor (goal: under 0.5 s a job once the cluster is up);
- cancel latency: from setting cancel while a remote TensorRT-RTX build is in its build phase to
  the caller's Cancelled (goal: under 2 s).

    .venv/bin/python benchmarks/bench_cluster.py [--rounds 3] [--model M.onnx]

Writes .cache/benchmarks/cluster.json."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")   # Ray's switch: stay on loopback
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

from studio.core.backends.base import BuildConfig  # noqa: E402
from studio.core.errors import Cancelled  # noqa: E402
from studio.core.io import write_json_atomic  # noqa: E402
from studio.core.jobs.executor import Job, LocalExecutor, executor_for  # noqa: E402

MODEL = ROOT / "tests" / "data" / "corpus" / "bert_ts17_eager" / "model.onnx"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model", default=str(MODEL))
    args = ap.parse_args()
    cluster = Cluster(initialize_head=True, connect=False,
                      head_node_args={"num_cpus": 2, "resources": {"target:cpu-a": 1}, "object_store_memory": 80 << 20,
                                      "node_ip_address": "127.0.0.1", "include_dashboard": False})
    ex = executor_for(f"ray:{cluster.address}")
    out = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    try:
        ex.run(Job.build(BuildConfig(args.model, "onnxruntime", str(out / "warm.ort.onnx"))), target="cpu-a")
        dispatch, cancel_s = [], []
        for i in range(args.rounds):
            t = time.perf_counter()
            LocalExecutor().run(Job.build(BuildConfig(args.model, "onnxruntime", str(out / f"l{i}.ort.onnx"))))
            local = time.perf_counter() - t
            t = time.perf_counter()
            ex.run(Job.build(BuildConfig(args.model, "onnxruntime", str(out / f"r{i}.ort.onnx"))), target="cpu-a")
            dispatch.append(time.perf_counter() - t - local)
            cancel, when = threading.Event(), {}

            def on_event(ev, cancel=cancel, when=when):
                if ev.kind == "progress" and ev.phase.startswith("Building") and not cancel.is_set():
                    when["t"] = time.perf_counter()
                    cancel.set()
            try:
                ex.run(Job.build(BuildConfig(args.model, "tensorrt", str(out / f"c{i}.engine"), precision="fp16")),
                       target="cpu-a", on_event=on_event, cancel=cancel)
            except Cancelled:
                cancel_s.append(time.perf_counter() - when["t"])
        res = {"dispatch_s": [round(x, 3) for x in dispatch], "dispatch_median_s": round(statistics.median(dispatch), 3),
               "cancel_s": [round(x, 3) for x in cancel_s],
               "cancel_max_s": round(max(cancel_s), 3) if cancel_s else None}
    finally:
        ex.close()
        ray.shutdown()
        cluster.shutdown()
    print(f"dispatch cost per build job: median {res['dispatch_median_s']} s {res['dispatch_s']}; "
          f"cancel reached the remote build in {res['cancel_s']} s")
    (ROOT / ".cache" / "benchmarks").mkdir(parents=True, exist_ok=True)
    write_json_atomic(ROOT / ".cache" / "benchmarks" / "cluster.json", res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
