"""An fp16 model made fp32 inside, its inputs and outputs keeping their types.

Quantizers (ONNX Runtime's dynamic and static int8, Q/DQ for TensorRT) calibrate and quantize
fp32 tensors only: a model exported in fp16 (`model.half()` before `torch.onnx.export`) makes
them fail deep inside with a type error. Computing in fp32 what was fp16 loses nothing, so the
quantizers get an fp32 model: fp16 weights and constants widened, casts to fp16 retargeted to
fp32, and a Cast at each fp16 input and output so callers feed and read what they did."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from studio.core.precision.model_io import fresh_name as _fresh
from studio.core.precision.model_io import subgraphs

FP16, FP32 = TensorProto.FLOAT16, TensorProto.FLOAT


def has_fp16(model: onnx.ModelProto) -> bool:
    g = model.graph
    return (any(t.data_type == FP16 for t in g.initializer)
            or any(v.type.tensor_type.elem_type == FP16 for v in (*g.input, *g.output)))


def _widen(t: onnx.TensorProto) -> onnx.TensorProto:
    return numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float32), t.name)


def _graph(g: onnx.GraphProto) -> int:
    changed = 0
    for i, t in enumerate(g.initializer):
        if t.data_type == FP16:
            g.initializer[i].CopyFrom(_widen(t))
            changed += 1
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == FP16:
                a.t.CopyFrom(_widen(a.t))
                changed += 1
            elif a.name == "to" and n.op_type == "Cast" and a.i == FP16:
                a.i = FP32
                changed += 1
        for sub in subgraphs(n):
            changed += _graph(sub)
    for v in g.value_info:
        if v.type.tensor_type.elem_type == FP16:
            v.type.tensor_type.elem_type = FP32
    return changed


def to_fp32(model: onnx.ModelProto) -> tuple[onnx.ModelProto, int]:
    """(model, places changed), in place; fp16 graph inputs and outputs keep their type."""
    g = model.graph
    changed = _graph(g)
    taken = {t for n in g.node for t in (*n.input, *n.output)} | {i.name for i in g.input}
    head, tail = [], []
    for vi in g.input:
        if vi.type.tensor_type.elem_type != FP16:
            continue
        wide = _fresh(f"{vi.name}/fp32", taken)
        for n in g.node:
            for i, t in enumerate(n.input):
                if t == vi.name:
                    n.input[i] = wide
        head.append(helper.make_node("Cast", [vi.name], [wide], name=wide, to=FP32))
    for vo in g.output:
        if vo.type.tensor_type.elem_type != FP16:
            continue
        wide = _fresh(f"{vo.name}/fp32", taken)
        for n in g.node:
            for i, t in enumerate(n.output):
                if t == vo.name:
                    n.output[i] = wide
            for i, t in enumerate(n.input):
                if t == vo.name:
                    n.input[i] = wide
        tail.append(helper.make_node("Cast", [wide], [vo.name], name=f"{vo.name}/fp16", to=FP16))
    if head or tail:
        nodes = head + list(g.node) + tail
        del g.node[:]
        g.node.extend(nodes)
    return model, changed + len(head) + len(tail)
