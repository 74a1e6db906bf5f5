"""How long a model takes from file to a drawn graph in the window's canvas (offscreen):
open_graph_isolated (a child process, as the window opens files) -> view model -> layered layout -> scene items -> first paint, plus a paint of the
whole graph zoomed out (the worst case for pan/zoom) and one zoomed in.

Models (random weights, real topology from studio.core.demo's BERT builder):
  bert-base      12 layers, hidden 768 (BERT-base dims, ~440 MB file)
  bert-1.1k      enough layers for ~1.1k nodes (the size of a torch-exported BERT-base)
  bert-10k       enough layers for ~10k nodes
Targets: ~1.1k nodes <= 1 s, 10k nodes <= 5 s.

    .venv/bin/python benchmarks/bench_graph_view.py [--skip-base]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / ".cache" / "benchmarks"


def make_model(name: str, layers: int, hidden: int, heads: int, inter: int) -> Path:
    import onnx

    from studio.core.demo.bert_onnx import build_bert_onnx
    from studio.core.demo.weights import BertConfig, random_head, random_weights
    path = CACHE / "models" / f"{name}.onnx"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    cfg = BertConfig(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                     intermediate_size=inter, vocab_size=30522 if hidden >= 256 else 1000)
    model = build_bert_onnx(cfg, random_weights(cfg), random_head(hidden, 15))
    tmp = path.with_suffix(".tmp")
    onnx.save(model, str(tmp))
    os.replace(tmp, path)
    return path


def measure(path: Path, app) -> dict:
    from studio.core.graph.isolated import open_graph_isolated  # as the window opens files
    from studio.ui.graph_view import GraphCanvas, compute_layout
    from studio.ui.view_model import from_onnx_graph

    canvas = GraphCanvas()
    canvas.resize(1200, 800)
    canvas.show()
    app.processEvents()
    t0 = time.perf_counter()
    g = open_graph_isolated(str(path))
    t1 = time.perf_counter()
    view = from_onnx_graph(g, str(path))
    t2 = time.perf_counter()
    lay = compute_layout(view)
    t3 = time.perf_counter()
    canvas.graph = view
    canvas._token += 1
    canvas._on_layout(canvas._token, lay)
    t4 = time.perf_counter()
    canvas.viewport().grab()          # the first frame, as the user sees it
    t5 = time.perf_counter()
    canvas.fitInView(canvas.scene().sceneRect())
    t6 = time.perf_counter()
    canvas.viewport().grab()          # everything at once, zoomed out
    t7 = time.perf_counter()
    canvas.resetTransform()
    canvas.centerOn(float(lay.x[len(lay.x) // 2]), float(lay.y[len(lay.y) // 2]))
    t8 = time.perf_counter()
    canvas.viewport().grab()          # zoomed in with labels
    t9 = time.perf_counter()
    out = {
        "model": path.name, "file_mb": round(path.stat().st_size / 1e6, 1), "nodes": len(g.nodes),
        "view_nodes": len(view.nodes), "edges": len(view.edges), "layers": int(lay.layer.max()) + 1,
        "open_s": round(t1 - t0, 3), "view_model_s": round(t2 - t1, 3), "layout_s": round(t3 - t2, 3),
        "scene_s": round(t4 - t3, 3), "first_paint_s": round(t5 - t4, 3),
        "total_to_first_paint_s": round(t5 - t0, 3),
        "paint_zoomed_out_ms": round((t7 - t6) * 1e3, 1), "paint_zoomed_in_ms": round((t9 - t8) * 1e3, 1),
    }
    canvas.close()
    canvas.deleteLater()
    app.processEvents()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-base", action="store_true", help="skip the 440 MB BERT-base-dims model")
    args = ap.parse_args()
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    specs = [("bert-1.1k", 31, 64, 4, 128), ("bert-10k", 290, 64, 4, 128)]
    if not args.skip_base:
        specs.insert(0, ("bert-base", 12, 768, 12, 3072))
    rows = []
    for name, layers, hidden, heads, inter in specs:
        path = make_model(name, layers, hidden, heads, inter)
        rows.append(measure(path, app))
        r = rows[-1]
        print(f"{r['model']:<16} {r['nodes']:>6} nodes  open {r['open_s']:.2f}s  layout {r['layout_s']:.2f}s  "
              f"scene {r['scene_s']:.2f}s  first paint {r['first_paint_s']:.2f}s  => {r['total_to_first_paint_s']:.2f}s; "
              f"paint zoomed out {r['paint_zoomed_out_ms']:.0f} ms, zoomed in {r['paint_zoomed_in_ms']:.0f} ms")
    CACHE.mkdir(parents=True, exist_ok=True)
    out = {"cpu_count": os.cpu_count(), "load_avg": os.getloadavg(), "results": rows}
    (CACHE / "bench_graph_view.json").write_text(json.dumps(out, indent=2))
    print(f"written {CACHE / 'bench_graph_view.json'} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
