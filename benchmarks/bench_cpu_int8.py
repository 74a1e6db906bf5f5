"""CPU INT8 on ONNX Runtime, demo intent model, batch 32, sequence 64.

Compares, in one run and with the same session settings:
  fp32        the studio's ORT build at fp32 (transformer fusions + offline graph optimization)
  fp32-source the demo model as given, in a default ORT session (for scale)
  int8-cpu    the studio's ORT build at int8 (its CPU recipe: dynamic U8S8 after fusions)
  int8-qdq    the TensorRT Q/DQ recipe (static, symmetric, per-channel; calibrated on
              intents_calibration.csv) run by ORT, fused and optimized the same way
plus, with --variants, other dynamic-quantization settings (how the default was chosen).

Throughput: samples/s over timed runs of one fixed batch (real validation texts padded to 64),
best of interleaved rounds with --threads intra-op threads; and samples per CPU-second on one
thread (thread CPU time), which other load on a shared machine barely moves.
Accuracy: intent accuracy on resources/demo/intents_validation.csv (texts truncated/padded to 64
tokens) and top-1 agreement with fp32. Writes .cache/benchmarks/cpu_int8.json.

    .venv/bin/python benchmarks/bench_cpu_int8.py [--seconds 20] [--threads 2] [--variants]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "plugins"))

from studio.core.backends.base import BuildConfig, CalibrationSpec  # noqa: E402
from studio.core.backends.registry import get_backend  # noqa: E402
from studio.core.data.tables import read_rows  # noqa: E402
from studio.core.data.tokenizer import load_tokenizer  # noqa: E402
from studio.core.io import write_json_atomic  # noqa: E402
from studio.core.progress import TaskState  # noqa: E402
from studio_onnxruntime.denormals import SESSION_CONFIG_KEY, flushed  # noqa: E402

DEMO = ROOT / "resources" / "demo"
OUT = ROOT / ".cache" / "benchmarks"
BATCH, SEQ = 32, 64


def demo_model() -> tuple[Path, Path, list[str]]:
    """(model, tokenizer.json, labels): the demo model from its generated paths when present,
    else assembled here from the same pieces (MiniLM weights + the trained intent head)."""
    try:
        from studio.core.demo.paths import ensure_demo_model

        model = Path(ensure_demo_model())
        labels = (model.parent / "labels.txt").read_text(encoding="utf-8").split()
        return model, model.parent / "tokenizer.json", labels
    except ImportError:
        pass
    from studio.core.demo.bert_onnx import build_bert_onnx
    from studio.core.demo.train_head import load_head
    from studio.core.demo.weights import load_minilm, minilm_tokenizer_path

    import onnx

    model = OUT / "demo-intent-minilm.onnx"
    w, b, labels = load_head()
    if not model.exists():
        cfg, weights = load_minilm()
        onnx.save(build_bert_onnx(cfg, weights, (w, b)), str(model))
    return model, Path(minilm_tokenizer_path()), labels


def session(path: Path, threads: int, disabled_optimizers=()):
    """As the studio's runner opens a build: with the ORT optimizers its build left off."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    so.add_session_config_entry(SESSION_CONFIG_KEY, "1")  # as every studio ORT build runs
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"],
                                disabled_optimizers=list(disabled_optimizers) or None)


@flushed()
def throughput(sess, feed: dict, seconds: float) -> float:
    for _ in range(3):
        sess.run(["logits"], feed)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        sess.run(["logits"], feed)
        n += 1
    return BATCH * n / (time.perf_counter() - t0)


@flushed()
def cpu_throughput(sess, feed: dict, seconds: float) -> float:
    """Samples per CPU-second on ONE intra-op thread. With one thread ORT computes in the
    calling thread, so thread_time is the model's own CPU time: other processes on this shared
    machine stretch wall time but not this figure."""
    sess.run(["logits"], feed)
    n, c0, t0 = 0, time.thread_time(), time.perf_counter()
    while time.perf_counter() - t0 < seconds or n < 2:
        sess.run(["logits"], feed)
        n += 1
    return BATCH * n / (time.thread_time() - c0)


@flushed()
def predictions(sess, feeds: list[dict]) -> np.ndarray:
    return np.concatenate([sess.run(["logits"], f)[0].argmax(axis=1) for f in feeds])


def build(model: Path, out: Path, precision: str, options: dict, calib: CalibrationSpec | None = None) -> dict:
    cfg = BuildConfig(model=str(model), backend="onnxruntime", output=str(out), precision=precision,
                      calibration=calib, options=options)
    t0 = time.perf_counter()
    res = get_backend("onnxruntime").build(cfg, TaskState())
    return {"build_seconds": round(time.perf_counter() - t0, 1), "recipe": res.metadata["recipe"],
            "nodes_after": res.metadata["nodes_after"],
            "disabled_optimizers": res.metadata.get("ort_disabled_optimizers", []),
            "size_mb": round(res.size_bytes / 1e6, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0, help="timed seconds per model and round")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds (best kept) against contention")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--variants", action="store_true", help="also measure other dynamic-int8 settings")
    ap.add_argument("--fusion-variants", action="store_true",
                    help="also measure the int8 build with SkipLayerNorm / EmbedLayerNorm fusions on, and Gather quantized")
    ap.add_argument("--no-qdq", action="store_true", help="skip the TensorRT Q/DQ recipe (slow to calibrate)")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    model, tok_path, labels = demo_model()
    tok = load_tokenizer(str(tok_path))
    rows = read_rows(DEMO / "intents_validation.csv", "text", "intent")
    index = {name: i for i, name in enumerate(labels)}
    y = np.array([index[r.label] for r in rows])
    texts = [r.text for r in rows]
    feeds = [tok.encode(texts[i:i + BATCH], max_length=SEQ, pad_to=SEQ) for i in range(0, len(texts), BATCH)]
    bench_feed = tok.encode((texts * 2)[:BATCH], max_length=SEQ, pad_to=SEQ)

    calib = CalibrationSpec(str(DEMO / "intents_calibration.csv"), column="text", tokenizer=str(tok_path),
                            max_length=SEQ, samples=256, method="minmax")
    configs = {
        "fp32": ("fp32", {}, None),
        "fp32-skipln-fused": ("fp32", {"ort_disabled_optimizers": []}, None),
        "fp32-source": ("source", {}, None),
        "int8-cpu": ("int8", {}, None),
        "int8-skipln-fused": ("int8", {"ort_disabled_optimizers": []}, None),
        "int8-qdq": ("int8", {"int8_recipe": "qdq"}, calib),
    }
    if args.variants:
        configs.update({
            "int8-dyn-matmul-only": ("int8", {"int8_op_types": ["MatMul"]}, None),
            "int8-dyn-per-tensor": ("int8", {"int8_per_channel": False}, None),
            "int8-dyn-reduce-range": ("int8", {"int8_reduce_range": True}, None),
            "int8-dyn-gelu-approx": ("int8", {"gelu_approximation": True}, None),
            "int8-dyn-with-head": ("int8", {"int8_exclude_head": False}, None),
        })
    if args.fusion_variants:
        skip = {"enable_skip_layer_norm": True, "enable_bias_skip_layer_norm": True}
        embed = {"enable_embed_layer_norm": True}
        configs.update({
            "int8-skipln": ("int8", {"ort_fusion_options": skip}, None),
            "int8-embedln": ("int8", {"ort_fusion_options": embed}, None),
            "int8-skipln-embedln": ("int8", {"ort_fusion_options": {**skip, **embed}}, None),
            "int8-gather": ("int8", {"int8_op_types": ["MatMul", "Attention", "Gather"]}, None),
            "int8-gather-embedln": ("int8", {"int8_op_types": ["MatMul", "Attention", "Gather"],
                                             "ort_fusion_options": embed}, None),
            "int8-gather-gelu-approx": ("int8", {"int8_op_types": ["MatMul", "Attention", "Gather"],
                                                 "gelu_approximation": True}, None),
        })
    if args.no_qdq:
        configs.pop("int8-qdq")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-int8-", dir=OUT) as tmp:
        sessions, single = {}, {}
        for name, (precision, options, cal) in configs.items():
            out = Path(tmp) / f"{name}.onnx"
            if precision == "source":  # the user's model as given, ORT's default session optimizations
                out = model
                results[name] = {"recipe": {"name": "none (source model, ORT session defaults)"}}
            else:
                results[name] = build(model, out, precision, options, cal)
            off = results[name].get("disabled_optimizers", [])
            sessions[name] = session(out, args.threads, off)
            single[name] = session(out, 1, off)
            pred = predictions(sessions[name], feeds)
            results[name]["accuracy"] = float((pred == y).mean())
            results[name]["_pred"] = pred
            print(f"built {name}: {results[name].get('build_seconds', 0)} s, accuracy {results[name]['accuracy']:.4f}", flush=True)
        for r in range(args.rounds):
            for name, sess in sessions.items():
                tp = throughput(sess, bench_feed, args.seconds)
                results[name]["throughput"] = max(results[name].get("throughput", 0.0), tp)
                results[name].setdefault("throughput_rounds", []).append(round(tp, 1))
                ct = cpu_throughput(single[name], bench_feed, args.seconds / 2)
                results[name]["cpu_throughput_1t"] = max(results[name].get("cpu_throughput_1t", 0.0), ct)
    ref = results["fp32"]
    ref_pred = ref["_pred"]
    for name, r in results.items():
        r["speedup_vs_fp32"] = round(r["throughput"] / ref["throughput"], 3)
        r["cpu_speedup_vs_fp32"] = round(r["cpu_throughput_1t"] / ref["cpu_throughput_1t"], 3)
        r["accuracy_drop_points"] = round(100 * (ref["accuracy"] - r["accuracy"]), 2)
        r["top1_agreement"] = float((r.pop("_pred") == ref_pred).mean())
    report = {"model": str(model), "batch": BATCH, "sequence": SEQ, "threads": args.threads,
              "seconds_per_round": args.seconds, "rounds": args.rounds, "validation_samples": len(y),
              "cpu_count": os.cpu_count(), "results": results,
              "note": "best of interleaved rounds; the machine is shared, so absolute numbers are noisy"}
    write_json_atomic(OUT / "cpu_int8.json", report)
    print(f"\n{'config':24s} {'samples/s':>10s} {'x fp32':>7s} {'1t/cpu-s':>9s} {'x fp32':>7s} "
          f"{'accuracy':>9s} {'drop pt':>8s} {'agree':>6s}")
    for name, r in results.items():
        print(f"{name:24s} {r['throughput']:10.1f} {r['speedup_vs_fp32']:7.2f} {r['cpu_throughput_1t']:9.1f} "
              f"{r['cpu_speedup_vs_fp32']:7.2f} {100 * r['accuracy']:8.2f}% "
              f"{r['accuracy_drop_points']:8.2f} {100 * r['top1_agreement']:5.1f}%")
    print(f"\nwritten {OUT / 'cpu_int8.json'}")


if __name__ == "__main__":
    main()
