"""ORT's symbolic shape inference through the studio's wrapper: same inference, but nothing
written into the current directory when it is incomplete (ORT's own entry point saves
sym_shape_infer_temp.onnx there)."""

import os

import onnx
from onnx import TensorProto, helper

from studio.core.graph.ort_shapes import infer_symbolic


def _model(op_domain: str | None):
    first = (helper.make_node("Mystery", ["x"], ["y"], domain=op_domain) if op_domain
             else helper.make_node("Relu", ["x"], ["y"]))
    g = helper.make_graph([first, helper.make_node("Relu", ["y"], ["z"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, None)])
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid(op_domain, 1)] if op_domain else [])
    return helper.make_model(g, opset_imports=opsets)


def test_complete_inference_names_symbolic_dims(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out, complete = infer_symbolic(_model(None))
    assert complete
    z = {v.name: v for v in list(out.graph.value_info) + list(out.graph.output)}["z"]
    assert [d.dim_param or d.dim_value for d in z.type.tensor_type.shape.dim] == ["batch", 4]
    assert os.listdir(tmp_path) == []


def test_incomplete_inference_writes_nothing_into_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, complete = infer_symbolic(_model("custom.unknown"))
    assert not complete
    assert os.listdir(tmp_path) == []
