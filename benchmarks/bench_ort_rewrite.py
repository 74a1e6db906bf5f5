"""One of the onnxruntime backend's graph rewrites on vs off, in one run: the fp32 and int8 builds
of one model, each built twice (the rewrite on as by default, and off by its build option)
through the studio's build job (sidecar and all), then
  - CPU time per batch on one intra-op thread, texts padded to --seq tokens, rounds alternating
    the four builds (medians);
  - wall time on --threads intra-op threads, the same batches, on and off back to back in pairs
    (alternating which goes first), the median of the pairs' ratios;
  - CPU time on one thread for batches of texts sorted by length at their own width (short rows,
    and no padding past the longest);
  - batch-1 latency at each text's own length, one thread (a rewrite's fixed cost).
Rewrites (plugins/studio_onnxruntime/): ffn_chunks (FFNs in row chunks; off: ort_ffn_chunk_bytes=0),
cut_padding (inputs cut to the batch's longest row; off: ort_cut_padding=false), trim_kv (keys and
values cut to it, where the inputs are not; both builds with ort_cut_padding=false, off:
ort_trim_kv=false).
Writes .cache/benchmarks/<rewrite>.<model>.json.

    .venv/bin/python benchmarks/bench_ort_rewrite.py --rewrite ffn_chunks|cut_padding|trim_kv [--model PATH]
        [--batch 32] [--seq 64] [--rounds 7] [--pairs 30] [--option KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

from bench_int8_cpu import DEMO, VAL, cpu_ms_per_sample  # noqa: E402
from studio.core.backends.base import BuildConfig, parse_build_options  # noqa: E402
from studio.core.backends.registry import get_backend  # noqa: E402
from studio.core.bench.inputs import TextFeed, read_texts  # noqa: E402
from studio.core.data.tokenizer import load_tokenizer  # noqa: E402
from studio.core.io import write_json_atomic  # noqa: E402
from studio.core.jobs.build_job import run_build  # noqa: E402

WORK = ROOT / ".cache/benchmarks/ort_rewrites"
# rewrite -> (options of the build with it, of the build without it); trim_kv runs where
# cut_padding does not apply, so both its builds leave the inputs uncut
SIDES = {"ffn_chunks": ({}, {"ort_ffn_chunk_bytes": 0}),
         "cut_padding": ({}, {"ort_cut_padding": False}),
         "trim_kv": ({"ort_cut_padding": False}, {"ort_cut_padding": False, "ort_trim_kv": False})}


def paired_ratio(open_a, open_b, batches, pairs: int) -> tuple[float, list[float]]:
    """Median of (time of a) / (time of b) over back-to-back pairs, each side running `batches`."""
    a, b = open_a().activate(), open_b().activate()
    try:
        for r in (a, b):
            for x in batches:
                r.infer(x)
        ratios = []
        for p in range(pairs):
            t = {}
            for name, r in ((("a", a), ("b", b)) if p % 2 == 0 else (("b", b), ("a", a))):
                s = time.perf_counter()
                for x in batches:
                    r.infer(x)
                t[name] = time.perf_counter() - s
            ratios.append(t["a"] / t["b"])
        return statistics.median(ratios), statistics.quantiles(ratios, n=4)
    finally:
        a.deactivate()
        b.deactivate()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rewrite", choices=sorted(SIDES), required=True)
    ap.add_argument("--model", default=str(DEMO))
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--pairs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                    help="a build option for every build (e.g. ort_ffn_chunk_bytes=3145728 for the chunked ones)")
    args = ap.parse_args()
    options = parse_build_options(args.option)
    model = Path(args.model)
    if model == DEMO and not DEMO.exists():
        from studio.core.demo.paths import ensure_demo_model

        ensure_demo_model()
    WORK.mkdir(parents=True, exist_ok=True)
    builds = {}
    for prec in ("fp32", "int8"):
        for on in (True, False):
            key = f"{prec}{'' if on else '-off'}"
            out = WORK / f"{model.stem}.{args.rewrite}.{key}.onnx"
            run_build(BuildConfig(str(model), "onnxruntime", str(out), precision=prec,
                                  options=options | SIDES[args.rewrite][0 if on else 1]))
            builds[key] = str(out)
            print(f"built {key}", flush=True)
    ort = get_backend("onnxruntime")
    texts, _ = read_texts(VAL)
    tok = load_tokenizer(str(DEMO.with_name("tokenizer.json")))
    probe = ort.open_runner(builds["fp32"]).activate()
    meta = probe.input_metadata()
    probe.deactivate()
    padded = TextFeed(texts, tok, meta, seq_len=args.seq).batches(args.batch)[:4]
    one = TextFeed(texts, tok, meta).batches(1)[:64]
    # Texts sorted by length, each batch at its own width: short rows (where chunks of one sequence
    # would be too small for the GEMMs) and no padding past the longest (nothing for trim_kv to cut).
    bucketed = TextFeed(sorted(texts, key=len), tok, meta).batches(args.batch)
    one_thread = {k: (lambda a=a: ort.open_runner(a, threads=1)) for k, a in builds.items()}
    cpu = cpu_ms_per_sample(one_thread, padded, args.rounds)
    cpu_bucketed = cpu_ms_per_sample(one_thread, bucketed, args.rounds, per_round=len(bucketed))
    report = {"model": str(model), "rewrite": args.rewrite, "options": options, "batch": args.batch,
              "seq_len": args.seq, "threads": args.threads,
              "cpu_ms_per_batch_1_thread": {k: v * args.batch for k, v in cpu.items()},
              "cpu_ms_per_sample_bucketed_1_thread": cpu_bucketed, "pairs": {}, "batch1_ms": {}}
    for prec in ("fp32", "int8"):
        base, new = builds[f"{prec}-off"], builds[prec]
        ratio, quartiles = paired_ratio(lambda: ort.open_runner(base, threads=args.threads),
                                        lambda: ort.open_runner(new, threads=args.threads), padded, args.pairs)
        report["pairs"][prec] = {"speedup": ratio, "quartiles": quartiles}
        lat, _ = paired_ratio(lambda: ort.open_runner(new, threads=1),
                              lambda: ort.open_runner(base, threads=1), one, args.pairs)
        report["batch1_ms"][prec] = {"on_over_off": lat}
        c1 = cpu[f"{prec}-off"] / cpu[prec]
        cb = cpu_bucketed[f"{prec}-off"] / cpu_bucketed[prec]
        print(f"{prec}: one thread {cpu[f'{prec}-off'] * args.batch:.1f} -> {cpu[prec] * args.batch:.1f} ms a "
              f"batch ({c1:.3f}x); {args.threads} threads, paired: {ratio:.3f}x (quartiles {quartiles[0]:.3f}-"
              f"{quartiles[2]:.3f}); real lengths bucketed, one thread {cb:.3f}x; batch 1 latency x{lat:.3f}",
              flush=True)
    report["int8_over_fp32_one_thread"] = cpu["fp32"] / cpu["int8"]
    report["int8_over_fp32_one_thread_off"] = cpu["fp32-off"] / cpu["int8-off"]
    print(f"INT8 / FP32 in one-thread CPU time: {report['int8_over_fp32_one_thread_off']:.2f}x without "
          f"{args.rewrite}, {report['int8_over_fp32_one_thread']:.2f}x with it")
    out = ROOT / f".cache/benchmarks/{args.rewrite}.{model.stem}.json"
    write_json_atomic(out, report)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
