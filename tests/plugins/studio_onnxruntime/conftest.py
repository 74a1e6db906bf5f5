from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper


@pytest.fixture
def mlp_path(tmp_path) -> Path:
    """Not BERT-like: MatMul -> Relu -> MatMul."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.normal(size=(8, 8)).astype(np.float32), "W1"),
             numpy_helper.from_array(rng.normal(size=(8, 3)).astype(np.float32), "W2")]
    nodes = [helper.make_node("MatMul", ["x", "W1"], ["h"], name="mm1"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("MatMul", ["r", "W2"], ["y"], name="mm2")]
    g = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", 3])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    p = tmp_path / "mlp.onnx"
    onnx.save(m, str(p))
    return p


@pytest.fixture
def rewrite_file():
    """Run an in-memory rewrite (chunk_ffn, fold_gelu_bias, trim_kv) on the model file `src` and
    save the result to `dst` when it applied, so tests can run both files. A rewrite that did not
    apply must have left the model as it was (the backend then keeps ORT's file)."""
    def run(rewrite, src, dst, **kw):
        model = onnx.load(str(src))
        before = model.SerializeToString()
        report = rewrite(model, **kw)
        if report.applied:
            onnx.save(model, str(dst))
        else:
            assert model.SerializeToString() == before, f"{report.name} changed a model it did not rewrite"
        return report
    return run
