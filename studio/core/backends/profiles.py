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
# shapes would cost more than the rest of the build's overhead. The wire format lets us skip
# every field we do not need by its length.

def _varint(buf, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(buf, start: int, end: int):
    """Yield (field_number, wire_type, value_start, value_end) of one message's fields."""
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            _, nxt = _varint(buf, pos)
            yield num, wt, pos, nxt
        elif wt == 1:
            nxt = pos + 8
        elif wt == 2:
            n, pos = _varint(buf, pos)
            nxt = pos + n
        elif wt == 5:
            nxt = pos + 4
        else:
            raise ValueError(f"unsupported wire type {wt}")
        if nxt > end:
            raise ValueError("field runs past the end of the message")
        if wt != 0:
            yield num, wt, pos, nxt
        pos = nxt


# ONNX TensorProto.DataType -> numpy dtype name (the ones a graph input can have).
_ELEM_TYPES = {1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
               8: "str", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64",
               14: "complex64", 15: "complex128", 16: "bfloat16", 17: "float8e4m3fn", 18: "float8e4m3fnuz",
               19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4"}


def _string(buf, a: int, b: int) -> str:
    return bytes(buf[a:b]).decode("utf-8", "replace")


def _value_info(buf, a: int, b: int) -> tuple[str, str, tuple]:
    """ValueInfoProto{name=1, type=2: TypeProto{tensor_type=1: {elem_type=1, shape=2: {dim=1:
    {dim_value=1, dim_param=2}}}}}, read straight off the wire (importing onnx costs more than
    the whole lookup)."""
    name, elem, dims = "", 0, []
    for num, wt, c, d in _fields(buf, a, b):
        if num == 1 and wt == 2:
            name = _string(buf, c, d)
        elif num == 2 and wt == 2:
            for n2, w2, e, f in _fields(buf, c, d):
                if n2 != 1 or w2 != 2:
                    continue
                for n3, w3, g, h in _fields(buf, e, f):
                    if n3 == 1 and w3 == 0:
                        elem = _varint(buf, g)[0]
                    elif n3 == 2 and w3 == 2:
                        for n4, w4, i, j in _fields(buf, g, h):
                            if n4 != 1 or w4 != 2:
                                continue
                            dim = None
                            for n5, w5, k, l in _fields(buf, i, j):
                                if n5 == 1 and w5 == 0:
                                    v = _varint(buf, k)[0]
                                    dim = v - (1 << 64) if v >= 1 << 63 else v
                                elif n5 == 2 and w5 == 2:
                                    dim = _string(buf, k, l) or None
                            dims.append(dim)
    return name, _ELEM_TYPES.get(elem, str(elem)), tuple(dims)


def _tensor_is_external(buf, a: int, b: int) -> bool:
    for num, wt, c, d in _fields(buf, a, b):
        if (num == 14 and wt == 0 and _varint(buf, c)[0] == 1) or (num == 13 and wt == 2):
            return True
    return False


def _graph_has_external(buf, a: int, b: int, depth: int = 0) -> bool:
    """Any tensor in this graph (initializers, sparse initializers, node attributes, subgraphs)
    stored as external data?"""
    if depth > 64:
        raise ValueError("subgraphs nested too deeply")
    for num, wt, c, d in _fields(buf, a, b):
        if wt != 2:
            continue
        if num == 5 and _tensor_is_external(buf, c, d):            # initializer
            return True
        if num == 15:                                               # sparse_initializer
            if any(w2 == 2 and n2 in (1, 2) and _tensor_is_external(buf, e, f)
                   for n2, w2, e, f in _fields(buf, c, d)):
                return True
        if num == 1:                                                # node -> attribute
            for n2, w2, e, f in _fields(buf, c, d):
                if n2 != 5 or w2 != 2:
                    continue
                for n3, w3, g, h in _fields(buf, e, f):
                    if w3 != 2:
                        continue
                    if n3 in (5, 10) and _tensor_is_external(buf, g, h):
                        return True
                    if n3 in (6, 11) and _graph_has_external(buf, g, h, depth + 1):
                        return True
                    if n3 in (22, 23) and any(w4 == 2 and n4 in (1, 2) and _tensor_is_external(buf, i, j)
                                              for n4, w4, i, j in _fields(buf, g, h)):
                        return True
    return False


def scan_model(path: str | Path) -> tuple[list[InputSpec], bool]:
    """The graph's real inputs (initializers listed as inputs by old exporters are dropped) and
    whether any tensor lives in external data, read off the wire without touching weights."""
    path = Path(path)
    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            graph = None
            for num, wt, a, b in _fields(buf, 0, len(buf)):
                if num == 7 and wt == 2:
                    graph = (a, b)
            if graph is None:
                raise ValueError("no graph in the file")
            inputs, init_names = [], set()
            for num, wt, a, b in _fields(buf, *graph):
                if num == 11 and wt == 2:
                    inputs.append(_value_info(buf, a, b))
                elif num == 5 and wt == 2:  # initializer: only its name (field 8)
                    for n2, w2, c, d in _fields(buf, a, b):
                        if n2 == 8 and w2 == 2:
                            init_names.add(_string(buf, c, d))
            external = _graph_has_external(buf, *graph)
    except (OSError, ValueError, IndexError) as e:
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
