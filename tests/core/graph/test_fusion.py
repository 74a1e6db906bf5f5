"""Plan <-> ONNX mapping on recorded reports, a live build, and the demo model."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import onnx
import pytest

from studio.core.backends.layer_reports import load_plan
from studio.core.graph.fusion import FusionMap, fusion_map, readable_pattern
from studio.core.graph.onnx_loader import open_graph

DATA = Path(__file__).resolve().parents[2] / "data" / "plans"
ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "resources" / "demo" / "generated" / "intent-minilm.onnx"
SHAPE_NODES = {"/embeddings/Shape", "/embeddings/Gather_seq", "/attn/Shape", "/attn/Gather_batch",
               "/attn/Gather_seq", "/attn/Unsqueeze_batch", "/attn/Unsqueeze_seq",
               "/attn/Concat_split", "/attn/Concat_merge"}


def fixture_models():
    spec = importlib.util.spec_from_file_location("plan_fixture_models_f", DATA / "models.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    path = tmp_path_factory.mktemp("fusion") / "enc.onnx"
    onnx.save(fixture_models().tiny_encoder(), path)
    return open_graph(path)


@pytest.mark.parametrize("ops, readable", [
    (["MatMul", "Add", "Div", "Erf", "Add", "Mul", "Mul"], "MatMul+Add+GELU"),
    (["Add", "Add", "ReduceMean", "Sub", "Pow", "ReduceMean", "Add", "Sqrt", "Div", "Mul", "Add"], "Add+Add+LayerNorm"),
    (["MatMul", "Div", "Add", "Softmax", "MatMul"], "MHA"),
    (["DequantizeLinear", "MatMul", "QuantizeLinear", "DequantizeLinear"], "DQ+MatMul+Q/DQ"),
    (["Conv", "Relu"], "Conv+Relu"),
])
def test_readable_pattern(ops, readable):
    assert readable_pattern(ops) == readable


def test_fp32_report_against_its_model(encoder):
    plan = load_plan(DATA / "tiny_encoder.fp32.layers.txt")
    fmap = FusionMap.build(plan, encoder)
    gelu_layer = "__myl_FcAddDivErfAddMulMul_myl0_15"
    assert fmap.layer_for_node("/ffn/gelu/Erf") == gelu_layer
    assert fmap.nodes_for_layer(gelu_layer) == ("/ffn/in/MatMul", "/ffn/in/Add", "/ffn/gelu/Div",
                                                "/ffn/gelu/Erf", "/ffn/gelu/Add", "/ffn/gelu/Mul",
                                                "/ffn/gelu/Mul_1")
    # a node several layers name: the GEMM named after it is "the" layer
    assert len(fmap.layers_for_node("/attn/MatMul_qk")) == 3
    assert fmap.layer_for_node("/attn/MatMul_qk") == "/attn/MatMul_qk_myl0_6"
    assert set(fmap.unabsorbed) == SHAPE_NODES | {"/attn/Reshape_ctx"}
    assert all(fmap.unabsorbed_kind[n] == "shape" for n in SHAPE_NODES)
    assert fmap.unabsorbed_kind["/attn/Reshape_ctx"] == "view"
    assert not fmap.missing and not fmap.inserted
    stats = fmap.stats()
    assert (stats.layers_before, stats.layers_after, stats.absorbed) == (55, 20, 45)
    assert stats.patterns["MatMul+Add+GELU"] == 1
    assert stats.patterns["Add+Add+LayerNorm"] == 2
    assert stats.precision == {"fp32": 19, "none": 1}
    assert stats.types["gemm"] == 5
    d = fmap.to_dict()
    assert d["onnx_nodes"] == 55 and len(d["layers"]) == 20
    assert {u["name"] for u in d["unabsorbed"]} == set(fmap.unabsorbed)


def test_int8_report_against_the_fp32_source(encoder):
    """The Q/DQ nodes are the precision pass's, not the user's model's: `inserted`, not `missing`."""
    fmap = fusion_map(load_plan(DATA / "tiny_encoder.int8.layers.txt"), encoder)
    assert not fmap.missing
    inserted = {n for names in fmap.inserted.values() for n in names}
    assert "v.weight_DequantizeLinear" in inserted and "h0_QuantizeLinear" in inserted
    stats = fmap.stats()
    assert stats.precision["int8"] > stats.layers_after / 2
    assert stats.absorbed >= 40


def test_report_of_another_model_is_flagged(tmp_path):
    mar = tmp_path / "mar.onnx"
    onnx.save(fixture_models().matmul_add_relu(), mar)
    fmap = fusion_map(load_plan(DATA / "tiny_encoder.fp32.layers.txt"), mar)
    assert "/ffn/gelu/Erf" in {n for names in fmap.missing.values() for n in names}
    assert set(fmap.unabsorbed) == {"fc_matmul", "fc_bias", "fc_relu"}


def test_names_only_plan_is_not_flagged_missing(encoder):
    fmap = fusion_map(load_plan(DATA / "tiny_encoder.fp16.names_only.json"), encoder)
    assert not fmap.missing
    assert fmap.stats().absorbed == 0


@pytest.mark.slow
def test_live_build_one_layer_absorbs_matmul_add_relu(tmp_path):
    from studio.core.backends.base import BuildConfig, ShapeProfile
    from studio.core.jobs.build_job import run_build

    model = tmp_path / "mar.onnx"
    onnx.save(fixture_models().matmul_add_relu(), model)
    result = run_build(BuildConfig(model=str(model), backend="tensorrt", output=str(tmp_path / "mar.engine"),
                                   profiles=[ShapeProfile("x", (1, 16), (4, 16), (8, 16))]))
    fmap = fusion_map(load_plan(result.output))
    layers = [x for x in fmap.plan.layers if fmap.nodes_for_layer(x.name)]
    assert len(layers) == 1
    assert fmap.nodes_for_layer(layers[0].name) == ("fc_matmul", "fc_bias", "fc_relu")
    assert {fmap.layer_for_node(n) for n in ("fc_matmul", "fc_bias", "fc_relu")} == {layers[0].name}
    assert fmap.unabsorbed == ()
    assert fmap.stats().patterns == {"MatMul+Add+Relu": 1}


@pytest.mark.slow
@pytest.mark.skipif(not DEMO.exists(), reason="demo model not generated (make demo-model)")
def test_demo_model_maps_nearly_all_nodes(tmp_path):
    spec = importlib.util.spec_from_file_location("plan_record_reports_f", DATA / "record_reports.py")
    rec = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rec)
    shapes = {"input_ids": ((1, 8), (4, 64), (8, 128)), "attention_mask": ((1, 8), (4, 64), (8, 128))}
    plan = load_plan_text(rec.layers_report(str(DEMO), shapes), tmp_path)
    fmap = fusion_map(plan, DEMO)
    stats = fmap.stats()
    assert not fmap.missing
    assert stats.layers_after < stats.layers_before / 2
    assert stats.absorbed >= 0.9 * stats.layers_before
    # the rest is shape arithmetic, folded constants or reshapes that became views
    other = [n for n in fmap.unabsorbed if fmap.unabsorbed_kind[n] == "other"]
    assert not other, other
    assert stats.patterns.get("MatMul+Add+GELU", 0) >= 1


def load_plan_text(text, tmp_path):
    path = tmp_path / "demo.layers.txt"
    path.write_text(text)
    return load_plan(path)
