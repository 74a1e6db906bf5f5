"""The TensorRT INT8 recipe: explicit Quantize/DequantizeLinear pairs whose scales come from
calibration, made by ONNX Runtime's static quantizer with the settings TensorRT's parser
accepts (symmetric activations and weights, so every zero point is 0; per-channel weights;
no bias quantization). With ORT's defaults TensorRT refuses the model ("Non-zero zero point
is not supported")."""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import onnx

from studio.core.data.calibration import CalibrationSet
from studio.core.errors import Cancelled, StudioError
from studio.core.precision.keep import resolve_keep
from studio.core.precision.model_io import load_model, name_nodes, nodes_of_types, save_model
from studio.core.progress import TaskState

QDQ_OP_TYPES = ("MatMul", "Conv", "Gemm")
CALIBRATION_METHODS = ("minmax", "entropy", "percentile")


def _reader(calib: CalibrationSet, state: TaskState, batch_size: int, phase: str):
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
                 precision: str = "int8", percentile: float = 99.999, ranges: str | Path | None = None,
                 only: list[str] | None = None) -> dict:
    """Write the Q/DQ model to out_path (atomically). Returns the recipe as data for the sidecar.

    `ranges`: a file of calibrated tensor ranges, read when it exists (then `calib` may be None)
    and written when it does not, so the many models of a precision search share one
    calibration. `only`: quantize these nodes and no other (a sensitivity probe)."""
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
        reader = _reader(calib, state, batch_size, "Calibrating")
    else:
        reader = None
    if only is not None:
        if not only:
            raise StudioError("a Q/DQ probe needs at least one node to quantize")
        recipe["nodes_quantized"] = list(only)
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
                                nodes_to_exclude=exclude or None, nodes_to_quantize=only or None,
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
        save_model(q, out_path)
    recipe["quantized_nodes"] = sum(1 for n in q.graph.node if n.op_type == "QuantizeLinear")
    state.progress("Calibrating", 1.0, force=True)
    return recipe
