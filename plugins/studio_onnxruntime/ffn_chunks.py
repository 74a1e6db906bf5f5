"""Run each transformer FFN a few hundred rows at a time (ONNX Scan), so its intermediate stays in
the CPU's cache.

A BERT FFN is matmul -> GELU -> matmul over every token of the batch. At batch 32 x 64 tokens
its intermediate is 2048 x 1536 floats (12.5 MB for MiniLM) written by the first GEMM, read and
written by GELU, read twice more by the int8 activation quantization (min/max, then quantize)
and once by the second GEMM: out of cache every time, so those passes run at memory speed. In
chunks whose intermediate is <= 6 MiB (1024 rows for MiniLM's 1536 wide FFN, 512 for BERT-base's
3072; with two intra-op threads each core works on about half) the same work stays near the
cores. Measured on a 2-core AVX-512 VNNI Xeon (2 MiB L2 a core), demo model batch 32 x 64
(benchmarks/bench_ort_rewrite.py --rewrite ffn_chunks): one thread, int8 6-9 % and fp32 1-4 % less
time a batch (fp32 4-8 % since its chunks also add the GELU's bias in the GEMM, _bias_into_gemm);
two threads, within this host's noise (paired runs -2 to +6 % for int8, each op splitting rows
between the cores its own way). 6 MiB rather than 3: as fast on one thread, and at two threads 3 MiB chunks measured 1-5 %
slower than none for BERT-base int8 where 6 MiB measured +3 %; int8 with 3 MiB and 1.5 MiB chunks
measured 0.98x and 0.94x the 6 MiB build (paired, two threads).

Shapes stay dynamic: a chunk is `c` whole sequences, c the largest divisor of the batch with
c x seq_len within the budget's rows (computed in the graph, so any batch and length works;
batch 1 is one chunk). The shape nodes, Reshapes and Scans cost ~0.1 ms a run: 4-9 % of a
1.4 ms batch-1 inference of the demo int8 build.
Per-row arithmetic is unchanged, so fp32 outputs are the same up to float rounding; dynamic int8
quantizes each chunk's activations with that chunk's own range (finer, never coarser).

Node names carry `CHUNKED_PREFIX` (the studio's prefix) so the after-fusion view shows the Scan's
body nodes as layers and the helper nodes as the studio's own (ort_optimized.py)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from studio.core.precision.model_io import tensor_links
from studio_onnxruntime.ort_optimized import STUDIO_PREFIX

from studio_onnxruntime.rewrites import (MS, Original, RewriteReport, _default_opset, _fresh,
                                         name_biased_output, unbias_gelu)

CHUNKED_PREFIX = STUDIO_PREFIX + "ChunkedFFN"
CHUNK_BYTES = 6 << 20  # of float intermediate a chunk (module doc for the sizes measured)
MIN_OPSET = 13    # Slice/ReduceMax/LessOrEqual forms used by the shape arithmetic
_GELUS = {("Gelu", MS), ("Gelu", ""), ("BiasGelu", MS), ("FastGelu", MS)}
_FLOAT_IN = {("MatMul", ""), ("DynamicQuantizeMatMul", MS)}  # matmuls that read float activations


class _Graph:
    """Who produces and who reads each tensor of the main graph."""

    def __init__(self, g: onnx.GraphProto):
        self.dims = {t.name: tuple(t.dims) for t in g.initializer}
        self.inits = set(self.dims)
        self.producer, self.readers = tensor_links(g)
        self.outputs = {o.name for o in g.output}
        self.rank = {v.name: len(v.type.tensor_type.shape.dim) for v in g.value_info
                     if v.type.tensor_type.HasField("shape")}
        self.lead = {v.name: tuple(d.dim_param or d.dim_value or None for d in v.type.tensor_type.shape.dim[:2])
                     for v in g.value_info if v.type.tensor_type.HasField("shape")}

    def sole_reader(self, tensor: str):
        r = self.readers.get(tensor, [])
        return r[0] if len(r) == 1 and tensor not in self.outputs else None

    def only_read_by(self, tensor: str, node) -> bool:
        """`node` reads `tensor` and nothing else does (nodes compared by their first output:
        tensor names are unique, node names need not be)."""
        r = self.sole_reader(tensor)
        return r is not None and r.output[0] == node.output[0]

    def bias_add(self, node, tensor: str) -> bool:
        """An Add of `tensor` and a constant vector (the same for every row)."""
        others = [t for t in node.input if t != tensor]
        return ((node.op_type, node.domain) == ("Add", "") and len(others) == 1
                and len(self.dims.get(others[0], (0, 0))) == 1)

    def row_wise_matmul(self, node) -> bool:
        """A matmul reading float activations with constant 2-D weights: row i of its output
        depends on row i of its input only."""
        if (node.op_type, node.domain) not in _FLOAT_IN or len(node.input) < 2:
            return False
        return len(self.dims.get(node.input[1], ())) == 2 and all(t in self.inits or not t for t in node.input[2:])


def find_ffns(g: onnx.GraphProto, gi: _Graph | None = None) -> tuple[list[list], list[str]]:
    """([chain of nodes per FFN, in order], [why a GELU was not taken]). A chain is
    matmul [+ bias Add] -> GELU -> matmul [+ bias Add], every tensor between read only by the
    next node, weights constant 2-D and biases constant vectors (so each output row depends on
    its input row only), the input of known rank 3."""
    gi = gi or _Graph(g)
    chains, skipped = [], []
    for gelu in g.node:
        if (gelu.op_type, gelu.domain) not in _GELUS:
            continue
        chain = [gelu]
        first = gi.producer.get(gelu.input[0])
        if first is not None and first.op_type == "Add" and gi.only_read_by(first.output[0], gelu):
            data = [t for t in first.input if t not in gi.inits]
            if len(data) == 1 and gi.bias_add(first, data[0]):
                chain.insert(0, first)
                first = gi.producer.get(data[0])
        if first is None or not gi.row_wise_matmul(first) or not gi.only_read_by(first.output[0], chain[0]):
            skipped.append(f"{gelu.name or gelu.output[0]}: not fed by a matmul with constant weights")
            continue
        chain.insert(0, first)
        nxt = gi.sole_reader(gelu.output[0])
        if nxt is None or not gi.row_wise_matmul(nxt):
            skipped.append(f"{gelu.name or gelu.output[0]}: not read by one matmul with constant weights")
            continue
        chain.append(nxt)
        add = gi.sole_reader(nxt.output[0])
        if add is not None and gi.bias_add(add, nxt.output[0]):
            chain.append(add)
        if gi.rank.get(gelu.input[0]) != 3:
            skipped.append(f"{gelu.name or gelu.output[0]}: input rank not known to be 3")
            continue
        chains.append(chain)
    return chains, skipped


def _shape_nodes(x: str, rows: int, p: str, taken: set, inits: list) -> tuple[list, str, str]:
    """Nodes computing, from x's [batch, seq, hidden] shape, the Reshape targets
    [n_chunks, -1, 0] and [batch, seq, -1]: c = the largest divisor of batch with
    c * seq <= rows (1 at least), n_chunks = batch / c."""
    def const(name, values):
        t = _fresh(p + name, taken)
        inits.append(numpy_helper.from_array(np.asarray(values, dtype=np.int64), t))
        return t

    def node(op, inputs, **attrs):
        out = _fresh(f"{p}{op.lower()}", taken)
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    nodes: list = []
    cand = const("candidates", np.arange(1, rows + 1))
    zero, one, two = const("0", [0]), const("1", [1]), const("2", [2])
    shape = node("Shape", [x])
    batch = node("Slice", [shape, zero, one])
    seq = node("Slice", [shape, one, two])
    divides = node("Equal", [node("Mod", [batch, cand]), const("zero", 0)])
    fits = node("LessOrEqual", [node("Mul", [cand, seq]), const("rows", rows)])
    c = node("ReduceMax", [node("Where", [node("And", [divides, fits]), cand, const("ones", 1)])], keepdims=1)
    n = node("Div", [batch, c])
    in_shape = node("Concat", [n, const("rest", [-1, 0])], axis=0)
    out_shape = node("Concat", [node("Slice", [shape, zero, two]), const("last", [-1])], axis=0)
    return nodes, in_shape, out_shape


def _bias_into_gemm(body: list, original, taken: set, value_info) -> None:
    """In a chunk's body, where rows are 2-D, float MatMul -> BiasGelu becomes Gemm (bias added
    in the GEMM's output stage) -> Gelu (FastGelu with a bias likewise): 11 % less time for that
    pair at two threads, 8 % at one (1024 x 384 x 1536, the demo FFN's chunk). ORT cannot do this
    on the rank-3 tensors outside; dynamic int8 gets the same from fold_gelu_bias (rewrites.py)."""
    mm, gelu = body[0], body[1]
    if (mm.op_type, mm.domain) == ("MatMul", "") and len(mm.input) == 2:
        bias = unbias_gelu(gelu)
        if bias:
            mm.op_type = "Gemm"
            mm.input.append(bias)
            name_biased_output(mm, gelu, bias, original, taken, value_info)


def _rows_of(v: onnx.ValueInfoProto) -> onnx.ValueInfoProto:
    """v's type as a body tensor: [rows, last dim] (the outer graph's [batch, seq, width] would
    make ORT warn that it cannot merge shapes at every session start)."""
    t = v.type.tensor_type
    width = t.shape.dim[-1].dim_value if t.HasField("shape") and t.shape.dim else 0
    return helper.make_tensor_value_info(v.name, t.elem_type, ["rows", width or None])


def chunk_rows(chain, dims: dict, budget: int) -> int:
    """Rows a chunk of this FFN takes: its float intermediate (rows x width) within `budget` bytes."""
    width = dims[chain[0].input[1]][1]
    return max(1, budget // (4 * max(1, width)))


def chunk_ffn(model: onnx.ModelProto, budget: int = CHUNK_BYTES, original=None) -> RewriteReport:
    """Run each FFN (find_ffns) by a Scan over chunks whose intermediate takes <= `budget` bytes,
    in place. `original` (the model before fusions, rewrites.Original.of) names the sums a GEMM
    takes over from a GELU (_bias_into_gemm)."""
    report = RewriteReport("chunk_ffn")
    if _default_opset(model) < MIN_OPSET:
        report.reason = f"opset {_default_opset(model)} < {MIN_OPSET}"
        return report
    g = model.graph
    gi = _Graph(g)
    chains, skipped = find_ffns(g, gi)
    report.reason = "; ".join(skipped)
    if not chains:
        report.reason = report.reason or "no matmul -> GELU -> matmul chain"
        return report
    taken = {t for n in g.node for t in (*n.input, *n.output)} | gi.inits | {n.name for n in g.node}
    orig = Original.of(original)
    # Nodes by their first output (unique, where names may be empty or repeated).
    moved = {n.output[0] for chain in chains for n in chain}
    by_first = {chain[0].output[0]: chain for chain in chains}
    shapes: dict = {}   # [batch, seq] as value_info names them -> the helper nodes' Reshape targets
    new_nodes, inits, moved_tensors = [], [], set()
    vi = {v.name: v for v in g.value_info}
    for node in g.node:
        if (node.output[0] if node.output else "") not in moved:
            new_nodes.append(node)
            continue
        chain = by_first.get(node.output[0])
        if chain is None:
            continue
        k = report.applied
        x, y = chain[0].input[0], chain[-1].output[0]
        gelu = next(n for n in chain if (n.op_type, n.domain) in _GELUS)
        lead = gi.lead.get(gelu.input[0], (None,))
        rows = chunk_rows(chain, gi.dims, budget)
        key = (lead if None not in lead else k, rows)  # unnamed dims: this chain's own shape nodes
        if key not in shapes:
            nodes, in_shape, out_shape = _shape_nodes(x, rows, f"{CHUNKED_PREFIX}/shape{len(shapes)}/", taken, inits)
            new_nodes += nodes
            shapes[key] = (in_shape, out_shape)
        in_shape, out_shape = shapes[key]
        p = f"{CHUNKED_PREFIX}{k}"
        x_in, y_out = _fresh(f"{p}/{x}", taken), _fresh(f"{p}/{y}", taken)
        x3, y3 = _fresh(f"{p}/in_chunks", taken), _fresh(f"{p}/out_chunks", taken)
        body_nodes = []
        for n in chain:
            b = onnx.NodeProto()
            b.CopyFrom(n)
            for i, t in enumerate(b.input):
                if t == x:
                    b.input[i] = x_in
            for i, t in enumerate(b.output):
                if t == y:
                    b.output[i] = y_out
            body_nodes.append(b)
        inner = [_rows_of(vi[o]) for n in chain for o in n.output if o in vi and o != y]
        _bias_into_gemm(body_nodes, orig, taken, inner)
        # ORT's Scan needs its body's output shape known: [chunk rows, width of the second matmul].
        second = next(n for n in reversed(chain) if gi.row_wise_matmul(n))
        k_in, n_out = gi.dims[chain[0].input[1]][0], gi.dims[second.input[1]][1]
        body = helper.make_graph(body_nodes, f"{p}/body",
                                 [helper.make_tensor_value_info(x_in, TensorProto.FLOAT, ["rows", k_in])],
                                 [helper.make_tensor_value_info(y_out, TensorProto.FLOAT, ["rows", n_out])],
                                 value_info=inner)
        moved_tensors.update(o for n in chain for o in n.output if o != y)
        new_nodes += [helper.make_node("Reshape", [x, in_shape], [x3], name=f"{p}/Reshape_in"),
                      helper.make_node("Scan", [x3], [y3], name=p, body=body, num_scan_inputs=1),
                      helper.make_node("Reshape", [y3, out_shape], [y], name=f"{p}/Reshape_out")]
        report.applied += 1
    del g.node[:]
    g.node.extend(new_nodes)
    g.initializer.extend(inits)
    kept = [v for v in g.value_info if v.name not in moved_tensors]
    del g.value_info[:]
    g.value_info.extend(kept)
    return report
