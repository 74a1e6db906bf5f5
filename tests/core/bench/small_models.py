"""Small real ONNX models (onnx.helper) for the benchmark, accuracy and CLI tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def load_helpers(conftest_file: str):
    """Import this module from a conftest anywhere under tests/ (import-mode=importlib)."""
    here = Path(__file__)
    spec = importlib.util.spec_from_file_location("bench_small_models", here)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _save(graph, path) -> str:
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, str(path))
    return str(path)


def mlp(path, n_in=32, hidden=64, n_out=8, seed=0, scale=1.0, batch="batch") -> str:
    """x[batch, n_in] float -> y[batch, n_out]; `scale` perturbs the second weight (a 'build'
    whose outputs differ from the reference by a known amount)."""
    rng = np.random.default_rng(seed)
    w1 = rng.standard_normal((n_in, hidden)).astype(np.float32)
    w2 = (rng.standard_normal((hidden, n_out)) * scale).astype(np.float32)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, n_in])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, n_out])
    nodes = [helper.make_node("MatMul", ["x", "W1"], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
             helper.make_node("MatMul", ["r", "W2"], ["y"])]
    g = helper.make_graph(nodes, "mlp", [x], [y], [numpy_helper.from_array(w1, "W1"), numpy_helper.from_array(w2, "W2")])
    return _save(g, path)


def log_model(path, n=8) -> str:
    """y = log(x): NaN for negative inputs, -Inf at zero (an overflowing build stand-in)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", n])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", n])
    return _save(helper.make_graph([helper.make_node("Log", ["x"], ["y"])], "log", [x], [y]), path)


def abs_model(path, n=8) -> str:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", n])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", n])
    return _save(helper.make_graph([helper.make_node("Abs", ["x"], ["y"])], "abs", [x], [y]), path)


def text_classifier(path, vocab=31000, hidden=16, n_cls=15, seed=0) -> str:
    """BERT-style inputs (input_ids, attention_mask int64 [batch, sequence]) -> logits [batch, n_cls]:
    masked mean of an embedding lookup, then a linear head. Real text pipeline, tiny compute."""
    rng = np.random.default_rng(seed)
    emb = rng.standard_normal((vocab, hidden)).astype(np.float32)
    w = rng.standard_normal((hidden, n_cls)).astype(np.float32)
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", n_cls])
    nodes = [
        helper.make_node("Gather", ["E", "input_ids"], ["e"]),
        helper.make_node("Cast", ["attention_mask"], ["mf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mf", "ax2"], ["m3"]),
        helper.make_node("Mul", ["e", "m3"], ["em"]),
        helper.make_node("ReduceSum", ["em", "ax1"], ["s"], keepdims=0),
        helper.make_node("ReduceSum", ["mf", "ax1"], ["cnt"], keepdims=1),
        helper.make_node("Div", ["s", "cnt"], ["pooled"]),
        helper.make_node("MatMul", ["pooled", "W"], ["logits"]),
    ]
    inits = [numpy_helper.from_array(emb, "E"), numpy_helper.from_array(w, "W"),
             numpy_helper.from_array(np.array([2], np.int64), "ax2"), numpy_helper.from_array(np.array([1], np.int64), "ax1")]
    return _save(helper.make_graph(nodes, "textcls", [ids, mask], [out], inits), path)
