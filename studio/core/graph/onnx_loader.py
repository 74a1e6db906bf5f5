"""Open a user's ONNX file safely and cheaply.

`load_model_proto(path)` gives an onnx.ModelProto without the large weights (their headers keep
name, dims and dtype); `with_weights=True` fills them in from the file and from checked external
data. `open_graph(path)` turns the weights-free proto, after shape inference, into the immutable
`Graph`. `check_model_file(path)` runs the same checks for a path that a native library
(TensorRT's parser, an ONNX Runtime session) will open by itself. Everything that opens a user's
ONNX file should come through here: the checks on external-data locations happen before any data
file is opened, and errors are ModelErrors that name the file and the problem.

Memory (benchmarks/bench_open_memory.py, 436 MB BERT-base): open_graph + summary peaks at about
0.12x the file size in RSS (plus a ~105 MB helper process when the FLOPs estimate needs ONNX
Runtime's symbolic shapes), with_weights at 1.1x, plain onnx.load at 2.1x.
"""

from __future__ import annotations

import os
import stat
import warnings as pywarnings
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Iterator

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import numpy_helper

from studio.core.errors import ModelError
from studio.core.graph.dtypes import dtype_name
from studio.core.graph.external_data import ExternalRef, check_external_data, read_external, tensor_nbytes
from studio.core.graph.model import EMPTY, Graph, Initializer, Node, TensorSummary, Value
from studio.core.graph.wire import FileBuffer, ScanResult, TensorHeader, WireError, scan_model

PROTOBUF_LIMIT = 2 ** 31  # protobuf cannot serialize or parse a message of 2 GiB or more
STRIP_OVER = 1024         # initializers with more payload than this stay in the file until asked
EXTERNAL = onnx.TensorProto.EXTERNAL


@dataclass
class _Opened:
    path: str
    size: int
    st_dev: int
    st_ino: int
    st_mtime_ns: int
    scan: ScanResult
    proto: onnx.ModelProto
    warnings: list[str]
    # id() of a TensorProto wrapper in `proto` -> (the wrapper, its checked location). The wrapper
    # is kept alive so protobuf hands back the same object (and the id stays unique).
    external: dict[int, tuple[onnx.TensorProto, ExternalRef]]


def _stat_model(path) -> tuple[str, os.stat_result]:
    try:
        path = os.fspath(path)
    except TypeError:
        raise ModelError(f"not a file path: {path!r}") from None
    where = path
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ModelError("no such file", where=where) from None
    except NotADirectoryError:
        raise ModelError("no such file (a parent is not a folder)", where=where) from None
    except OSError as e:
        raise ModelError(f"cannot read the file: {e.strerror}", where=where) from None
    if stat.S_ISDIR(st.st_mode):
        raise ModelError("is a folder, not an ONNX file", where=where)
    if not stat.S_ISREG(st.st_mode):
        raise ModelError("is not a regular file", where=where)
    if st.st_size == 0:
        raise ModelError("is empty, not an ONNX model", where=where)
    if st.st_size >= PROTOBUF_LIMIT:
        raise ModelError(
            f"is {st.st_size / 2**30:.1f} GiB in one file; ONNX (protobuf) cannot hold 2 GiB or more "
            "in one file: save the weights as external data, e.g. onnx.save(model, path, "
            "save_as_external_data=True, location='weights.bin')", where=where)
    return path, st


def _t(x) -> str:
    """A protobuf string field as str: upb hands back bytes when the file holds invalid UTF-8."""
    return x if isinstance(x, str) else bytes(x).decode("utf-8", errors="replace")


def _iter_tensors(graph: onnx.GraphProto, top: bool = True) -> Iterator[tuple[onnx.TensorProto, str, bool]]:
    """Every TensorProto a graph carries, with a display name and whether it is a top-level
    initializer: initializers, sparse initializers, tensor attributes, and subgraphs' tensors."""
    for t in graph.initializer:
        yield t, _t(t.name), top
    for s in graph.sparse_initializer:
        yield s.values, _t(s.values.name) or "sparse initializer", False
        yield s.indices, (_t(s.values.name) or "sparse initializer") + " (indices)", False
    for node in graph.node:
        for a in node.attribute:
            label = f"attribute '{_t(a.name)}' of node '{_t(node.name) or _t(node.op_type)}'"
            if a.HasField("t"):
                yield a.t, _t(a.t.name) or label, False
            for t in a.tensors:
                yield t, _t(t.name) or label, False
            if a.HasField("g"):
                yield from _iter_tensors(a.g, False)
            for g in a.graphs:
                yield from _iter_tensors(g, False)


def _open(path) -> _Opened:
    path, st = _stat_model(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise ModelError(f"cannot read the file: {e.strerror}", where=path) from None
    try:
        fst = os.fstat(fd)
        if (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino) or not stat.S_ISREG(fst.st_mode):
            raise ModelError("changed while it was being opened", where=path)
        try:
            scan = scan_model(FileBuffer(fd, fst.st_size), fst.st_size, STRIP_OVER)
        except WireError as e:
            raise ModelError(f"not a valid ONNX model (truncated or corrupt protobuf: {e})", where=path) from None
        except OSError as e:
            raise ModelError(f"cannot read the file: {e.strerror}", where=path) from None
    finally:
        os.close(fd)
    if not scan.has_graph:
        raise ModelError("not an ONNX model (the file has no graph)", where=path)
    if not scan.has_opset:
        raise ModelError("not a valid ONNX model (no opset import; the file may be truncated)", where=path)
    proto = onnx.ModelProto()
    try:
        proto.ParseFromString(scan.stripped)
    except (DecodeError, ValueError, RuntimeError) as e:
        raise ModelError(f"not a valid ONNX model (protobuf parse failed: {e})", where=path) from None
    if len(proto.graph.initializer) != len(scan.tensors):
        raise ModelError("not a valid ONNX model (initializers could not be read consistently)", where=path)

    warns: list[str] = []
    external: dict[int, ExternalRef] = {}
    for t, label, _top in _iter_tensors(proto.graph):
        if any(d < 0 for d in t.dims):
            raise ModelError(f"tensor '{label}' has a negative dimension {list(t.dims)}", where=path)
        if t.data_location == EXTERNAL:
            expected = tensor_nbytes(t.data_type, t.dims)
            entries = [(_t(e.key), _t(e.value)) for e in t.external_data]
            external[id(t)] = (t, check_external_data(label, entries, path, expected, warns))
        elif t.external_data:
            warns.append(f"{path}: tensor '{label}' lists external data but is not marked external; ignored")
    return _Opened(path, fst.st_size, fst.st_dev, fst.st_ino, fst.st_mtime_ns, scan, proto, warns, external)


def _read_model_range(op: _Opened, start: int, end: int, tensor: str) -> bytes:
    """Re-read a stripped initializer from the model file, refusing a file that changed."""
    try:
        fd = os.open(op.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise ModelError(f"cannot re-read tensor '{tensor}': {e.strerror}", where=op.path) from None
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) != (op.st_dev, op.st_ino, op.size, op.st_mtime_ns):
            raise ModelError(f"changed since it was opened; cannot read tensor '{tensor}'", where=op.path)
        data = os.pread(fd, end - start, start)
        if len(data) != end - start:
            raise ModelError(f"truncated while reading tensor '{tensor}'", where=op.path)
        return data
    finally:
        os.close(fd)


def _full_tensor(op: _Opened, t: onnx.TensorProto, header: TensorHeader | None) -> onnx.TensorProto:
    """The tensor with its data in memory (raw_data), read from the model or its external file."""
    if t.data_location == EXTERNAL:
        ref = op.external[id(t)][1]
        full = onnx.TensorProto()
        full.CopyFrom(t)
        del full.external_data[:]
        full.data_location = onnx.TensorProto.DEFAULT
        full.raw_data = read_external(ref, op.path)
        return full
    if header is not None and header.stripped:
        full = onnx.TensorProto()
        try:
            full.ParseFromString(_read_model_range(op, header.start, header.end, _t(t.name)))
        except DecodeError as e:
            raise ModelError(f"tensor '{_t(t.name)}' is corrupt: {e}", where=op.path) from None
        return full
    return t


def _to_array(t: onnx.TensorProto, label: str, path: str):
    try:
        return numpy_helper.to_array(t)
    except Exception as e:  # numpy/onnx say "cannot reshape ..." etc.
        raise ModelError(f"tensor '{label}' cannot be read: {e}", where=path) from None


def load_model_proto(path, *, with_weights: bool = False) -> onnx.ModelProto:
    """The model as an onnx.ModelProto.

    Without weights, large initializers keep name, dims and dtype but no data (cheap: the file is
    scanned, not copied). With weights, every tensor holds its data in memory (external data is
    read after its location was checked), so the proto no longer refers to any other file."""
    op = _open(path)
    if with_weights:
        for i, t in enumerate(op.proto.graph.initializer):
            header = op.scan.tensors[i]
            if header.stripped or t.data_location == EXTERNAL:
                t.CopyFrom(_full_tensor(op, t, header))
        for t, _label, top in _iter_tensors(op.proto.graph):
            if not top and t.data_location == EXTERNAL:
                t.CopyFrom(_full_tensor(op, t, None))
    for w in op.warnings:
        pywarnings.warn(w, stacklevel=2)
    return op.proto


def check_model_file(path) -> list[str]:
    """Every check `load_model_proto` makes (a regular file under 2 GiB, well-formed protobuf, an
    ONNX graph, every external-data location inside the model's folder and within its file),
    without loading weights. Call it before handing a user's path to a native library (the
    TensorRT parser, an ONNX Runtime session) that would follow external data by itself.
    Returns the warnings (ignored unknown keys); raises ModelError."""
    return list(_open(path).warnings)


# ---------------------------------------------------------------------------------------------
# ModelProto -> Graph

def _float32(v: float) -> float:
    return float(str(np.float32(v)))


def _summarize_tensor(t: onnx.TensorProto, path: str) -> TensorSummary:
    dims = tuple(int(d) for d in t.dims)
    nbytes = tensor_nbytes(t.data_type, dims)
    n = 1
    for d in dims:
        n *= d
    values = None
    if n <= 16 and t.data_location != EXTERNAL:
        try:
            arr = _to_array(t, _t(t.name), path)
            values = tuple(_float32(x) if isinstance(x, float) else x for x in arr.reshape(-1).tolist())
        except ModelError:
            values = None
    return TensorSummary(dtype_name(t.data_type), dims, nbytes if nbytes is not None else len(t.raw_data), values)


def _type_info(tp: onnx.TypeProto) -> tuple[str | None, tuple | None]:
    kind = tp.WhichOneof("value")
    if kind == "tensor_type" or kind == "sparse_tensor_type":
        tt = getattr(tp, kind)
        dtype = dtype_name(tt.elem_type) if tt.elem_type else None
        if not tt.HasField("shape"):
            return dtype, None
        dims = []
        for d in tt.shape.dim:
            which = d.WhichOneof("value")
            dims.append(int(d.dim_value) if which == "dim_value" else _t(d.dim_param) if which == "dim_param" and d.dim_param else None)
        return dtype, tuple(dims)
    if kind == "sequence_type":
        inner, _ = _type_info(tp.sequence_type.elem_type)
        return f"seq({inner})", None
    if kind == "optional_type":
        inner, _ = _type_info(tp.optional_type.elem_type)
        return f"optional({inner})", None
    if kind == "map_type":
        inner, _ = _type_info(tp.map_type.value_type)
        return f"map({dtype_name(tp.map_type.key_type)},{inner})", None
    return None, None


class _Builder:
    def __init__(self, op: _Opened):
        self.op = op

    def attributes(self, node: onnx.NodeProto, subgraphs: dict[str, Graph]) -> dict[str, Any]:
        A = onnx.AttributeProto
        out: dict[str, Any] = {}
        for a in node.attribute:
            key = _t(a.name)
            if a.ref_attr_name:
                out[key] = f"@{_t(a.ref_attr_name)}"
            elif a.type == A.FLOAT:
                out[a.name] = _float32(a.f)
            elif a.type == A.INT:
                out[a.name] = int(a.i)
            elif a.type == A.STRING:
                out[a.name] = a.s.decode("utf-8", errors="replace")
            elif a.type == A.FLOATS:
                out[a.name] = tuple(_float32(x) for x in a.floats)
            elif a.type == A.INTS:
                out[a.name] = tuple(int(x) for x in a.ints)
            elif a.type == A.STRINGS:
                out[a.name] = tuple(s.decode("utf-8", errors="replace") for s in a.strings)
            elif a.type == A.TENSOR:
                out[a.name] = _summarize_tensor(a.t, self.op.path)
            elif a.type == A.TENSORS:
                out[a.name] = tuple(_summarize_tensor(t, self.op.path) for t in a.tensors)
            elif a.type == A.GRAPH:
                g = subgraphs.get(key)  # a GRAPH-typed attribute may carry no graph (found by fuzz_open)
                out[a.name] = f"graph '{g.name}' ({len(g.nodes)} nodes)" if g is not None else "graph (missing)"
            elif a.type == A.GRAPHS:
                out[a.name] = tuple(f"graph '{subgraphs[f'{key}[{i}]'].name}'" for i in range(len(a.graphs)))
            elif a.type in (A.SPARSE_TENSOR, A.SPARSE_TENSORS):
                out[a.name] = "sparse tensor"
            elif a.type in (A.TYPE_PROTO, A.TYPE_PROTOS):
                out[a.name] = "type"
            else:
                out[a.name] = None
        return out

    def initializer(self, t: onnx.TensorProto, header: TensorHeader | None) -> Initializer:
        dims = tuple(int(d) for d in t.dims)
        ext = t.data_location == EXTERNAL
        nbytes = tensor_nbytes(t.data_type, dims)
        if nbytes is None:
            nbytes = header.payload_bytes if header else t.ByteSize()
        location = self.op.external[id(t)][1].location if ext else None
        op, path, label = self.op, self.op.path, _t(t.name)

        def load(t=t, header=header):
            return _to_array(_full_tensor(op, t, header), label, path)

        # Small ones (scales, axes, epsilons, shape constants) are what a reader wants to see.
        return Initializer(label, dtype_name(t.data_type), dims, nbytes, ext, location,
                           _summarize_tensor(t, path).values, load)

    def graph(self, g: onnx.GraphProto, outer: frozenset[str], headers: list[TensorHeader] | None,
              model: onnx.ModelProto | None = None) -> Graph:
        path = self.op.path
        types: dict[str, tuple] = {}
        for vi in (*g.value_info, *g.input, *g.output):
            dtype, shape = _type_info(vi.type)
            old = types.get(_t(vi.name))
            if old is None or (old[1] is None and shape is not None):
                types[_t(vi.name)] = (dtype, shape)

        inits: dict[str, Initializer] = {}
        for i, t in enumerate(g.initializer):
            inits[_t(t.name)] = self.initializer(t, headers[i] if headers is not None else None)
        local = set(inits) | {_t(vi.name) for vi in g.input}

        used_names: set[str] = set()
        nodes_raw = []
        for idx, n in enumerate(g.node):
            name = _t(n.name) or f"{_t(n.op_type)}_{idx}"
            if name in used_names:
                base = f"{name}_{idx}"
                name, k = base, 1
                while name in used_names:
                    name, k = f"{base}_{k}", k + 1
            used_names.add(name)
            nodes_raw.append((name, n, [_t(x) for x in n.input], [_t(x) for x in n.output]))
            local.update(o for o in nodes_raw[-1][3] if o)

        nodes: list[Node] = []
        producer: dict[str, str] = {}
        consumers: dict[str, list[str]] = {}
        outer_used: set[str] = set()
        visible = frozenset(outer | local)
        for idx, (name, n, n_in, n_out) in enumerate(nodes_raw):
            subgraphs: dict[str, Graph] = {}
            implicit: list[str] = []
            for a in n.attribute:
                sub = [(_t(a.name), a.g)] if a.HasField("g") else []
                sub += [(f"{_t(a.name)}[{i}]", sg) for i, sg in enumerate(a.graphs)]
                for key, sg in sub:
                    built = self.graph(sg, visible, None)
                    subgraphs[key] = built
                    for v in built.values.values():
                        if v.kind == "outer" and v.name not in implicit and v.name not in n_in:
                            implicit.append(v.name)
            attrs = self.attributes(n, subgraphs)
            node = Node(name=name, op_type=_t(n.op_type), domain=_t(n.domain), inputs=tuple(n_in),
                        outputs=tuple(n_out), attributes=MappingProxyType(attrs), index=idx,
                        source_name=_t(n.name), subgraphs=MappingProxyType(subgraphs) if subgraphs else EMPTY,
                        implicit_inputs=tuple(implicit))
            nodes.append(node)
            for t in n_out:
                if t:
                    producer[t] = name
            for t in (*n_in, *implicit):
                if t:
                    lst = consumers.setdefault(t, [])
                    if name not in lst:
                        lst.append(name)
                    if t not in local:
                        outer_used.add(t)

        input_names = [_t(vi.name) for vi in g.input if _t(vi.name) not in inits]
        output_names = [_t(vi.name) for vi in g.output]
        for kind, names in (("input", input_names), ("output", output_names)):
            if "" in names:
                raise ModelError(f"graph '{_t(g.name)}': {kind} {names.index('') + 1} has no name "
                                 "(not a valid ONNX model)", where=path)
        all_names: list[str] = []
        seen: set[str] = set()
        for t in (*input_names, *inits, *(o for _, _, n_in, n_out in nodes_raw for o in (*n_in, *n_out)),
                  *outer_used, *output_names):
            if t and t not in seen:
                seen.add(t)
                all_names.append(t)
        out_set = set(output_names)
        in_set = set(input_names)
        values: dict[str, Value] = {}
        warns: list[str] = []
        for t in all_names:
            if t in inits:
                kind = "initializer"
                dtype, shape = inits[t].dtype, inits[t].shape
            else:
                dtype, shape = types.get(t, (None, None))
                if t in in_set:
                    kind = "input"
                elif t in out_set:
                    kind = "output"
                elif t not in local and t in outer:
                    kind = "outer"
                else:
                    kind = "intermediate"
                    if t not in producer:
                        warns.append(f"{path}: tensor '{t}' is read but nothing produces it")
            values[t] = Value(t, dtype, shape, producer.get(t), tuple(consumers.get(t, ())), kind)

        kw = {}
        if model is not None:
            kw = dict(opset=MappingProxyType({_t(o.domain): int(o.version) for o in model.opset_import}),
                      producer_name=_t(model.producer_name), producer_version=_t(model.producer_version),
                      ir_version=int(model.ir_version), path=path, file_size=self.op.size,
                      warnings=tuple(self.op.warnings + warns))
        return Graph(name=_t(g.name), nodes=tuple(nodes), values=MappingProxyType(values),
                     initializers=MappingProxyType(inits),
                     inputs=tuple(values[t] for t in input_names),
                     outputs=tuple(values[t] for t in output_names if t in values), **kw)


def infer_shapes(proto: onnx.ModelProto, warnings: list[str], path: str) -> onnx.ModelProto:
    """Shape inference on a weights-free proto; on failure the declared shapes stand."""
    infer = onnx.shape_inference.infer_shapes
    try:
        return infer(proto, check_type=False, strict_mode=True, data_prop=True)
    except Exception as e:  # inference is a bonus: say why, then keep what the lenient pass finds
        first = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        warnings.append(f"{path}: shape inference failed ({first}); some shapes are the declared ones only")
    try:
        return infer(proto, check_type=False, strict_mode=False, data_prop=True)
    except Exception:
        return proto


def open_graph(path, *, shape_inference: bool = True) -> Graph:
    """Open an ONNX file into the immutable Graph (weights stay in the file)."""
    op = _open(path)
    proto = op.proto
    if shape_inference:
        inferred = infer_shapes(proto, op.warnings, op.path)
        if inferred is not proto:
            # Inference returns a copy; the initializers are unchanged but the TensorProto objects
            # are new, so re-key the checked external locations to the copies.
            remap = {}
            for (t_old, _, _), (t_new, _, _) in zip(_iter_tensors(proto.graph), _iter_tensors(inferred.graph)):
                if id(t_old) in op.external:
                    remap[id(t_new)] = (t_new, op.external[id(t_old)][1])
            op.external = remap
            op.proto = inferred
            proto = inferred
    graph = _Builder(op).graph(proto.graph, frozenset(), op.scan.tensors, model=proto)
    object.__setattr__(graph, "_stripped_model", op.scan.stripped)
    object.__setattr__(graph, "shapes_checked", shape_inference and not any(
        "shape inference failed" in w for w in op.warnings))
    return graph
