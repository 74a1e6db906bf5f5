"""The ONNX Runtime CPU INT8 recipe. The TensorRT Q/DQ model runs *slower* than FP32 on ORT's
CPU provider (every QuantizeLinear/DequantizeLinear pair is executed as written), so the CPU
gets ORT's dynamic quantization instead: weights int8 ahead of time, activations quantized
per batch inside MatMulInteger / DynamicQuantizeMatMul / QAttention (U8S8 kernels, VNNI).
Applied after the transformer fusions: the onnxruntime backend's Q/K/V projections are plain
MatMuls there (one activation quantization shared by the three), and a contrib Attention it left
fused is quantized as a whole (QAttention).

Defaults chosen with benchmarks/bench_cpu_int8.py on the demo model (batch 32, sequence 64):
MatMul + Attention quantized, per-channel weights (same speed as per-tensor, closer to fp32:
99.5 % vs 98.4 % top-1 agreement), classifier head kept in fp32 (tiny, and its error lands
directly on the decision). Weights in 7 bits (reduce_range) only on a CPU without VNNI: there the
U8S8 kernels add pairs of 8-bit products in 16 bits, which saturate (a MiniLM export's INT8
build on an AVX2-only EPYC: 95.6 % top-1 agreement with full-range weights, 98.9 % with 7 bits);
with VNNI the sums are 32-bit and full range is the closer."""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
from pathlib import Path

import onnx

from studio.core.errors import StudioError
from studio.core.graph.onnx_loader import load_model_proto
from studio.core.io import move_atomic
from studio.core.machine import CPUINFO, cpu_flags
from studio.core.precision.keep import resolve_keep
from studio.core.precision.model_io import load_model, name_nodes, nodes_of_types, save_model

DEFAULT_OP_TYPES = ("MatMul", "Attention")
VNNI_FLAGS = {"avx512_vnni", "avx_vnni"}   # /proc/cpuinfo's names for the 32-bit int8 dot products


def cpu_has_vnni(cpuinfo: str = CPUINFO) -> bool | None:
    """Whether this CPU has VNNI (AVX512-VNNI or AVX-VNNI); None where `cpuinfo` does not say."""
    flags = cpu_flags(cpuinfo)
    return None if flags is None else bool(VNNI_FLAGS & flags)


# The encoder ends at a normalization (or a pooling mean): a model whose output is reached only
# through one has no classifier head after it, and the walk must not go on into the encoder
# along its residual Adds (every layer's output projections would then pass for the head).
_ENCODER_END = {"LayerNormalization", "SkipLayerNormalization", "SimplifiedLayerNormalization", "ReduceMean"}


def head_nodes(model: onnx.ModelProto, op_types=("MatMul", "Gemm")) -> list[str]:
    """MatMul/Gemm nodes closest to the `logits` output (the classifier head), searched back
    to the end of the encoder only: its weights are few and its error lands directly on the
    decision. A model that outputs embeddings or hidden states has none."""
    producer = {o: n for n in model.graph.node for o in n.output}
    targets = [o.name for o in model.graph.output if o.name == "logits"] or [model.graph.output[0].name]
    found, seen = [], set()
    stack = list(targets)
    while stack:
        t = stack.pop()
        node = producer.get(t)
        if node is None or node.name in seen:
            continue
        seen.add(node.name)
        if node.op_type in op_types:
            found.append(node.name)
            continue
        if node.op_type in _ENCODER_END:
            continue
        stack.extend(node.input)
    return found


def quantize_cpu_int8(model_path: str | Path, out_path: str | Path, *,
                      op_types: tuple[str, ...] | list[str] = DEFAULT_OP_TYPES,
                      per_channel: bool = True, reduce_range: bool = False,
                      exclude_head: bool = True, keep_fp32: list[str] | tuple[str, ...] = ()) -> dict:
    """Write the dynamically quantized model to out_path (atomically); return the recipe."""
    # lazy: 83 ms off this module's import
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = name_nodes(load_model(model_path))
    ops, nodes = resolve_keep(model, keep_fp32)
    exclude = set(nodes) | set(nodes_of_types(model, ops))
    # quantize_dynamic reads any "Attention" as ORT's contrib op (QAttention); ONNX's own
    # Attention (the onnxruntime backend's attention core) has no int8 form and stays float.
    exclude |= {n.name for n in model.graph.node if n.op_type == "Attention" and n.domain in ("", "ai.onnx")}
    if exclude_head:
        exclude |= set(head_nodes(model))
    recipe = {"name": "ort-dynamic-int8", "kernels": "U8S8", "weight_type": "int8",
              "op_types": list(op_types), "per_channel": per_channel, "reduce_range": reduce_range,
              "exclude_head": exclude_head, "nodes_excluded": sorted(exclude)}
    logger = logging.getLogger()
    level = logger.level
    with tempfile.TemporaryDirectory(prefix="studio-int8-", dir=Path(out_path).parent) as tmp:
        # A named copy of our own (quantize_dynamic also writes a "-inferred" file beside its input).
        named = save_model(model, Path(tmp) / "named.onnx")
        out = Path(tmp) / "int8.onnx"
        logger.setLevel(logging.ERROR)  # "please run pre-processing" advice, not an error
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                quantize_dynamic(str(named), str(out), op_types_to_quantize=list(op_types),
                                 per_channel=per_channel, reduce_range=reduce_range,
                                 weight_type=QuantType.QInt8, nodes_to_exclude=sorted(exclude) or None,
                                 # ORT's contrib ops (Attention...) have no ONNX type inference
                                 extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        except Exception as e:
            raise StudioError(f"dynamic quantization failed: {type(e).__name__}: {e}") from None
        finally:
            logger.setLevel(level)
        q = load_model_proto(str(out))  # nodes only, to count them
        move_atomic(out, out_path)
    quantized = {"MatMulInteger", "DynamicQuantizeMatMul", "QAttention", "DynamicQuantizeLinear"}
    recipe["quantized_nodes"] = sum(1 for n in q.graph.node if n.op_type in quantized)
    return recipe
