"""The studio's own attention matching and fusion on users' exports (the corpus): every block of
every exporter's shape is found, with the head count and hidden size the model was made with;
the fused model gives the source's outputs; and the probe that guards the rewrite catches one
that does not."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest

from studio_onnxruntime.attention import attention_dims, find_cores, fuse_attention
from studio_onnxruntime.normalize import normalize
from studio_onnxruntime.padding import same_outputs

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "data" / "corpus"
MODELS = [m for m in json.loads((CORPUS / "manifest.json").read_text())["models"] if m["kind"] == "transformer"]


def _mask(entry) -> str | None:
    return next((i["name"] for i in entry["inputs"] if i["name"] == "attention_mask"), None)


@pytest.mark.parametrize("entry", MODELS, ids=[m["name"] for m in MODELS])
def test_every_block_is_found_and_fused_with_the_source_outputs(entry):
    path = CORPUS / entry["path"]
    model = onnx.load(str(path))
    normalize(model)
    cores, skipped = find_cores(model)
    assert len(cores) == entry["num_layers"] and not skipped
    dims = attention_dims(model)
    assert (dims.num_heads, dims.hidden_size) == (entry["num_heads"], entry["hidden_size"])
    fused, report = fuse_attention(model)
    assert report.applied == entry["num_layers"] and not report.reason
    assert sum(n.op_type == "Attention" for n in fused.graph.node) == entry["num_layers"]
    assert not any(n.op_type == "Softmax" for n in fused.graph.node)
    assert same_outputs(str(path), fused, _mask(entry)) == ""


def test_the_probe_catches_a_wrong_rewrite():
    entry = next(m for m in MODELS if m["name"] == "bert_ts17_sdpa")
    path = CORPUS / entry["path"]
    model = onnx.load(str(path))
    normalize(model)
    fused, _ = fuse_attention(model)
    node = next(n for n in fused.graph.node if n.op_type == "Attention")
    del node.input[3:]   # a mask lost: padded keys attended to
    assert "differs from the source" in same_outputs(str(path), fused, "attention_mask")


def test_normalization_inlines_shared_weights_and_folds_shape_scales():
    albert = onnx.load(str(CORPUS / "albert_ts17" / "model.onnx"))
    assert normalize(albert)["inline_identities"] > 0
    assert not any(n.op_type == "Identity" for n in albert.graph.node)
    optimum = onnx.load(str(CORPUS / "bert_optimum" / "model.onnx"))
    done = normalize(optimum)
    assert done["fold_shape_scalars"] >= 2 * 2   # the SDPA scale on Q and on K, in each layer
    assert same_outputs(str(CORPUS / "bert_optimum" / "model.onnx"), optimum, "attention_mask") == ""


def test_a_model_without_attention_is_left_as_it_is():
    cnn = onnx.load(str(CORPUS / "resnet_like" / "model.onnx"))
    before = cnn.SerializeToString()
    fused, report = fuse_attention(cnn)
    assert report.applied == 0 and report.reason == "no attention block"
    assert fused.SerializeToString() == before


def test_a_classifiers_softmax_is_not_an_attention_block():
    """A model whose last op is a Softmax over a weighted layer's output has no attention."""
    from onnx import TensorProto, helper, numpy_helper
    import numpy as np

    w = numpy_helper.from_array(np.ones((4, 3), np.float32), "w")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["z"]), helper.make_node("Softmax", ["z"], ["p"])],
                              "clf", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 4])],
                              [helper.make_tensor_value_info("p", TensorProto.FLOAT, ["b", 3])], [w])
    assert find_cores(helper.make_model(graph)) == ([], {})


@pytest.mark.parametrize("fusion", [False, True], ids=["attention-off", "attention-on"])
def test_blocks_left_unfused_are_marked_in_the_graph_after_fusion(tmp_path, fusion):
    """A build that leaves attention blocks unfused names them in its sidecar, and the plan
    (what the after-fusion view draws) marks each layer that still holds one, with the reason."""
    from studio.core.backends.base import BuildConfig
    from studio.core.backends.sidecar import load_sidecar
    from studio.core.backends.layer_reports import load_plan
    from studio.core.jobs.build_job import run_build

    entry = next(m for m in MODELS if m["name"] == "bert_ts17_eager")
    out = tmp_path / "model.fp32.ort.onnx"
    run_build(BuildConfig(model=str(CORPUS / entry["path"]), backend="onnxruntime", output=str(out),
                          precision="fp32", options={"attention_fusion": fusion, "ort_speed_probe": False}))
    not_optimized = load_sidecar(out)["not_optimized"]
    plan = load_plan(out)
    marked = dict(plan.marked)
    if fusion:
        assert not_optimized == {} and marked == {}
        return
    assert len(not_optimized) == entry["num_layers"]
    assert all(why == "attention fusion turned off (attention_fusion=false)" for why in not_optimized.values())
    assert len(marked) == entry["num_layers"], marked
    assert {plan.layer(name).type for name in marked} == {"Softmax"}
    assert all("attention fusion turned off" in why for why in marked.values())
    assert plan.to_dict()["marked"] == marked
