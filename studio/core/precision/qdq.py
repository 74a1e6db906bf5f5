"""The TensorRT INT8 recipe: explicit Quantize/DequantizeLinear pairs whose scales come from
calibration, made by ONNX Runtime's static quantizer with the settings TensorRT's parser
accepts (symmetric activations and weights, so every zero point is 0; per-channel weights;
no bias quantization). With ORT's defaults TensorRT refuses the model ("Non-zero zero point
is not supported")."""

from __future__ import annotations

import contextlib
import copy
import io
import tempfile
from pathlib import Path

import onnx

from studio.core.data.calibration import CalibrationSet
from studio.core.errors import Cancelled, StudioError
from studio.core.precision.keep import resolve_keep
from studio.core.precision.model_io import load_model, name_nodes, nodes_of_types, save_model, subgraphs
from studio.core.progress import TaskState

QDQ_OP_TYPES = ("MatMul", "Conv", "Gemm")
CALIBRATION_METHODS = ("minmax", "entropy", "percentile")


def _reader(calib: CalibrationSet, state: TaskState, batch_size: int, phase: str):
    # lazy: 76 ms off this module's import
    from onnxruntime.quantization import CalibrationDataReader

    class Reader(CalibrationDataReader):
        """Feeds batches to the calibrator, reporting progress and stopping on cancel."""

        def __init__(self):
            self._total = max(1, -(-len(calib) // batch_size))
            self._it = iter(calib.batches(batch_size))
            self._done = 0

        def get_next(self):
            if state.cancelled:
                raise Cancelled("calibration cancelled")
            feed = next(self._it, None)
            if feed is not None:
                self._done += 1
                state.progress(phase, 0.9 * self._done / self._total)
            return feed

        def rewind(self):
            self._it = iter(calib.batches(batch_size))

    return Reader()


def quantize_qdq(model_path: str | Path, out_path: str | Path, calib: CalibrationSet | None, state: TaskState, *,
                 method: str = "minmax", keep_fp32: list[str] | tuple[str, ...] = (), batch_size: int = 8,
                 precision: str = "int8", percentile: float = 99.999, ranges: str | Path | None = None) -> dict:
    """Write the Q/DQ model to out_path (atomically). Returns the recipe as data for the sidecar.

    `ranges`: a file of calibrated tensor ranges, read when it exists (then `calib` may be None)
    and written when it does not, so the many models of a precision search share one
    calibration."""
    # lazy: 62 ms off this module's import
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    if method not in CALIBRATION_METHODS and not (precision == "fp8" and method == "distribution"):
        raise StudioError(f"unknown calibration method {method!r}; choose one of {', '.join(CALIBRATION_METHODS)}")
    qtype = {"int8": QuantType.QInt8, "fp8": QuantType.QFLOAT8E4M3FN}.get(precision)
    if qtype is None:
        raise StudioError(f"Q/DQ quantization makes int8 or fp8, not {precision!r}")
    if precision == "fp8" and method != "distribution":
        # ORT's quantizer computes float8 scales only from the value distribution.
        method = "distribution"
    model = name_nodes(load_model(model_path))
    ops, nodes = resolve_keep(model, keep_fp32)
    exclude = sorted(set(nodes) | set(nodes_of_types(model, ops)))
    extra = {"ActivationSymmetric": True, "WeightSymmetric": True, "QuantizeBias": False}
    if method == "percentile":
        extra["CalibPercentile"] = percentile
    recipe = {"name": "tensorrt-qdq", "format": "QDQ", "precision": precision, "per_channel": True,
              "op_types": list(QDQ_OP_TYPES), "calibration_method": method, "extra_options": dict(extra),
              "nodes_excluded": exclude, "calibration_batch_size": batch_size}
    if ranges is None or not Path(ranges).is_file():
        if calib is None:
            raise StudioError("Q/DQ quantization needs calibration data or saved ranges")
        if method != "minmax" and calib.padding == "longest":
            # The histogram calibrators stack every batch's activations into one array: texts
            # padded batch by batch, or a short last batch, give ragged shapes and ORT fails
            # ("inhomogeneous shape"). So every batch is padded to the set's longest text.
            # Every batch the same size too: the largest divisor of the set's size.
            calib = copy.copy(calib)
            calib.padding = "set"
            batch_size = max(d for d in range(1, batch_size + 1) if len(calib) % d == 0)
            recipe["calibration_batch_size"] = batch_size
        reader = _reader(calib, state, batch_size, "Calibrating")
    else:
        reader = None
    state.progress("Calibrating", 0.0, force=True)
    with tempfile.TemporaryDirectory(prefix="studio-qdq-", dir=Path(out_path).parent) as tmp:
        named = Path(tmp) / "named.onnx"
        save_model(model, named)
        quantized = Path(tmp) / "qdq.onnx"
        chatter = io.StringIO()  # the quantizer prints; keep stdout clean for `--json`
        try:
            with contextlib.redirect_stdout(chatter):
                quantize_static(str(named), str(quantized), reader,
                                quant_format=QuantFormat.QDQ, per_channel=True,
                                op_types_to_quantize=list(QDQ_OP_TYPES),
                                activation_type=qtype, weight_type=qtype,
                                nodes_to_exclude=exclude or None,
                                calibration_cache_path=str(ranges) if ranges is not None else None,
                                calibrate_method={"minmax": CalibrationMethod.MinMax,
                                                  "entropy": CalibrationMethod.Entropy,
                                                  "percentile": CalibrationMethod.Percentile,
                                                  "distribution": CalibrationMethod.Distribution}[method],
                                extra_options=extra)
        except Cancelled:
            raise
        except Exception as e:
            raise StudioError(f"static quantization failed: {type(e).__name__}: {e}") from None
        for line in chatter.getvalue().splitlines():
            if line.strip():
                state.log(line.strip())
        if state.cancelled:
            raise Cancelled("calibration cancelled")
        q = onnx.load(str(quantized))
        rewired = _quantize_only_for(q, {n.name for n in model.graph.node
                                         if n.op_type in QDQ_OP_TYPES and n.name not in exclude})
        save_model(q, out_path)
    recipe["quantized_nodes"] = sum(1 for n in q.graph.node if n.op_type == "QuantizeLinear")
    recipe["float_inputs_restored"] = rewired
    state.progress("Calibrating", 1.0, force=True)
    return recipe


def _quantize_only_for(model: onnx.ModelProto, quantized: set[str]) -> int:
    """Make every node outside `quantized` read the float tensor again where ORT's quantizer
    gave it the dequantized one. ORT puts one Q/DQ pair on a tensor and hands its output to *all*
    the tensor's readers when a single quantized node reads it: in an encoder the LayerNorm
    output feeding the FFN's first GEMM also feeds the residual Add, which then carries int8
    noise down the whole residual stream (on MiniLM-L6 that cost 4.4 points of accuracy where
    the GEMMs alone cost 1). A graph output (the logits of a classifier Gemm) is not quantized
    either: it would only round what the user reads. Returns the tensors restored."""
    producers = {o: n for n in model.graph.node for o in n.output}
    restored = 0
    for out in model.graph.output:
        dq = producers.get(out.name)
        q = producers.get(dq.input[0]) if dq is not None and dq.op_type == "DequantizeLinear" else None
        if q is None or q.op_type != "QuantizeLinear" or q.input[0] not in producers:
            continue
        inner = q.input[0]
        for node in model.graph.node:   # the float tensor takes the output's name
            node.input[:] = [out.name if i == inner else i for i in node.input]
        writer = producers[inner]
        writer.output[:] = [out.name if o == inner else o for o in writer.output]
        dq.output[:] = [f"{out.name}_unused"]
        producers = {o: n for n in model.graph.node for o in n.output}
        restored += 1
    for node in model.graph.node:
        if node.name in quantized or node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            continue
        for i, name in enumerate(node.input):
            dq = producers.get(name)
            if dq is None or dq.op_type != "DequantizeLinear":
                continue
            q = producers.get(dq.input[0])
            if q is not None and q.op_type == "QuantizeLinear":
                node.input[i] = q.input[0]
                restored += 1
    if restored:
        _drop_unused(model.graph)
    return restored


def unquantized_except(qdq: onnx.ModelProto, source: onnx.ModelProto, keep_quantized: set[str]) -> onnx.ModelProto:
    """`qdq` (a Q/DQ model made from `source`) with every quantized node outside
    `keep_quantized` reading its float inputs again, as in `source`, and the Q/DQ left unused
    removed. One calibrated model gives every single-node probe of a sensitivity scan without
    running the quantizer again: ORT keeps node and float tensor names, so a node's float inputs
    are its inputs in `source`."""
    src_nodes = {n.name: n for n in source.graph.node}
    src_inits = {t.name: t for t in source.graph.initializer}
    out = onnx.ModelProto()
    out.CopyFrom(qdq)
    g = out.graph
    have = {t.name for t in g.initializer}
    for node in g.node:
        if node.op_type not in QDQ_OP_TYPES or node.name in keep_quantized or node.name not in src_nodes:
            continue
        original = src_nodes[node.name]
        if list(node.input) == list(original.input):
            continue
        node.ClearField("input")
        node.input.extend(original.input)
        for name in original.input:
            if name in src_inits and name not in have:
                g.initializer.append(src_inits[name])
                have.add(name)
    _drop_unused(g)
    return out


def _reads(nodes) -> set[str]:
    """Every tensor name the nodes read, inside their subgraphs too (If/Loop bodies read outer
    names)."""
    read = set()
    for n in nodes:
        read.update(n.input)
        for sub in subgraphs(n):
            read |= _reads(sub.node)
    return read


def _drop_unused(g: onnx.GraphProto) -> None:
    """Remove nodes none of whose outputs is read, then initializers no node reads."""
    graph_outputs = {o.name for o in g.output}
    while True:
        read = _reads(g.node) | graph_outputs
        live = [n for n in g.node if any(o in read for o in n.output)]
        if len(live) == len(g.node):
            break
        del g.node[:]
        g.node.extend(live)
    read = _reads(g.node) | graph_outputs
    live_inits = [t for t in g.initializer if t.name in read]
    del g.initializer[:]
    g.initializer.extend(live_inits)
