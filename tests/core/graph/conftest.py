"""Small ONNX models made with onnx.helper, for the graph-core tests."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper


def encoder_model(layers: int = 1, hidden: int = 16, heads: int = 2, inter: int = 32, vocab: int = 50,
                  seed: int = 0) -> onnx.ModelProto:
    """A BERT-style encoder: embeddings, then per layer Q/K/V projections, Q x K^T, softmax with
    the attention mask, x V, output projection, residual + LayerNorm, GELU FFN, residual +
    LayerNorm. Inputs input_ids/attention_mask [batch, sequence]; output [batch, sequence, hidden]."""
    rng = np.random.default_rng(seed)
    dh = hidden // heads
    inits, nodes = [], []

    def w(name, *shape):
        inits.append(numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32) * 0.02, name))
        return name

    def c(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def n(op, ins, outs, **attrs):
        nodes.append(helper.make_node(op, ins, outs, name=f"{outs[0]}_{op}", **attrs))
        return outs[0]

    c("split_heads", np.array([0, 0, heads, dh], np.int64))
    c("merge_heads", np.array([0, 0, hidden], np.int64))
    c("scale", np.array(1.0 / np.sqrt(dh), np.float32))
    c("one", np.array(1.0, np.float32))
    c("neg", np.array(-10000.0, np.float32))
    c("axes12", np.array([1, 2], np.int64))
    x = n("Gather", [w("word_embeddings", vocab, hidden), "input_ids"], ["emb"])
    m = n("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT)
    m = n("Unsqueeze", [m, "axes12"], ["mask_4d"])
    m = n("Sub", ["one", m], ["mask_inv"])
    bias = n("Mul", [m, "neg"], ["mask_bias"])
    for i in range(layers):
        p = f"l{i}."
        proj = {}
        for part in ("q", "k", "v"):
            t = n("MatMul", [x, w(p + part + "_w", hidden, hidden)], [p + part + "_mm"])
            t = n("Add", [t, w(p + part + "_b", hidden)], [p + part])
            proj[part] = n("Reshape", [t, "split_heads"], [p + part + "_heads"])
        q = n("Transpose", [proj["q"]], [p + "q_t"], perm=[0, 2, 1, 3])
        k = n("Transpose", [proj["k"]], [p + "k_t"], perm=[0, 2, 3, 1])
        v = n("Transpose", [proj["v"]], [p + "v_t"], perm=[0, 2, 1, 3])
        s = n("MatMul", [q, k], [p + "scores"])
        s = n("Mul", [s, "scale"], [p + "scaled"])
        s = n("Add", [s, bias], [p + "masked"])
        s = n("Softmax", [s], [p + "probs"], axis=-1)
        a = n("MatMul", [s, v], [p + "context"])
        a = n("Transpose", [a], [p + "context_t"], perm=[0, 2, 1, 3])
        a = n("Reshape", [a, "merge_heads"], [p + "context_m"])
        a = n("MatMul", [a, w(p + "o_w", hidden, hidden)], [p + "o_mm"])
        a = n("Add", [a, w(p + "o_b", hidden)], [p + "o"])
        a = n("Add", [a, x], [p + "res1"])
        x = n("LayerNormalization", [a, w(p + "ln1_g", hidden), w(p + "ln1_b", hidden)], [p + "ln1"], axis=-1)
        f = n("MatMul", [x, w(p + "ff1_w", hidden, inter)], [p + "ff1_mm"])
        f = n("Add", [f, w(p + "ff1_b", inter)], [p + "ff1"])
        f = n("Gelu", [f], [p + "gelu"])
        f = n("MatMul", [f, w(p + "ff2_w", inter, hidden)], [p + "ff2_mm"])
        f = n("Add", [f, w(p + "ff2_b", hidden)], [p + "ff2"])
        f = n("Add", [f, x], [p + "res2"])
        x = n("LayerNormalization", [f, w(p + "ln2_g", hidden), w(p + "ln2_b", hidden)], [p + "ln2"], axis=-1)
    nodes.append(helper.make_node("Identity", [x], ["hidden_states"], name="output"))
    graph = helper.make_graph(
        nodes, "encoder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT, ["batch", "sequence", hidden])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)], producer_name="tests",
                              producer_version="1.0")
    model.ir_version = 9
    return model


def encoder_flops(batch: int, seq: int, layers: int, hidden: int, inter: int) -> tuple[int, int]:
    """Hand count, 2 FLOPs per MAC: Q, K, V, O projections 4 x BSH^2 MACs, Q x K^T and P x V
    2 x BS^2H MACs (summed over heads), FFN 2 x BSHI MACs. Returns (total, attention)."""
    B, S, H, I = batch, seq, hidden, inter
    attention = 2 * (2 * B * S * S * H)
    per_layer = 2 * (4 * B * S * H * H) + attention + 2 * (2 * B * S * H * I)
    return layers * per_layer, layers * attention


@pytest.fixture
def encoder_path(tmp_path):
    path = tmp_path / "encoder.onnx"
    onnx.save(encoder_model(layers=2), path)
    return path


@pytest.fixture
def make_encoder():
    """The encoder_model builder (test modules cannot import conftest under importlib mode)."""
    return encoder_model


@pytest.fixture
def hand_flops():
    return encoder_flops
