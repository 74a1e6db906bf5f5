"""One entry point from a build config to the ONNX model a backend compiles: the precision is
made in the model (TensorRT 11 is strongly typed), with a recipe the backend's compiler takes
(its PrecisionTarget): casts for fp16/bf16, calibrated Q/DQ or dynamic int8 for int8, Q/DQ for
fp8. Which precisions a backend offers at all is its Capabilities' business, checked before."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from studio.core.backends.base import BuildConfig, Precision, PrecisionTarget
from studio.core.errors import CapabilityError, Cancelled, DataError
from studio.core.progress import TaskState
from studio.core.serde import Record

# Build options the precision step reads (BuildConfig.options), for every backend that uses it.
PRECISION_OPTIONS = {
    "int8_recipe": "'dynamic' (weights int8, activations quantized at run time) or 'qdq' (calibrated Q/DQ); "
                   "the backend says which it takes and which is its default",
    "int8_op_types": "op types dynamic int8 quantizes (default MatMul, Attention)",
    "int8_per_channel": "per-channel int8 weights (default true)",
    "int8_reduce_range": "7-bit int8 weights (default: on where the CPU has no VNNI, whose int8 kernels saturate; "
                         "off with VNNI)",
    "int8_exclude_head": "keep the classifier head in float (default true)",
    "fp16_keep_fragile": "keep Pow, ReduceMean, ReduceSum and Softmax, which overflow in fp16, in fp32 (default true)",
    "high_precision": "what int8/fp8 Q/DQ leaves unquantized runs in: 'fp16', 'bf16' or 'fp32'; "
                      "the backend says its default",
    "calibration_batch_size": "rows a calibration batch takes (default 8)",
    "calibration_padding": "'longest' (per batch, default) or 'fixed' (to the tokenizer max length)",
    "tokenizer": "tokenizer.json for text calibration data when the calibration spec names none",
}


@dataclass
class PreparedModel(Record):
    path: str                       # the ONNX file to build from (the source itself for fp32)
    precision: str
    recipe: dict                    # what was done, as data for the sidecar
    calibration: dict | None = None  # CalibrationSummary.to_dict() when calibration data was used
    notes: list[str] = field(default_factory=list)


def _calibration_set(config: BuildConfig, state: TaskState):
    # lazy: 79 ms off this module's import
    from studio.core.data.calibration import calibration_set_for_model

    if config.calibration is None:
        raise DataError(f"{config.precision} Q/DQ needs calibration data (--calib FILE): "
                        "its scales come from real inputs")
    state.progress("Reading calibration data", 0.0, force=True)
    padding = config.options.get("calibration_padding", "longest")
    calib = calibration_set_for_model(config.calibration, config.model, padding=padding,
                                      default_tokenizer=config.options.get("tokenizer"))
    state.log(f"calibration: {len(calib)} samples from {config.calibration.path}")
    return calib


def _check_cancel(state: TaskState) -> None:
    if state.cancelled:
        raise Cancelled("build cancelled")


def _widened(config: BuildConfig, workdir: Path, state: TaskState) -> BuildConfig:
    """`config` with its model made fp32 inside when it is an fp16 model (quantizers take fp32
    only; studio.core.precision.upcast)."""
    # lazy: 1.0 s off this module's import
    from studio.core.graph.onnx_loader import load_model_proto
    from studio.core.precision.model_io import load_model, save_model
    from studio.core.precision.upcast import has_fp16, to_fp32

    if not has_fp16(load_model_proto(str(config.model))):
        return config
    model, changed = to_fp32(load_model(config.model))
    out = save_model(model, workdir / f"{Path(config.model).stem}.fp32.onnx")
    state.log(f"fp16 model widened to fp32 for quantization ({changed} tensors and casts); inputs and outputs keep fp16")
    return replace(config, model=str(out))


HIGH_PRECISIONS = ("fp16", "bf16", "fp32")


def _high_precision(opts: dict, target: PrecisionTarget) -> str:
    high = str(opts.get("high_precision", target.high_precision))
    if high not in HIGH_PRECISIONS:
        raise CapabilityError(f"high_precision {high!r}: choose one of {', '.join(HIGH_PRECISIONS)}")
    return high


def lower_qdq(model: str | Path, out: str | Path, precision: str, state: TaskState, *, calib=None,
              method: str = "minmax", keep_fp32=(), high: str = "fp16", batch_size: int = 8,
              ranges: str | Path | None = None) -> tuple[dict, list[str]]:
    """The Q/DQ recipe whole: the quantizable GEMMs in `precision` (int8/fp8) with calibrated
    scales, and what stays unquantized in `high`, keeping in fp32 what overflows in fp16 and
    what `keep_fp32` names. A build and every candidate of a precision search are made here,
    so what a search predicts is what a build makes. Returns (recipe, notes)."""
    # lazy: 1.0 s off this module's import
    from studio.core.precision.qdq import quantize_qdq

    out = Path(out)
    recipe = quantize_qdq(model, out, calib, state, method=method, precision=precision, keep_fp32=keep_fp32,
                          batch_size=batch_size, ranges=ranges)
    recipe["high_precision"] = high
    notes: list[str] = []
    if high != "fp32":
        from studio.core.precision.cast import cast_bf16, cast_fp16
        from studio.core.precision.model_io import load_model, save_model

        quantized = load_model(out)
        if high == "fp16":
            lowered, notes = cast_fp16(quantized, keep_fp32)
        else:
            lowered, notes = cast_bf16(quantized, keep_fp32)
        save_model(lowered, out)
        notes = [f"what Q/DQ leaves unquantized runs in {high}" + (f"; {notes[0]}" if notes else "")] + notes[1:]
    return recipe, notes


def prepare_precision(config: BuildConfig, target: PrecisionTarget, workdir: str | Path,
                      state: TaskState) -> PreparedModel:
    """Make the model for `config.precision` under `workdir`, with a recipe `target` takes.
    Recipe choices come from config.options (PRECISION_OPTIONS)."""
    precision = Precision.parse(config.precision).value
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    opts = config.options or {}
    stem = Path(config.model).stem
    _check_cancel(state)

    if precision == "fp32":
        if config.keep_fp32:
            state.log("keep-fp32 has no effect on an fp32 build", level="warning")
        return PreparedModel(str(config.model), "fp32", {"name": "none"})

    if precision in ("fp16", "bf16"):
        # lazy: 721 ms off this module's import
        from studio.core.precision.cast import cast_bf16, cast_fp16
        from studio.core.precision.model_io import load_model, save_model

        state.progress(f"Casting to {precision}", 0.0, force=True)
        model = load_model(config.model)
        if precision == "fp16":
            model, notes = cast_fp16(model, config.keep_fp32, keep_fragile=bool(opts.get("fp16_keep_fragile", True)))
        else:
            model, notes = cast_bf16(model, config.keep_fp32)
        out = save_model(model, workdir / f"{stem}.{precision}.onnx")
        state.progress(f"Casting to {precision}", 1.0, force=True)
        recipe = {"name": f"cast-{precision}", "keep_io_types": True, "keep_fp32": list(config.keep_fp32)}
        return PreparedModel(str(out), precision, recipe, None, notes)

    if precision in ("int8", "fp8"):
        config = _widened(config, workdir, state)

    if precision == "fp8":
        # FP8 (E4M3) Q/DQ: ORT's quantizer takes fp8 scales from the value distribution; the
        # model builds with TensorRT-RTX on the CPU and runs on FP8-capable GPUs only.
        calib = _calibration_set(config, state)
        summary = calib.summary().to_dict()
        out = workdir / f"{stem}.fp8-qdq.onnx"
        recipe, notes = lower_qdq(config.model, out, "fp8", state, calib=calib, method="distribution",
                                  keep_fp32=config.keep_fp32, high=_high_precision(opts, target),
                                  batch_size=int(opts.get("calibration_batch_size", 8)))
        if config.calibration.method != "distribution":
            notes.append(f"fp8 scales come from the value distribution; calibration method "
                         f"{config.calibration.method!r} applies to int8 only")
        return PreparedModel(str(out), "fp8", recipe, summary, notes)

    # int8
    recipe_name = opts.get("int8_recipe", target.int8_recipes[0])
    if recipe_name not in ("dynamic", "qdq"):
        raise CapabilityError(f"unknown int8 recipe {recipe_name!r}; choose 'dynamic' or 'qdq'")
    if recipe_name not in target.int8_recipes:
        raise CapabilityError(f"int8 recipe {recipe_name!r} does not build for this backend; it takes "
                              + " or ".join(map(repr, target.int8_recipes)))
    notes = [target.recipe_notes[recipe_name]] if recipe_name in target.recipe_notes else []
    if recipe_name == "qdq":
        calib = _calibration_set(config, state)
        summary = calib.summary().to_dict()
        _check_cancel(state)
        out = workdir / f"{stem}.int8-qdq.onnx"
        recipe, more = lower_qdq(config.model, out, "int8", state, calib=calib, method=config.calibration.method,
                                 keep_fp32=config.keep_fp32, high=_high_precision(opts, target),
                                 batch_size=int(opts.get("calibration_batch_size", 8)))
        return PreparedModel(str(out), "int8", recipe, summary, notes + more)
    from studio.core.precision.cpu_int8 import DEFAULT_OP_TYPES, cpu_has_vnni, quantize_cpu_int8

    state.progress("Quantizing weights (dynamic int8)", 0.0, force=True)
    summary = None
    if config.calibration is not None:
        notes.append("dynamic int8 quantizes activations at run time; calibration data was not needed")
    out = workdir / f"{stem}.int8-dynamic.onnx"
    reduce_range = opts.get("int8_reduce_range")
    if reduce_range is None:
        reduce_range = cpu_has_vnni() is False
        if reduce_range:
            notes.append("int8 weights in 7 bits (reduce_range): this CPU has no VNNI, where full-range int8 "
                         "saturates; build on the kind of CPU that will run the model")
    recipe = quantize_cpu_int8(config.model, out,
                               op_types=tuple(opts.get("int8_op_types", DEFAULT_OP_TYPES)),
                               per_channel=bool(opts.get("int8_per_channel", True)),
                               reduce_range=bool(reduce_range),
                               exclude_head=bool(opts.get("int8_exclude_head", True)),
                               keep_fp32=config.keep_fp32)
    state.progress("Quantizing weights (dynamic int8)", 1.0, force=True)
    return PreparedModel(str(out), "int8", recipe, summary, notes)
