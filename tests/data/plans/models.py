"""The small ONNX models whose TensorRT-RTX reports are recorded beside this file.

Built with onnx.helper from a fixed seed, so the recorded reports can be re-made and the tests can
rebuild the exact node names that a report's metadata refers to (no .onnx file is committed)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def _init(rng, name, shape, scale=0.1):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def matmul_add_relu() -> onnx.ModelProto:
    """x[batch,16] -> MatMul(W 16x8) -> Add(B) -> Relu -> y: TensorRT fuses it into one layer."""
    rng = np.random.default_rng(0)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "W"], ["mm"], name="fc_matmul"),
            helper.make_node("Add", ["mm", "B"], ["add"], name="fc_bias"),
            helper.make_node("Relu", ["add"], ["y"], name="fc_relu"),
        ],
        "matmul_add_relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])],
        [_init(rng, "W", (16, 8)), _init(rng, "B", (8,))],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def tiny_encoder(hidden: int = 32, heads: int = 2, ffn: int = 64, vocab: int = 50,
                 max_len: int = 32, n_classes: int = 4) -> onnx.ModelProto:
    """One BERT-style encoder layer with the node names and op patterns a torch export has:
    embeddings + LayerNorm, attention mask arithmetic, Q/K/V projections with shape arithmetic
    (Shape/Gather/Unsqueeze/Concat -> Reshape), softmax attention, Erf-GELU FFN, residual
    LayerNorms, mean pooling and a classifier head. Inputs input_ids/attention_mask int64
    [batch, sequence]; output logits [batch, n_classes]."""
    rng = np.random.default_rng(1)
    d = hidden // heads
    inits = [
        _init(rng, "word_embeddings", (vocab, hidden)),
        _init(rng, "position_embeddings", (max_len, hidden)),
        numpy_helper.from_array(np.ones(hidden, np.float32), "ln0.gamma"),
        numpy_helper.from_array(np.zeros(hidden, np.float32), "ln0.beta"),
        numpy_helper.from_array(np.ones(hidden, np.float32), "ln1.gamma"),
        numpy_helper.from_array(np.zeros(hidden, np.float32), "ln1.beta"),
        numpy_helper.from_array(np.ones(hidden, np.float32), "ln2.gamma"),
        numpy_helper.from_array(np.zeros(hidden, np.float32), "ln2.beta"),
        numpy_helper.from_array(np.array(0, np.int64), "c_i0"),
        numpy_helper.from_array(np.array(1, np.int64), "c_i1"),
        numpy_helper.from_array(np.array([0], np.int64), "c_axes0"),
        numpy_helper.from_array(np.array([1, 2], np.int64), "c_axes12"),
        numpy_helper.from_array(np.array([heads, d], np.int64), "c_heads_d"),
        numpy_helper.from_array(np.array([hidden], np.int64), "c_hidden"),
        numpy_helper.from_array(np.array(1.0, np.float32), "c_one"),
        numpy_helper.from_array(np.array(-10000.0, np.float32), "c_neg"),
        numpy_helper.from_array(np.array(np.sqrt(d), np.float32), "c_sqrt_d"),
        numpy_helper.from_array(np.array(np.sqrt(2.0), np.float32), "c_sqrt2"),
        numpy_helper.from_array(np.array(0.5, np.float32), "c_half"),
    ]
    for n, shape in [("q", (hidden, hidden)), ("k", (hidden, hidden)), ("v", (hidden, hidden)),
                     ("o", (hidden, hidden)), ("ffn_in", (hidden, ffn)), ("ffn_out", (ffn, hidden)),
                     ("cls", (hidden, n_classes))]:
        inits.append(_init(rng, f"{n}.weight", shape))
        inits.append(_init(rng, f"{n}.bias", (shape[1],)))
    N = helper.make_node
    nodes = [
        # embeddings
        N("Gather", ["word_embeddings", "input_ids"], ["emb_word"], name="/embeddings/word/Gather"),
        N("Shape", ["input_ids"], ["ids_shape"], name="/embeddings/Shape"),
        N("Gather", ["ids_shape", "c_i1"], ["seq_len"], name="/embeddings/Gather_seq", axis=0),
        N("Range", ["c_i0", "seq_len", "c_i1"], ["positions"], name="/embeddings/Range"),
        N("Gather", ["position_embeddings", "positions"], ["emb_pos"], name="/embeddings/position/Gather"),
        N("Add", ["emb_word", "emb_pos"], ["emb_sum"], name="/embeddings/Add"),
        N("LayerNormalization", ["emb_sum", "ln0.gamma", "ln0.beta"], ["h0"],
          name="/embeddings/LayerNorm", axis=-1, epsilon=1e-12),
        # extended attention mask: (1 - mask) * -10000, shape [batch, 1, 1, seq]
        N("Unsqueeze", ["attention_mask", "c_axes12"], ["mask4"], name="/mask/Unsqueeze"),
        N("Cast", ["mask4"], ["maskf"], name="/mask/Cast", to=TensorProto.FLOAT),
        N("Sub", ["c_one", "maskf"], ["mask_inv"], name="/mask/Sub"),
        N("Mul", ["mask_inv", "c_neg"], ["mask_add"], name="/mask/Mul"),
        # shape arithmetic for the head split: [batch, seq, heads, d]
        N("Shape", ["h0"], ["h_shape"], name="/attn/Shape"),
        N("Gather", ["h_shape", "c_i0"], ["batch_dim"], name="/attn/Gather_batch", axis=0),
        N("Gather", ["h_shape", "c_i1"], ["seq_dim"], name="/attn/Gather_seq", axis=0),
        N("Unsqueeze", ["batch_dim", "c_axes0"], ["batch_1d"], name="/attn/Unsqueeze_batch"),
        N("Unsqueeze", ["seq_dim", "c_axes0"], ["seq_1d"], name="/attn/Unsqueeze_seq"),
        N("Concat", ["batch_1d", "seq_1d", "c_heads_d"], ["split_shape"], name="/attn/Concat_split", axis=0),
        N("Concat", ["batch_1d", "seq_1d", "c_hidden"], ["merge_shape"], name="/attn/Concat_merge", axis=0),
    ]
    for n in ("q", "k", "v"):
        nodes += [
            N("MatMul", ["h0", f"{n}.weight"], [f"{n}_mm"], name=f"/attn/{n}/MatMul"),
            N("Add", [f"{n}_mm", f"{n}.bias"], [f"{n}_lin"], name=f"/attn/{n}/Add"),
            N("Reshape", [f"{n}_lin", "split_shape"], [f"{n}_4d"], name=f"/attn/{n}/Reshape"),
            N("Transpose", [f"{n}_4d"], [f"{n}_t"], name=f"/attn/{n}/Transpose",
              perm=[0, 2, 3, 1] if n == "k" else [0, 2, 1, 3]),
        ]
    nodes += [
        N("MatMul", ["q_t", "k_t"], ["scores"], name="/attn/MatMul_qk"),
        N("Div", ["scores", "c_sqrt_d"], ["scores_s"], name="/attn/Div"),
        N("Add", ["scores_s", "mask_add"], ["scores_m"], name="/attn/Add_mask"),
        N("Softmax", ["scores_m"], ["probs"], name="/attn/Softmax", axis=-1),
        N("MatMul", ["probs", "v_t"], ["ctx"], name="/attn/MatMul_pv"),
        N("Transpose", ["ctx"], ["ctx_t"], name="/attn/Transpose_ctx", perm=[0, 2, 1, 3]),
        N("Reshape", ["ctx_t", "merge_shape"], ["ctx_m"], name="/attn/Reshape_ctx"),
        N("MatMul", ["ctx_m", "o.weight"], ["o_mm"], name="/attn/o/MatMul"),
        N("Add", ["o_mm", "o.bias"], ["o_lin"], name="/attn/o/Add"),
        N("Add", ["o_lin", "h0"], ["res1"], name="/attn/Add_residual"),
        N("LayerNormalization", ["res1", "ln1.gamma", "ln1.beta"], ["h1"],
          name="/attn/LayerNorm", axis=-1, epsilon=1e-12),
        # FFN with exact GELU as torch exports it: x * 0.5 * (1 + erf(x / sqrt(2)))
        N("MatMul", ["h1", "ffn_in.weight"], ["f_mm"], name="/ffn/in/MatMul"),
        N("Add", ["f_mm", "ffn_in.bias"], ["f_lin"], name="/ffn/in/Add"),
        N("Div", ["f_lin", "c_sqrt2"], ["g_div"], name="/ffn/gelu/Div"),
        N("Erf", ["g_div"], ["g_erf"], name="/ffn/gelu/Erf"),
        N("Add", ["g_erf", "c_one"], ["g_add"], name="/ffn/gelu/Add"),
        N("Mul", ["f_lin", "g_add"], ["g_mul"], name="/ffn/gelu/Mul"),
        N("Mul", ["g_mul", "c_half"], ["g_out"], name="/ffn/gelu/Mul_1"),
        N("MatMul", ["g_out", "ffn_out.weight"], ["fo_mm"], name="/ffn/out/MatMul"),
        N("Add", ["fo_mm", "ffn_out.bias"], ["fo_lin"], name="/ffn/out/Add"),
        N("Add", ["fo_lin", "h1"], ["res2"], name="/ffn/Add_residual"),
        N("LayerNormalization", ["res2", "ln2.gamma", "ln2.beta"], ["h2"],
          name="/ffn/LayerNorm", axis=-1, epsilon=1e-12),
        # mean pooling + classifier
        N("ReduceMean", ["h2"], ["pooled"], name="/pool/ReduceMean", axes=[1], keepdims=0),
        N("MatMul", ["pooled", "cls.weight"], ["cls_mm"], name="/classifier/MatMul"),
        N("Add", ["cls_mm", "cls.bias"], ["logits"], name="/classifier/Add"),
    ]
    graph = helper.make_graph(
        nodes, "tiny_encoder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", n_classes])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
