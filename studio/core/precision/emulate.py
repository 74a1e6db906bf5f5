"""A typed model made runnable on a CPU without changing what it computes.

ONNX Runtime's CPU provider cannot be trusted with a half-precision graph: it has almost no
bf16 kernels (it refuses the model), and where an fp16 kernel is missing it computes in fp32 and
then drops the round trip through fp16 its inserted casts make: an fp16 Add of 70000 + 70000
gives 140000 there, where a GPU gives inf. So both are emulated: every fp16/bf16 tensor is held
in fp32, and each value a node produces in fp16/bf16 is rounded to it (an explicit Cast there and
back, which ORT keeps) right after that node, where a GPU kernel rounds its output. fp16/bf16 ->
fp32 is lossless and the round trip rounds to nearest even as a GPU's conversion does; one
operation computed in fp32 and rounded once equals the half-precision operation (fp32 carries
more than twice the bits)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from studio.core.precision.model_io import fresh_name, topo_sort

HALF = (TensorProto.FLOAT16, TensorProto.BFLOAT16)


def _casts_to_half(node: onnx.NodeProto) -> int | None:
    if node.op_type != "Cast":
        return None
    return next((a.i for a in node.attribute if a.name == "to" and a.i in HALF), None)


def has_half(model: onnx.ModelProto) -> bool:
    g = model.graph
    return any(t.data_type in HALF for t in g.initializer) or any(_casts_to_half(n) for n in g.node)


def _fp32_tensor(t: TensorProto) -> TensorProto:
    return numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float32), t.name)


def _half_values(model: onnx.ModelProto) -> dict[str, int]:
    """Value name -> its half type, for every value the graph holds in fp16 or bf16."""
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False)
    g = inferred.graph
    found = {vi.name: vi.type.tensor_type.elem_type for vi in list(g.value_info) + list(g.output)
             if vi.type.tensor_type.elem_type in HALF}
    found.update({t.name: t.data_type for t in g.initializer if t.data_type in HALF})
    for n in g.node:
        to = _casts_to_half(n)
        if to:
            found.update({o: to for o in n.output})
    return found


def half_as_rounded_fp32(model: onnx.ModelProto) -> tuple[onnx.ModelProto, int]:
    """The fp16/bf16 parts of `model` computed in fp32 and rounded to their type after every
    node that produces one. Returns (model, rounding points inserted)."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    half = _half_values(model)
    g = model.graph
    taken = {o for n in g.node for o in n.output} | {i.name for i in g.input} | {t.name for t in g.initializer}
    for i, t in enumerate(g.initializer):
        if t.data_type in HALF:
            g.initializer[i].CopyFrom(_fp32_tensor(t))
    new_nodes = []
    points = 0
    for node in g.node:
        for a in node.attribute:
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type in HALF:
                a.t.CopyFrom(_fp32_tensor(a.t))
        rounded = [o for o in node.output if o in half]
        renames = {}
        for o in rounded:
            raw = fresh_name(o + "_fp32", taken)
            renames[o] = raw
        node.output[:] = [renames.get(o, o) for o in node.output]
        new_nodes.append(node)
        for o, raw in renames.items():
            # A Cast to the half type already rounds: what follows it reads it back in fp32.
            mid = fresh_name(o + "_half", taken)
            if node.op_type == "Cast":
                node.output[:] = [mid if x == raw else x for x in node.output]
            else:
                new_nodes.append(helper.make_node("Cast", [raw], [mid], to=half[o], name=fresh_name(f"{o}/round", taken)))
            new_nodes.append(helper.make_node("Cast", [mid], [o], to=TensorProto.FLOAT, name=fresh_name(f"{o}/as_fp32", taken)))
            points += 1
    del g.node[:]
    g.node.extend(new_nodes)
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        if vi.type.tensor_type.elem_type in HALF:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT
    topo_sort(model)
    return model, points
