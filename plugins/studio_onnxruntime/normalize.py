"""Normalization before fusions: what exporters write around the arithmetic, made plain.

- `inline_identities`: the TorchScript exporter reads a weight shared by several layers (ALBERT's
  one layer run N times, tied embeddings) through `Identity` nodes; a fusion that wants "MatMul
  with a constant weight" sees a node output instead. Readers take the initializer itself.
- `fold_shape_scalars`: SDPA exports compute the attention scale from the query's shape at run
  time (`Sqrt(1 / Sqrt(Cast(Shape(q)[-1])))`, applied to Q and K separately). Such a scalar
  depends on shapes only, never on values: it is evaluated (ONNX Runtime, two probe batches of
  different sizes, the same value required) and becomes a constant.

Each pass edits the model in place and says how many places it changed."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

from studio.core.precision.model_io import tensor_links

from studio_onnxruntime.rewrites import _fresh

_SCALE_OPS = ("Mul", "Div")
_SIZE_OPS = ("Shape", "Size")  # read a tensor's shape, not its values


def inline_identities(model: onnx.ModelProto) -> int:
    g = model.graph
    inits = {t.name for t in g.initializer}
    outputs = {o.name for o in g.output}
    alias = {}
    for n in g.node:
        if n.op_type == "Identity" and n.input and n.input[0] in inits and n.output[0] not in outputs:
            alias[n.output[0]] = n.input[0]
    if not alias:
        return 0
    for n in g.node:
        for i, t in enumerate(n.input):
            if t in alias:
                n.input[i] = alias[t]
    keep = [n for n in g.node if not (n.op_type == "Identity" and n.output and n.output[0] in alias)]
    del g.node[:]
    g.node.extend(keep)
    return len(alias)


def _value_dependent(g: onnx.GraphProto) -> set:
    """Tensors whose values depend on the graph inputs' values (not only on their shapes)."""
    inits = {t.name for t in g.initializer}
    dep = {i.name for i in g.input if i.name not in inits}
    for n in g.node:  # nodes are in topological order in a valid model
        if n.op_type in _SIZE_OPS:
            continue
        if any(t in dep for t in n.input):
            dep.update(n.output)
    return dep


def fold_shape_scalars(model: onnx.ModelProto) -> int:
    g = model.graph
    inits = {t.name for t in g.initializer}
    consts = {n.output[0] for n in g.node if n.op_type == "Constant"}
    dep = _value_dependent(g)
    producer, _ = tensor_links(g)
    wanted = []
    for n in g.node:
        if n.op_type not in _SCALE_OPS or len(n.input) != 2:
            continue
        for t in n.input:
            if t not in dep and t not in inits and t not in consts and t in producer and t not in wanted:
                wanted.append(t)
    if not wanted:
        return 0
    values = _evaluate(model, wanted)
    if values is None:
        return 0
    taken = {t for n in g.node for t in (*n.input, *n.output)} | inits
    folded = {}
    for t, v in values.items():
        name = _fresh(f"{t}/folded", taken)
        g.initializer.append(numpy_helper.from_array(v, name))
        folded[t] = name
    for n in g.node:
        for i, t in enumerate(n.input):
            if t in folded:
                n.input[i] = folded[t]
    return len(folded)


def _evaluate(model: onnx.ModelProto, tensors: list[str]) -> dict | None:
    """{tensor: value} for the tensors that come out as the same scalar on two probe batches of
    different sizes; None when the model cannot be run."""
    # lazy: 24 ms off this module's import
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    del probe.graph.output[:]
    probe.graph.output.extend(onnx.helper.make_empty_tensor_value_info(t) for t in tensors)
    so = ort.SessionOptions()
    so.log_severity_level = 4
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        sess = ort.InferenceSession(probe.SerializeToString(), so, providers=["CPUExecutionProvider"])
        runs = [sess.run(None, _feed(sess, rows, seq)) for rows, seq in ((2, 7), (3, 12))]
    except Exception:
        return None
    out = {}
    for t, a, b in zip(tensors, *runs):
        a, b = np.asarray(a), np.asarray(b)
        if a.size == 1 and a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b):
            out[t] = a
    return out


def _feed(sess, rows: int, seq: int) -> dict:
    feed = {}
    for i in sess.get_inputs():
        dims = [d if isinstance(d, int) and d > 0 else (rows if k == 0 else seq) for k, d in enumerate(i.shape)]
        if "float" in i.type:
            feed[i.name] = np.zeros(dims, np.float16 if "16" in i.type else np.float32)
        else:  # ids, masks, segment ids: ones are valid for all of them
            feed[i.name] = np.ones(dims, np.int32 if "int32" in i.type else np.bool_ if "bool" in i.type else np.int64)
    return feed


def normalize(model: onnx.ModelProto) -> dict:
    """Every pass, in order, in place: {pass name: places changed}."""
    return {"inline_identities": inline_identities(model), "fold_shape_scalars": fold_shape_scalars(model)}
