"""Model statistics: parameter count, op histogram, estimated FLOPs.

FLOPs convention: 1 multiply-accumulate (MAC) = 2 FLOPs, and only the matrix work is counted
(MatMul, Gemm, Conv, ConvTranspose and their quantized forms); element-wise ops, softmax and
normalization are left out because they are a rounding error next to the matmuls of an encoder
and vary by kernel. Bias adds of Gemm are not counted either.

Shapes are made concrete by binding the symbolic dims of the graph inputs to the batch size and
sequence length asked for (see `bind_dims`) and re-running ONNX shape inference on the weights-free
model, so reshaped attention tensors ([batch, heads, seq, head_dim]) get numbers too and the
attention MatMuls (Q x K^T and softmax(.) x V, both operands activations) follow from shapes.
Where ONNX's inference loses a dim that was computed from data (Slice ends from Shape(x)),
ONNX Runtime's symbolic shape inference is asked as well; nodes still unknown after that are
listed in `unresolved`, never guessed.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass, field

from studio.core.errors import ModelError
from studio.core.graph.dtypes import FLOAT_TYPES, WEIGHT_INT_TYPES
from studio.core.graph.model import Graph, Node
from studio.core.serde import Record

MATMUL_OPS = {"MatMul", "MatMulInteger", "QLinearMatMul", "FusedMatMul"}
CONV_OPS = {"Conv", "ConvInteger", "QLinearConv"}
GEMM_OPS = {"Gemm"}

_BATCH_NAMES = re.compile(r"^(n|b|bs|batch.*|.*_batch|batch_?size|num_?batch.*)$", re.I)
_SEQ_NAMES = re.compile(r"(seq|sequence|len|length|token|time|step|position|sentence)", re.I)


def parameter_count(graph: Graph) -> int:
    """Elements of the weights: floating-point and narrow-integer (quantized) initializers, in
    the main graph and its subgraphs, plus Constant nodes holding floating-point tensors.
    int32/int64/bool initializers are shapes and indices, not parameters."""
    total = 0
    for g in (graph, *graph.all_subgraphs()):
        for init in g.initializers.values():
            if init.dtype in FLOAT_TYPES or init.dtype in WEIGHT_INT_TYPES:
                total += init.numel
        for node in g.nodes:
            if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
                t = node.attributes.get("value")
                if t is not None and getattr(t, "dtype", None) in FLOAT_TYPES:
                    n = 1
                    for d in t.shape:
                        n *= d
                    total += n
    return total


def op_histogram(graph: Graph) -> dict[str, int]:
    """Op -> count over the main graph (custom domains as `domain::Op`), most frequent first."""
    c = Counter(n.qualified_op for n in graph.nodes)
    return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


def bind_dims(graph: Graph, batch: int, seq_len: int, overrides: dict[str, int] | None = None) -> dict[str, int]:
    """Values for the symbolic dims of the graph inputs.

    A dim named in `overrides` takes that value; else a name that looks like a batch
    ("batch", "batch_size", "N", "B") is the batch and one that looks like a length ("sequence",
    "seq_len", "tokens", ...) is the sequence length; a name that says neither is the batch at
    position 0 of an input and the sequence length at position 1. Other dims stay unbound."""
    overrides = dict(overrides or {})
    out: dict[str, int] = {}
    for v in graph.inputs:
        for pos, d in enumerate(v.shape or ()):
            if not isinstance(d, str) or d in out:
                continue
            if d in overrides:
                out[d] = overrides[d]
            elif _BATCH_NAMES.match(d):
                out[d] = batch
            elif _SEQ_NAMES.search(d):
                out[d] = seq_len
            elif pos == 0:
                out[d] = batch
            elif pos == 1:
                out[d] = seq_len
    for k, val in overrides.items():
        out.setdefault(k, val)
    return out


def concrete_shapes(graph: Graph, bindings: dict[str, int]) -> dict[str, tuple]:
    """Tensor name -> shape with the bound dims substituted, from shape inference re-run on the
    weights-free model with concrete input shapes (falls back to substituting in the shapes the
    graph already has when the model bytes are not available or inference fails)."""
    shapes: dict[str, tuple] = {}
    for name, v in graph.values.items():
        if v.shape is not None:
            shapes[name] = tuple(bindings.get(d, d) if isinstance(d, str) else d for d in v.shape)
    raw = graph._stripped_model
    if raw is None:
        return shapes
    # lazy: 964 ms off this module's import
    import onnx

    from studio.core.graph.onnx_loader import _type_info
    proto = onnx.ModelProto()
    proto.ParseFromString(raw)
    for vi in proto.graph.input:
        tt = vi.type.tensor_type
        if vi.type.HasField("tensor_type") and tt.HasField("shape"):
            for d in tt.shape.dim:
                if d.WhichOneof("value") == "dim_param" and d.dim_param in bindings:
                    d.dim_value = bindings[d.dim_param]
    # Declared intermediate/output shapes may still be symbolic; let inference recompute them.
    del proto.graph.value_info[:]
    for vi in proto.graph.output:
        if vi.type.HasField("tensor_type"):
            vi.type.tensor_type.ClearField("shape")

    def merge(model) -> None:
        for vi in (*model.graph.input, *model.graph.value_info, *model.graph.output):
            _, shape = _type_info(vi.type)
            if shape is not None and (shapes.get(vi.name) is None or _known(shape) >= _known(shapes[vi.name])):
                shapes[vi.name] = tuple(bindings.get(d, d) if isinstance(d, str) else d for d in shape)

    try:
        merge(onnx.shape_inference.infer_shapes(proto, check_type=False, strict_mode=False, data_prop=True))
    except Exception:
        pass
    if _counted_inputs_unknown(graph, shapes) and _well_formed(graph):
        _symbolic_fallback(proto, merge)
    return shapes


def _well_formed(graph: Graph) -> bool:
    """Cheap sanity checks before asking ONNX Runtime's symbolic inference, which loops on some
    malformed graphs: ONNX's strict inference passed, typed inputs, every output produced, no cycle."""
    if not graph.shapes_checked:
        return False
    if any(v.dtype is None or v.shape is None for v in graph.inputs):
        return False
    if any(v.producer is None and v.kind != "input" for v in graph.outputs):
        return False
    try:
        graph.topological_order()
    except ModelError:
        return False
    return True


def _counted_inputs_unknown(graph: Graph, shapes: dict) -> bool:
    return any(n.op_type in MATMUL_OPS | GEMM_OPS | CONV_OPS and
               not all(_concrete(shapes.get(t)) for t in n.inputs[:2] if t) for n in graph.nodes)


SYMBOLIC_TIMEOUT_S = 20


def _symbolic_fallback(proto, merge) -> None:
    """ONNX's inference gives up on shapes computed from data (Slice ends taken from Shape(x),
    as in the position ids of an exported BERT). ONNX Runtime's symbolic shape inference follows
    those values. It reads initializer values, so the stripped weights are handed to it as graph
    inputs of known shape (no data needed); the small shape tensors stay initializers.

    It runs in a child process with a time and memory limit: on some malformed models it loops
    forever while its memory grows (found by benchmarks/bench_fuzz_open.py), and a FLOPs estimate
    is not worth a hung or crashed studio. The child sees only the weights-free model."""
    # lazy: 1.0 s off this module's import
    import subprocess
    import tempfile

    import onnx
    from onnx import helper
    model = onnx.ModelProto()
    model.CopyFrom(proto)
    keep = []
    for t in model.graph.initializer:
        has_data = t.raw_data or t.float_data or t.int32_data or t.int64_data or t.double_data \
            or t.uint64_data or t.string_data
        if has_data and t.data_location != onnx.TensorProto.EXTERNAL:
            keep.append(t)
        else:
            model.graph.input.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep)
    with tempfile.TemporaryDirectory(prefix="studio-shapes-") as tmp:
        src, dst = f"{tmp}/in.onnx", f"{tmp}/out.onnx"
        with open(src, "wb") as f:
            f.write(model.SerializeToString())
        try:
            r = subprocess.run([sys.executable, "-m", "studio.core.graph.ort_shapes", src, dst],
                               capture_output=True, timeout=SYMBOLIC_TIMEOUT_S, cwd=tmp)
        except (subprocess.TimeoutExpired, OSError):
            return
        if r.returncode != 0:
            return
        out = onnx.ModelProto()
        try:
            with open(dst, "rb") as f:
                out.ParseFromString(f.read())
        except Exception:  # noqa: BLE001 (best effort: unresolved nodes are reported, not guessed)
            return
    merge(out)


def _known(shape) -> int:
    return sum(isinstance(d, int) for d in shape)


def _prod(xs) -> int:
    n = 1
    for x in xs:
        n *= x
    return n


def _concrete(shape) -> bool:
    return shape is not None and all(isinstance(d, int) and d >= 0 for d in shape)


def node_flops(node: Node, shapes: dict[str, tuple]) -> int | None:
    """FLOPs of one node (2 per MAC), or None if its shapes are not all known. 0 for ops that
    are not counted."""
    op = node.op_type
    ins = node.inputs
    if not ins:  # a malformed node with no inputs (found by benchmarks/bench_fuzz_open.py): nothing to count
        return None if op in MATMUL_OPS or op in GEMM_OPS or op in CONV_OPS or op == "ConvTranspose" else 0
    if op in MATMUL_OPS:
        a_name = ins[0]
        # QLinearMatMul: (a, a_scale, a_zp, b, ...)
        b_name = ins[3] if op == "QLinearMatMul" and len(ins) > 3 else (ins[1] if len(ins) > 1 else "")
        a, b = shapes.get(a_name), shapes.get(b_name)
        out = shapes.get(node.outputs[0]) if node.outputs else None
        if not _concrete(a) or not _concrete(b):
            return None
        if len(a) == 0 or len(b) == 0:
            return None
        k = a[-1]
        if _concrete(out):
            return 2 * _prod(out) * k
        # Output shape unknown: broadcast the batch dims ourselves.
        m = a[-2] if len(a) >= 2 else 1
        n = b[-1] if len(b) >= 2 else 1
        batch_a, batch_b = list(a[:-2]), list(b[:-2])
        width = max(len(batch_a), len(batch_b))
        batch_a = [1] * (width - len(batch_a)) + batch_a
        batch_b = [1] * (width - len(batch_b)) + batch_b
        return 2 * _prod(max(x, y) for x, y in zip(batch_a, batch_b)) * m * n * k
    if op in GEMM_OPS:
        a = shapes.get(ins[0])
        out = shapes.get(node.outputs[0]) if node.outputs else None
        if not _concrete(a) or len(a) != 2:
            return None
        k = a[0] if node.attributes.get("transA", 0) else a[1]
        if _concrete(out):
            return 2 * _prod(out) * k
        b = shapes.get(ins[1]) if len(ins) > 1 else None
        if not _concrete(b) or len(b) != 2:
            return None
        m = a[1] if node.attributes.get("transA", 0) else a[0]
        n = b[0] if node.attributes.get("transB", 0) else b[1]
        return 2 * m * n * k
    if op in CONV_OPS:
        w_name = ins[3] if op == "QLinearConv" and len(ins) > 3 else (ins[1] if len(ins) > 1 else "")
        w = shapes.get(w_name)
        out = shapes.get(node.outputs[0]) if node.outputs else None
        if not _concrete(w) or not _concrete(out) or len(w) < 2:
            return None
        # Each output element: C_in/group x kernel MACs; w is [C_out, C_in/group, k...].
        return 2 * _prod(out) * _prod(w[1:])
    if op == "ConvTranspose":
        x = shapes.get(ins[0])
        w = shapes.get(ins[1]) if len(ins) > 1 else None
        if not _concrete(x) or not _concrete(w) or len(w) < 2:
            return None
        # Each input element scatters into C_out/group x kernel outputs; w is [C_in, C_out/group, k...].
        return 2 * _prod(x) * _prod(w[1:])
    return 0


@dataclass(frozen=True)
class FlopsEstimate(Record):
    total: int
    by_op: dict[str, int]
    attention: int                   # MatMuls whose operands are both activations (QK^T, AV)
    batch: int
    seq_len: int
    dims: dict[str, int]             # symbolic dim -> value used
    unresolved: tuple[str, ...] = field(default=())   # counted-op nodes whose shapes stayed unknown
    convention: str = "1 MAC = 2 FLOPs; MatMul/Gemm/Conv only"


def estimate_flops(graph: Graph, batch: int = 1, seq_len: int = 128,
                   overrides: dict[str, int] | None = None) -> FlopsEstimate:
    """FLOPs of one forward pass at this batch and sequence length (main graph only: the work
    of If/Loop bodies depends on data)."""
    bindings = bind_dims(graph, batch, seq_len, overrides)
    shapes = concrete_shapes(graph, bindings)
    # Weights: initializers and anything computed from weights alone (Constant, a
    # DequantizeLinear or Transpose of a weight), so Q/DQ models do not count as attention.
    weights = set(graph.initializers)
    for n in graph.nodes:
        if not n.has_subgraphs and all(t in weights for t in n.inputs if t):
            weights.update(n.outputs)
    by_op: Counter = Counter()
    attention = 0
    unresolved: list[str] = []
    for node in graph.nodes:
        f = node_flops(node, shapes)
        if f is None:
            unresolved.append(node.name)
            continue
        if not f:
            continue
        by_op[node.op_type] += f
        if node.op_type in MATMUL_OPS and len(node.inputs) > 1:
            b = node.inputs[3] if node.op_type == "QLinearMatMul" and len(node.inputs) > 3 else node.inputs[1]
            if node.inputs[0] not in weights and b not in weights:
                attention += f
    return FlopsEstimate(total=sum(by_op.values()), by_op=dict(sorted(by_op.items())), attention=attention,
                         batch=batch, seq_len=seq_len, dims=bindings, unresolved=tuple(unresolved))
