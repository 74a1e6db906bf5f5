"""Attention blocks as exporters write them, found and fused without asking the user anything.

ONNX Runtime's transformer optimizer fuses attention only in the shapes it knows, and only when
it can read the head count. Current `transformers` reshapes Q/K/V with `view(b, s, -1, head_dim)`,
so the TorchScript export carries `-1` heads and ORT gives up ("Failed to detect num_heads"); the
SDPA and dynamo exports are shaped differently again (the scale split between Q and K, a
`Where(IsNaN)` guard after the softmax, masks built from Where/Equal/Expand/GatherND chains).

Every one of them still has the same core, which this module matches from each Softmax:

    q3, k3, v3  [batch, seq, hidden]   (projections: MatMul with a constant weight, + bias)
      -> Reshape [.., heads, head_dim] -> Transpose -> (scalar Mul/Div: a share of the scale)
    scores = MatMul(q4, k4ᵀ) (* scale) (+ mask bias from one [batch, seq] input)
    out3 = Reshape(Transpose(MatMul(Softmax(scores) (nan guard), v4)))

`attention_dims` reads the head count and hidden size from it (the projection's weight and the
reshape's head size) for ORT's optimizer. `fuse_attention` rewrites each core into ONNX's own
`Attention` op (opset 24) reading the three projections, with the mask as per-row key lengths
(`nonpad_kv_seqlen`, right padding as ORT's own fusion assumes): the shape the ORT-fused path
reaches after split_attention, so the padding cut, K/V trim and FFN chunks apply the same way.
A rewrite is never trusted on its own: `same_outputs` runs the source and the rewritten model on
a right-padded probe batch, and the build keeps the rewrite only when every output agrees."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from studio.core.precision.model_io import tensor_links

from studio_onnxruntime.rewrites import (
    ATTENTION_OPSET, RewriteReport, _convert_opset, _default_opset, _fresh, attention_kernel_missing,
)

# Pointwise ops that may sit between the parts of the core and carry only a scalar factor.
_SCALE_OPS = ("Mul", "Div")


@dataclass
class Core:
    """One attention block's core, by tensor names."""
    softmax: str          # the Softmax node's output (identifies the block)
    q: str
    k: str
    v: str
    out: str              # [batch, seq, hidden], what the rest of the graph reads
    head_dim: int
    hidden: int
    scale: float
    mask: str | None      # the graph input the mask bias is computed from, None when unmasked
    removed: list = field(default_factory=list)   # nodes that only the core used (by first output)

    @property
    def num_heads(self) -> int:
        return self.hidden // self.head_dim


@dataclass
class Dims:
    num_heads: int
    hidden_size: int
    evidence: str


class _Graph:
    def __init__(self, model: onnx.ModelProto):
        g = model.graph
        self.g = g
        self.producer, self.readers = tensor_links(g)
        self.inits = {t.name: t for t in g.initializer}
        self.consts = {n.output[0]: n for n in g.node if n.op_type == "Constant" and n.output}
        self.inputs = {i.name: i for i in g.input if i.name not in self.inits}

    def const(self, name: str) -> np.ndarray | None:
        if name in self.inits:
            return numpy_helper.to_array(self.inits[name])
        node = self.consts.get(name)
        if node is not None:
            for a in node.attribute:
                if a.name == "value":
                    return numpy_helper.to_array(a.t)
                if a.name in ("value_int", "value_float"):
                    return np.array(helper.get_attribute_value(a))
                if a.name in ("value_ints", "value_floats"):
                    return np.array(helper.get_attribute_value(a))
        return None

    def node(self, tensor: str):
        return self.producer.get(tensor)

    def perm(self, node) -> list | None:
        for a in node.attribute:
            if a.name == "perm":
                return list(a.ints)
        return None


def _strip_scale(gr: _Graph, t: str, taken: list) -> tuple[str, float]:
    """Walk back through scalar Mul/Div from `t`; (the tensor before them, their product)."""
    scale = 1.0
    while True:
        node = gr.node(t)
        if node is None or node.op_type not in _SCALE_OPS or len(node.input) != 2:
            return t, scale
        values = [gr.const(x) for x in node.input]
        if node.op_type == "Mul":
            which = 1 if values[1] is not None and values[1].size == 1 else 0 if values[0] is not None and values[0].size == 1 else None
            if which is None:
                return t, scale
            scale *= float(values[which].reshape(()))
            t = node.input[1 - which]
        else:
            if values[1] is None or values[1].size != 1:
                return t, scale
            scale /= float(values[1].reshape(()))
            t = node.input[0]
        taken.append(node)


def _head_dim(gr: _Graph, shape: str) -> int | None:
    """The last element of a Reshape's target: a constant, or a Concat whose last part is one."""
    value = gr.const(shape)
    if value is None:
        node = gr.node(shape)
        if node is None or node.op_type != "Concat" or not node.input:
            return None
        value = gr.const(node.input[-1])
    if value is None or value.size < 1:
        return None
    last = int(value.reshape(-1)[-1])
    return last if last > 0 else None


def _split_heads(gr: _Graph, t: str, perms: tuple, taken: list) -> tuple[str, int] | None:
    """t = Transpose(perm)(Reshape(x3, [.., heads, head_dim])) -> (x3, head_dim)."""
    node = gr.node(t)
    if node is None or node.op_type != "Transpose" or gr.perm(node) not in perms:
        return None
    reshape = gr.node(node.input[0])
    if reshape is None or reshape.op_type != "Reshape":
        return None
    head_dim = _head_dim(gr, reshape.input[1])
    if head_dim is None:
        return None
    taken += [node, reshape]
    return reshape.input[0], head_dim


def _swap_last_two(gr: _Graph, t: str, taken: list) -> str | None:
    """x when `t` is x with its last two axes swapped: a Transpose [0,1,3,2], or the dynamo
    exporter's Reshape(Transpose [0,2,1](Reshape(x, [-1, s, d])), [.., d, s])."""
    node = gr.node(t)
    if node is None:
        return None
    if node.op_type == "Transpose" and gr.perm(node) == [0, 1, 3, 2]:
        taken.append(node)
        return node.input[0]
    if node.op_type != "Reshape":
        return None
    mid = gr.node(node.input[0])
    if mid is None or mid.op_type != "Transpose" or gr.perm(mid) != [0, 2, 1]:
        return None
    first = gr.node(mid.input[0])
    if first is None or first.op_type != "Reshape":
        return None
    taken += [node, mid, first]
    return first.input[0]


def _key(gr: _Graph, t: str, taken: list) -> tuple[str, int, float] | None:
    """The key side of the scores MatMul: Kᵀ as one Transpose [0,2,3,1] of the reshaped
    projection, or the heads-first key with its last two axes swapped (scalar factors anywhere)."""
    t, scale = _strip_scale(gr, t, taken)
    got = _split_heads(gr, t, ([0, 2, 3, 1],), taken)
    if got is not None:
        return got[0], got[1], scale
    inner = _swap_last_two(gr, t, taken)
    if inner is None:
        return None
    inner, more = _strip_scale(gr, inner, taken)
    got = _split_heads(gr, inner, ([0, 2, 1, 3],), taken)
    return None if got is None else (got[0], got[1], scale * more)


def _projection_width(gr: _Graph, t: str) -> int | None:
    """Output width of the projection computing `t`: MatMul(x, W) (+ bias), W constant."""
    node = gr.node(t)
    if node is not None and node.op_type == "Add":
        node = next((gr.node(x) for x in node.input if gr.node(x) is not None and gr.node(x).op_type == "MatMul"), None)
    if node is None or node.op_type != "MatMul" or len(node.input) != 2:
        return None
    w = gr.inits.get(node.input[1])
    if w is None or len(w.dims) != 2:
        return None
    return int(w.dims[1])


def _mask_source(gr: _Graph, t: str) -> str | None:
    """The one graph input the mask bias `t` is computed from (inputs read only through Shape
    do not count: their sizes, not their values), or None."""
    found, seen, todo = set(), set(), [t]
    while todo:
        x = todo.pop()
        if x in seen:
            continue
        seen.add(x)
        if x in gr.inputs:
            found.add(x)
            continue
        node = gr.node(x)
        if node is None or node.op_type == "Shape":
            continue
        if node.op_type in ("MatMul", "Gemm", "Softmax", "LayerNormalization", "Gather") and any(
                i in gr.inits and len(gr.inits[i].dims) >= 2 for i in node.input):
            return None  # computed from activations: not a padding mask
        todo += [i for i in node.input if i]
    if len(found) != 1:
        return None
    name = found.pop()
    dims = gr.inputs[name].type.tensor_type.shape.dim
    return name if len(dims) == 2 else None


def _output_side(gr: _Graph, t: str, taken: list) -> str | None:
    """From MatMul(P, V4)'s output: (a rank-keeping Reshape,) Transpose [0,2,1,3], Reshape to
    [batch, seq, hidden] -> that Reshape's output."""
    node = _only_reader(gr, t)
    if node is not None and node.op_type == "Reshape":
        taken.append(node)
        node = _only_reader(gr, node.output[0])
    if node is None or node.op_type != "Transpose" or gr.perm(node) != [0, 2, 1, 3]:
        return None
    taken.append(node)
    node = _only_reader(gr, node.output[0])
    if node is None or node.op_type != "Reshape":
        return None
    taken.append(node)
    return node.output[0]


def _only_reader(gr: _Graph, t: str):
    """The one node that reads `t` for its value (Shape readers, which only read its size, are
    part of the reshape arithmetic this core replaces)."""
    users = [u for u in gr.readers.get(t, ()) if u.op_type != "Shape"]
    return users[0] if len(users) == 1 else None


def _core(gr: _Graph, softmax) -> tuple[Core | None, str]:
    taken: list = [softmax]
    p = softmax.output[0]
    # Forward: an optional Where(IsNaN(P), 0, P) guard (SDPA), then MatMul(P, V4).
    users = gr.readers.get(p, [])
    pv = next((u for u in users if u.op_type == "MatMul" and u.input[0] == p), None)
    if pv is None:
        guard = next((u for u in users if u.op_type == "Where" and u.input[2] == p), None)
        isnan = next((u for u in users if u.op_type == "IsNaN"), None)
        if guard is None or isnan is None or guard.input[0] != isnan.output[0]:
            return None, "no MatMul with the values after the softmax"
        taken += [guard, isnan]
        pv = next((u for u in gr.readers.get(guard.output[0], []) if u.op_type == "MatMul"), None)
        if pv is None:
            return None, "no MatMul with the values after the softmax"
    taken.append(pv)
    v = _split_heads(gr, pv.input[1], ([0, 2, 1, 3],), taken)
    if v is None:
        return None, "values are not a reshaped projection"
    out = _output_side(gr, pv.output[0], taken)
    if out is None:
        return None, "the output is not merged back to [batch, seq, hidden]"
    # Backward: (mask Add) <- scalar factors <- MatMul(Q4, K4ᵀ).
    x = softmax.input[0]
    mask = None
    node = gr.node(x)
    if node is not None and node.op_type == "Add":
        sides = []
        for i in (0, 1):
            inner, _ = _strip_scale(gr, node.input[i], [])
            sides.append(gr.node(inner) is not None and gr.node(inner).op_type == "MatMul"
                         and gr.const(gr.node(inner).input[1]) is None)
        if sides.count(True) != 1:
            return None, "cannot tell the scores from the mask in the Add before the softmax"
        s_in = node.input[sides.index(True)]
        mask = _mask_source(gr, node.input[1 - sides.index(True)])
        if mask is None:
            return None, "the mask is not computed from one [batch, seq] input"
        taken.append(node)
        x = s_in
    x, scale = _strip_scale(gr, x, taken)
    qk = gr.node(x)
    if qk is None or qk.op_type != "MatMul":
        return None, "no MatMul of queries and keys before the softmax"
    taken.append(qk)
    qt, q_scale = _strip_scale(gr, qk.input[0], taken)
    q = _split_heads(gr, qt, ([0, 2, 1, 3],), taken)
    k = _key(gr, qk.input[1], taken)
    if q is None or k is None:
        return None, "queries or keys are not reshaped projections"
    head_dims = {q[1], k[1], v[1]}
    if len(head_dims) != 1:
        return None, f"queries, keys and values have different head sizes {sorted(head_dims)}"
    head_dim = head_dims.pop()
    widths = {_projection_width(gr, t) for t in (q[0], k[0], v[0])}
    if len(widths) != 1 or None in widths:
        return None, "Q/K/V are not projections with constant weights of one width"
    hidden = widths.pop()
    if hidden % head_dim:
        return None, f"hidden size {hidden} is not a multiple of the head size {head_dim}"
    return Core(softmax.output[0], q[0], k[0], v[0], out, head_dim, hidden, scale * q_scale * k[2], mask,
                [n.output[0] for n in taken]), ""


def _scores_softmax(gr: _Graph, softmax) -> bool:
    """Whether a Softmax normalizes attention scores: its input comes (through a mask Add and
    scalar factors) from a MatMul of two activations, not from a layer with weights (a
    classifier's probabilities)."""
    t = softmax.input[0]
    for _ in range(6):
        node = gr.node(t)
        if node is None:
            return False
        if node.op_type == "MatMul":
            return all(gr.const(i) is None and i not in gr.inits for i in node.input)
        if node.op_type not in ("Add", "Mul", "Div", "Where", "Cast"):
            return False
        t = next((i for i in node.input if gr.node(i) is not None and gr.const(i) is None), "")
    return False


def find_cores(model: onnx.ModelProto) -> tuple[list[Core], dict[str, str]]:
    """(the attention cores found, why each other attention Softmax is not one: {node: reason}).
    A Softmax that is not over attention scores (a classifier's output) is neither."""
    gr = _Graph(model)
    cores, skipped = [], {}
    for node in gr.g.node:
        if node.op_type != "Softmax" or node.domain not in ("", "ai.onnx"):
            continue
        core, why = _core(gr, node)
        if core is not None:
            cores.append(core)
        elif _scores_softmax(gr, node):
            skipped[node.name or node.output[0]] = why
    return cores, skipped


def attention_dims(model: onnx.ModelProto) -> Dims | None:
    """The head count and hidden size the model's attention blocks show (the most common when
    they differ), with what they were read from; None when no block can be read."""
    cores, _ = find_cores(model)
    if not cores:
        return None
    (hidden, head_dim), n = Counter((c.hidden, c.head_dim) for c in cores).most_common(1)[0]
    return Dims(hidden // head_dim, hidden,
                f"read from the model: {n} of {len(cores)} attention blocks project to {hidden} "
                f"and reshape to heads of {head_dim}")


def fuse_attention(model: onnx.ModelProto) -> tuple[onnx.ModelProto, RewriteReport]:
    """(the model with each attention core as ONNX Attention, what was done). The model given is
    left as it was when nothing applies; otherwise the result may be a converted copy."""
    report = RewriteReport("fuse_attention")
    missing = attention_kernel_missing()
    if missing:
        report.reason = missing
        return model, report
    cores, skipped = find_cores(model)
    if skipped:
        report.reason = "; ".join(f"{node}: {why}" for node, why in skipped.items())
    if not cores:
        report.reason = report.reason or "no attention block"
        return model, report
    if _default_opset(model) < ATTENTION_OPSET:
        try:
            model = _convert_opset(model, ATTENTION_OPSET)
        except Exception as e:
            report.reason = f"opset {_default_opset(model)} -> {ATTENTION_OPSET} conversion failed ({type(e).__name__}: {e})"
            return model, report
    g = model.graph
    taken = ({t for n in g.node for t in (*n.input, *n.output)} | {t.name for t in g.initializer}
             | {n.name for n in g.node} | {i.name for i in g.input})
    removed = {t for c in cores for t in c.removed}
    lengths: dict[str, str] = {}
    head: list = []
    for mask in dict.fromkeys(c.mask for c in cores if c.mask):
        axis = _fresh(f"{mask}/lengths/axis", taken)
        as64, total = _fresh(f"{mask}/int64", taken), _fresh(f"{mask}/lengths", taken)
        g.initializer.append(numpy_helper.from_array(np.array([1], np.int64), axis))
        head += [helper.make_node("Cast", [mask], [as64], name=as64, to=TensorProto.INT64),
                 helper.make_node("ReduceSum", [as64, axis], [total], name=total, keepdims=0)]
        lengths[mask] = total
    by_out = {c.out: c for c in cores}
    new_nodes = list(head)
    for node in g.node:
        if node.output and node.output[0] in removed:
            core = by_out.get(node.output[0])
            if core is not None:  # the core's last node: its Attention goes where it was
                inputs = [core.q, core.k, core.v] + (["", "", "", lengths[core.mask]] if core.mask else [])
                name = _fresh((node.name.rsplit("/", 1)[0] + "/Attention") if "/" in node.name
                              else f"{core.out}/Attention", taken)
                new_nodes.append(helper.make_node("Attention", inputs, [core.out], name=name,
                                                  q_num_heads=core.num_heads, kv_num_heads=core.num_heads,
                                                  scale=core.scale))
                report.applied += 1
            continue
        new_nodes.append(node)
    del g.node[:]
    g.node.extend(new_nodes)
    _drop_dead(g)
    return model, report


def _drop_dead(g: onnx.GraphProto) -> None:
    """Remove nodes whose outputs nothing reads (the reshape arithmetic the cores used), and the
    value_info and initializers that only they had."""
    outputs = {o.name for o in g.output}
    while True:
        read = set(tensor_links(g)[1]) | outputs
        keep = [n for n in g.node if any(o in read for o in n.output if o)]
        if len(keep) == len(g.node):
            break
        del g.node[:]
        g.node.extend(keep)
    read = set(tensor_links(g)[1]) | outputs
    produced = {o for n in g.node for o in n.output}
    for field_name, alive in (("initializer", read), ("value_info", produced | read)):
        items = [x for x in getattr(g, field_name) if x.name in alive]
        del getattr(g, field_name)[:]
        getattr(g, field_name).extend(items)
