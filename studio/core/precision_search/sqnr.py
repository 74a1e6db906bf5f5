"""One-pass per-tensor error of a Q/DQ model, as ONNX Runtime's qdq_loss_debug measures it: every
quantized activation of the lowered model against the same tensor of the FP32 model, over the
same inputs, as a signal-to-quantization-noise ratio in dB (higher is better; each 6 dB is about
one bit). The error is what reaches the tensor, the upstream nodes' included: a cheap first
look, where the per-node sensitivity isolates one node at a time."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from studio.core.precision.model_io import load_model


def quantized_activations(qdq: onnx.ModelProto) -> dict[str, str]:
    """Float tensor -> the dequantized tensor that replaces it (activations only, not weights)."""
    inits = {t.name for t in qdq.graph.initializer}
    producers = {o: n for n in qdq.graph.node for o in n.output}
    pairs = {}
    for n in qdq.graph.node:
        q = producers.get(n.input[0]) if n.op_type == "DequantizeLinear" else None
        if q is not None and q.op_type == "QuantizeLinear" and q.input[0] not in inits:
            pairs[q.input[0]] = n.output[0]
    return pairs


def tensors_session(model: onnx.ModelProto, outputs: list[str], threads: int | None) -> ort.InferenceSession:
    """An ORT session of `model` that also returns the intermediate tensors `outputs`."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    m.graph.output.extend(onnx.ValueInfoProto(name=t) for t in outputs if t not in have)
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    # Unoptimized: each Q/DQ runs as written, and every tensor keeps its name.
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def activation_sqnr(source: Path, qdq: onnx.ModelProto, batches, threads: int | None = None) -> dict[str, float]:
    """Float tensor -> SQNR in dB of its dequantized replacement in `qdq` (a model quantized from
    `source`), over `batches`; inf where the two agree exactly."""
    pairs = quantized_activations(qdq)
    if not pairs:
        return {}
    floats, lowered = list(pairs), [pairs[t] for t in pairs]
    ref, low = tensors_session(load_model(source), floats, threads), tensors_session(qdq, lowered, threads)
    ref_in, low_in = {i.name for i in ref.get_inputs()}, {i.name for i in low.get_inputs()}
    signal = dict.fromkeys(floats, 0.0)
    noise = dict.fromkeys(floats, 0.0)
    for feed in batches:
        a = ref.run(floats, {k: v for k, v in feed.items() if k in ref_in})
        b = low.run(lowered, {k: v for k, v in feed.items() if k in low_in})
        for t, x, y in zip(floats, a, b):
            x = np.asarray(x, np.float64)
            signal[t] += float((x * x).sum())
            noise[t] += float(((x - np.asarray(y, np.float64)) ** 2).sum())
    return {t: (math.inf if noise[t] == 0 else 10.0 * math.log10(max(signal[t], 1e-30) / noise[t])) for t in floats}


def node_sqnr(qdq: onnx.ModelProto, per_tensor: dict[str, float]) -> dict[str, float]:
    """Node -> the lowest SQNR among its quantized inputs (its weakest operand)."""
    back = {d: f for f, d in quantized_activations(qdq).items()}
    out = {}
    for n in qdq.graph.node:
        values = [per_tensor[back[i]] for i in n.input if i in back and back[i] in per_tensor]
        if values and n.op_type not in ("QuantizeLinear", "DequantizeLinear"):
            out[n.name] = min(values)
    return out
