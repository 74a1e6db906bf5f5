"""Peak resident memory of opening a BERT-base-sized ONNX (~440 MB), as a ratio to the file size.

The goal: opening a model peaks at no more than 1.5x the file size. Each way of opening
runs in a fresh child process that imports everything first, notes its resident memory, opens the
model, and reports VmHWM (the kernel's peak RSS); so the figures are "peak RSS of the process"
and "peak minus the interpreter + libraries baseline", each divided by the file size.

    .venv/bin/python benchmarks/bench_open_memory.py [--model X.onnx] [--rebuild]

The model is `engine-studio demo-model --arch bert-base --random` when that command exists, else
an equivalent one built here (12 layers, hidden 768, 12 heads, FFN 3072, vocab 30522: 109M
float32 parameters). It is cached under .cache/benchmarks/. Results go to
.cache/benchmarks/open_memory.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "benchmarks"
MODEL = CACHE / "bert_base_random.onnx"

CHILD = r"""
import json, sys, time
def status():
    out = {}
    for line in open("/proc/self/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM"):
            out[k] = int(v.split()[0]) * 1024
    return out
import numpy, onnx
from studio.core.graph.onnx_loader import open_graph, load_model_proto
from studio.core.graph.summary import summarize
mode, path = sys.argv[1], sys.argv[2]
before = status()
t0 = time.perf_counter()
if mode == "open_graph":
    g = open_graph(path)
    s = summarize(g, batch=1, seq_len=128)
    extra = {"nodes": s.nodes, "parameters": s.parameters, "gflops": s.flops.total / 1e9}
elif mode == "onnx.load":
    m = onnx.load(path)
    extra = {"nodes": len(m.graph.node)}
elif mode == "with_weights":
    m = load_model_proto(path, with_weights=True)
    extra = {"nodes": len(m.graph.node)}
seconds = time.perf_counter() - t0
after = status()
import resource
# The FLOPs estimate may ask ONNX Runtime's symbolic shape inference in a child process (on the
# weights-free model); its peak is reported beside ours.
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"mode": mode, "baseline_rss": before["VmRSS"], "baseline_hwm": before["VmHWM"],
                  "peak_rss": after["VmHWM"], "child_peak_rss": children, "seconds": seconds, **extra}))
"""


def build_bert_base(path: Path) -> str:
    """Prefer the project's own builder; fall back to an equivalent graph made here."""
    cli = [sys.executable, "-m", "studio", "demo-model", "--arch", "bert-base", "--random", "-o", str(path)]
    r = subprocess.run(cli, cwd=ROOT, capture_output=True, text=True)
    if r.returncode == 0 and path.exists():
        return "engine-studio demo-model --arch bert-base --random"
    _build_here(path)
    return "benchmarks/bench_open_memory.py builder (demo-model --arch bert-base not available)"


def _build_here(path: Path, layers=12, hidden=768, heads=12, inter=3072, vocab=30522, max_pos=512) -> None:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    dh = hidden // heads
    inits, nodes = [], []

    def w(name, *shape):
        inits.append(numpy_helper.from_array(rng.standard_normal(shape, dtype=np.float32) * 0.02, name))
        return name

    def c(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def n(op, ins, out, **attrs):
        nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out

    c("split_heads", np.array([0, 0, heads, dh], np.int64))
    c("merge_heads", np.array([0, 0, hidden], np.int64))
    c("scale", np.array(1.0 / np.sqrt(dh), np.float32))
    c("one", np.array(1.0, np.float32))
    c("neg", np.array(-10000.0, np.float32))
    c("axes12", np.array([1, 2], np.int64))
    c("zero", np.array([0], np.int64))
    c("one_i", np.array([1], np.int64))
    x = n("Gather", [w("word_embeddings", vocab, hidden), "input_ids"], "word")
    seq = n("Shape", ["input_ids"], "ids_shape", start=1, end=2)
    pos = n("Slice", [w("position_embeddings", max_pos, hidden), "zero", seq], "pos")
    x = n("Add", [x, pos], "emb_pos")
    typ = n("Gather", [w("token_type_embeddings", 2, hidden), "zero"], "typ")
    x = n("Add", [x, typ], "emb_sum")
    x = n("LayerNormalization", [x, w("emb_ln_g", hidden), w("emb_ln_b", hidden)], "emb", axis=-1)
    m = n("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    m = n("Unsqueeze", [m, "axes12"], "mask_4d")
    m = n("Sub", ["one", m], "mask_inv")
    bias = n("Mul", [m, "neg"], "mask_bias")
    for i in range(layers):
        p = f"layer{i}."
        proj = {}
        for part in ("q", "k", "v"):
            t = n("MatMul", [x, w(p + part + "_w", hidden, hidden)], p + part + "_mm")
            t = n("Add", [t, w(p + part + "_b", hidden)], p + part)
            proj[part] = n("Reshape", [t, "split_heads"], p + part + "_heads")
        q = n("Transpose", [proj["q"]], p + "q_t", perm=[0, 2, 1, 3])
        k = n("Transpose", [proj["k"]], p + "k_t", perm=[0, 2, 3, 1])
        v = n("Transpose", [proj["v"]], p + "v_t", perm=[0, 2, 1, 3])
        s = n("MatMul", [q, k], p + "scores")
        s = n("Mul", [s, "scale"], p + "scaled")
        s = n("Add", [s, bias], p + "masked")
        s = n("Softmax", [s], p + "probs", axis=-1)
        a = n("MatMul", [s, v], p + "context")
        a = n("Transpose", [a], p + "context_t", perm=[0, 2, 1, 3])
        a = n("Reshape", [a, "merge_heads"], p + "context_m")
        a = n("MatMul", [a, w(p + "o_w", hidden, hidden)], p + "o_mm")
        a = n("Add", [a, w(p + "o_b", hidden)], p + "o")
        a = n("Add", [a, x], p + "res1")
        x = n("LayerNormalization", [a, w(p + "ln1_g", hidden), w(p + "ln1_b", hidden)], p + "ln1", axis=-1)
        f = n("MatMul", [x, w(p + "ff1_w", hidden, inter)], p + "ff1_mm")
        f = n("Add", [f, w(p + "ff1_b", inter)], p + "ff1")
        f = n("Gelu", [f], p + "gelu")
        f = n("MatMul", [f, w(p + "ff2_w", inter, hidden)], p + "ff2_mm")
        f = n("Add", [f, w(p + "ff2_b", hidden)], p + "ff2")
        f = n("Add", [f, x], p + "res2")
        x = n("LayerNormalization", [f, w(p + "ln2_g", hidden), w(p + "ln2_b", hidden)], p + "ln2", axis=-1)
    n("Identity", [x], "last_hidden_state")
    graph = helper.make_graph(
        nodes, "bert_base_random",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", hidden])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)],
                              producer_name="bench_open_memory")
    model.ir_version = 9
    from studio.core.io import atomic_path
    with atomic_path(path) as tmp:
        onnx.save(model, tmp)


def measure(mode: str, path: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", CHILD, mode, str(path)], cwd=ROOT, env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"child ({mode}) failed:\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, help="measure this ONNX instead of the BERT-base one")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached BERT-base model")
    ap.add_argument("--repeat", type=int, default=3, help="runs per mode; the median is reported")
    args = ap.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    path = args.model or MODEL
    source = str(path)
    if args.model is None and (args.rebuild or not path.exists()):
        t = time.perf_counter()
        source = build_bert_base(path)
        print(f"built {path} in {time.perf_counter() - t:.0f} s with {source}")
    size = path.stat().st_size
    print(f"model {path}: {size / 1e6:.1f} MB")
    results = {"model": str(path), "model_source": source, "file_size": size, "modes": {}}
    for mode in ("open_graph", "with_weights", "onnx.load"):
        runs = [measure(mode, path) for _ in range(args.repeat)]
        runs.sort(key=lambda r: r["peak_rss"])
        med = runs[len(runs) // 2]
        med["peak_over_file"] = med["peak_rss"] / size
        med["growth_over_file"] = (med["peak_rss"] - med["baseline_rss"]) / size
        results["modes"][mode] = med
        print(f"{mode:13s} peak RSS {med['peak_rss'] / 1e6:7.1f} MB = {med['peak_over_file']:.2f}x file; "
              f"growth over baseline ({med['baseline_rss'] / 1e6:.0f} MB) "
              f"{(med['peak_rss'] - med['baseline_rss']) / 1e6:7.1f} MB = {med['growth_over_file']:.3f}x file; "
              f"{med['seconds']:.2f} s"
              + (f"; helper child peak {med['child_peak_rss'] / 1e6:.0f} MB" if med.get("child_peak_rss") else ""))
    og = results["modes"]["open_graph"]
    results["limit"] = 1.5
    results["passes"] = og["peak_over_file"] <= 1.5
    print(f"open_graph + summary: peak {og['peak_over_file']:.2f}x the file size "
          f"({'within' if results['passes'] else 'OVER'} the 1.5x limit); "
          f"{og.get('parameters', 0):,} parameters, {og.get('gflops', 0):.1f} GFLOPs at batch 1, seq 128")
    from studio.core.io import write_json_atomic
    write_json_atomic(CACHE / "open_memory.json", results)
    return 0 if results["passes"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
