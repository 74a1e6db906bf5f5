"""Build a BERT encoder + mean pooling + linear intent head as an ONNX graph, with onnx.helper.

The graph mirrors what `torch.onnx.export` makes of a Hugging Face BertModel (node names such
as `/encoder/layer.3/attention/self/query/MatMul`, the `(1 - mask) * -10000` additive mask,
GELU in its erf form, K transposed with perm [0, 2, 3, 1]), so that the same fusion passes that
users rely on for their own exports (ONNX Runtime's transformer optimizer, TensorRT's Myelin)
recognise it here too; the demo then shows what a real model goes through.

Inputs `input_ids`, `attention_mask` (int64, [batch, sequence]); outputs `logits`
[batch, n_intents] (unless built encoder-only) and `sentence_embedding` [batch, hidden],
L2-normalised as sentence-transformers' all-MiniLM-L6-v2 does.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from studio import __version__
from studio.core.demo.weights import BertConfig

OPSET = 17
# HF BERT's additive mask value: finite so that FP16 casts of the model stay finite.
MASK_VALUE = -10000.0


class _GraphWriter:
    """Collects nodes and initializers; every node gets a readable, unique name."""

    def __init__(self):
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._init_names: set[str] = set()

    def const(self, name: str, value, dtype=np.float32) -> str:
        if name not in self._init_names:
            arr = np.asarray(value, dtype=dtype)
            self.initializers.append(numpy_helper.from_array(arr, name))
            self._init_names.add(name)
        return name

    def op(self, op_type: str, name: str, inputs: list[str], n_out: int = 1, out: str | None = None, **attrs):
        outputs = [out] if out else [f"{name}_output_{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name, **attrs))
        return outputs[0] if n_out == 1 else outputs


def _linear(g: _GraphWriter, scope: str, x: str, w_hf: np.ndarray, b: np.ndarray, out: str | None = None) -> str:
    """x @ W^T + b the way torch exports nn.Linear on 3-D input: MatMul then a bias Add."""
    w = g.const(f"{scope.strip('/').replace('/', '.')}.weight", np.ascontiguousarray(w_hf.T))
    bias = g.const(f"{scope.strip('/').replace('/', '.')}.bias", b)
    y = g.op("MatMul", f"{scope}/MatMul", [x, w])
    return g.op("Add", f"{scope}/Add", [bias, y], out=out)


def _layer_norm(g: _GraphWriter, scope: str, x: str, gamma: np.ndarray, beta: np.ndarray, eps: float) -> str:
    p = scope.strip("/").replace("/", ".")
    return g.op("LayerNormalization", f"{scope}/LayerNormalization",
                [x, g.const(f"{p}.weight", gamma), g.const(f"{p}.bias", beta)], axis=-1, epsilon=float(eps))


def _gelu(g: _GraphWriter, scope: str, x: str) -> str:
    """0.5 * x * (1 + erf(x / sqrt(2))), in the node order torch emits for HF's gelu."""
    half = g.op("Mul", f"{scope}/Mul", [x, g.const("const.half", 0.5)])
    d = g.op("Div", f"{scope}/Div", [x, g.const("const.sqrt2", math.sqrt(2.0))])
    e = g.op("Erf", f"{scope}/Erf", [d])
    a = g.op("Add", f"{scope}/Add", [e, g.const("const.one", 1.0)])
    return g.op("Mul", f"{scope}/Mul_1", [half, a])


def _embeddings(g: _GraphWriter, cfg: BertConfig, w: dict) -> str:
    word = g.op("Gather", "/embeddings/word_embeddings/Gather",
                [g.const("embeddings.word_embeddings.weight", w["embeddings.word_embeddings.weight"]), "input_ids"])
    shape = g.op("Shape", "/embeddings/Shape", ["input_ids"])
    # No token_type_ids input: every token is segment 0, as HF's buffered zeros do.
    token_type_ids = g.op("ConstantOfShape", "/embeddings/ConstantOfShape", [shape],
                          value=numpy_helper.from_array(np.zeros(1, np.int64)))
    token_type = g.op("Gather", "/embeddings/token_type_embeddings/Gather",
                      [g.const("embeddings.token_type_embeddings.weight", w["embeddings.token_type_embeddings.weight"]),
                       token_type_ids])
    x = g.op("Add", "/embeddings/Add", [word, token_type])
    # Shape -> Gather(1) -> Unsqueeze -> Slice of the position_ids buffer: torch's export of HF's
    # `self.position_ids[:, :seq_length]`, the form ORT's EmbedLayerNormalization fusion matches.
    seq_len = g.op("Gather", "/embeddings/Gather", [g.op("Shape", "/embeddings/Shape_1", ["input_ids"]),
                                                     g.const("const.one_scalar", 1, np.int64)], axis=0)
    seq_len = g.op("Unsqueeze", "/embeddings/Unsqueeze", [seq_len, g.const("const.axes_0", [0], np.int64)])
    position_ids = g.op("Slice", "/embeddings/Slice",
                        [g.const("embeddings.position_ids", np.arange(cfg.max_position_embeddings)[None, :], np.int64),
                         g.const("const.zero_1d", [0], np.int64), seq_len, g.const("const.one_1d", [1], np.int64)])
    position = g.op("Gather", "/embeddings/position_embeddings/Gather",
                    [g.const("embeddings.position_embeddings.weight", w["embeddings.position_embeddings.weight"]),
                     position_ids])
    x = g.op("Add", "/embeddings/Add_1", [x, position])
    return _layer_norm(g, "/embeddings/LayerNorm", x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"],
                       cfg.layer_norm_eps)


def _additive_mask(g: _GraphWriter) -> str:
    """attention_mask [b, s] (1 = token, 0 = pad) -> [b, 1, 1, s] float: 0 for tokens, -10000 for pads."""
    m = g.op("Unsqueeze", "/extended_attention_mask/Unsqueeze", ["attention_mask", g.const("const.axes_1", [1], np.int64)])
    m = g.op("Unsqueeze", "/extended_attention_mask/Unsqueeze_1", [m, g.const("const.axes_2", [2], np.int64)])
    m = g.op("Cast", "/extended_attention_mask/Cast", [m], to=TensorProto.FLOAT)
    m = g.op("Sub", "/extended_attention_mask/Sub", [g.const("const.one", 1.0), m])
    return g.op("Mul", "/extended_attention_mask/Mul", [m, g.const("const.mask_value", MASK_VALUE)])


def _self_attention(g: _GraphWriter, cfg: BertConfig, w: dict, n: int, x: str, mask: str) -> str:
    s = f"/encoder/layer.{n}/attention/self"
    k = f"encoder.layer.{n}.attention.self"
    heads_shape = g.const("const.heads_shape", [0, 0, cfg.num_attention_heads, cfg.head_size], np.int64)

    def project(name: str, perm: list[int]) -> str:
        y = _linear(g, f"{s}/{name}", x, w[f"{k}.{name}.weight"], w[f"{k}.{name}.bias"])
        y = g.op("Reshape", f"{s}/{name}/Reshape", [y, heads_shape])
        return g.op("Transpose", f"{s}/{name}/Transpose", [y], perm=perm)

    q = project("query", [0, 2, 1, 3])       # [b, h, s, d]
    kt = project("key", [0, 2, 3, 1])        # [b, h, d, s]
    v = project("value", [0, 2, 1, 3])       # [b, h, s, d]
    scores = g.op("MatMul", f"{s}/MatMul", [q, kt])
    scores = g.op("Div", f"{s}/Div", [scores, g.const("const.sqrt_head_size", math.sqrt(cfg.head_size))])
    scores = g.op("Add", f"{s}/Add", [scores, mask])
    probs = g.op("Softmax", f"{s}/Softmax", [scores], axis=-1)
    ctx = g.op("MatMul", f"{s}/MatMul_1", [probs, v])
    ctx = g.op("Transpose", f"{s}/Transpose", [ctx], perm=[0, 2, 1, 3])
    return g.op("Reshape", f"{s}/Reshape", [ctx, g.const("const.hidden_shape", [0, 0, cfg.hidden_size], np.int64)])


def _encoder_layer(g: _GraphWriter, cfg: BertConfig, w: dict, n: int, x: str, mask: str) -> str:
    p, k = f"/encoder/layer.{n}", f"encoder.layer.{n}"
    ctx = _self_attention(g, cfg, w, n, x, mask)
    y = _linear(g, f"{p}/attention/output/dense", ctx, w[f"{k}.attention.output.dense.weight"],
                w[f"{k}.attention.output.dense.bias"])
    y = g.op("Add", f"{p}/attention/output/Add", [y, x])
    attn_out = _layer_norm(g, f"{p}/attention/output/LayerNorm", y, w[f"{k}.attention.output.LayerNorm.weight"],
                           w[f"{k}.attention.output.LayerNorm.bias"], cfg.layer_norm_eps)
    h = _linear(g, f"{p}/intermediate/dense", attn_out, w[f"{k}.intermediate.dense.weight"],
                w[f"{k}.intermediate.dense.bias"])
    h = _gelu(g, f"{p}/intermediate/intermediate_act_fn", h)
    y = _linear(g, f"{p}/output/dense", h, w[f"{k}.output.dense.weight"], w[f"{k}.output.dense.bias"])
    y = g.op("Add", f"{p}/output/Add", [y, attn_out])
    return _layer_norm(g, f"{p}/output/LayerNorm", y, w[f"{k}.output.LayerNorm.weight"],
                       w[f"{k}.output.LayerNorm.bias"], cfg.layer_norm_eps)


def _mean_pool_normalize(g: _GraphWriter, tokens: str) -> str:
    """Masked mean over the sequence, then L2 normalisation (sentence-transformers' Pooling + Normalize)."""
    m = g.op("Unsqueeze", "/pooling/Unsqueeze", ["attention_mask", g.const("const.axes_neg1", [-1], np.int64)])
    m = g.op("Cast", "/pooling/Cast", [m], to=TensorProto.FLOAT)
    summed = g.op("ReduceSum", "/pooling/ReduceSum", [g.op("Mul", "/pooling/Mul", [tokens, m]),
                                                       g.const("const.axes_1", [1], np.int64)], keepdims=0)
    count = g.op("ReduceSum", "/pooling/ReduceSum_1", [m, g.const("const.axes_1", [1], np.int64)], keepdims=0)
    count = g.op("Max", "/pooling/Max", [count, g.const("const.count_floor", 1e-9)])
    pooled = g.op("Div", "/pooling/Div", [summed, count])
    norm = g.op("ReduceL2", "/normalize/ReduceL2", [pooled], axes=[-1], keepdims=1)
    norm = g.op("Max", "/normalize/Max", [norm, g.const("const.norm_floor", 1e-12)])
    return g.op("Div", "/normalize/Div", [pooled, norm], out="sentence_embedding")


def build_bert_onnx(cfg: BertConfig, weights: dict[str, np.ndarray],
                    head: tuple[np.ndarray, np.ndarray] | None = None, *,
                    graph_name: str = "bert_intent", metadata: dict[str, str] | None = None) -> onnx.ModelProto:
    """The ModelProto for `weights` (HF names/layout). `head` = (W [hidden, n], b [n]) adds `logits`;
    None builds the encoder-only graph (output `sentence_embedding` only)."""
    g = _GraphWriter()
    x = _embeddings(g, cfg, weights)
    mask = _additive_mask(g)
    for n in range(cfg.num_hidden_layers):
        x = _encoder_layer(g, cfg, weights, n, x, mask)
    emb = _mean_pool_normalize(g, x)

    dims = ["batch", "sequence"]
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, dims),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64, dims)]
    outputs = []
    if head is not None:
        hw, hb = head
        if hw.shape[0] != cfg.hidden_size or hb.shape != (hw.shape[1],):
            raise ValueError(f"head shapes {hw.shape}/{hb.shape} do not fit hidden size {cfg.hidden_size}")
        y = g.op("MatMul", "/classifier/MatMul", [emb, g.const("classifier.weight", hw)])
        g.op("Add", "/classifier/Add", [y, g.const("classifier.bias", hb)], out="logits")
        outputs.append(helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", int(hw.shape[1])]))
    outputs.append(helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", cfg.hidden_size]))

    graph = helper.make_graph(g.nodes, graph_name, inputs, outputs, initializer=g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="engine-studio", producer_version=__version__)
    # Pin the IR version so that the bytes do not change with the installed onnx package.
    model.ir_version = 8
    for key, value in sorted((metadata or {}).items()):
        model.metadata_props.append(onnx.StringStringEntryProto(key=key, value=str(value)))
    return model


def model_bytes(model: onnx.ModelProto) -> bytes:
    return model.SerializeToString(deterministic=True)
