"""The precision workbench, measured in one run on the demo model and torch-exported encoders of
the model corpus (tests/corpus, `--size realistic` into .cache/corpus-realistic):

  - engine sizes: TensorRT FP16 and TensorRT INT8 (the default Q/DQ recipe: the rest in FP16),
    built by the TensorRT-RTX builder on this machine;
  - the INT8 engine's predicted figures (`engine-studio accuracy` on the engine: its typed ONNX
    run on the CPU);
  - the precision search under a budget of --budget points: what it kept, the drop, the share of
    GEMM FLOPs left in INT8, and its time split into the sensitivity scan and the search.

Models without labels (random-weight corpus encoders) are judged by top-1 agreement with FP32,
or by cosine similarity for an embedding model. The demo is judged by intent accuracy on 256
labelled texts: the 182 validation texts and the first 74 training texts.

    .venv/bin/python benchmarks/bench_precision.py [--models demo minilm_2in_pooled distilbert_ts17]
        [--budget 0.5] [--no-build]   (also: demo_tight, agreement within 1 point)

Writes .cache/benchmarks/precision.json."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio.core.backends.base import BuildConfig, CalibrationSpec  # noqa: E402
from studio.core.bench.accuracy import check_build  # noqa: E402
from studio.core.io import write_json_atomic  # noqa: E402
from studio.core.precision_search.search import PrecisionSearch, SearchRequest  # noqa: E402
from studio.core.session import Session  # noqa: E402

DEMO = ROOT / "resources" / "demo"
REALISTIC = ROOT / ".cache" / "corpus-realistic"
OUT = ROOT / ".cache" / "benchmarks"
CALIB = DEMO / "intents_calibration.csv"


def demo_data(folder: Path) -> Path:
    """256 labelled texts: the validation set and the first training texts."""
    out = folder / "demo-256.csv"
    with open(DEMO / "intents_validation.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(DEMO / "intents_train.csv", newline="", encoding="utf-8") as f:
        rows += list(csv.DictReader(f))[:256 - len(rows)]
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["text", "intent"])
        w.writeheader()
        w.writerows({"text": r["text"], "intent": r["intent"]} for r in rows)
    return out


def cases(folder: Path) -> dict[str, dict]:
    from studio.core.demo.paths import demo_model_path

    return {
        "demo": dict(model=demo_model_path(), data=demo_data(folder), label_column="intent", metric="accuracy"),
        # a budget the all-INT8 model misses, so that the search has to choose what to keep high
        "demo_tight": dict(model=demo_model_path(), data=demo_data(folder), label_column="intent",
                           metric="agreement", budget=1.0, build=False),
        "minilm_2in_pooled": dict(model=REALISTIC / "minilm_2in_pooled" / "model.onnx",
                                  data=DEMO / "intents_validation.csv", label_column=None, metric="cosine"),
        "distilbert_ts17": dict(model=REALISTIC / "distilbert_ts17" / "model.onnx",
                                data=DEMO / "intents_validation.csv", label_column=None, metric="agreement"),
    }


def build(session: Session, model: Path, precision: str, folder: Path) -> dict:
    calib = CalibrationSpec(str(CALIB), column="text", samples=128) if precision == "int8" else None
    out = folder / f"{model.parent.name}.{precision}.engine"
    t0 = time.perf_counter()
    entry = session.build(BuildConfig(model=str(model), backend="tensorrt", output=str(out), precision=precision,
                                      calibration=calib))
    return {"engine": str(out), "size_mb": round(entry.result.size_bytes / 1e6, 2),
            "build_s": round(time.perf_counter() - t0, 1)}


def predicted(engine: str, case: dict) -> dict:
    res = check_build(engine, str(case["data"]), label_column=case["label_column"], column="text", limit=256)
    first = res.outputs[0]
    return {"predicted": res.predicted, "accuracy": res.accuracy, "reference_accuracy": res.reference_accuracy,
            "top1_agreement": res.top1_agreement, "cosine_mean": first.cosine_mean}


def search(case: dict, budget: float) -> dict:
    req = SearchRequest(model=str(case["model"]), target="int8", data=str(case["data"]),
                        budget=case.get("budget", budget),
                        metric=case["metric"], column="text", label_column=case["label_column"], limit=256,
                        calibration=CalibrationSpec(str(CALIB), column="text", samples=128))
    t0 = time.perf_counter()
    with PrecisionSearch(req) as s:
        t_open = time.perf_counter()
        s.sensitivity()
        t_sens = time.perf_counter()
        res = s.search()
        t_end = time.perf_counter()
        rows = s.scorer.feed.n
    return {"rows": rows, "metric": res.metric, "reference": res.reference_score, "predicted": res.predicted_score,
            "reference_accuracy": res.reference_accuracy, "predicted_accuracy": res.predicted_accuracy,
            "budget": res.budget, "drop_points": res.drop_points, "kept": res.kept, "lowered_gemm_flops_share": res.lowered_gemm_flops_share,
            "quantizable_nodes": len(res.sensitivity), "candidates": res.candidates,
            "all_int8_drop_points": res.candidates[0]["drop_points"],
            "open_s": round(t_open - t0, 1), "sensitivity_s": round(t_sens - t_open, 1),
            "search_s": round(t_end - t0, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", default=["demo", "minilm_2in_pooled", "distilbert_ts17"])
    ap.add_argument("--budget", type=float, default=0.5)
    ap.add_argument("--no-build", action="store_true", help="skip the engine builds (sizes and predictions)")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-precision-") as tmp:
        folder = Path(tmp)
        all_cases = cases(folder)
        session = Session()
        for name in args.models:
            case = all_cases[name]
            if not Path(case["model"]).is_file():
                print(f"{name}: {case['model']} missing (tests/corpus/README.md: --size realistic)", file=sys.stderr)
                continue
            r = results[name] = {"metric": case["metric"]}
            if not args.no_build and case.get("build", True):
                r["fp16"] = build(session, Path(case["model"]), "fp16", folder)
                r["int8"] = build(session, Path(case["model"]), "int8", folder)
                r["int8"]["prediction"] = predicted(r["int8"]["engine"], case)
                print(f"{name}: FP16 engine {r['fp16']['size_mb']} MB, INT8 engine {r['int8']['size_mb']} MB; "
                      f"INT8 predicted {json.dumps(r['int8']['prediction'])}", flush=True)
            r["search"] = search(case, args.budget)
            s = r["search"]
            print(f"{name}: {s['metric']} FP32 {100 * s['reference']:.2f}%, all-INT8 drop {s['all_int8_drop_points']:.2f}"
                  f" points; search kept {len(s['kept'])}/{s['quantizable_nodes']}, drop {s['drop_points']:.2f} points, "
                  f"{100 * s['lowered_gemm_flops_share']:.1f}% GEMM FLOPs INT8; {s['rows']} rows: sensitivity "
                  f"{s['sensitivity_s']} s, search total {s['search_s']} s", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    write_json_atomic(OUT / "precision.json", results)
    print(f"wrote {OUT / 'precision.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
