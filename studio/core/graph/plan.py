"""The engine's layer graph as data: what the builder made of the ONNX graph after fusion.

A Plan is a list of engine layers (type, precision, tactic, tensors, the ONNX nodes each one
absorbed) plus the engine's I/O tensors. It is built from a layer report by a reader its backend
brings (studio.core.backends.layer_reports) and knows nothing about rendering; edges are rebuilt
from tensor names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from studio.core.serde import Record, fields_to_dict

# Precision names, lowest first: a layer's precision is the lowest float/quantized type it makes.
_PRECISION_OF_DTYPE = {
    "int4": "int4", "fp4": "fp4", "fp8": "fp8", "int8": "int8", "uint8": "int8",
    "float16": "fp16", "bfloat16": "bf16", "float32": "fp32", "float64": "fp64",
}
_PRECISION_ORDER = ["int4", "fp4", "fp8", "int8", "fp16", "bf16", "fp32", "fp64"]
_QUANTIZED = {"int4", "fp4", "fp8", "int8"}

# Datatype spellings seen in TensorRT reports ("Float", "Half", "Int8"), in inspector JSON
# ("Row major linear FP32", "Four wide channel vectorized row major Int8 format") and in ONNX.
_DTYPE_WORDS = [
    (r"bf16|bfloat16|bfloat", "bfloat16"),
    (r"fp8|float8\w*|e4m3", "fp8"),
    (r"fp4|float4\w*|e2m1", "fp4"),
    (r"fp16|half|float16", "float16"),
    (r"fp64|double|float64", "float64"),
    (r"fp32|float32|float", "float32"),
    (r"uint8|u8", "uint8"),
    (r"int4", "int4"),
    (r"int8|i8", "int8"),
    (r"int32|i32", "int32"),
    (r"int64|i64", "int64"),
    (r"bool|boolean", "bool"),
]


def normalize_dtype(text: str | None) -> str:
    """'Float' / 'Row major linear FP32' / 'FLOAT' -> 'float32'; unknown -> '' ."""
    if not text:
        return ""
    low = text.lower()
    for pattern, name in _DTYPE_WORDS:
        if re.search(rf"(?<![a-z0-9])(?:{pattern})(?![a-z0-9])", low):
            return name
    return ""


def precision_of(dtype: str) -> str:
    return _PRECISION_OF_DTYPE.get(dtype, dtype)


@dataclass(frozen=True)
class TensorInfo(Record):
    """One tensor a layer reads or writes. Dimensions of -1 are dynamic (decided at run time)."""

    name: str
    dtype: str = ""                       # normalized: float32, float16, int8, int64, ...
    shape: tuple[int | str, ...] | None = None
    format: str = ""                      # memory layout as the report says it


def derive_precision(inputs, constants, outputs) -> str:
    """The precision a layer computes in, from its tensors' dtypes.

    The output dtypes decide, except that a quantized operand (int8/fp8 input or weights) marks
    the layer quantized: an INT8 GEMM reads int8 and writes float. Layers that make only
    integer/bool tensors (shape arithmetic, index casts) report that dtype; no tensors -> ''."""
    operands = [precision_of(t.dtype) for t in (*inputs, *constants, *outputs)]
    quantized = [p for p in operands if p in _QUANTIZED]
    if quantized:
        return min(quantized, key=_PRECISION_ORDER.index)
    outs = [precision_of(t.dtype) for t in outputs if t.dtype]
    floats = [p for p in outs if p in _PRECISION_ORDER]
    if floats:
        return min(floats, key=_PRECISION_ORDER.index)
    if outs:
        return outs[0]
    ins = [precision_of(t.dtype) for t in inputs if t.dtype]
    return ins[0] if ins else ""


@dataclass(frozen=True)
class Layer(Record):
    """One engine layer. `onnx_nodes` are the ONNX node names the builder says it absorbed."""

    name: str
    type: str
    precision: str = ""
    tactic: str = ""
    inputs: tuple[TensorInfo, ...] = ()
    outputs: tuple[TensorInfo, ...] = ()
    constants: tuple[TensorInfo, ...] = ()
    onnx_nodes: tuple[str, ...] = ()
    raw: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def to_dict(self, with_raw: bool = False) -> dict:
        # the reader's raw fields (plain JSON values already): large, and only for debugging a reader
        d = fields_to_dict(self, raw=self.raw)
        if not with_raw:
            del d["raw"]
        return d


@dataclass(frozen=True)
class Plan(Record):
    """An engine's layers after fusion, and where they came from."""

    source_format: str                        # the reader's FORMAT, e.g. tensorrt_log
    layers: tuple[Layer, ...]
    inputs: tuple[TensorInfo, ...] = ()       # engine I/O tensors (bindings), when the source says
    outputs: tuple[TensorInfo, ...] = ()
    onnx_model: str | None = None             # the ONNX model the engine was built from, if known
    source_path: str | None = None
    detailed: bool = True                     # False: names only (built without DETAILED verbosity)
    unmapped: tuple[str, ...] = ()            # layers whose ONNX origin could not be found
    notes: tuple[str, ...] = ()
    # (layer, why): layers holding ONNX nodes the build meant to optimize and could not (an
    # attention block left unfused), from the sidecar's `not_optimized`
    marked: tuple[tuple[str, str], ...] = ()

    @property
    def tensors(self) -> dict[str, TensorInfo]:
        """Every tensor named in the plan, by name (I/O tensors first, then layer tensors)."""
        out: dict[str, TensorInfo] = {}
        for t in (*self.inputs, *self.outputs):
            out.setdefault(t.name, t)
        for layer in self.layers:
            for t in (*layer.outputs, *layer.inputs, *layer.constants):
                out.setdefault(t.name, t)
        return out

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def edges(self) -> list[tuple[str, str, str]]:
        """(producer layer, consumer layer, tensor) for every tensor one layer writes and another
        reads, rebuilt from tensor names in layer order."""
        producer: dict[str, str] = {}
        for layer in self.layers:
            for t in layer.outputs:
                producer.setdefault(t.name, layer.name)
        edges = []
        for layer in self.layers:
            for t in layer.inputs:
                src = producer.get(t.name)
                if src is not None and src != layer.name:
                    edges.append((src, layer.name, t.name))
        return edges

    def to_dict(self, with_raw: bool = False) -> dict:
        return fields_to_dict(self, layers=[layer.to_dict(with_raw) for layer in self.layers],
                              marked={layer: why for layer, why in self.marked})

    @classmethod
    def from_dict(cls, d: dict, where: str | None = None) -> "Plan":
        if isinstance(d, dict) and isinstance(d.get("marked"), dict):
            d = {**d, "marked": list(d["marked"].items())}
        return super().from_dict(d, where)
