import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper


def make_mlp(path, d=16, batch="batch"):
    """MatMul+Add+Relu: the builder fuses it into one layer whose metadata names all three."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, d])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, d])
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((d, d)).astype(np.float32), "W")
    b = numpy_helper.from_array(rng.standard_normal(d).astype(np.float32), "B")
    nodes = [helper.make_node("MatMul", ["x", "W"], ["m"], name="mm"),
             helper.make_node("Add", ["m", "B"], ["a"], name="add"),
             helper.make_node("Relu", ["a"], ["y"], name="relu")]
    m = helper.make_model(helper.make_graph(nodes, "mlp", [x], [y], [w, b]),
                          opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, path)
    return path


@pytest.fixture
def mlp_model(tmp_path):
    return make_mlp(tmp_path / "mlp.onnx")


@pytest.fixture
def unsupported_model(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="fine_relu"),
             helper.make_node("FrobnicateOp", ["r"], ["f"], name="frob_1"),
             helper.make_node("WibbleOp", ["f"], ["y"], name="wibble_2")]
    m = helper.make_model(helper.make_graph(nodes, "bad", [x], [y]), opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    p = tmp_path / "bad.onnx"
    onnx.save(m, p)
    return p


@pytest.fixture
def big_matmul_model(tmp_path):
    d = 512
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [256, d])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [256, d])
    w = numpy_helper.from_array(np.ones((d, d), np.float32), "W")
    m = helper.make_model(helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")],
                                            "big", [x], [y], [w]), opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    p = tmp_path / "big.onnx"
    onnx.save(m, p)
    return p
