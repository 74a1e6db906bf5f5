"""Studio runner overhead: throughput of the studio's harness + ONNX Runtime runner divided by a
tight raw ONNX Runtime loop (same model, same input arrays, same session threads), at batch 1 and
batch 32, demo intent model, validation texts padded to 64 tokens. Goal >= 0.97.

Rounds alternate raw / studio so that load from other processes hits both alike; the figure is the
median of the per-round ratios. Writes .cache/benchmarks/runner_overhead.json.

    .venv/bin/python benchmarks/bench_runner_overhead.py [--seconds 4] [--rounds 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

from studio.core.bench.harness import Bench, BenchConfig  # noqa: E402
from studio.core.bench.inputs import TextFeed, read_texts  # noqa: E402
from studio.core.data.tokenizer import load_tokenizer  # noqa: E402
from studio.core.io import write_json_atomic  # noqa: E402
from studio_onnxruntime.runner import OnnxRuntimeRunner  # noqa: E402

DEMO = ROOT / "resources/demo/generated/intent-minilm.onnx"
VAL = ROOT / "resources/demo/intents_validation.csv"


def raw_loop(model: Path, batches: list, threads: int, seconds: float, warmup: float) -> float:
    """The baseline: InferenceSession.run back to back, nothing else. Samples/s."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(model), sess_options=so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    n = len(batches)
    end = time.perf_counter() + warmup
    i = 0
    while time.perf_counter() < end:
        sess.run(names, batches[i % n])
        i += 1
    rows = 0
    t0 = time.perf_counter()
    end = t0 + seconds
    i = 0
    while True:
        b = batches[i % n]
        sess.run(names, b)
        rows += len(next(iter(b.values())))
        i += 1
        if time.perf_counter() >= end:
            break
    return rows / (time.perf_counter() - t0)


def cpu_compare(batches: list, feed, batch: int, iters: int) -> tuple[float, float]:
    """CPU seconds of this process per sample, one intra-op thread (ORT then computes in the
    calling thread, no spinning pool): raw loop vs the studio harness, each over iters + 1
    inferences (the harness's first is its cold-start probe). Immune to other processes' load."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(DEMO), sess_options=so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    sess.run(names, batches[0])
    t = time.process_time()
    for i in range(iters + 1):
        sess.run(names, batches[i % len(batches)])
    raw = (time.process_time() - t) / ((iters + 1) * batch)
    del sess
    runner = OnnxRuntimeRunner(DEMO, intra_op_threads=1).activate()
    runner.infer(batches[0])
    t = time.process_time()
    Bench(lambda: runner, feed, BenchConfig(batch=batch, iterations=iters, warmup_iters=0)).run()
    studio = (time.process_time() - t) / ((iters + 1) * batch)
    return raw, studio


def tiny_overhead(args) -> dict:
    """The harness's own cost per request, where it is largest relative to inference: a
    two-MatMul model whose inference takes microseconds. overhead = 1/studio_rps - 1/raw_rps."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from studio.core.bench.inputs import SyntheticFeed

    rng = np.random.default_rng(0)
    path = ROOT / ".cache/benchmarks/tiny_mlp.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W1"], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("MatMul", ["r", "W2"], ["y"])], "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])],
        [numpy_helper.from_array(rng.standard_normal((32, 64)).astype(np.float32), "W1"),
         numpy_helper.from_array(rng.standard_normal((64, 8)).astype(np.float32), "W2")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(path))
    factory = lambda: OnnxRuntimeRunner(path, intra_op_threads=1)  # noqa: E731
    probe = factory().activate()
    feed = SyntheticFeed(probe.input_metadata())
    probe.deactivate()
    batches = feed.batches(1)
    over = []
    for r in range(args.tiny_rounds):
        raw = raw_loop(path, [{"x": b["x"]} for b in batches], 1, 1.0, 0.2)
        studio = Bench(factory, feed, BenchConfig(batch=1, duration_s=1.0, warmup_s=0.2)).run().throughput
        over.append((1 / studio - 1 / raw) * 1e6)
        print(f"tiny model round {r + 1}: raw {raw:9.0f}  studio {studio:9.0f} requests/s  "
              f"harness cost {over[-1]:6.1f} us/request", flush=True)
    med = statistics.median(over)
    print(f"harness cost per request: {med:.1f} us (median); at a 5 ms inference that is "
          f"{100 * med / 5000:.2f}% of throughput")
    return {"model": "tiny MatMul-Relu-MatMul, batch 1, 1 thread", "overhead_us": over, "median_us": med}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--cpu-iters", type=int, default=12,
                    help="requests per CPU-time comparison at batch 32, more at smaller batches (0 = skip)")
    ap.add_argument("--tiny-rounds", type=int, default=3,
                    help="also measure the harness's own cost per request on a tiny model (0 = skip)")
    args = ap.parse_args()
    if not DEMO.exists():
        from studio.core.demo.paths import ensure_demo_model

        ensure_demo_model()
    texts, _ = read_texts(VAL)
    factory = lambda: OnnxRuntimeRunner(DEMO, intra_op_threads=args.threads)  # noqa: E731
    probe = factory().activate()
    feed = TextFeed(texts, load_tokenizer(str(DEMO.with_name("tokenizer.json"))), probe.input_metadata(), seq_len=64)
    probe.deactivate()
    report = {"model": str(DEMO), "threads": args.threads, "seq_len": 64, "seconds_per_round": args.seconds,
              "rounds": args.rounds, "results": {}}
    for batch in [int(b) for b in args.batches.split(",")]:
        batches = feed.batches(batch)
        raw, studio, ratios = [], [], []
        for r in range(args.rounds):
            raw.append(raw_loop(DEMO, batches, args.threads, args.seconds, args.warmup))
            res = Bench(factory, feed, BenchConfig(batch=batch, duration_s=args.seconds, warmup_s=args.warmup)).run()
            studio.append(res.throughput)
            ratios.append(studio[-1] / raw[-1])
            print(f"batch {batch:>2} round {r + 1}: raw {raw[-1]:8.1f}  studio {studio[-1]:8.1f} samples/s  "
                  f"ratio {ratios[-1]:.3f}", flush=True)
        med = statistics.median(ratios)
        report["results"][str(batch)] = {"raw_samples_per_s": raw, "studio_samples_per_s": studio,
                                         "ratios": ratios, "median_ratio": med, "goal": 0.97, "met": med >= 0.97}
        print(f"batch {batch}: studio / raw = {med:.3f} (median of {args.rounds}; goal >= 0.97)")
        if args.cpu_iters:
            # More requests at small batches: a Bench run's fixed cost (its threads, the statistics)
            # spread over 13 batch-1 requests read as 5-13 % more CPU a sample than the raw loop, over
            # 120 as 0-5 %, though the harness costs a few microseconds a request (8x at batch 1).
            iters = max(args.cpu_iters, args.cpu_iters * 8 // batch)
            cpu = [cpu_compare(batches, feed, batch, iters) for _ in range(args.rounds)]
            cr = [r / s for r, s in cpu]
            report["results"][str(batch)]["cpu_ms_per_sample_1_thread"] = [[1e3 * r, 1e3 * s] for r, s in cpu]
            report["results"][str(batch)]["cpu_ratio_median"] = statistics.median(cr)
            print(f"batch {batch}: CPU time per sample, one thread: raw / studio = {statistics.median(cr):.3f} "
                  f"(rounds: {', '.join(f'{x:.3f}' for x in cr)})", flush=True)
    if args.tiny_rounds:
        report["per_request_overhead"] = tiny_overhead(args)
    out = ROOT / ".cache/benchmarks/runner_overhead.json"
    write_json_atomic(out, report)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
