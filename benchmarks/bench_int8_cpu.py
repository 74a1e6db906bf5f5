"""INT8 built by the studio's own pipeline vs FP32, ONNX Runtime on CPU, demo intent model,
batch 32, sequence 64 ; goal >= 2.5x throughput, accuracy drop <= 0.5 point.

Unlike bench_cpu_int8.py (which calls the recipe/backend directly and compares
recipes), this one goes the way a user does: `engine-studio build --backend onnxruntime
--precision fp32|int8 --calib intents_calibration.csv` (child-process build job, sidecar), the
bench harness for throughput (rounds alternate fp32 / int8 so other load hits both alike; the
source model run as is by ORT rides along for scale, not for the goal), CPU
time on one thread (alternating rounds; less moved by other load on the machine), and
`engine-studio accuracy BUILD --data intents_validation.csv --label-column intent --json` for the
accuracy change against the FP32 ONNX reference. Writes .cache/benchmarks/int8_cpu.json.

    .venv/bin/python benchmarks/bench_int8_cpu.py [--seconds 5] [--rounds 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

from studio.cli.main import main as cli  # noqa: E402
from studio.core.backends.registry import get_backend  # noqa: E402
from studio.core.bench.harness import Bench, BenchConfig  # noqa: E402
from studio.core.bench.inputs import TextFeed, read_texts  # noqa: E402
from studio.core.data.tokenizer import load_tokenizer  # noqa: E402
from studio.core.io import write_json_atomic  # noqa: E402

DEMO = ROOT / "resources/demo/generated/intent-minilm.onnx"
VAL = ROOT / "resources/demo/intents_validation.csv"
CALIB = ROOT / "resources/demo/intents_calibration.csv"
WORK = ROOT / ".cache/benchmarks/int8_cpu"
BATCH, SEQ = 32, 64


def cli_json(argv: list[str]) -> dict:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = cli(argv)
    if rc not in (0, 1):
        raise SystemExit(f"engine-studio {' '.join(argv)} failed with status {rc}")
    return json.loads(buf.getvalue())


def cpu_ms_per_sample(open_runners: dict, batches, rounds: int, per_round: int = 4) -> dict:
    """CPU milliseconds per sample on one thread, per build: the median of `rounds` rounds that
    alternate the builds. With one intra-op thread ONNX Runtime computes in the calling thread, so
    time.thread_time() counts the model's work and not the time other processes took from us:
    the figure that holds on a loaded machine."""
    runners = {k: open_().activate() for k, open_ in open_runners.items()}
    per: dict = {k: [] for k in runners}
    try:
        for r in runners.values():
            r.infer(batches[0])
        for _ in range(rounds):
            for k, r in runners.items():
                rows, t = 0, time.thread_time()
                for i in range(per_round):
                    b = batches[i % len(batches)]
                    r.infer(b)
                    rows += len(next(iter(b.values())))
                per[k].append((time.thread_time() - t) * 1e3 / rows)
        return {k: statistics.median(v) for k, v in per.items()}
    finally:
        for r in runners.values():
            r.deactivate()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cpu-rounds", type=int, default=7,
                    help="alternating rounds of 4 batches timed by CPU time on one thread")
    args = ap.parse_args()
    if not DEMO.exists():
        from studio.core.demo.paths import ensure_demo_model

        ensure_demo_model()
    # A private copy of the source, so a regenerated demo model cannot change under the run
    # (the accuracy command checks the source's sha256 against the sidecar).
    src = WORK / "source" / DEMO.name
    src.parent.mkdir(parents=True, exist_ok=True)
    for f in (DEMO, DEMO.with_name("tokenizer.json"), DEMO.with_name("labels.txt")):
        shutil.copyfile(f, src.with_name(f.name))
    builds = {}
    for prec in ("fp32", "int8"):
        out = WORK / f"intent-minilm.{prec}.ort.onnx"
        argv = ["build", str(src), "--backend", "onnxruntime", "--precision", prec, "-o", str(out), "--json", "-q"]
        if prec == "int8":
            argv += ["--calib", str(CALIB)]
        builds[prec] = cli_json(argv)
        print(f"built {prec}: {out.name} ({builds[prec]['size_bytes'] / 1e6:.1f} MB, {builds[prec]['build_seconds']:.1f} s)")
    ort = get_backend("onnxruntime")
    texts, _ = read_texts(VAL)
    probe = ort.open_runner(str(src)).activate()
    feed = TextFeed(texts, load_tokenizer(str(src.with_name("tokenizer.json"))), probe.input_metadata(), seq_len=SEQ)
    probe.deactivate()
    # The goal compares the two builds. The source model as ORT runs it unbuilt (its default session
    # optimizations) is measured beside them for scale: what the pipeline adds over running the file.
    arts = {"source": str(src), "fp32": builds["fp32"]["output"], "int8": builds["int8"]["output"]}
    tput: dict = {k: [] for k in arts}
    for r in range(args.rounds):
        for kind, art in arts.items():
            res = Bench(lambda: ort.open_runner(art, threads=args.threads), feed,
                        BenchConfig(batch=BATCH, duration_s=args.seconds, warmup_s=args.warmup)).run()
            tput[kind].append(res.throughput)
        print(f"round {r + 1}: source {tput['source'][-1]:7.1f}  fp32 {tput['fp32'][-1]:7.1f}  "
              f"int8 {tput['int8'][-1]:7.1f} samples/s  ratio {tput['int8'][-1] / tput['fp32'][-1]:.2f}", flush=True)
    ratios = [i / f for i, f in zip(tput["int8"], tput["fp32"])]
    over_source = {k: statistics.median(b / s for b, s in zip(tput[k], tput["source"])) for k in ("fp32", "int8")}
    cpu_ms = cpu_ms_per_sample({p: (lambda a=builds[p]["output"]: ort.open_runner(a, threads=1))
                                for p in ("fp32", "int8")}, feed.batches(BATCH), args.cpu_rounds)
    print(f"CPU time per sample, one thread: fp32 {cpu_ms['fp32']:.2f} ms, int8 {cpu_ms['int8']:.2f} ms "
          f"-> {cpu_ms['fp32'] / cpu_ms['int8']:.2f}x", flush=True)
    acc = {}
    for prec in ("fp32", "int8"):
        acc[prec] = cli_json(["accuracy", builds[prec]["output"], "--data", str(VAL), "--label-column", "intent",
                              "--seq-len", str(SEQ), "--threads", str(args.threads), "--json"])
    report = {
        "model": str(src), "batch": BATCH, "seq_len": SEQ, "threads": args.threads, "rounds": args.rounds,
        "throughput_samples_per_s": tput, "ratios": ratios, "median_ratio": statistics.median(ratios),
        "over_source_model": over_source,
        "cpu_ms_per_sample_1_thread": cpu_ms, "cpu_time_ratio": cpu_ms["fp32"] / cpu_ms["int8"],
        "accuracy": {p: {k: acc[p][k] for k in ("accuracy", "reference_accuracy", "accuracy_change",
                                                "top1_agreement", "max_abs_error", "nan_count", "flagged")}
                     for p in acc},
        "recipe": {p: builds[p].get("metadata", {}).get("recipe") for p in builds},
        "goal": {"throughput_ratio": 2.5, "max_accuracy_drop_points": 0.5},
    }
    a8 = acc["int8"]
    print(f"INT8 / FP32 throughput (batch {BATCH}, seq {SEQ}): {report['median_ratio']:.2f}x with {args.threads} "
          f"threads (median of {args.rounds}); {report['cpu_time_ratio']:.2f}x in CPU time on one thread")
    print(f"for scale, against the source model run as is: FP32 build {over_source['fp32']:.2f}x, "
          f"INT8 build {over_source['int8']:.2f}x")
    print(f"intent accuracy: FP32 ONNX {a8['reference_accuracy']:.2%}  FP32 build {acc['fp32']['accuracy']:.2%}  "
          f"INT8 build {a8['accuracy']:.2%}  change {100 * a8['accuracy_change']:+.2f} points; "
          f"top-1 agreement {100 * a8['top1_agreement']:.1f}%")
    out = ROOT / ".cache/benchmarks/int8_cpu.json"
    write_json_atomic(out, report)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
