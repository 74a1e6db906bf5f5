"""Every feature on every model of the corpus (tests/data/corpus, made by make_corpus.py): the
ONNX files torch and Hugging Face users really export, not the studio's own demo model.

For each model, through the command line as a user runs it: inspect; TensorRT-RTX builds in
FP32, FP16 and INT8 (calibrated on the demo's texts with the model's own tokenizer, or on arrays
for the CNN) and `layers` on each; ONNX Runtime builds in FP32 and INT8 with every attention
block fused (and LayerNorm and GELU), checked against the source (top-1 agreement) and
benchmarked for a moment."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import pytest

from studio.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "corpus"
MODELS = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["models"]
TEXTS = ROOT / "resources" / "demo" / "intents_validation.csv"
CALIB = ROOT / "resources" / "demo" / "intents_calibration.csv"

pytestmark = pytest.mark.slow


def _op_counts(graph, counts=None) -> Counter:
    """Op types of a graph and its subgraphs (the FFN chunks run in a Scan)."""
    counts = Counter() if counts is None else counts
    for node in graph.node:
        counts[node.op_type] += 1
        for a in node.attribute:
            for g in ([a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)):
                _op_counts(g, counts)
    return counts


def _json(capsys, argv: list[str]) -> dict:
    rc = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "internal error" not in captured.err
    return json.loads(captured.out)


@pytest.fixture(scope="module", params=MODELS, ids=[m["name"] for m in MODELS])
def entry(request):
    return request.param


@pytest.fixture(scope="module")
def work(entry, tmp_path_factory):
    """The model's folder of outputs, and the data it is fed: texts with its tokenizer, or an
    .npz of random images for the CNN."""
    out = tmp_path_factory.mktemp(entry["name"])
    model = CORPUS / entry["path"]
    if entry["kind"] == "cnn":
        spec = entry["inputs"][0]
        shape = [16 if not isinstance(d, int) else d for d in spec["shape"]]
        data = out / "pixels.npz"
        np.savez(data, **{spec["name"]: np.random.default_rng(0).standard_normal(shape).astype(np.float32)})
        return model, out, ["--calib", str(data)], ["--data", str(data)]
    tok = str(CORPUS / entry["tokenizer"])
    return (model, out, ["--calib", str(CALIB), "--calib-column", "text", "--tokenizer", tok],
            ["--data", str(TEXTS), "--tokenizer", tok])


def test_inspect_names_the_inputs_and_outputs(entry, work, capsys):
    model = work[0]
    doc = _json(capsys, ["inspect", str(model)])
    assert [i["name"] for i in doc["inputs"]] == [i["name"] for i in entry["inputs"]]
    assert [o["name"] for o in doc["outputs"]] == [o["name"] for o in entry["outputs"]]


@pytest.mark.parametrize("precision", ["fp32", "fp16", "int8"])
def test_tensorrt_build_and_its_fused_graph(entry, work, precision, capsys):
    model, out, calib, _ = work
    engine = out / f"model.{precision}.engine"
    argv = ["build", str(model), "--backend", "tensorrt", "--precision", precision, "-o", str(engine)]
    _json(capsys, argv + (calib if precision == "int8" else []))
    layers = _json(capsys, ["layers", str(engine)])
    named = [x for x in layers["layers"] if x["onnx_nodes"]]
    assert layers["layers"] and len(named) >= len(layers["layers"]) // 2, (
        f"{len(named)} of {len(layers['layers'])} engine layers name their ONNX nodes")
    if precision == "int8":
        assert any(x["precision"] == "int8" for x in layers["layers"])


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_onnxruntime_build_fuses_every_block_agrees_with_its_source_and_runs(entry, work, precision, capsys):
    model, out, _, data = work
    build = out / f"model.{precision}.ort.onnx"
    _json(capsys, ["build", str(model), "--backend", "onnxruntime", "--precision", precision, "-o", str(build)])
    details = json.loads(build.with_name(build.name + ".json").read_text())["backend_details"]
    blocks = details["attention_blocks"]
    if entry["kind"] == "transformer":
        assert blocks["found"] == blocks["fused"] == entry["num_layers"] and not blocks["unfused"], blocks
    else:
        assert blocks["found"] == 0
    if entry["kind"] == "transformer" and precision == "fp32":
        ops = _op_counts(onnx.load(str(build), load_external_data=False).graph)
        n = entry["num_layers"]
        assert ops["Attention"] == n, ops
        assert ops["LayerNormalization"] + ops["SkipLayerNormalization"] >= 2 * n + 1, ops   # each layer's two, the embeddings'
        assert ops["Gelu"] + ops["FastGelu"] + ops["BiasGelu"] >= n and not ops["Erf"], ops     # no GELU left decomposed
    assert details["speed_probe"]["speedup"] > 0
    if entry["kind"] == "transformer":       # a long batch and one of short texts
        assert [p["shape"].split(" x ")[-1] for p in details["speed_probes"]] == ["64", "16"]
    acc = _json(capsys, ["accuracy", str(build), *data, "--limit", "64"])
    assert acc["nan_count"] == 0
    assert acc["top1_agreement"] >= (0.99 if precision == "fp32" else 0.85), acc
    if precision == "fp32":
        assert acc["max_abs_error"] < 1e-3, acc
    bench = _json(capsys, ["bench", str(build), *data, "--batch", "4", "--duration", "0.3"])
    assert bench["runs"][0]["throughput"] > 0
