"""What maintained rewriters fuse against the studio's ONNX Runtime build, per corpus transformer, in one run.

For each model of the corpus (tests/data/corpus/, kind "transformer"; with --realistic those of
.cache/corpus-realistic/, made by `tests/corpus/make_corpus.py --size realistic`, missing ones
skipped), each approach below writes a model, and for each the run records the node count, the
fused op types (attention: Attention / MultiHeadAttention / GroupQueryAttention; LayerNormalization
/ SkipLayerNormalization / EmbedLayerNormalization; the Gelu family: Gelu, FastGelu, BiasGelu,
QuickGelu; RotaryEmbedding), the seconds it took, and the largest absolute difference of its outputs
from the source's on one real batch (the demo's validation texts, tokenized by the model's own
tokenizer.json, padded to the batch's longest; only the inputs the model declares), both run by ORT
on the CPU (the source with graph optimizations off):

- onnxscript: onnxscript's ORT fusions, `onnxscript.rewriter.ort_fusions.optimize_for_ort` (constant
  folding and shape simplification by `onnxscript.optimizer.optimize` and the ort_fusions
  shape_optimization rules, then the transformer fusions);
- studio: the studio's own ORT build at fp32, `engine-studio build MODEL --backend onnxruntime
  --precision fp32 -o OUT -q --json` in a child process (its sidecar gives the attention blocks
  found / fused); by default with `--option ort_speed_probe=false`, which only skips timing the
  build against its source (--speed-probe keeps it);
- os-norm+studio: onnxscript's normalization only (ShapeInferencePass, optimize, the
  shape_optimization rules, optimize: what optimize_for_ort runs before it fuses), then the studio
  build on that: does normalizing with the maintained rewriter change what the studio fuses?
- os-fuse+studio: optimize_for_ort, then the studio build on its output.
- os-fold+studio: onnxscript's constant folder alone (ShapeInferencePass, fold_constants with
  ONNX's node-level shape inference, unused nodes removed; the inferred shapes stay in the model),
  then the studio build on that: what folding adds before the studio's own passes, without the
  rewrite rules that break ORT's LayerNorm fusion on opset 14.

The demo builder's BERT runs first, beside the corpus, as the reference a change must not cost.

A model's failure in one approach is recorded (the error in the table) and the run goes on.
Writes .cache/benchmarks/rewriters.json (its "small" or "realistic" part; the models under
.cache/benchmarks/rewriters/, about 2.5 GB per realistic model) and prints a Markdown table.
onnxscript and onnx_ir come from this interpreter, else from the corpus venv (.cache/corpus-venv,
tests/corpus/requirements.txt pins them), appended to sys.path after this interpreter's packages.

    .venv/bin/python benchmarks/bench_rewriters.py [--realistic] [--only NAME ...] [--batch 16]
        [--approaches onnxscript studio os-norm+studio os-fuse+studio os-fold+studio] [--speed-probe]
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import onnx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

from studio.core.io import write_json_atomic  # noqa: E402

CORPUS = ROOT / "tests/data/corpus"
REALISTIC = ROOT / ".cache/corpus-realistic"
VAL = ROOT / "resources/demo/intents_validation.csv"
WORK = ROOT / ".cache/benchmarks/rewriters"
CORPUS_VENV_SITE = ROOT / ".cache/corpus-venv/lib/python{}.{}/site-packages".format(*sys.version_info[:2])
APPROACHES = ("onnxscript", "studio", "os-norm+studio", "os-fuse+studio", "os-fold+studio")
DEMO = ROOT / "resources/demo/generated/intent-minilm.onnx"

ATTENTION_OPS = {"Attention", "MultiHeadAttention", "GroupQueryAttention", "PackedAttention",
                 "PackedMultiHeadAttention", "DecoderMaskedMultiHeadAttention"}
LN_OPS = {"LayerNormalization", "SimplifiedLayerNormalization"}
SKIP_LN_OPS = {"SkipLayerNormalization", "SkipSimplifiedLayerNormalization"}
GELU_OPS = {"Gelu", "FastGelu", "BiasGelu", "QuickGelu"}


def onnxscript_modules():
    """(onnxscript, onnx_ir, where they came from)."""
    try:
        import onnx_ir
        import onnxscript
    except ImportError:
        if not CORPUS_VENV_SITE.is_dir():
            raise SystemExit("onnxscript is not installed here nor in .cache/corpus-venv: "
                             "`.venv/bin/pip install onnxscript` (tests/corpus/requirements.txt pins it)")
        sys.path.append(str(CORPUS_VENV_SITE))  # last: every package this interpreter has wins
        import onnx_ir
        import onnxscript
    import onnxscript.optimizer  # noqa: F401
    import onnxscript.rewriter.ort_fusions  # noqa: F401
    import onnxscript.rewriter.ort_fusions.shape_optimization  # noqa: F401

    return onnxscript, onnx_ir, str(Path(onnxscript.__file__).parent)


def models(realistic: bool, only: list[str] | None) -> list[tuple[dict, Path, Path]]:
    """(manifest entry, model, tokenizer) for each transformer of the chosen corpus."""
    base = REALISTIC if realistic else CORPUS
    manifest = base / "manifest.json"
    if not manifest.exists():
        raise SystemExit(f"no corpus manifest at {manifest}"
                         + (": make it with `.cache/corpus-venv/bin/python tests/corpus/make_corpus.py "
                            "--size realistic` (tests/corpus/README.md)" if realistic else ""))
    found = [({"name": "demo", "exporter": "studio", "attention": "eager", "opset": None}, DEMO,
              DEMO.with_name("tokenizer.json"))] if DEMO.exists() and (not only or "demo" in only) else []
    for m in json.loads(manifest.read_text())["models"]:
        if m["kind"] != "transformer" or (only and m["name"] not in only):
            continue
        if not (base / m["path"]).exists():
            print(f"{m['name']}: {base / m['path']} missing, skipped", flush=True)
            continue
        found.append((m, base / m["path"], base / m["tokenizer"]))
    return found


def histogram(path: Path) -> dict[str, int]:
    """Op types of a model file, subgraphs included; ops of other domains as DOMAIN:OP."""
    model = onnx.load(str(path), load_external_data=False)
    hist: collections.Counter = collections.Counter()

    def walk(graph):
        for n in graph.node:
            hist[n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}:{n.op_type}"] += 1
            for a in n.attribute:
                for g in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                    walk(g)

    walk(model.graph)
    return dict(sorted(hist.items()))


def fused(hist: dict[str, int]) -> dict[str, int]:
    by_op: collections.Counter = collections.Counter()
    for key, n in hist.items():
        by_op[key.rsplit(":", 1)[-1]] += n
    return {"nodes": sum(hist.values()),
            "attention": sum(by_op[o] for o in ATTENTION_OPS),
            "layer_norm": sum(by_op[o] for o in LN_OPS),
            "skip_layer_norm": sum(by_op[o] for o in SKIP_LN_OPS),
            "embed_layer_norm": by_op["EmbedLayerNormalization"],
            "gelu": sum(by_op[o] for o in GELU_OPS),
            "rotary": by_op["RotaryEmbedding"],
            "softmax": by_op["Softmax"]}


def read_texts(n: int) -> list[str]:
    import csv

    with open(VAL, newline="", encoding="utf-8") as f:
        return [row["text"] for row in csv.DictReader(f)][:n]


def encode(tokenizer: Path, texts: list[str]) -> dict[str, np.ndarray]:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer))
    if tok.padding is None:  # the corpus's tokenizers pad to the batch's longest; others: do so
        pad = next((t for t in ("[PAD]", "<pad>") if tok.token_to_id(t) is not None), None)
        tok.enable_padding(pad_id=tok.token_to_id(pad) if pad else 0, pad_token=pad or "[PAD]")
    if tok.truncation is None:
        tok.enable_truncation(128)
    enc = tok.encode_batch(texts)
    return {"input_ids": np.array([e.ids for e in enc], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64)}


_NP = {"tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(float)": np.float32,
       "tensor(float16)": np.float16}


def run_ort(path: Path, batch: dict[str, np.ndarray], optimize: bool) -> dict[str, np.ndarray]:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    if not optimize:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    feeds = {}
    for i in sess.get_inputs():
        if i.name not in batch:
            raise ValueError(f"the model wants input {i.name!r}, which the tokenizer does not give")
        feeds[i.name] = batch[i.name].astype(_NP.get(i.type, np.int64))
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def max_diff(ref: dict[str, np.ndarray], out: dict[str, np.ndarray]) -> float:
    """Largest |difference| over the outputs, matched by name (by position where names differ)."""
    pairs = [(ref[k], out[k]) for k in ref if k in out]
    if len(pairs) != len(ref):
        pairs = list(zip(ref.values(), out.values()))
    worst = 0.0
    for a, b in pairs:
        if a.shape != b.shape:
            raise ValueError(f"output shape {b.shape} where the source gives {a.shape}")
        worst = max(worst, float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)), initial=0.0)))
    return worst


def onnxscript_pass(src: Path, dst: Path, mode: str) -> dict:
    """onnxscript on SRC, written to DST: optimize_for_ort ("fuse"), its normalization only
    ("norm"), or its constant folder only ("fold")."""
    _, ir, _ = onnxscript_modules()
    import onnx_ir.passes.common as common_passes
    from onnxscript.optimizer import fold_constants_ir, optimize
    from onnxscript.rewriter.ort_fusions import optimize_for_ort, shape_optimization

    t0 = time.perf_counter()
    model = ir.load(str(src))
    external = any(isinstance(v.const_value, ir.ExternalTensor) for v in model.graph.initializers.values())
    loaded = time.perf_counter()
    counts: dict[str, int] = {}
    if mode == "fuse":
        model, counts = optimize_for_ort(model)
    elif mode == "fold":
        common_passes.ShapeInferencePass()(model)
        fold_constants_ir(model, onnx_shape_inference=True)
        common_passes.RemoveUnusedNodesPass()(model)
    else:   # what optimize_for_ort runs before its fusions (ort_fusions/_core.py: _pre_optimize)
        common_passes.ShapeInferencePass()(model)
        optimize(model)
        counts["shape_optimization"] = shape_optimization.rules.apply_to_model(model)
        optimize(model)
    seconds = time.perf_counter() - loaded
    dst.parent.mkdir(parents=True, exist_ok=True)
    ir.save(model, str(dst), external_data=dst.name + ".data" if external else None)
    return {"seconds": seconds, "load_seconds": loaded - t0, "save_seconds": time.perf_counter() - loaded - seconds,
            "fusion_count": {k: v for k, v in counts.items() if v}}


def studio_build(src: Path, out: Path, speed_probe: bool) -> dict:
    exe = ROOT / ".venv/bin/engine-studio"
    argv = [str(exe) if exe.exists() else "engine-studio", "build", str(src), "--backend", "onnxruntime",
            "--precision", "fp32", "-o", str(out), "-q", "--json"]
    if not speed_probe:
        argv += ["--option", "ort_speed_probe=false"]
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()
        raise RuntimeError(f"engine-studio build exited {proc.returncode}: {tail[-1] if tail else ''}")
    result = json.loads(proc.stdout)
    details = json.loads(Path(result["sidecar"]).read_text())["backend_details"]
    return {"seconds": result["build_seconds"], "wall_seconds": wall, "command": argv,
            "attention_blocks": details.get("attention_blocks"),
            "transformer_fusions": details.get("transformer_fusions"),
            "graph_rewrites": [{k: r.get(k) for k in ("name", "applied", "reason") if k in r}
                               for r in details.get("graph_rewrites", [])],
            "warnings": result.get("warnings", [])}


def measure(entry: dict, model: Path, tokenizer: Path, args) -> dict:
    name = entry["name"]
    work = WORK / ("realistic" if args.realistic else "small") / name
    work.mkdir(parents=True, exist_ok=True)
    src_hist = histogram(model)
    out: dict = {"exporter": entry.get("exporter"), "attention_kind": entry.get("attention"),
                 "opset": entry.get("opset"), "source": str(model.relative_to(ROOT)),
                 "before": fused(src_hist), "op_types_before": src_hist, "approaches": {}}
    batch = encode(tokenizer, read_texts(args.batch))
    out["batch_shape"] = list(batch["input_ids"].shape)
    try:
        ref = run_ort(model, batch, optimize=False)
        out["source_max_abs_output"] = max(float(np.max(np.abs(v.astype(np.float64)), initial=0.0)) for v in ref.values())
    except Exception as e:
        ref = None
        out["source_error"] = f"{type(e).__name__}: {str(e)[:300]}"
    steps = {
        "onnxscript": [("os", lambda: onnxscript_pass(model, work / "onnxscript.onnx", "fuse"))],
        "studio": [("studio", lambda: studio_build(model, work / "studio.fp32.onnx", args.speed_probe))],
        "os-norm+studio": [("os", lambda: onnxscript_pass(model, work / "os-norm.onnx", "norm")),
                           ("studio", lambda: studio_build(work / "os-norm.onnx", work / "os-norm.studio.fp32.onnx",
                                                           args.speed_probe))],
        "os-fold+studio": [("os", lambda: onnxscript_pass(model, work / "os-fold.onnx", "fold")),
                           ("studio", lambda: studio_build(work / "os-fold.onnx", work / "os-fold.studio.fp32.onnx",
                                                           args.speed_probe))],
        "os-fuse+studio": [("os", lambda: fused_source()),
                           ("studio", lambda: studio_build(work / "os-fuse.onnx", work / "os-fuse.studio.fp32.onnx",
                                                           args.speed_probe))],
    }

    def fused_source() -> dict:
        """optimize_for_ort's output for os-fuse+studio: the onnxscript approach's, where it ran."""
        done = out["approaches"].get("onnxscript", {})
        if "os" in done and "error" not in done:
            shutil.copyfile(work / "onnxscript.onnx", work / "os-fuse.onnx")  # its external data, if any, stays shared
            return {**done["os"], "reused": "the onnxscript approach's model"}
        return onnxscript_pass(model, work / "os-fuse.onnx", "fuse")

    final = {"onnxscript": "onnxscript.onnx", "studio": "studio.fp32.onnx",
             "os-norm+studio": "os-norm.studio.fp32.onnx", "os-fuse+studio": "os-fuse.studio.fp32.onnx",
             "os-fold+studio": "os-fold.studio.fp32.onnx"}
    for approach in args.approaches:
        r: dict = {"seconds": 0.0}
        out["approaches"][approach] = r
        try:
            for label, step in steps[approach]:
                res = step()
                r[label] = res
                r["seconds"] += res["seconds"]
            path = work / final[approach]
            hist = histogram(path)
            r.update(after=fused(hist), op_types_after=hist, output=str(path.relative_to(ROOT)))
        except Exception as e:
            r["error"] = f"{type(e).__name__}: {str(e)[:300]}"
            continue
        if ref is None:
            r["run_error"] = "source does not run"
            continue
        try:
            r["max_abs_diff"] = max_diff(ref, run_ort(path, batch, optimize=True))
        except Exception as e:
            r["run_error"] = f"{type(e).__name__}: {str(e)[:300]}"
    return out


def row(name: str, r: dict, approach: str) -> str:
    b = r["before"]
    head = f"| {name} | {r['exporter']}/{r['attention_kind']} | {b['nodes']} | {approach} |"
    a = r["approaches"][approach]
    if "error" in a:
        return head + f" error: {a['error'][:160].replace('|', '/')} | | | | | {a['seconds']:.1f} |"
    f = a["after"]
    attention = f"{f['attention']}/{b['softmax']}"
    blocks = (a.get("studio") or {}).get("attention_blocks")
    if blocks:
        attention += f" (blocks {blocks['fused']}/{blocks['found']}{' by ' + blocks['by'] if blocks.get('by') else ''})"
    ln = f"{f['layer_norm']}/{f['skip_layer_norm']}" + (f" +{f['embed_layer_norm']} emb" if f["embed_layer_norm"] else "")
    diff = f"{a['max_abs_diff']:.2e}" if "max_abs_diff" in a else "run error: " + a.get("run_error", "")[:120].replace("|", "/")
    return head + f" {f['nodes']} | {attention} | {ln} | {f['gelu']} | {diff} | {a['seconds']:.1f} |"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--realistic", action="store_true", help="the realistic corpus (.cache/corpus-realistic/)")
    ap.add_argument("--only", nargs="*", help="corpus model names")
    ap.add_argument("--batch", type=int, default=16, help="validation texts in the comparison batch")
    ap.add_argument("--approaches", nargs="*", default=list(APPROACHES), choices=APPROACHES)
    ap.add_argument("--speed-probe", action="store_true", help="let the studio build time itself against the source")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    onnxscript, onnx_ir, where = onnxscript_modules()
    results = {}
    t0 = time.perf_counter()
    for entry, model, tok in models(args.realistic, args.only):
        t = time.perf_counter()
        results[entry["name"]] = r = measure(entry, model, tok, args)
        print(f"{entry['name']}: " + ", ".join(
            f"{k} {'error' if 'error' in a else str(a['after']['attention']) + ' attention'}"
            for k, a in r["approaches"].items()) + f" ({time.perf_counter() - t:.0f} s)", flush=True)
    rows = ["| model | exporter/attention | nodes before | approach | nodes after | attention fused / Softmax before "
            "| LayerNorm/SkipLayerNorm | Gelu family | max abs diff | seconds |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        rows += [row(name, r, a) for a in r["approaches"]]
    print("\n".join(rows))
    corpus = "realistic" if args.realistic else "small"
    run = {"batch": args.batch,
              "texts": str(VAL.relative_to(ROOT)), "speed_probe": args.speed_probe,
              "onnxscript": {"version": onnxscript.__version__, "onnx_ir": onnx_ir.__version__, "from": where,
                             "entry_points": ["onnxscript.rewriter.ort_fusions.optimize_for_ort",
                                              "onnxscript.optimizer.optimize",
                                              "onnxscript.optimizer.fold_constants_ir",
                                              "onnxscript.rewriter.ort_fusions.shape_optimization.rules",
                                              "onnx_ir.passes.common.ShapeInferencePass"]},
              "seconds": time.perf_counter() - t0, "models": results, "table": rows}
    path = ROOT / ".cache/benchmarks/rewriters.json"
    try:   # one file for both corpora: a run replaces its corpus's part
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        report = {}
    report[corpus] = run
    write_json_atomic(path, report)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
