"""Real `Layers:` reports of TensorRT-RTX builds of the model corpus (torch and Hugging Face
exports; recorded by tests/data/plans/record_corpus_reports.py) read into plans: every one
parses, most engine layers name the ONNX nodes they absorbed, and in FP32 builds every name is
a node of the source model (FP16 and INT8 builds add the casts and Q/DQ nodes of their recipe)."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest

from studio.core.backends.layer_reports import load_plan

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "data" / "corpus"
REPORTS = ROOT / "tests" / "data" / "plans" / "corpus"
MODELS = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["models"]
CASES = [(m, p) for m in MODELS for p in ("fp32", "fp16", "int8")]


@pytest.mark.parametrize("entry, precision", CASES, ids=[f"{m['name']}-{p}" for m, p in CASES])
def test_report_reads_into_a_plan_linked_to_the_model(entry, precision):
    model = CORPUS / entry["path"]
    plan = load_plan(REPORTS / f"{entry['name']}.{precision}.layers.txt", onnx_model=str(model))
    names = [layer.name for layer in plan.layers]
    assert names and len(set(names)) == len(names)
    named = [layer for layer in plan.layers if layer.onnx_nodes]
    assert len(named) >= 0.7 * len(plan.layers), f"{len(named)} of {len(plan.layers)} layers name ONNX nodes"
    if precision == "fp32":
        nodes = {n.name for n in onnx.load(str(model), load_external_data=False).graph.node}
        assert {n for layer in named for n in layer.onnx_nodes} <= nodes
    if precision == "int8":
        assert any(layer.precision == "int8" for layer in plan.layers)
