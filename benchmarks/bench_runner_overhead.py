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
        rows += len(b["input_ids"])
        i += 1
        if time.perf_counter() >= end:
            break
    return rows / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", default="1,32")
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
    out = ROOT / ".cache/benchmarks/runner_overhead.json"
    write_json_atomic(out, report)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
