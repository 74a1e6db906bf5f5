"""The one-pass per-tensor SQNR of a Q/DQ model against its FP32 source."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from studio.core.backends.base import CalibrationSpec
from studio.core.data.calibration import calibration_set_for_model
from studio.core.precision.qdq import quantize_qdq
from studio.core.precision_search.sqnr import activation_sqnr, node_sqnr, quantized_activations
from studio.core.progress import TaskState


@pytest.fixture
def matmul(tmp_path):
    w = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    g = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], "mm",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
                          [numpy_helper.from_array(w, "W")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    src = tmp_path / "mm.onnx"
    onnx.save(m, str(src))
    calib = tmp_path / "calib.npz"
    np.savez(calib, x=np.random.default_rng(1).normal(size=(32, 16)).astype(np.float32))
    out = tmp_path / "q.onnx"
    quantize_qdq(src, out, calibration_set_for_model(CalibrationSpec(str(calib), samples=32), src), TaskState())
    return src, onnx.load(str(out))


def test_sqnr_is_the_signal_over_the_quantization_noise(matmul):
    """The quantized activation is the input itself, so the figure is numpy's own."""
    src, qdq = matmul
    assert list(quantized_activations(qdq)) == ["x"]      # the weights are not activations
    x = np.random.default_rng(3).normal(size=(8, 16)).astype(np.float32) * 1.5
    got = activation_sqnr(src, qdq, [{"x": x[:4]}, {"x": x[4:]}])["x"]
    q = next(n for n in qdq.graph.node if n.op_type == "QuantizeLinear" and n.input[0] == "x")
    scale = float(numpy_helper.to_array(next(t for t in qdq.graph.initializer if t.name == q.input[1])))
    xq = np.clip(np.round(x / scale), -128, 127) * scale      # values beyond the range saturate
    want = 10 * np.log10((x.astype(np.float64) ** 2).sum() / ((x - xq).astype(np.float64) ** 2).sum())
    assert got == pytest.approx(want, abs=0.01)
    assert node_sqnr(qdq, {"x": got}) == {"mm": got}
