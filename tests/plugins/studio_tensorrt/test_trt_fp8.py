"""The check behind the fp8 capability: TensorRT-RTX accepts FP8 (and INT8) Q/DQ on a CPU build."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from studio.core.backends.base import BuildConfig
from studio.core.progress import TaskState
from studio_tensorrt.backend import TensorRTBackend
from studio_tensorrt.builder import build_engine, layer_report_path


@pytest.mark.parametrize("zp_type,dtype_word", [(TensorProto.FLOAT8E4M3FN, "FP8"), (TensorProto.INT8, "Int8")])
def test_qdq_matmul_builds_on_the_cpu(tmp_path, zp_type, dtype_word):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 64])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 64])
    w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32), "W")
    s = numpy_helper.from_array(np.array(0.05, np.float32), "s")
    zp = helper.make_tensor("zp", zp_type, [], [0])
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"], name="q_x"),
             helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["dq"], name="dq_x"),
             helper.make_node("QuantizeLinear", ["W", "s", "zp"], ["wq"], name="q_w"),
             helper.make_node("DequantizeLinear", ["wq", "s", "zp"], ["wdq"], name="dq_w"),
             helper.make_node("MatMul", ["dq", "wdq"], ["y"], name="mm")]
    m = helper.make_model(helper.make_graph(nodes, "qdq", [x], [y], [w, s, zp]),
                          opset_imports=[helper.make_opsetid("", 19)])
    m.ir_version = 9
    onnx.save(m, tmp_path / "qdq.onnx")
    out = tmp_path / "qdq.engine"
    # The model carries its precision (strongly typed); the build itself is "as written".
    build_engine(BuildConfig(str(tmp_path / "qdq.onnx"), "tensorrt", str(out)), TaskState())
    assert out.stat().st_size > 0
    assert dtype_word in layer_report_path(out).read_text()


def test_fp8_is_offered_where_the_library_parses_fp8_qdq():
    """The precision step makes FP8 Q/DQ; a library that parses it (TensorRT 10+, TensorRT-RTX)
    offers fp8 with no reason attached."""
    lib = TensorRTBackend().library
    if lib is None:
        pytest.skip("no TensorRT library here")
    assert TensorRTBackend().capabilities().precisions["fp8"] is None
