import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from studio.core.precision import model_io


def _model(n=64):
    w = numpy_helper.from_array(np.arange(n * n, dtype=np.float32).reshape(n, n), "w")
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, n])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, n])], [w])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_save_model_writes_the_serialized_model_and_nothing_else(tmp_path):
    m = _model()
    model_io.save_model(m, tmp_path / "m.onnx")
    assert (tmp_path / "m.onnx").read_bytes() == m.SerializeToString()
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_a_model_protobuf_cannot_hold_goes_to_external_data(tmp_path, monkeypatch):
    # Over 2 GiB cannot be built in a test; the branch is taken as SerializeToString's refusal would.
    monkeypatch.setattr(model_io, "_serialized", lambda model: None)
    model_io.save_model(_model(), tmp_path / "big.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.onnx", "big.onnx.data"]
    loaded = onnx.load(str(tmp_path / "big.onnx"))
    assert np.array_equal(numpy_helper.to_array(loaded.graph.initializer[0]),
                          np.arange(64 * 64, dtype=np.float32).reshape(64, 64))


def test_tensor_links_count_a_subgraph_that_reads_an_outer_tensor():
    body = helper.make_graph([helper.make_node("Add", ["x", "y"], ["z"])], "body", [],
                             [helper.make_tensor_value_info("z", TensorProto.FLOAT, None)])
    g = helper.make_graph([helper.make_node("Relu", ["a"], ["x"], name="relu"),
                           helper.make_node("Mul", ["x", "x"], ["m"], name="mul"),
                           helper.make_node("If", ["c"], ["out"], name="if", then_branch=body, else_branch=body)],
                          "g", [], [])
    producer, readers = model_io.tensor_links(g)
    assert producer["x"].name == "relu" and producer["out"].name == "if"
    assert [n.name for n in readers["x"]] == ["mul", "mul", "if", "if"]  # two reads, two branches
