"""Optimization profiles (min/opt/max per dynamic input): read the model's inputs cheaply,
check what the user gave against them, and fill in defaults for the rest.

Defaults: a dim named like a batch (or the first dim) gets 1/8/32; any other dynamic dim gets
1/64/128, or, when calibration data was tokenized, opt = the median real length and max = the
longer of the longest real length and the tokenizer's max length (rounded up to multiples of 8). Dims that share a symbolic
name across inputs (input_ids and attention_mask both use "batch" and "sequence") always get
the same range, and a user profile that gives them different ranges is refused."""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from pathlib import Path

from studio.core.backends.base import ShapeProfile
from studio.core.errors import ModelError, StudioError
from studio.core.graph.wire import (GRAPH_INITIALIZER, LEN, MODEL_GRAPH, TENSOR_DATA_LOCATION, TENSOR_EXTERNAL_DATA,
                                    TENSOR_NAME, VARINT, WireError, iter_fields)

BATCH_DEFAULT = (1, 8, 32)
SEQUENCE_DEFAULT = (1, 64, 128)


@dataclass(frozen=True)
class InputSpec:
    name: str
    dtype: str
    shape: tuple          # int for fixed dims, str for symbolic, None for unnamed dynamic

    def is_dynamic(self) -> bool:
        return any(not isinstance(d, int) or d < 0 for d in self.shape)


# --- reading graph inputs without decoding the weights ---------------------------------------
# A BERT-base model is ~440 MB of initializers; decoding the whole protobuf to learn two input
# shapes would cost more than the rest of the build's overhead. The graph core's wire scanner
# skips every field we do not need by its length, and imports neither onnx nor numpy.

# ONNX TensorProto.DataType -> numpy dtype name (the ones a graph input can have).
_ELEM_TYPES = {1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
               8: "str", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64",
               14: "complex64", 15: "complex128", 16: "bfloat16", 17: "float8e4m3fn", 18: "float8e4m3fnuz",
               19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4"}


def _string(buf, span) -> str:
    return bytes(buf[span[0]:span[1]]).decode("utf-8", "replace")


def _messages(buf, span, number: int):
    """The spans of the length-delimited fields `number` of the message at span."""
    return (value for n, wt, value, _, _ in iter_fields(buf, *span) if n == number and wt == LEN)


def _value_info(buf, span) -> tuple[str, str, tuple]:
    """ValueInfoProto{name=1, type=2: TypeProto{tensor_type=1: {elem_type=1, shape=2: {dim=1:
    {dim_value=1, dim_param=2}}}}}, read straight off the wire."""
    name, elem, dims = "", 0, []
    for n, wt, value, _, _ in iter_fields(buf, *span):
        if n == 1 and wt == LEN:
            name = _string(buf, value)
        elif n == 2 and wt == LEN:
            for tensor_type in _messages(buf, value, 1):
                for n3, w3, v3, _, _ in iter_fields(buf, *tensor_type):
                    if n3 == 1 and w3 == VARINT:
                        elem = v3
                    elif n3 == 2 and w3 == LEN:
                        for dim in _messages(buf, v3, 1):
                            d = None
                            for n5, w5, v5, _, _ in iter_fields(buf, *dim):
                                if n5 == 1 and w5 == VARINT:
                                    d = v5 - (1 << 64) if v5 >= 1 << 63 else v5
                                elif n5 == 2 and w5 == LEN:
                                    d = _string(buf, v5) or None
                            dims.append(d)
    return name, _ELEM_TYPES.get(elem, str(elem)), tuple(dims)


def _tensor_is_external(buf, span) -> bool:
    return any((n == TENSOR_DATA_LOCATION and wt == VARINT and value == 1) or (n == TENSOR_EXTERNAL_DATA and wt == LEN)
               for n, wt, value, _, _ in iter_fields(buf, *span))


def _node_has_external(buf, node, depth: int) -> bool:
    for attr in _messages(buf, node, 5):  # NodeProto.attribute
        for n, wt, value, _, _ in iter_fields(buf, *attr):
            if wt != LEN:
                continue
            if n in (5, 10) and _tensor_is_external(buf, value):           # t, tensors
                return True
            if n in (6, 11) and _graph_has_external(buf, value, depth + 1):  # g, graphs
                return True
            if n in (22, 23) and _sparse_is_external(buf, value):            # sparse_tensor(s)
                return True
    return False


def _sparse_is_external(buf, span) -> bool:
    return any(_tensor_is_external(buf, t) for k in (1, 2) for t in _messages(buf, span, k))  # values, indices


def _graph_has_external(buf, span, depth: int = 0) -> bool:
    """Any tensor in a subgraph (initializers, sparse initializers, node attributes, deeper
    subgraphs) stored as external data?"""
    if depth > 64:
        raise WireError("subgraphs nested too deeply")
    for n, wt, value, _, _ in iter_fields(buf, *span):
        if wt == LEN and ((n == GRAPH_INITIALIZER and _tensor_is_external(buf, value))
                          or (n == 15 and _sparse_is_external(buf, value))
                          or (n == 1 and _node_has_external(buf, value, depth))):
            return True
    return False


def scan_model(path: str | Path) -> tuple[list[InputSpec], bool]:
    """The graph's real inputs (initializers listed as inputs by old exporters are dropped) and
    whether any tensor lives in external data, read off the wire without touching weights, in
    one pass over the graph's fields. Through mmap rather than the graph core's FileBuffer: the
    build child parses the whole file next anyway, and mmap's indexing is 3x faster here."""
    path = Path(path)
    inputs, init_names, external = [], set(), False
    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            graph = None
            for n, wt, value, _, _ in iter_fields(buf, 0, len(buf)):
                if n == MODEL_GRAPH and wt == LEN:
                    graph = value
            if graph is None:
                raise WireError("no graph in the file")
            for n, wt, value, _, _ in iter_fields(buf, *graph):
                if wt != LEN:
                    continue
                if n == 11:  # GraphProto.input
                    inputs.append(_value_info(buf, value))
                elif n == GRAPH_INITIALIZER:
                    init_names.update(_string(buf, name) for name in _messages(buf, value, TENSOR_NAME))
                    external = external or _tensor_is_external(buf, value)
                elif not external and ((n == 15 and _sparse_is_external(buf, value))
                                       or (n == 1 and _node_has_external(buf, value, 0))):
                    external = True
    except (OSError, ValueError, WireError) as e:  # ValueError: mmap of an empty file
        raise ModelError(f"cannot read the model's inputs ({e})", where=str(path)) from None
    return [InputSpec(n, t, d) for n, t, d in inputs if n not in init_names], external


def model_inputs(path: str | Path) -> list[InputSpec]:
    return scan_model(path)[0]


# --- profiles ----------------------------------------------------------------------------------

def _ceil8(n: float) -> int:
    return max(8, int(-(-int(n) // 8) * 8))


def _is_batch(name, index: int) -> bool:
    return (isinstance(name, str) and "batch" in name.lower()) or (index == 0 and not isinstance(name, str))


def sequence_range(seq_lengths: dict | None) -> tuple[int, int, int]:
    """min/opt/max for a sequence dim from calibration lengths ({"p50"|"median", "max", and
    "limit", the tokenizer's max length}). opt follows the typical real length; max covers the
    longest real one and the tokenizer's limit, since serving text is truncated there too, not
    at the longest sample that happened to be in the calibration set."""
    if not seq_lengths or not seq_lengths.get("max"):
        return SEQUENCE_DEFAULT
    mx = _ceil8(max(seq_lengths["max"], seq_lengths.get("limit") or 0))
    mid = seq_lengths.get("p50", seq_lengths.get("median", seq_lengths.get("mean", mx)))
    return (1, min(_ceil8(mid), mx), mx)


def resolve_profiles(inputs: list[InputSpec], given: list[ShapeProfile] | None = None,
                     seq_lengths: dict | None = None, where: str | None = None) -> list[ShapeProfile]:
    """One profile per dynamic input: the user's where given (checked), defaults elsewhere."""
    given = list(given or [])
    by_name = {i.name: i for i in inputs}
    seen = set()
    symbols: dict[str, tuple[tuple[int, int, int], str]] = {}   # dim name -> (range, who set it)
    for p in given:
        if p.name in seen:
            raise StudioError(f"--shapes given twice for input {p.name!r}", where=where)
        seen.add(p.name)
        spec = by_name.get(p.name)
        if spec is None:
            raise StudioError(f"--shapes names input {p.name!r}, but the model's inputs are "
                              + (", ".join(by_name) or "none"), where=where)
        if len(p.min) != len(spec.shape):
            raise StudioError(f"--shapes {p.name}: rank {len(p.min)} given, the model's input has rank "
                              f"{len(spec.shape)} {list(spec.shape)}", where=where)
        for i, d in enumerate(spec.shape):
            rng = (p.min[i], p.opt[i], p.max[i])
            if isinstance(d, int) and d >= 0 and rng != (d, d, d):
                raise StudioError(f"--shapes {p.name}: dim {i} is fixed at {d} in the model, but the profile "
                                  f"gives min/opt/max {rng[0]}/{rng[1]}/{rng[2]}", where=where)
            if isinstance(d, str):
                prev = symbols.get(d)
                if prev and prev[0] != rng:
                    raise StudioError(f"--shapes: inputs {prev[1]} and {p.name} share dim {d!r} in the model, "
                                      f"but their profiles give {'/'.join(map(str, prev[0]))} and "
                                      f"{'/'.join(map(str, rng))}", where=where)
                symbols[d] = (rng, p.name)
    out = list(given)
    for spec in inputs:
        if spec.name in seen or not spec.is_dynamic():
            continue
        mn, op, mx = [], [], []
        for i, d in enumerate(spec.shape):
            if isinstance(d, int) and d >= 0:
                rng = (d, d, d)
            elif isinstance(d, str) and d in symbols:
                rng = symbols[d][0]
            elif _is_batch(d, i):
                rng = BATCH_DEFAULT
            else:
                rng = sequence_range(seq_lengths)
            if isinstance(d, str):
                symbols.setdefault(d, (rng, spec.name))
            mn.append(rng[0]); op.append(rng[1]); mx.append(rng[2])
        out.append(ShapeProfile(spec.name, tuple(mn), tuple(op), tuple(mx)))
    order = {i.name: k for k, i in enumerate(inputs)}
    return sorted(out, key=lambda p: order.get(p.name, 0))
