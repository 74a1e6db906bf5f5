"""Plan / Layer / TensorInfo as data, and load_plan's way from an engine to its layer report."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import onnx
import pytest

from studio.core.backends.layer_reports import load_plan
from studio.core.errors import StudioError
from studio.core.graph.plan import Layer, Plan, TensorInfo, derive_precision, normalize_dtype

DATA = Path(__file__).resolve().parents[2] / "data" / "plans"


def fixture_models():
    spec = importlib.util.spec_from_file_location("plan_fixture_models_p", DATA / "models.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("text, dtype", [
    ("Float", "float32"), ("Half", "float16"), ("Int8", "int8"), ("Int64", "int64"),
    ("Row major linear FP32", "float32"), ("Four wide channel vectorized row major Int8 format", "int8"),
    ("Thirty-two wide channel vectorized row major FP16 format", "float16"), ("BFloat16", "bfloat16"),
    ("FP8", "fp8"), ("Bool", "bool"), ("Int32", "int32"), ("", ""), ("Opaque thing", ""),
])
def test_normalize_dtype(text, dtype):
    assert normalize_dtype(text) == dtype


def t(dtype):
    return TensorInfo("t", dtype)


@pytest.mark.parametrize("ins, consts, outs, precision", [
    ([t("int8")], [t("int8")], [t("float32")], "int8"),        # INT8 GEMM writing float
    ([t("float16")], [], [t("float32")], "fp32"),              # output decides otherwise
    ([t("int64")], [], [t("float16")], "fp16"),                # index cast into fp16 math
    ([t("float32")], [], [t("float16"), t("float32")], "fp16"),
    ([t("int64")], [], [t("int64")], "int64"),                 # shape arithmetic
    ([], [], [], ""),                                          # shape_call
])
def test_derive_precision(ins, consts, outs, precision):
    assert derive_precision(ins, consts, outs) == precision


def test_plan_round_trips_through_dict_and_json():
    plan = load_plan(DATA / "tiny_encoder.int8.layers.txt")
    again = Plan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again == plan
    assert again.layers[2].inputs == plan.layers[2].inputs
    layer = plan.layers[2]
    assert Layer.from_dict(layer.to_dict(with_raw=True)).raw == layer.raw


def test_edges_rebuilt_from_tensor_names():
    plan = load_plan(DATA / "tiny_encoder.fp32.layers.txt")
    edges = plan.edges()
    by_name = {layer.name: layer for layer in plan.layers}
    assert edges, "layers of one engine must connect"
    for src, dst, tensor in edges:
        assert tensor in {x.name for x in by_name[src].outputs}
        assert tensor in {x.name for x in by_name[dst].inputs}
    # the embeddings kernel feeds the fused Q/K/V GEMM
    emb = plan.layers[1].name
    qkv = "/attn/v/MatMul+/attn/k/MatMul+/attn/q/MatMul_myl0_2"
    assert any(s == emb and d == qkv for s, d, _ in edges)
    # every layer that reads anything reads an engine input or another layer's output
    produced = {x.name for layer in plan.layers for x in layer.outputs} | {x.name for x in plan.inputs}
    for layer in plan.layers:
        if layer.inputs:
            assert any(x.name in produced for x in layer.inputs), layer.name
    assert [x.name for x in plan.inputs] == ["input_ids", "attention_mask"]
    assert plan.outputs[0].name == "logits" and plan.outputs[0].shape == (-1, 4)
    assert plan.tensors["logits"].dtype == "float32"


def test_layer_fields_from_the_report():
    plan = load_plan(DATA / "matmul_add_relu.fp32.layers.txt")
    fused = plan.layers[1]
    assert (fused.type, fused.precision) == ("runtime_fusion", "fp32")
    assert fused.onnx_nodes == ("fc_matmul", "fc_bias", "fc_relu")
    assert fused.inputs == (TensorInfo("x", "float32", (-1, 16), "(Linear) Row major linear format"),)
    assert {c.shape for c in fused.constants} == {(1, 8), (16, 8)}
    assert plan.layers[0].type == "shape_call" and plan.layers[0].onnx_nodes == ()


@pytest.fixture(scope="module")
def built_engine(tmp_path_factory):
    """A real build through the studio's build job (TensorRT-RTX on the CPU): engine, sidecar
    and the saved `Layers:` report."""
    from studio.core.backends.base import BuildConfig, ShapeProfile
    from studio.core.jobs.build_job import run_build

    tmp = tmp_path_factory.mktemp("engine")
    model = tmp / "mar.onnx"
    onnx.save(fixture_models().matmul_add_relu(), model)
    result = run_build(BuildConfig(model=str(model), backend="tensorrt", output=str(tmp / "mar.engine"),
                                   profiles=[ShapeProfile("x", (1, 16), (4, 16), (8, 16))]))
    return Path(result.output), model


@pytest.mark.slow
def test_load_plan_finds_report_and_source_through_the_sidecar(built_engine):
    engine, model = built_engine
    plan = load_plan(engine)
    assert plan.source_format == "tensorrt_log"
    assert plan.onnx_model == str(model.resolve())
    assert [layer.onnx_nodes for layer in plan.layers if layer.onnx_nodes] == [("fc_matmul", "fc_bias", "fc_relu")]


@pytest.mark.slow
def test_changed_source_model_is_not_used(built_engine, tmp_path):
    engine, model = built_engine
    for suffix in ("", ".json", ".layers.txt"):
        shutil.copy(str(engine) + suffix, tmp_path / ("e.engine" + suffix))
    side = json.loads((tmp_path / "e.engine.json").read_text())
    side["source"]["sha256"] = "0" * 64
    (tmp_path / "e.engine.json").write_text(json.dumps(side))
    plan = load_plan(tmp_path / "e.engine")
    assert plan.onnx_model is None
    assert any("changed since the build" in n for n in plan.notes)


@pytest.mark.slow
def test_engine_without_report_is_refused(built_engine, tmp_path):
    engine, _ = built_engine
    shutil.copy(engine, tmp_path / "e.engine")
    with pytest.raises(StudioError, match="without the studio's sidecar"):
        load_plan(tmp_path / "e.engine")
    shutil.copy(str(engine) + ".json", tmp_path / "e.engine.json")
    with pytest.raises(StudioError, match="no layer report beside this engine"):
        load_plan(tmp_path / "e.engine")


def test_missing_and_unreadable_inputs(tmp_path):
    with pytest.raises(StudioError, match="no such file"):
        load_plan(tmp_path / "nope.txt")
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(StudioError, match="not a layer report"):
        load_plan(tmp_path / "notes.txt")
    (tmp_path / "blob.engine").write_bytes(b"\x00\x01binary")
    with pytest.raises(StudioError, match="without the studio's sidecar"):
        load_plan(tmp_path / "blob.engine")
