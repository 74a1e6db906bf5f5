"""Jobs through the Ray executor against the local executor, on a Ray cluster started here on
loopback (one node labelled `target:cpu-a`), in one run:

- dispatch cost: the wall time of the same ONNX Runtime FP32 build of a corpus BERT through the
  Ray executor minus through the local executor (goal: under 0.5 s a job once the cluster is up);
- cancel latency: from setting cancel while a remote TensorRT-RTX build is in its build phase to
  the caller's Cancelled (goal: under 2 s);
- a remote benchmark: the same --bench-s ORT benchmark (batch 1: one live sample per request) through both executors, the
  Ray worker's throughput over the local one (goal: at least 0.97), and its live samples
  streamed back (goal: at least 1,000 samples/s, none dropped);
- a sweep of 12 configurations over 2 nodes (2 precisions x 3 batch sizes x 2 targets) against
  the same sweep run here: the same configurations completed, the same plan per target, both
  wall times (the two nodes share this machine's cores: no speed-up is expected here).

    .venv/bin/python benchmarks/bench_cluster.py [--rounds 3] [--bench-s 10] [--model M.onnx]

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
from studio.core.bench.harness import BenchConfig  # noqa: E402
from studio.core.bench.isolated import bench_job, feed_spec  # noqa: E402
from studio.core.bench.results import RunResult  # noqa: E402
from studio.core.bench.sweep import SweepRequest, run_sweep, with_plan  # noqa: E402
from studio.core.errors import Cancelled  # noqa: E402
from studio.core.io import write_json_atomic  # noqa: E402
from studio.core.jobs.executor import Job, LocalExecutor, executor_for  # noqa: E402

MODEL = ROOT / "tests" / "data" / "corpus" / "bert_ts17_eager" / "model.onnx"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bench-s", type=float, default=10.0, help="seconds of each remote/local benchmark")
    ap.add_argument("--model", default=str(MODEL))
    ap.add_argument("--skip-sweep", action="store_true", help="leave out the sweep comparison (the slowest part)")
    args = ap.parse_args()
    cluster = Cluster(initialize_head=True, connect=False,
                      head_node_args={"num_cpus": 2, "resources": {"target:cpu-a": 1}, "object_store_memory": 80 << 20,
                                      "node_ip_address": "127.0.0.1", "include_dashboard": False})
    cluster.add_node(num_cpus=2, resources={"target:cpu-b": 1}, object_store_memory=80 << 20,
                     node_ip_address="127.0.0.1")
    cluster.wait_for_nodes()
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
        res.update(remote_benchmark(ex, args.model, out / "r0.ort.onnx", args.bench_s))
        if not args.skip_sweep:
            res.update(sweeps(ex, args.model, out))
    finally:
        ex.close()
        ray.shutdown()
        cluster.shutdown()
    print(f"dispatch cost per build job: median {res['dispatch_median_s']} s {res['dispatch_s']}; "
          f"cancel reached the remote build in {res['cancel_s']} s")
    print(f"remote benchmark ({args.bench_s:g} s, batch 1): throughput remote / local {res['throughput_ratio']} "
          f"({res['throughput_remote']} vs {res['throughput_local']} samples/s); live samples streamed "
          f"{res['samples_streamed']} of {res['samples_measured']} ({res['samples_per_s']} samples/s); Ray's own "
          f"processes used {res['ray_cores_during_local']} cores during the local run, "
          f"{res['ray_cores_during_remote']} during the remote one (of {os.cpu_count()})")
    if not args.skip_sweep:
        print(f"sweep of {res['sweep_configs_cluster']} configurations over 2 nodes: {res['sweep_wall_cluster_s']} s; "
              f"the same {res['sweep_configs_local']} here: {res['sweep_wall_local_s']} s; same plan per target: "
              f"{res['same_plan_per_target']} {res['plans']}")
    (ROOT / ".cache" / "benchmarks").mkdir(parents=True, exist_ok=True)
    write_json_atomic(ROOT / ".cache" / "benchmarks" / "cluster.json", res)
    return 0


def _ray_cpu_s() -> dict[str, float]:
    """CPU seconds used so far by each of this machine's Ray processes (GCS, raylets, workers,
    the queue actor): what a remote run adds on the cores the benchmark measures on."""
    tick = os.sysconf("SC_CLK_TCK")
    total = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            if not any(k in cmd for k in (b"raylet", b"gcs_server", b"ray::", b"default_worker", b"ray/_private")):
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total[pid] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total


def _used(before: dict[str, float]) -> float:
    """CPU seconds Ray's processes used since `before` (those that ended meanwhile not counted)."""
    return sum(s - before.get(pid, 0.0) for pid, s in _ray_cpu_s().items())


def remote_benchmark(ex, model: str, artifact: Path, seconds: float) -> dict:
    """The same benchmark job through the local executor and on the Ray worker, alternated, with
    the CPU the Ray processes used during each (the two share this machine's cores)."""
    feed = feed_spec(model, seq_len=64)
    config = BenchConfig(batch=1, duration_s=seconds, warmup_s=1.0)
    local, remote, streamed, ray_local, ray_remote = [], [], [], [], []
    for _ in range(2):
        c, t = _ray_cpu_s(), time.perf_counter()
        local.append(RunResult.from_dict(LocalExecutor().run(bench_job(artifact, "onnxruntime", feed, config)).payload))
        ray_local.append(_used(c) / (time.perf_counter() - t))
        got = []
        c, t = _ray_cpu_s(), time.perf_counter()
        ran = ex.run(bench_job(artifact, "onnxruntime", feed, config), target="cpu-a", on_samples=got.extend)
        wall = time.perf_counter() - t
        ray_remote.append(_used(c) / wall)
        remote.append(RunResult.from_dict(ran.payload))
        streamed.append((len(got), wall))
    tl = statistics.median(r.throughput for r in local)
    tr = statistics.median(r.throughput for r in remote)
    measured = remote[-1].requests
    n, wall = streamed[-1]
    return {"throughput_local": round(tl, 1), "throughput_remote": round(tr, 1), "throughput_ratio": round(tr / tl, 3),
            "samples_streamed": n, "samples_measured": measured, "samples_per_s": round(n / wall, 1),
            "ray_cores_during_local": round(statistics.median(ray_local), 3),
            "ray_cores_during_remote": round(statistics.median(ray_remote), 3)}


def sweeps(ex, model: str, out: Path) -> dict:
    calib = str(ROOT / "resources" / "demo" / "intents_calibration.csv")
    builds = {p: BuildConfig(model, "onnxruntime", str(out / f"s.{p}.ort.onnx"), precision=p,
                             calibration=None if p == "fp32" else _calibration(calib, model))
              for p in ("fp32", "int8")}
    results, walls = {}, {}
    for name, executor in (("cluster", ex), ("local", LocalExecutor())):
        req = SweepRequest(model, builds, batches=[1, 4, 8], concurrencies=[1], out_dir=str(out / f"sweep-{name}"),
                           duration_s=2.0, warmup_s=0.5)
        t = time.perf_counter()
        results[name] = with_plan(run_sweep(req, executor), 2000.0, 100.0, {}, default_price=1.0)
        walls[name] = round(time.perf_counter() - t, 1)
    chosen = {name: {p.target: (p.precision, p.max_batch) for p in r.plan.plans} for name, r in results.items()}
    local_choice = chosen["local"]["local"]
    return {"sweep_configs_cluster": len(results["cluster"].runs), "sweep_configs_local": len(results["local"].runs),
            "sweep_failed": len(results["cluster"].failed) + len(results["local"].failed),
            "sweep_wall_cluster_s": walls["cluster"], "sweep_wall_local_s": walls["local"], "plans": chosen,
            "same_plan_per_target": all(c == local_choice for c in chosen["cluster"].values())}


def _calibration(path: str, model: str):
    from studio.core.backends.base import CalibrationSpec
    from studio.core.data.calibration import default_tokenizer

    return CalibrationSpec(path=path, column="text", tokenizer=default_tokenizer(Path(model)), samples=64)


if __name__ == "__main__":
    raise SystemExit(main())
