"""ONNX Runtime optimized models as plans, mapped back to the original model's nodes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import onnx
import pytest

from studio.core.backends.layer_reports import detect
from studio.core.backends.layer_reports import load_plan
from studio.core.graph.fusion import fusion_map

DATA = Path(__file__).resolve().parents[2] / "data" / "plans"


def fixture_models():
    spec = importlib.util.spec_from_file_location("plan_fixture_models_o", DATA / "models.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ort")
    m = fixture_models()
    original = tmp / "enc.onnx"
    onnx.save(m.tiny_encoder(), original)
    # ORT's transformer fusions (SkipLayerNormalization, BiasGelu) ...
    from onnxruntime.transformers import optimizer
    fused = tmp / "enc.fused.onnx"
    optimizer.optimize_model(str(original), model_type="bert", num_heads=2, hidden_size=32,
                             opt_level=0).save_model_to_file(str(fused))
    # ... and the session's own graph optimizer (FusedMatMul, MatMul+Add -> Gemm).
    import onnxruntime as ort
    session_opt = tmp / "enc.ort.onnx"
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.optimized_model_filepath = str(session_opt)
    ort.InferenceSession(str(original), so, providers=["CPUExecutionProvider"])
    mar = tmp / "mar.onnx"
    onnx.save(m.matmul_add_relu(), mar)
    return {"original": original, "fused": fused, "session": session_opt, "mar": mar}


def test_transformer_fusions_map_to_the_nodes_they_replaced(models):
    plan = load_plan(models["fused"], onnx_model=models["original"])
    assert detect(models["fused"]) == "ort_optimized" and plan.source_format == "ort_optimized"
    fmap = fusion_map(plan)
    by_type = {}
    for layer in plan.layers:
        by_type.setdefault(layer.type, []).append(fmap.nodes_for_layer(layer.name))
    assert by_type["SkipLayerNormalization"] == [("/attn/o/Add", "/attn/Add_residual", "/attn/LayerNorm"),
                                                 ("/ffn/out/Add", "/ffn/Add_residual", "/ffn/LayerNorm")]
    assert by_type["BiasGelu"] == [("/ffn/in/Add", "/ffn/gelu/Div", "/ffn/gelu/Erf", "/ffn/gelu/Add",
                                    "/ffn/gelu/Mul", "/ffn/gelu/Mul_1")]
    assert plan.unmapped == ()
    assert fmap.unabsorbed == () and not fmap.missing
    stats = fmap.stats()
    assert stats.layers_before == 55 and stats.layers_after == len(plan.layers) < 55
    assert stats.patterns.get("Add+GELU") == 1
    assert fmap.layer_for_node("/ffn/gelu/Erf") == plan.layers[[x.type for x in plan.layers].index("BiasGelu")].name


def test_session_optimizer_fusions(models):
    plan = load_plan(models["session"], onnx_model=models["original"])
    fmap = fusion_map(plan)
    fused_mm = next(x for x in plan.layers if x.type == "FusedMatMul")
    assert fmap.nodes_for_layer(fused_mm.name) == ("/attn/MatMul_qk", "/attn/Div")
    gemm = next(x for x in plan.layers if x.type == "Gemm")
    assert fmap.nodes_for_layer(gemm.name) == ("/classifier/MatMul", "/classifier/Add")
    assert {x.precision for x in plan.layers} <= {"fp32", "int64"}
    assert fmap.layer_for_node("/attn/q/MatMul") == "/attn/q/MatMul"


def test_without_the_original_model(models):
    plan = load_plan(models["fused"])
    assert any("not mapped" in n for n in plan.notes)
    assert plan.onnx_model is None


def test_layers_of_another_model_are_reported_unmapped(models):
    plan = load_plan(models["fused"], onnx_model=models["mar"])
    assert len(plan.unmapped) == len(plan.layers)
    assert any("could not be mapped" in n for n in plan.notes)


@pytest.mark.slow
def test_onnxruntime_backend_artifact_through_its_sidecar(models, tmp_path):
    """The onnxruntime backend's real build: load_plan finds the source model via the sidecar."""
    from studio.core.backends.base import BuildConfig
    from studio.core.jobs.build_job import run_build

    result = run_build(BuildConfig(model=str(models["original"]), backend="onnxruntime",
                                   output=str(tmp_path / "enc.ort.onnx"), precision="fp32"))
    plan = load_plan(result.output)
    assert plan.source_format == "ort_optimized"
    assert plan.onnx_model == str(models["original"].resolve())
    fmap = fusion_map(plan)
    stats = fmap.stats()
    assert stats.layers_after < stats.layers_before == 55
    assert stats.absorbed >= 50 and not fmap.missing


def test_original_as_an_opened_graph_maps_the_same(models):
    """The window passes the Graph it already has open instead of a path."""
    from studio.core.graph.onnx_loader import open_graph

    graph = open_graph(models["original"])
    by_graph = load_plan(models["fused"], onnx_model=graph)
    by_path = load_plan(models["fused"], onnx_model=models["original"])
    assert [x.onnx_nodes for x in by_graph.layers] == [x.onnx_nodes for x in by_path.layers]
    assert by_graph.onnx_model == str(graph.path)
