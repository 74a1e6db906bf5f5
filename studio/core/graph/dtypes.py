"""ONNX element types by the names engineers use ("float32", "int64") and their widths."""

from __future__ import annotations

# TensorProto.DataType value -> (name, bits per element; None for variable-size strings)
_TYPES: dict[int, tuple[str, int | None]] = {
    1: ("float32", 32), 2: ("uint8", 8), 3: ("int8", 8), 4: ("uint16", 16), 5: ("int16", 16),
    6: ("int32", 32), 7: ("int64", 64), 8: ("string", None), 9: ("bool", 8), 10: ("float16", 16),
    11: ("float64", 64), 12: ("uint32", 32), 13: ("uint64", 64), 14: ("complex64", 64),
    15: ("complex128", 128), 16: ("bfloat16", 16), 17: ("float8e4m3fn", 8),
    18: ("float8e4m3fnuz", 8), 19: ("float8e5m2", 8), 20: ("float8e5m2fnuz", 8),
    21: ("uint4", 4), 22: ("int4", 4), 23: ("float4e2m1", 4), 24: ("float8e8m0", 8),
    25: ("uint2", 2), 26: ("int2", 2),
}

FLOAT_TYPES = frozenset({"float32", "float16", "float64", "bfloat16", "float8e4m3fn", "float8e4m3fnuz",
                         "float8e5m2", "float8e5m2fnuz", "float4e2m1", "float8e8m0"})
# Quantized weights are stored as narrow integers; they are parameters too.
WEIGHT_INT_TYPES = frozenset({"int8", "uint8", "int4", "uint4", "int2", "uint2"})


def dtype_name(data_type: int) -> str:
    if data_type == 0:
        return "undefined"
    entry = _TYPES.get(data_type)
    return entry[0] if entry else f"dtype{data_type}"


def dtype_bits(data_type: int) -> int | None:
    entry = _TYPES.get(data_type)
    return entry[1] if entry else None
