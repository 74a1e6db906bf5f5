"""Colour keys for the canvas: by op type, by precision, by layer time. Deterministic, so the
same op has the same colour in the before and after views and across runs."""

from __future__ import annotations

import zlib

from PySide6.QtGui import QColor

# Families a reader recognises at a glance (Netron-like): maths, normalisation, shape, activation.
_FIXED = {
    "MatMul": "#3b6fb6", "Gemm": "#3b6fb6", "Conv": "#3b6fb6", "gemm": "#3b6fb6",
    "Add": "#5a8f5a", "Sub": "#5a8f5a", "Mul": "#5a8f5a", "Div": "#5a8f5a", "Pow": "#5a8f5a",
    "Sqrt": "#5a8f5a", "ReduceMean": "#7a5fa8", "LayerNormalization": "#7a5fa8",
    "Softmax": "#b5533c", "Erf": "#c07a2c", "Gelu": "#c07a2c", "Relu": "#c07a2c", "Tanh": "#c07a2c",
    "Reshape": "#6b7480", "Transpose": "#6b7480", "Shape": "#6b7480", "Gather": "#6b7480",
    "Unsqueeze": "#6b7480", "Squeeze": "#6b7480", "Concat": "#6b7480", "Slice": "#6b7480",
    "Cast": "#8a8f56", "Constant": "#9a9a9a", "QuantizeLinear": "#b8860b", "DequantizeLinear": "#b8860b",
    "Input": "#2a2a2a", "Output": "#2a2a2a",
    "runtime_fusion": "#3b6fb6", "kgen": "#7a5fa8", "shuffle": "#6b7480", "reformat": "#8a8f56",
}

PRECISION_COLORS = {
    "fp32": "#3b6fb6", "float": "#3b6fb6", "float32": "#3b6fb6",
    "fp16": "#2e9a5a", "half": "#2e9a5a", "float16": "#2e9a5a",
    "bf16": "#0f8f8f", "bfloat16": "#0f8f8f",
    "int8": "#d0791d", "fp8": "#b5396b", "int32": "#7a5fa8", "int64": "#7a5fa8", "mixed": "#8a6d3b",
}

UNKNOWN = "#9aa0a6"

# What was built against what the recipe asked (studio.core.precision.as_built verdicts).
AS_BUILT_COLORS = {"as asked": "#2e9a5a", "higher than asked": "#d62728", "lower than asked": "#d0791d",
                   "reformat": "#8a8f56", "no origin": UNKNOWN}
WARNED = "#d62728"   # dashed outline: a layer holding a block the build could not optimize


def type_color(key: str) -> QColor:
    if key in _FIXED:
        return QColor(_FIXED[key])
    h = zlib.crc32(key.encode("utf-8")) % 360
    return QColor.fromHsv(h, 110, 175)


def precision_color(key: str) -> QColor:
    k = (key or "").lower()
    for name, c in PRECISION_COLORS.items():
        if k == name:
            return QColor(c)
    for name, c in PRECISION_COLORS.items():  # "Int8/Float" style mixes take their first part
        if k.startswith(name):
            return QColor(c)
    return QColor(UNKNOWN)


def as_built_color(key: str) -> QColor:
    """A layer's verdict, or an ONNX node's asked precision ("asked fp16")."""
    if key.startswith("asked "):
        return precision_color(key[len("asked "):])
    return QColor(AS_BUILT_COLORS.get(key, UNKNOWN))


def time_color(fraction: float | None) -> QColor:
    """0 (fast) -> pale yellow, 1 (slowest layer) -> deep red; None (no data) -> grey."""
    if fraction is None:
        return QColor(UNKNOWN)
    f = min(1.0, max(0.0, fraction))
    return QColor.fromHsvF((50 - 50 * f) / 360.0, 0.25 + 0.7 * f, 0.98 - 0.25 * f)


def text_color_on(bg: QColor) -> QColor:
    return QColor("#101010") if bg.lightnessF() > 0.6 else QColor("#ffffff")
