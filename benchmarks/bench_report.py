"""Report on the demo model, end to end through the CLI, and how long making the report takes.

    .venv/bin/python benchmarks/bench_report.py [--duration S]

Builds the demo intent model with TensorRT-RTX (FP32, FP16; CPU ahead-of-time builds, so their
layer reports give the fused-graph statistics), benchmarks FP32 and INT8 ONNX Runtime builds on
the intent validation texts at 1 and 2 clients, checks INT8 accuracy against FP32 with the
intent labels, then writes the report as HTML, JSON and PDF, timing each step. Prints the
figures and writes .cache/benchmarks/report.json (and the three reports beside it)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / ".cache" / "benchmarks"
WORK = OUT / "report-demo"


def cli(*args: str) -> float:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "studio.cli.main", *args], cwd=WORK, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed: engine-studio {' '.join(args)}\n{p.stderr[-3000:]}")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=3.0, help="measured seconds per benchmark configuration")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from studio.core.demo.paths import ensure_demo_model

    model = ensure_demo_model()
    WORK.mkdir(parents=True, exist_ok=True)
    val = ROOT / "resources" / "demo" / "intents_validation.csv"
    calib = ROOT / "resources" / "demo" / "intents_calibration.csv"
    shapes = ["--shapes", "input_ids:1x8,8x64,32x128", "--shapes", "attention_mask:1x8,8x64,32x128"]
    t = {}
    for prec in ("fp32", "fp16"):
        t[f"trt_build_{prec}_s"] = cli("build", str(model), "--backend", "tensorrt", "--precision", prec,
                                       *shapes, "-o", f"demo-{prec}.engine", "-q")
    bench = ["--data", str(val), "--duration", str(a.duration), "--warmup", "0.5", "--concurrency", "1,2",
             "--threads", "1", "-q"]
    t["bench_fp32_s"] = cli("bench", str(model), "--backend", "onnxruntime", "--precision", "fp32", *bench,
                            "-o", "bench-fp32.json")
    t["bench_int8_s"] = cli("bench", str(model), "--backend", "onnxruntime", "--precision", "int8",
                            "--calib", str(calib), *bench, "-o", "bench-int8.json")
    int8 = json.loads((WORK / "bench-int8.json").read_text())["artifact"]
    t["accuracy_s"] = cli("accuracy", int8, "--data", str(val), "--label-column", "intent",
                          "--labels", str(model.with_name("labels.txt")), "-o", "accuracy.json")
    fp32_art = json.loads((WORK / "bench-fp32.json").read_text())["artifact"]
    inputs = ["demo-fp32.engine", "demo-fp16.engine", fp32_art, int8, "bench-fp32.json", "bench-int8.json",
              "accuracy.json", str(model)]
    sizes = {}
    for ext in ("json", "html", "pdf"):
        t[f"report_{ext}_s"] = cli("report", *inputs, "-o", f"report.{ext}", "--title", "Intent model: demo report")
        sizes[f"report_{ext}_bytes"] = (WORK / f"report.{ext}").stat().st_size

    # In-process: assembly and rendering alone, without interpreter start-up.
    from studio.core.reports.html import render_html
    from studio.core.reports.inputs import assemble_report
    paths = [str(WORK / p) if not Path(p).is_absolute() else p for p in inputs]
    t0 = time.perf_counter()
    rep = assemble_report(paths, title="Intent model: demo report")
    t["assemble_in_process_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    render_html(rep)
    t["render_html_in_process_s"] = time.perf_counter() - t0

    figures = {
        "builds": [{"label": b.label, "layers_before": b.layers_before, "layers_after": b.layers_after,
                    "top_patterns": [(p.pattern, p.count) for p in b.fusion_patterns[:3]],
                    "precision_per_layer": b.precision_per_layer} for b in rep.builds],
        "benchmarks": [{"label": b.label, "req_per_s": b.throughput, "p50_ms": b.latency_ms.get("p50"),
                        "p99_ms": b.latency_ms.get("p99")} for b in rep.benchmarks],
        "speedup": rep.speedup.to_dict() if rep.speedup else None,
        "accuracy": [a.to_dict() for a in rep.accuracy],
    }
    result = {"timings": {k: round(v, 3) for k, v in t.items()}, "sizes": sizes, "figures": figures,
              "note": "2-core machine shared with other engineers' runs: timings are noisy"}
    (OUT / "report.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    for k, v in result["timings"].items():
        print(f"{k:28s} {v:8.3f}")
    for k, v in sizes.items():
        print(f"{k:28s} {v:8d}")
    for b in figures["builds"]:
        print(f"build {b['label']}: {b['layers_before']} ONNX nodes -> {b['layers_after']} layers; "
              f"top {b['top_patterns']}; {b['precision_per_layer']}")
    for b in figures["benchmarks"]:
        print(f"bench {b['label']}: {b['req_per_s']:.1f} req/s, P50 {b['p50_ms']:.2f} ms, P99 {b['p99_ms']:.2f} ms")
    if rep.speedup:
        s = rep.speedup
        print(f"speedup {s.throughput_ratio:.2f}x ({s.baseline} -> {s.best}); P99 saved {s.p99_saved_ms:.2f} ms; "
              f"${s.baseline_cost_per_million:.3f} -> ${s.best_cost_per_million:.3f} per million requests")
    for acc in rep.accuracy:
        print(f"accuracy {acc.label}: top-1 agreement {acc.top1_agreement}, intent accuracy {acc.accuracy} "
              f"vs {acc.reference_accuracy}, flags {acc.flags}")
    print(f"wrote {OUT / 'report.json'} and {WORK}/report.{{html,json,pdf}}")


if __name__ == "__main__":
    main()
