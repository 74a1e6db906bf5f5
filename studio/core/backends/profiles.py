"""Optimization profiles (min/opt/max per dynamic input): read the model's inputs cheaply,
check what the user gave against them, and fill in defaults for the rest.

Defaults: a dim named like a batch (or the first dim) gets 1/8/32; any other dynamic dim gets
1/64/128, or, when calibration data was tokenized, opt = the median real length and
max = the longest real length (both rounded up to a multiple of 8). Dims that share a symbolic
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


def model_inputs(path: str | Path) -> list[InputSpec]:
    """The graph's real inputs (initializers listed as inputs by old exporters are dropped)."""
    import onnx
    from onnx import helper

    path = Path(path)
    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            graph = None
            for num, wt, a, b in _fields(buf, 0, len(buf)):
                if num == 7 and wt == 2:
                    graph = (a, b)
            if graph is None:
                raise ValueError("no graph in the file")
            raw_inputs, init_names = [], set()
            for num, wt, a, b in _fields(buf, *graph):
                if num == 11 and wt == 2:
                    raw_inputs.append(bytes(buf[a:b]))
                elif num == 5 and wt == 2:  # initializer: only its name (field 8)
                    for n2, w2, c, d in _fields(buf, a, b):
                        if n2 == 8 and w2 == 2:
                            init_names.add(bytes(buf[c:d]).decode("utf-8", "replace"))
    except (OSError, ValueError, IndexError) as e:
        raise ModelError(f"cannot read the model's inputs ({e})", where=str(path)) from None
    specs = []
    for raw in raw_inputs:
        vi = onnx.ValueInfoProto.FromString(raw)
        if vi.name in init_names:
            continue
        tt = vi.type.tensor_type
        dims = []
        for d in tt.shape.dim:
            if d.HasField("dim_value"):
                dims.append(int(d.dim_value))
            elif d.HasField("dim_param"):
                dims.append(d.dim_param)
            else:
                dims.append(None)
        try:
            dtype = helper.tensor_dtype_to_np_dtype(tt.elem_type).name
        except Exception:
            dtype = str(tt.elem_type)
        specs.append(InputSpec(vi.name, dtype, tuple(dims)))
    return specs


# --- profiles ----------------------------------------------------------------------------------

def _ceil8(n: float) -> int:
    return max(8, int(-(-int(n) // 8) * 8))


def _is_batch(name, index: int) -> bool:
    return (isinstance(name, str) and "batch" in name.lower()) or (index == 0 and not isinstance(name, str))


def sequence_range(seq_lengths: dict | None) -> tuple[int, int, int]:
    """min/opt/max for a sequence dim from calibration lengths ({"p50"|"median", "max", ...})."""
    if not seq_lengths or not seq_lengths.get("max"):
        return SEQUENCE_DEFAULT
    mx = _ceil8(seq_lengths["max"])
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
