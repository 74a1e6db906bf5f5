"""Real sequence lengths vs padding to 64: the same batch of validation texts run at each text's
own length (each batch padded only to its longest text), bucketed by length (texts sorted, so a
batch holds similar lengths), and padded to 64. ONNX Runtime CPU, demo intent model; the gap is a
speedup users can take home. Rounds alternate the three. Writes .cache/benchmarks/seq_lengths.json
(seq_lengths.<model>.json for another --model).

--model runs a build instead (its sidecar's session settings apply): an onnxruntime build cuts a
batch's padding inside the model where the outputs allow it (plugins/studio_onnxruntime/padding.py),
so padded to 64 runs close to each text's own length there.

    .venv/bin/python benchmarks/bench_seq_lengths.py [--model PATH] [--batch 32] [--seconds 4] [--rounds 3]
        [--threads 2]
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


def cpu_ms_per_sample(open_runner, batches) -> float:
    """CPU milliseconds per sample on one thread (ONNX Runtime then computes in the calling
    thread, so time.thread_time() is immune to other processes' load). Every batch once."""
    r = open_runner().activate()
    try:
        r.infer(batches[0])
        rows, t = 0, time.thread_time()
        for b in batches:
            r.infer(b)
            rows += len(b["input_ids"])
        return (time.thread_time() - t) * 1e3 / rows
    finally:
        r.deactivate()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pad", type=int, default=64)
    ap.add_argument("--model", default=str(DEMO), help="the demo model (default) or a build of it")
    args = ap.parse_args()
    model = Path(args.model)
    if not DEMO.exists():
        from studio.core.demo.paths import ensure_demo_model

        ensure_demo_model()
    texts, _ = read_texts(VAL)
    tok = load_tokenizer(str(DEMO.with_name("tokenizer.json")))
    factory = lambda: OnnxRuntimeRunner(model, intra_op_threads=args.threads)  # noqa: E731
    probe = factory().activate()
    metas = probe.input_metadata()
    probe.deactivate()
    lengths = tok.lengths(texts)
    by_len = [t for _, t in sorted(zip(lengths, texts), key=lambda p: p[0])]
    feeds = {"own_length": TextFeed(texts, tok, metas),
             "bucketed": TextFeed(by_len, tok, metas),
             f"padded_{args.pad}": TextFeed(texts, tok, metas, seq_len=args.pad)}
    widths = {k: statistics.mean(b["input_ids"].shape[1] for b in f.batches(args.batch)) for k, f in feeds.items()}
    tput = {k: [] for k in feeds}
    for r in range(args.rounds):
        for k, f in feeds.items():
            res = Bench(factory, f, BenchConfig(batch=args.batch, duration_s=args.seconds, warmup_s=args.warmup)).run()
            tput[k].append(res.throughput)
        print(f"round {r + 1}: " + "  ".join(f"{k} {v[-1]:7.1f}" for k, v in tput.items()) + " samples/s", flush=True)
    pad_key = f"padded_{args.pad}"
    cpu_ms = {}
    for k, f in feeds.items():
        cpu_ms[k] = cpu_ms_per_sample(lambda: OnnxRuntimeRunner(model, intra_op_threads=1), f.batches(args.batch))
    print("CPU time per sample, one thread: " + ", ".join(f"{k} {v:.2f} ms" for k, v in cpu_ms.items()))
    med = {k: statistics.median(v) for k, v in tput.items()}
    report = {"model": str(model), "batch": args.batch, "threads": args.threads, "texts": len(texts),
              "token_lengths": {"min": int(lengths.min()), "mean": float(lengths.mean()), "max": int(lengths.max())},
              "mean_batch_width": widths, "throughput_samples_per_s": tput, "median": med,
              "speedup_vs_padded": {k: med[k] / med[pad_key] for k in med},
              "cpu_ms_per_sample_1_thread": cpu_ms,
              "cpu_time_speedup_vs_padded": {k: cpu_ms[pad_key] / cpu_ms[k] for k in cpu_ms}}
    print(f"token lengths: min {lengths.min()}, mean {lengths.mean():.1f}, max {lengths.max()}; "
          f"mean batch width " + ", ".join(f"{k} {w:.1f}" for k, w in widths.items()))
    for k in med:
        print(f"{k:>12}: {med[k]:7.1f} samples/s  ({med[k] / med[pad_key]:.2f}x vs padded to {args.pad}); "
              f"CPU time {cpu_ms[k]:.2f} ms/sample ({cpu_ms[pad_key] / cpu_ms[k]:.2f}x)")
    out = ROOT / (".cache/benchmarks/seq_lengths.json" if model == DEMO else f".cache/benchmarks/seq_lengths.{model.stem}.json")
    write_json_atomic(out, report)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
