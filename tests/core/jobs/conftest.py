"""Models for the build-job tests, as fixtures (pytest's importlib mode cannot import a
conftest as a module)."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper


def _mlp(path, d=16):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", d])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", d])
    w = numpy_helper.from_array(np.eye(d, dtype=np.float32), "W")
    nodes = [helper.make_node("MatMul", ["x", "W"], ["m"], name="mm"), helper.make_node("Relu", ["m"], ["y"], name="relu")]
    m = helper.make_model(helper.make_graph(nodes, "g", [x], [y], [w]), opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, path)
    return str(path)


def chain_model(path, n=200, d=32):
    """Long enough to build for a couple of seconds: time to cancel it mid-build."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", d])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", d])
    rng = np.random.default_rng(0)
    nodes, inits, cur = [], [], "x"
    for i in range(n):
        inits += [numpy_helper.from_array(rng.standard_normal((d, d)).astype(np.float32) * 0.05, f"W{i}"),
                  numpy_helper.from_array(rng.standard_normal(d).astype(np.float32), f"B{i}")]
        nodes += [helper.make_node("MatMul", [cur, f"W{i}"], [f"m{i}"], name=f"mm{i}"),
                  helper.make_node("Add", [f"m{i}", f"B{i}"], [f"a{i}"], name=f"add{i}"),
                  helper.make_node("Softmax" if i % 2 else "Relu", [f"a{i}"], [f"r{i}"], name=f"act{i}")]
        cur = f"r{i}"
    nodes.append(helper.make_node("Identity", [cur], ["y"], name="out"))
    m = helper.make_model(helper.make_graph(nodes, "chain", [x], [y], inits), opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, path)
    return str(path)


@pytest.fixture
def mlp_onnx():
    """MatMul + Relu: builds in a fraction of a second."""
    return _mlp


@pytest.fixture
def chain_onnx():
    return chain_model
