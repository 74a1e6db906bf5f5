"""The compute of each quantizable node (MatMul, Gemm, Conv) at the shapes validation data gives,
so a precision assignment can say what share of a model's GEMM FLOPs it lowers. Shapes come from
ONNX Runtime's symbolic inference with the inputs fixed to one real batch."""

from __future__ import annotations

import math

import numpy as np
import onnx

from studio.core.graph.ort_shapes import infer_symbolic

QUANTIZABLE = ("MatMul", "Gemm", "Conv")


def quantizable_nodes(model: onnx.ModelProto) -> list[str]:
    return [n.name for n in model.graph.node if n.op_type in QUANTIZABLE]


def _shapes(model: onnx.ModelProto, feed: dict[str, np.ndarray]) -> dict[str, list[int | None]]:
    fixed = onnx.ModelProto.FromString(model.SerializeToString())
    for vi in fixed.graph.input:
        if vi.name in feed:
            dims = vi.type.tensor_type.shape.dim
            for d, n in zip(dims, feed[vi.name].shape):
                d.Clear()
                d.dim_value = int(n)
    try:
        typed, _ = infer_symbolic(fixed)
    except Exception:  # shapes are a nicety here: a model ORT cannot follow gets weight-only figures
        typed = fixed
    g = typed.graph
    out: dict[str, list[int | None]] = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        out[vi.name] = [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]
    for t in g.initializer:
        out[t.name] = list(t.dims)
    return out


def _known(shape) -> bool:
    return shape is not None and len(shape) > 0 and all(isinstance(d, int) and d > 0 for d in shape)


def node_flops(model: onnx.ModelProto, feed: dict[str, np.ndarray]) -> dict[str, float]:
    """Node name -> multiply-add FLOPs (2 per MAC) for one batch of `feed`; 0 where a shape is
    unknown."""
    shapes = _shapes(model, feed)
    flops: dict[str, float] = {}
    for n in model.graph.node:
        if n.op_type not in QUANTIZABLE:
            continue
        a, b = shapes.get(n.input[0]), shapes.get(n.input[1])
        out = shapes.get(n.output[0])
        f = 0.0
        if n.op_type == "MatMul" and _known(a) and _known(b):
            k = a[-1]
            m = a[-2] if len(a) > 1 else 1
            nn = b[-1] if len(b) > 1 else 1
            batch = math.prod(np.broadcast_shapes(tuple(a[:-2]), tuple(b[:-2]))) if (len(a) > 2 or len(b) > 2) else 1
            f = 2.0 * batch * m * k * nn
        elif n.op_type == "Gemm" and _known(a) and _known(b):
            trans_a = next((x.i for x in n.attribute if x.name == "transA"), 0)
            trans_b = next((x.i for x in n.attribute if x.name == "transB"), 0)
            m, k = (a[1], a[0]) if trans_a else (a[0], a[1])
            nn = b[0] if trans_b else b[1]
            f = 2.0 * m * k * nn
        elif n.op_type == "Conv" and _known(b) and _known(out):
            # out: N, Cout, spatial...; weight: Cout, Cin/group, kernel...: each output element
            # takes one MAC per weight of its filter
            f = 2.0 * math.prod(out) * math.prod(b[1:])
        flops[n.name] = f
    return flops
