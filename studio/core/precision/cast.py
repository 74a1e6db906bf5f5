"""FP16 / BF16 by casting the model itself (TensorRT 11 is strongly typed: precision lives in
the ONNX), keeping the model's float inputs and outputs in fp32 so callers feed what they fed
before."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

from studio.core.errors import ModelError
from studio.core.graph.ort_shapes import infer_symbolic
from studio.core.precision.keep import resolve_keep
from studio.core.precision.model_io import name_nodes, topo_sort

# Where fp16 overflows in an encoder, kept in fp32: the variance of a decomposed LayerNorm
# (x^2 then ReduceMean; TensorRT's own build warning says so), the Softmax of attention scores
# (a mask of float32's minimum is -inf in fp16, and a fully masked row becomes NaN), and sums over
# a sequence (mean pooling's ReduceSum). LayerNormalization (opset 17) accumulates in fp32
# internally, so it can stay fp16.
FRAGILE_FP16_OPS = ("Pow", "ReduceMean", "ReduceSum", "Softmax")
# Q/DQ pairs keep their fp32 scales: the converter puts a Cast after each DequantizeLinear, which
# TensorRT fuses into the quantized GEMM (the same engine layers as fp16 scales at opset 19).
QDQ_OPS = ("QuantizeLinear", "DequantizeLinear")


def _infer_types(model: onnx.ModelProto) -> tuple[onnx.ModelProto, bool]:
    """The converter places its Casts from value types; ONNX's own inference stops at ORT's
    contrib ops (fused Attention...), leaving the rest untyped and uncast, so use ORT's symbolic
    inference, which knows them. Returns (model, whether the converter should infer itself)."""
    if all(n.domain in ("", "ai.onnx") for n in model.graph.node):
        return model, True
    try:
        typed, complete = infer_symbolic(model)
    except Exception:
        return model, True
    return (typed, False) if complete else (model, True)


def cast_fp16(model: onnx.ModelProto, keep_fp32: list[str] | tuple[str, ...] = (),
              keep_fragile: bool = True) -> tuple[onnx.ModelProto, list[str]]:
    """ORT's float16 converter with keep_io_types; the Q/DQ of a quantized model keep their
    scales. Returns the model and notes for the user."""
    # lazy: 40 ms off this module's import
    from onnxruntime.transformers.float16 import DEFAULT_OP_BLOCK_LIST, convert_float_to_float16

    model = name_nodes(model)
    ops, nodes = resolve_keep(model, keep_fp32)
    present = {n.op_type for n in model.graph.node}
    fragile = [op for op in FRAGILE_FP16_OPS if op in present] if keep_fragile else []
    block = sorted(set(DEFAULT_OP_BLOCK_LIST) | set(ops) | set(fragile) | set(QDQ_OPS))
    typed, own_inference = _infer_types(model)
    try:
        out = convert_float_to_float16(typed, keep_io_types=True, op_block_list=block,
                                       node_block_list=nodes or None, disable_shape_infer=not own_inference)
    except Exception as e:  # the converter raises bare exceptions on graphs it cannot type
        raise ModelError(f"fp16 conversion failed: {type(e).__name__}: {e}") from None
    topo_sort(out)
    notes = []
    if fragile:
        notes.append(f"kept {', '.join(fragile)} in fp32 (LayerNorm variance, attention Softmax and "
                     "sequence sums overflow in fp16)")
    if ops or nodes:
        notes.append(f"kept in fp32 by request: {', '.join(ops + nodes)}")
    return out, notes


def _to_bf16_tensor(t: TensorProto, original: dict[str, np.ndarray]) -> None:
    """Rewrite an fp16 tensor as bf16, from the fp32 original when there is one: going
    fp32 -> fp16 -> bf16 would clip to fp16's range and flush its subnormals for nothing."""
    src = original.get(t.name)
    if src is None:
        src = numpy_helper.to_array(t).astype(np.float32)
    data = np.asarray(src, dtype=np.float32).astype(ml_dtypes.bfloat16)
    dims = list(t.dims)
    t.ClearField("float_data")
    t.ClearField("int32_data")
    t.ClearField("raw_data")
    t.data_type = TensorProto.BFLOAT16
    t.raw_data = data.view(np.uint16).tobytes()
    del t.dims[:]
    t.dims.extend(dims)


def _retype_value(vi: onnx.ValueInfoProto) -> None:
    tt = vi.type.tensor_type
    if tt.elem_type == TensorProto.FLOAT16:
        tt.elem_type = TensorProto.BFLOAT16


def cast_bf16(model: onnx.ModelProto, keep_fp32: list[str] | tuple[str, ...] = ()) -> tuple[onnx.ModelProto, list[str]]:
    """BF16 with I/O kept fp32. ORT's converter only knows fp16, so run it (for its block lists
    and Cast placement) and then retype every fp16 it made as bf16. bf16 has fp32's range, so
    no op needs to be kept in fp32 for overflow."""
    for t in model.graph.initializer:
        if t.data_type == TensorProto.FLOAT16:
            raise ModelError(f"model already holds fp16 tensors (initializer {t.name!r}); cast bf16 from an fp32 model")
    original = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer if t.data_type == TensorProto.FLOAT}
    const_orig = {}
    for node in model.graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value" and a.t.data_type == TensorProto.FLOAT:
                    const_orig[node.output[0]] = numpy_helper.to_array(a.t)
    out, notes = cast_fp16(model, keep_fp32, keep_fragile=False)
    g = out.graph
    for t in g.initializer:
        if t.data_type == TensorProto.FLOAT16:
            _to_bf16_tensor(t, original)
    for node in g.node:
        for a in node.attribute:
            if node.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT16:
                a.i = TensorProto.BFLOAT16
            elif a.type == onnx.AttributeProto.TENSOR and a.t.data_type == TensorProto.FLOAT16:
                orig = const_orig.get(node.output[0]) if node.op_type == "Constant" else None
                _to_bf16_tensor(a.t, {a.t.name: orig} if orig is not None else {})
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        _retype_value(vi)
    return out, notes
