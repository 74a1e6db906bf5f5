"""Layers before/after fusion for the demo model at fp32, fp16 and int8 (TensorRT-RTX, CPU build).

Each precision is built through the studio's own build job (the precision pass makes
the fp16 cast / int8 Q/DQ model, the TensorRT backend builds it and saves the `Layers:`
report), then read back with load_plan / fusion_map against the fp32 source model:

    .venv/bin/python benchmarks/bench_layers.py [--model M.onnx] [--precisions fp32,fp16,int8]

"before" = ONNX nodes in the model TensorRT parsed (the source model, and for fp16/int8 also the
prepared model with its casts / Q/DQ nodes); "after" = engine layers in the report. Prints a
table and writes .cache/benchmarks/layers.json."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "plugins"))

from studio.core.backends.base import BuildConfig, CalibrationSpec, ShapeProfile  # noqa: E402
from studio.core.backends.layer_reports import load_plan  # noqa: E402
from studio.core.backends.registry import get_backend  # noqa: E402
from studio.core.graph.fusion import fusion_map  # noqa: E402
from studio.core.graph.onnx_loader import open_graph  # noqa: E402
from studio.core.io import write_json_atomic  # noqa: E402
from studio.core.jobs.build_job import run_build  # noqa: E402

DEMO = ROOT / "resources" / "demo" / "generated" / "intent-minilm.onnx"
CALIB = ROOT / "resources" / "demo" / "intents_calibration.csv"


def measure(model: Path, precision: str, workdir: Path) -> dict:
    profiles = [ShapeProfile(name, (1, 8), (8, 64), (32, 128)) for name in ("input_ids", "attention_mask")]
    calib = None
    if precision in ("int8", "fp8"):
        calib = CalibrationSpec(path=str(CALIB), column="text", tokenizer=str(model.parent / "tokenizer.json"),
                                max_length=128, samples=128)
    config = BuildConfig(model=str(model), backend="tensorrt", output=str(workdir / f"demo.{precision}.engine"),
                         precision=precision, profiles=profiles, calibration=calib)
    t0 = time.perf_counter()
    result = run_build(config)
    wall = time.perf_counter() - t0
    plan = load_plan(result.output)                     # report + source model via the sidecar
    source = fusion_map(plan).stats()
    # The model TensorRT actually parsed (casts / Q/DQ added), made again by the same precision
    # pass, so the report can also be mapped against it.
    prepared_nodes, prepared_absorbed = None, None
    if precision != "fp32":
        from studio.core.progress import TaskState
        from studio.core.precision.prepare import prepare_precision

        prepared = prepare_precision(config, get_backend("tensorrt").precision_target(), workdir / f"prep-{precision}", TaskState())
        graph = open_graph(prepared.path, shape_inference=False)
        pstats = fusion_map(plan, graph).stats()
        prepared_nodes, prepared_absorbed = pstats.layers_before, pstats.absorbed
    return {
        "precision": precision,
        "onnx_nodes_source": source.layers_before,
        "onnx_nodes_prepared": prepared_nodes,
        "absorbed_prepared_nodes": prepared_absorbed,
        "engine_layers": source.layers_after,
        "ratio": source.ratio,
        "absorbed_source_nodes": source.absorbed,
        "unabsorbed_source_nodes": source.unabsorbed,
        "unabsorbed_kinds": source.unabsorbed_kinds,
        "layer_precision": source.precision,
        "layer_types": source.types,
        "top_patterns": dict(list(source.patterns.items())[:6]),
        "build_wall_seconds": round(wall, 2),
        "library": result.library,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(DEMO))
    ap.add_argument("--precisions", default="fp32,fp16,int8")
    ap.add_argument("--out", default=str(ROOT / ".cache" / "benchmarks" / "layers.json"))
    args = ap.parse_args(argv)
    model = Path(args.model)
    if not model.is_file():
        print(f"no model at {model}; run `make demo-model` first", file=sys.stderr)
        return 2
    rows, failures = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-layers-") as tmp:
        for precision in args.precisions.split(","):
            try:
                rows.append(measure(model, precision.strip(), Path(tmp)))
            except Exception as e:  # report the precision that failed, keep the others
                failures[precision] = f"{type(e).__name__}: {e}"
    print(f"model: {model}")
    print(f"{'precision':<10}{'ONNX nodes':>11}{'layers':>8}{'ratio':>7}{'absorbed':>10}{'unabsorbed':>11}"
          f"{'prepared (absorbed)':>21}  layer precision")
    for r in rows:
        prep = f"{r['onnx_nodes_prepared']} ({r['absorbed_prepared_nodes']})" if r["onnx_nodes_prepared"] else "-"
        print(f"{r['precision']:<10}{r['onnx_nodes_source']:>11}{r['engine_layers']:>8}{r['ratio']:>7}"
              f"{r['absorbed_source_nodes']:>10}{r['unabsorbed_source_nodes']:>11}{prep:>21}  {r['layer_precision']}")
    for r in rows:
        print(f"  {r['precision']} fusions: " + ", ".join(f"{k} x{v}" for k, v in r["top_patterns"].items()))
    for p, why in failures.items():
        print(f"{p}: FAILED {why}")
    write_json_atomic(args.out, {"model": str(model), "rows": rows, "failures": failures})
    print(f"wrote {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
