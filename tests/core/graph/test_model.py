"""The immutable Graph: names, values, edges, order, attributes, subgraphs."""

from __future__ import annotations

import dataclasses

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from studio.core.errors import ModelError
from studio.core.graph.model import Edge, TensorSummary
from studio.core.graph.onnx_loader import open_graph


def save(tmp_path, nodes, inputs, outputs, inits=(), name="m.onnx", opset=17, ir=None):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    if ir is not None:
        m.ir_version = ir
    p = tmp_path / name
    p.write_bytes(m.SerializeToString())
    return p


def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def test_encoder_graph_structure(encoder_path):
    g = open_graph(encoder_path)
    assert [v.name for v in g.inputs] == ["input_ids", "attention_mask"]
    assert [(v.dtype, v.shape) for v in g.inputs] == [("int64", ("batch", "sequence"))] * 2
    assert [(v.name, v.dtype, v.shape) for v in g.outputs] == [("hidden_states", "float32", ("batch", "sequence", 16))]
    assert (g.producer_name, g.producer_version, g.ir_version, dict(g.opset)) == ("tests", "1.0", 9, {"": 20})
    assert g.file_size == encoder_path.stat().st_size and g.path == str(encoder_path)
    scores = g.values["l0.scores"]
    assert scores.producer == "l0.scores_MatMul" and scores.consumers == ("l0.scaled_Mul",)
    assert scores.kind == "intermediate"
    assert g.values["l0.q_w"].kind == "initializer" and g.values["l0.q_w"].shape == (16, 16)
    # the mask bias feeds both layers
    assert g.values["mask_bias"].consumers == ("l0.masked_Add", "l1.masked_Add")
    assert Edge("mask_bias_Mul", "l1.masked_Add", "mask_bias") in g.edges()
    assert g.node("l1.probs_Softmax").attributes["axis"] == -1
    assert g.node("l0.k_t_Transpose").attributes["perm"] == (0, 2, 3, 1)
    assert g.node("mask_f_Cast").attributes["to"] == TensorProto.FLOAT
    assert g.node("l0.ln1_LayerNormalization").attributes == {"axis": -1}
    with pytest.raises(KeyError):
        g.node("nope")


def test_every_edge_matches_values(encoder_path):
    g = open_graph(encoder_path)
    names = {n.name for n in g.nodes}
    for src, dst, tensor in g.edges():
        assert src in names and dst in names
        assert g.values[tensor].producer == src and dst in g.values[tensor].consumers
        assert tensor in g.node(src).outputs and tensor in g.node(dst).inputs


def test_graph_is_immutable(encoder_path):
    g = open_graph(encoder_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.nodes = ()
    with pytest.raises(TypeError):
        g.values["x"] = None
    with pytest.raises(TypeError):
        g.nodes[0].attributes["axis"] = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.initializers["l0.q_w"].shape = (1,)


def test_unnamed_and_duplicate_nodes_get_unique_names(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["a"]),
             helper.make_node("Relu", ["a"], ["b"], name="r"),
             helper.make_node("Relu", ["b"], ["c"], name="r"),
             helper.make_node("Relu", ["c"], ["d"])]
    g = open_graph(save(tmp_path, nodes, [vi("x", [2])], [vi("d", [2])]))
    assert [n.name for n in g.nodes] == ["Relu_0", "r", "r_2", "Relu_3"]
    assert [n.source_name for n in g.nodes] == ["", "r", "r", ""]
    assert len({n.name for n in g.nodes}) == 4


def test_topological_order_of_unsorted_nodes(tmp_path):
    nodes = [helper.make_node("Relu", ["b"], ["c"], name="third"),
             helper.make_node("Relu", ["x"], ["a"], name="first"),
             helper.make_node("Add", ["a", "x"], ["b"], name="second")]
    g = open_graph(save(tmp_path, nodes, [vi("x", [2])], [vi("c", [2])]), shape_inference=False)
    assert [n.name for n in g.topological_order()] == ["first", "second", "third"]


def test_cycle_is_a_model_error(tmp_path):
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="n1"),
             helper.make_node("Relu", ["a"], ["b"], name="n2")]
    g = open_graph(save(tmp_path, nodes, [vi("x", [2])], [vi("b", [2])]), shape_inference=False)
    with pytest.raises(ModelError, match="cycle through node 'n1'"):
        g.topological_order()


def test_initializers_listed_as_inputs_are_not_inputs(tmp_path):
    """IR < 4 models list every initializer among the graph inputs too."""
    w = numpy_helper.from_array(np.ones((2, 2), np.float32), "w")
    p = save(tmp_path, [helper.make_node("MatMul", ["x", "w"], ["y"])], [vi("x", [1, 2]), vi("w", [2, 2])],
             [vi("y", [1, 2])], [w], opset=8, ir=3)
    g = open_graph(p)
    assert [v.name for v in g.inputs] == ["x"]
    assert g.values["w"].kind == "initializer"


def test_constant_attribute_is_summarized(tmp_path):
    small = numpy_helper.from_array(np.array([1.5, 2.0], np.float32), "c")
    big = numpy_helper.from_array(np.zeros((10, 10), np.float32), "big")
    nodes = [helper.make_node("Constant", [], ["c"], name="c", value=small),
             helper.make_node("Constant", [], ["big"], name="big", value=big),
             helper.make_node("LeakyRelu", ["x"], ["y"], name="lr", alpha=0.1),
             helper.make_node("Add", ["y", "c"], ["z"], name="add")]
    g = open_graph(save(tmp_path, nodes, [vi("x", [2])], [vi("z", [2])]))
    assert g.node("c").attributes["value"] == TensorSummary("float32", (2,), 8, (1.5, 2.0))
    assert g.node("big").attributes["value"] == TensorSummary("float32", (10, 10), 400, None)
    assert g.node("lr").attributes["alpha"] == 0.1  # float32 shown as written, not 0.10000000149


def test_if_subgraph_is_flagged_and_reads_outer_tensors(tmp_path):
    then_g = helper.make_graph([helper.make_node("Add", ["h", "h"], ["t_out"], name="then_add")], "then_branch",
                               [], [vi("t_out", [2])])
    else_g = helper.make_graph([helper.make_node("Neg", ["h"], ["e_out"], name="else_neg")], "else_branch",
                               [], [vi("e_out", [2])])
    nodes = [helper.make_node("Relu", ["x"], ["h"], name="relu"),
             helper.make_node("If", ["cond"], ["y"], name="if", then_branch=then_g, else_branch=else_g)]
    g = open_graph(save(tmp_path, nodes, [vi("x", [2]), vi("cond", [], TensorProto.BOOL)], [vi("y", [2])]))
    node = g.node("if")
    assert node.has_subgraphs and not g.node("relu").has_subgraphs
    assert set(node.subgraphs) == {"then_branch", "else_branch"}
    assert node.implicit_inputs == ("h",)
    assert node.attributes["then_branch"] == "graph 'then_branch' (1 nodes)"
    then = node.subgraphs["then_branch"]
    assert then.values["h"].kind == "outer" and then.values["h"].consumers == ("then_add",)
    assert Edge("relu", "if", "h") in g.edges()
    assert [n.name for n in g.topological_order()] == ["relu", "if"]
    assert len(g.all_subgraphs()) == 2


def test_loop_body_subgraph(tmp_path):
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"], name="keep"),
         helper.make_node("Add", ["acc_in", "step"], ["acc_out"], name="accumulate")],
        "body", [vi("i", [], TensorProto.INT64), vi("cond_in", [], TensorProto.BOOL), vi("acc_in", [2])],
        [vi("cond_out", [], TensorProto.BOOL), vi("acc_out", [2])])
    nodes = [helper.make_node("Loop", ["n", "", "x"], ["y"], name="loop", body=body)]
    g = open_graph(save(tmp_path, nodes, [vi("n", [], TensorProto.INT64), vi("x", [2]), vi("step", [2])],
                        [vi("y", [2])]))
    loop = g.node("loop")
    assert loop.implicit_inputs == ("step",)
    assert loop.inputs == ("n", "", "x")
    assert g.values["step"].consumers == ("loop",)
    assert loop.subgraphs["body"].values["acc_in"].kind == "input"


def test_unnamed_graph_input_is_a_model_error(tmp_path):
    p = save(tmp_path, [helper.make_node("Relu", ["x"], ["y"])], [vi("x", [2]), vi("", [2])], [vi("y", [2])])
    with pytest.raises(ModelError, match="input 2 has no name"):
        open_graph(p)
