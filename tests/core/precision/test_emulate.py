import ml_dtypes
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from studio.core.precision.cast import cast_bf16, cast_fp16
from studio.core.precision.emulate import half_as_rounded_fp32, has_half


def _double(half: int) -> onnx.ModelProto:
    """x -> Cast(half) -> Add(h, h) -> Cast(fp32)."""
    g = helper.make_graph([helper.make_node("Cast", ["x"], ["h"], to=half),
                           helper.make_node("Add", ["h", "h"], ["s"], name="add"),
                           helper.make_node("Cast", ["s"], ["y"], to=TensorProto.FLOAT)], "double",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def _run(model, x):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    s = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return s.run(None, {"x": x})[0]


X = np.array([1.0001, 300.1, 1e-5, 40000.0], np.float32)


def test_fp16_overflows_as_on_a_gpu_where_ort_alone_computes_in_fp32():
    model = _double(TensorProto.FLOAT16)
    assert np.isfinite(_run(model, X)).all()  # ORT's CPU provider: silently fp32, 80000 survives
    emulated, points = half_as_rounded_fp32(model)
    onnx.checker.check_model(emulated)
    got = _run(emulated, X)
    want = (X.astype(np.float16) + X.astype(np.float16)).astype(np.float32)
    np.testing.assert_array_equal(got, want)
    assert np.isinf(got[-1]) and points == 2


def test_bf16_runs_and_rounds():
    model = _double(TensorProto.BFLOAT16)
    with pytest.raises(Exception, match="NOT_IMPLEMENTED|Could not find an implementation"):
        _run(model, X)
    emulated, _ = half_as_rounded_fp32(model)
    bf = X.astype(ml_dtypes.bfloat16)
    np.testing.assert_array_equal(_run(emulated, X), (bf + bf).astype(np.float32))


@pytest.mark.parametrize("cast", [cast_fp16, cast_bf16])
def test_a_cast_model_is_emulated_close_to_fp32(make_tiny, cast):
    model, _ = cast(make_tiny())
    assert has_half(model) and not has_half(make_tiny())
    emulated, points = half_as_rounded_fp32(model)
    assert points > 5 and all(t.data_type == TensorProto.FLOAT for t in emulated.graph.initializer)
    x = np.random.default_rng(0).normal(size=(3, 16)).astype(np.float32)
    ref, got = _run(make_tiny(), x), _run(emulated, x)
    assert 0 < np.abs(ref - got).max() < 0.05
