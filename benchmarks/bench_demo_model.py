"""Demo model figures: how long the builder takes, how big the models are, whether TensorRT-RTX
builds them (FP32, dynamic batch and sequence) and what ONNX Runtime's transformer optimizer fuses.

    .venv/bin/python benchmarks/bench_demo_model.py [--skip-bert-base]

Writes .cache/benchmarks/demo_model.json. Times are wall-clock seconds of one run each on this
machine; other work running at the same time makes them noisy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / ".cache" / "benchmarks"


def trt_build(path: Path) -> dict:
    import tensorrt_rtx as trt

    logger = trt.Logger(trt.Logger.ERROR)
    t0 = time.perf_counter()
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(path)):
        return {"ok": False, "errors": [parser.get_error(i).desc() for i in range(parser.num_errors)]}
    parse_s = time.perf_counter() - t0
    config = builder.create_builder_config()
    profile = builder.create_optimization_profile()
    for name in ("input_ids", "attention_mask"):
        profile.set_shape(name, (1, 1), (8, 128), (32, 256))
    config.add_optimization_profile(profile)
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, 1 << 30)
    t1 = time.perf_counter()
    engine = builder.build_serialized_network(network, config)
    build_s = time.perf_counter() - t1
    return {"ok": engine is not None, "parse_s": round(parse_s, 2), "build_s": round(build_s, 2),
            "engine_bytes": engine.nbytes if engine is not None else 0, "network_layers": network.num_layers,
            "profile": {"min": [1, 1], "opt": [8, 128], "max": [32, 256]}}


def ort_fusions(path: Path, heads: int, hidden: int) -> dict:
    import logging

    from onnxruntime.transformers import optimizer

    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    opt = optimizer.optimize_model(str(path), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=0)
    stats = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
    return {"seconds": round(time.perf_counter() - t0, 2), "fused": stats,
            "nodes_after": len(opt.model.graph.node)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-bert-base", action="store_true")
    args = ap.parse_args()

    import onnx

    from studio.core.demo.build import write_intent_model, write_random_model

    CACHE.mkdir(parents=True, exist_ok=True)
    results = {}
    jobs = [("intent_minilm", lambda p: write_intent_model(p), 12, 384)]
    if not args.skip_bert_base:
        jobs.append(("bert_base_random", lambda p: write_random_model(p, "bert-base", seed=0), 12, 768))
    for name, write, heads, hidden in jobs:
        path = CACHE / "demo_model" / f"{name}.onnx"
        t0 = time.perf_counter()
        info = write(path)
        write_s = time.perf_counter() - t0
        nodes = len(onnx.load(str(path), load_external_data=False).graph.node)
        r = {"write_s": round(write_s, 2), "bytes": info.bytes, "onnx_nodes": nodes, "sha256": info.sha256,
             "tensorrt_rtx_fp32": trt_build(path), "ort_transformer_optimizer": ort_fusions(path, heads, hidden)}
        results[name] = r
        trt_r = r["tensorrt_rtx_fp32"]
        print(f"{name}: {info.bytes / 1e6:.1f} MB, {nodes} ONNX nodes, written in {write_s:.2f} s")
        print(f"  TensorRT-RTX FP32: {'ok' if trt_r['ok'] else 'FAILED'}, parse {trt_r.get('parse_s')} s, "
              f"build {trt_r.get('build_s')} s, engine {trt_r.get('engine_bytes', 0) / 1e6:.1f} MB")
        o = r["ort_transformer_optimizer"]
        print(f"  ORT transformer optimizer ({o['seconds']} s): {o['fused']}, {o['nodes_after']} nodes after")
    out = CACHE / "demo_model.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
