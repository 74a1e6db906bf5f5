"""Graph rewrites for ONNX Runtime's CPU provider that ORT's own fusions do not make.

Each was measured on the demo model (batch 32 x 64 tokens, one intra-op thread, ORT 1.32,
2-core AVX-512 VNNI Xeon; benchmarks/bench_int8_cpu.py for the whole-model figures):

split_attention: the transformer fusions give one contrib `Attention` op per layer (QKV
projection + scores + softmax + weighted sum). Its core runs at ~6 ms a layer where ONNX's own
`Attention` op (opset 24) takes ~3 ms for the same masked arithmetic. Each contrib Attention
becomes three projections (MatMul + Add: dynamic int8 quantizes the shared input once and runs
three int8 GEMMs) feeding an ONNX Attention, whose `nonpad_kv_seqlen` input takes the per-row
lengths the contrib op's 1-D mask index already holds. The projections take the original model's
node and tensor names where the weights show which they were, so the after-fusion view still
links them to the nodes they came from.

fold_gelu_bias: after dynamic int8 ORT computes an FFN's first layer as a quantized matmul
without bias followed by BiasGelu (bias + GELU). BiasGelu took 3.5 ms where Gelu took 2.0 ms on
2048 x 1536 floats, so the bias moves into the matmul's own bias input (added in its output
stage) and BiasGelu becomes Gelu. Outputs are bit-identical.

trim_kv (where padding.py cannot cut the inputs themselves, e.g. a model with per-token outputs):
ORT's Attention op computes scores against every key and masks the padded ones, and the
key/value projections run on every padded row. A batch padded to a fixed length (a tokenizer's
padding="max_length", a static-shape deployment, `--seq-len 64`) often has no sequence as long as
the padding: the demo's validation texts at 64 tokens give batches of 32 whose longest is 14-53.
Keys and values past the batch's longest sequence are masked for every row, so the K and V
projections read their input sliced to that length (computed in the graph, at least 1). Outputs
are unchanged. On those batches (one thread): int8 4-9 % and fp32 7-10 % less time a batch; at
each text's own length nothing is cut and the 14 nodes cost nothing measurable (bucketed batches
1.00x, batch 1 +0.5 %, within noise; benchmarks/bench_ort_rewrite.py --rewrite trim_kv)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, version_converter

from studio.core.graph.onnx_loader import open_graph
from studio.core.precision.model_io import fresh_name as _fresh
from studio.core.precision.model_io import load_model, save_model, tensor_links
from studio_onnxruntime.ort_optimized import STUDIO_PREFIX
from studio.core.serde import Record

ATTENTION_OPSET = 24  # the first with `nonpad_kv_seqlen`
MS = "com.microsoft"
# Contrib Attention attributes the rewrite carries over; any other set to a non-default value
# (unidirectional, qkv_hidden_sizes, rotary...) keeps that node as it is.
_PLAIN_ATTRS = {"num_heads", "mask_filter_value", "scale"}
# Quantized matmuls with an optional bias input, and that input's index.
_BIAS_INPUT = {"DynamicQuantizeMatMul": 4, "MatMulIntegerToFloat": 6}
# Matmuls that project an activation with a constant weight (their first input the activation).
_PROJECTIONS = {("MatMul", ""), ("MatMulIntegerToFloat", MS), ("DynamicQuantizeMatMul", MS)}
TRIM_PREFIX = STUDIO_PREFIX + "TrimKV"  # trim_kv's nodes: the studio's own in the after-fusion view
# Contrib GELUs that add a bias (their second input) first -> the op without it.
BIASED_GELUS = {"BiasGelu": "Gelu", "FastGelu": "FastGelu"}


def name_biased_output(mm, gelu, bias: str, original: "Original | None", taken: set, value_info) -> None:
    """After a bias moved from `gelu` into matmul `mm`, give mm's output the name the original
    model's bias Add gave its sum, so the after-fusion view links the Add to the matmul that now
    computes it (ort_optimized.py walks back from a layer's outputs), not to the GELU."""
    new = original.bias_add_output(mm.output[0], bias) if original is not None else None
    if not new or new in taken:
        return
    old = mm.output[0]
    taken.add(new)
    mm.output[0] = new
    gelu.input[0] = new
    for v in value_info:
        if v.name == old:
            v.name = new


def unbias_gelu(gelu) -> str | None:
    """Drop a contrib GELU's bias input (module doc: its matmul adds it instead), turning BiasGelu
    into Gelu; the bias tensor's name, or None when `gelu` adds no bias."""
    if gelu.domain != MS or gelu.op_type not in BIASED_GELUS or len(gelu.input) != 2 or not gelu.input[1]:
        return None
    bias = gelu.input[1]
    gelu.op_type = BIASED_GELUS[gelu.op_type]
    del gelu.input[1]
    return bias


@dataclass
class RewriteReport(Record):
    name: str
    applied: int = 0
    reason: str = ""   # why nodes were left as they were ("" when all were rewritten)


def _attrs(node) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _default_opset(model) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


@functools.lru_cache(maxsize=1)
def attention_kernel_missing() -> str:
    """'' when this onnx + onnxruntime can run ONNX Attention-24 with nonpad_kv_seqlen on the
    CPU, else why not (older packages): checked by running a 1 x 2-token model once."""
    try:
        # lazy: 32 ms off this module's import
        import onnxruntime as ort

        vi = helper.make_tensor_value_info
        node = helper.make_node("Attention", ["q", "k", "v", "", "", "", "n"], ["y"], q_num_heads=1, kv_num_heads=1)
        graph = helper.make_graph([node], "probe", [vi(x, TensorProto.FLOAT, [1, 2, 2]) for x in "qkv"]
                                  + [vi("n", TensorProto.INT64, [1])], [vi("y", TensorProto.FLOAT, None)])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ATTENTION_OPSET)])
        so = ort.SessionOptions()
        so.log_severity_level = 4
        sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
        x = np.ones((1, 2, 2), np.float32)
        sess.run(None, {"q": x, "k": x, "v": x, "n": np.array([1], np.int64)})
    except Exception as e:
        return f"this onnx/onnxruntime cannot run ONNX Attention-{ATTENTION_OPSET} ({type(e).__name__})"
    return ""


def _why_not(node, inits, producer) -> str:
    """'' if this contrib Attention can become projections + ONNX Attention."""
    extra = {k: v for k, v in _attrs(node).items() if k not in _PLAIN_ATTRS}
    if any(v not in (0, [], b"", "") for v in extra.values()):
        return f"attributes {', '.join(sorted(extra))}"
    if any(i for i in node.input[4:]):
        return "past state or attention bias inputs"
    w, b = (inits.get(n) for n in node.input[1:3]) if len(node.input) >= 3 else (None, None)
    if w is None or b is None or len(w.dims) != 2 or w.dims[1] % 3 or list(b.dims) != [w.dims[1]]:
        return "QKV weights or bias not constant"
    mask = node.input[3] if len(node.input) > 3 else ""
    if mask:
        p = producer.get(mask)
        keepdims = _attrs(p).get("keepdims", 1) if p is not None else 1
        if p is None or p.op_type != "ReduceSum" or keepdims != 0:
            return "mask is not a per-row length (1-D mask index)"
    return ""


def _original_projections(original, x: str, w: np.ndarray, b: np.ndarray) -> list[tuple[str, str, str]] | None:
    """[(matmul name, add name, add output)] for Q, K and V in the original model: the MatMuls
    reading `x` whose weights are the fused weight's thirds, and the Adds of the bias thirds."""
    if original is None:
        return None
    inits, readers = original.initializers, original.readers
    h = w.shape[1] // 3

    def equal(name, array) -> bool:
        init = inits.get(name)
        return init is not None and init.shape == array.shape and np.array_equal(init.load(), array)

    found = []
    for i in range(3):
        w_i, b_i = w[:, i * h:(i + 1) * h], b[i * h:(i + 1) * h]
        hit = None
        for mm in readers.get(x, ()):
            if mm.op_type != "MatMul" or mm.inputs[0] != x or not equal(mm.inputs[1], w_i):
                continue
            for add in readers.get(mm.outputs[0], ()):
                bias = [t for t in add.inputs if t != mm.outputs[0]]
                if add.op_type == "Add" and len(bias) == 1 and equal(bias[0], b_i):
                    hit = (mm.name, add.name, add.outputs[0])
        if hit is None:
            return None
        found.append(hit)
    return found


@dataclass
class Original:
    """The original model's nodes by the tensors they read; weights stay in the file until one
    is compared (a BERT-base is 436 MB)."""
    initializers: dict
    readers: dict

    def bias_add_output(self, matmul_output: str, bias: str) -> str | None:
        """The output of the Add that added `bias` to `matmul_output` in the original model (the
        Add a GELU fusion absorbed), or None."""
        for add in self.readers.get(matmul_output, ()):
            if add.op_type == "Add" and set(add.inputs) == {matmul_output, bias}:
                return add.outputs[0]
        return None

    @classmethod
    def of(cls, original) -> "Original | None":
        """`original` as a rewrite takes it: already open, a model's path (opened once here; None
        when it cannot be read, since the names it lends are a courtesy), or None."""
        if original is None or isinstance(original, cls):
            return original
        try:
            return cls.open(original)
        except Exception:
            return None

    @classmethod
    def open(cls, path) -> "Original":
        graph = open_graph(str(path), shape_inference=False)
        readers: dict[str, list] = {}
        for n in graph.nodes:
            for t in set(n.inputs):
                readers.setdefault(t, []).append(n)
        return cls(dict(graph.initializers), readers)


def _convert_opset(model: onnx.ModelProto, version: int) -> onnx.ModelProto:
    """onnx's version converter, run on the graph with the weights held aside (it copies the
    whole model through C++ and back). The weights move to the result: `model` keeps them only
    if the conversion fails."""
    held = {}
    for t in model.graph.initializer:
        if len(t.raw_data) > 4096:
            held[t.name] = t.raw_data
            t.ClearField("raw_data")
    try:
        converted = version_converter.convert_version(model, version)
    except Exception:
        for t in model.graph.initializer:
            if t.name in held:
                t.raw_data = held[t.name]
        raise
    for t in converted.graph.initializer:
        if t.name in held:
            t.raw_data = held.pop(t.name)
    return converted


def split_attention(src: str | Path, dst: str | Path, original=None) -> RewriteReport:
    """Write src with its contrib Attention ops split (module doc) to dst; dst is not written
    when nothing was rewritten. `original` (the model before fusions, Original.of) lends its
    node names. A file to a file: the precision step after it reads one."""
    report = RewriteReport("split_attention")
    missing = attention_kernel_missing()
    if missing:
        report.reason = missing
        return report
    model = load_model(src)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    targets, skipped = [], []
    for node in g.node:
        if node.op_type == "Attention" and node.domain == MS:
            why = _why_not(node, inits, producer)
            if why:
                skipped.append(f"{node.name or node.output[0]}: {why}")
            else:
                targets.append(node.output[0])  # nodes by output: names may be empty
    if skipped:
        report.reason = "; ".join(skipped)
    if not targets:
        report.reason = report.reason or "no contrib Attention"
        return report
    if _default_opset(model) < ATTENTION_OPSET:
        try:
            model = _convert_opset(model, ATTENTION_OPSET)
        except Exception as e:
            report.reason = f"opset {_default_opset(model)} -> {ATTENTION_OPSET} conversion failed ({type(e).__name__}: {e})"
            return report
        g = model.graph
        inits = {t.name: t for t in g.initializer}
        producer = {o: n for n in g.node for o in n.output}
    orig = Original.of(original)
    taken = {t for n in g.node for t in (*n.input, *n.output)} | set(inits)
    lengths = _lengths_int64(g, producer, targets, taken)
    casts = lengths.pop("")
    new_nodes, dropped = [], set()
    for node in g.node:
        if not node.output or node.output[0] not in targets:
            new_nodes.append(node)
            continue
        new_nodes += casts  # any Cast lengths needed goes ahead of the first reader
        casts = []
        x, w_name, b_name = node.input[:3]
        base = node.name or node.output[0]  # what the new nodes are named after (ORT wants names unique)
        w, b = numpy_helper.to_array(inits[w_name]), numpy_helper.to_array(inits[b_name])
        names = _original_projections(orig, x, w, b)
        if names is None or any(out in taken for _, _, out in names):
            names = [(f"{base}/{p}/MatMul", f"{base}/{p}/Add", f"{base}/{p}") for p in "qkv"]
        h = w.shape[1] // 3
        qkv = []
        for i, (mm_name, add_name, out) in enumerate(names):
            wt = _fresh(f"{base}.{'qkv'[i]}.weight", taken)
            bt = _fresh(f"{base}.{'qkv'[i]}.bias", taken)
            g.initializer.extend([numpy_helper.from_array(np.ascontiguousarray(w[:, i * h:(i + 1) * h]), wt),
                                  numpy_helper.from_array(b[i * h:(i + 1) * h].copy(), bt)])
            new_nodes += [helper.make_node("MatMul", [x, wt], [out + "/MatMul"], name=mm_name),
                          helper.make_node("Add", [out + "/MatMul", bt], [out], name=add_name)]
            qkv.append(out)
        attrs = _attrs(node)
        kw = {"scale": attrs["scale"]} if attrs.get("scale") else {}
        mask = node.input[3] if len(node.input) > 3 else ""
        inputs = qkv + (["", "", "", lengths[mask]] if mask else [])
        new_nodes.append(helper.make_node("Attention", inputs, [node.output[0]], name=base,
                                          q_num_heads=attrs["num_heads"], kv_num_heads=attrs["num_heads"], **kw))
        dropped |= {w_name, b_name}
        report.applied += 1
    del g.node[:]
    g.node.extend(new_nodes)
    still_read = {t for n in g.node for t in n.input}
    keep = [t for t in g.initializer if t.name not in dropped or t.name in still_read]
    del g.initializer[:]
    g.initializer.extend(keep)
    save_model(model, dst)
    return report


def _lengths_int64(g, producer, targets, taken) -> dict:
    """mask index -> an int64 tensor of the same lengths (nonpad_kv_seqlen is int64). ORT's
    fusion computes the index as ReduceSum(Cast(mask, int32)): where only the rewritten nodes
    read it, that Cast is retargeted to int64 (no new node); otherwise a Cast is added, listed
    under key '' for the caller to place."""
    _, readers = tensor_links(g)
    out: dict = {"": []}
    by_output = {n.output[0]: n for n in g.node if n.output}
    for target in targets:
        node = by_output[target]
        mask = node.input[3] if len(node.input) > 3 else ""
        if not mask or mask in out:
            continue
        reduce = producer[mask]
        cast = producer.get(reduce.input[0])
        graph_outputs = {o.name for o in g.output}
        only_ours = mask not in graph_outputs and all(r.output[:1] and r.output[0] in targets for r in readers.get(mask, ()))
        if (only_ours and cast is not None and cast.op_type == "Cast" and cast.output[0] not in graph_outputs
                and all(r is reduce for r in readers.get(cast.output[0], ()))):
            for a in cast.attribute:
                if a.name == "to":
                    a.i = TensorProto.INT64
            stale = {cast.output[0], mask}  # recorded as int32 by the fusion's shape inference
            kept = [v for v in g.value_info if v.name not in stale]
            del g.value_info[:]
            g.value_info.extend(kept)
            out[mask] = mask
        else:
            name64 = _fresh(mask + "_int64", taken)
            out[""].append(helper.make_node("Cast", [mask], [name64], name=name64, to=TensorProto.INT64))
            out[mask] = name64
    return out


def fold_gelu_bias(model: onnx.ModelProto, original=None) -> RewriteReport:
    """Turn each BiasGelu (or FastGelu with a bias) that follows a bias-less quantized matmul into
    that matmul's bias + Gelu (FastGelu) (module doc), in place. `original` (the model before
    fusions, Original.of) names the folded sums."""
    report = RewriteReport("fold_gelu_bias")
    g = model.graph
    producer, readers = tensor_links(g)
    outputs = {o.name for o in g.output}
    orig = Original.of(original)
    taken = {t for n in g.node for t in (*n.input, *n.output)}
    for node in g.node:
        if node.op_type not in BIASED_GELUS or node.domain != MS or len(node.input) != 2:
            continue
        mm = producer.get(node.input[0])
        slot = _BIAS_INPUT.get(mm.op_type) if mm is not None and mm.domain == MS else None
        if (slot is None or len(readers.get(node.input[0], ())) != 1 or node.input[0] in outputs
                or (len(mm.input) > slot and mm.input[slot])):
            continue
        while len(mm.input) <= slot:
            mm.input.append("")
        mm.input[slot] = unbias_gelu(node)
        name_biased_output(mm, node, mm.input[slot], orig, taken, g.value_info)
        report.applied += 1
    if not report.applied:
        report.reason = "no BiasGelu or biased FastGelu after a bias-less quantized matmul"
    return report


def key_lengths(node) -> str:
    """The per-row key lengths an ONNX Attention reads (its nonpad_kv_seqlen input), or '' when
    `node` is not an ONNX Attention or masks no padding that way."""
    if node.op_type != "Attention" or node.domain not in ("", "ai.onnx") or len(node.input) < 7:
        return ""
    return node.input[6]


def longest_row(lengths: str, one: str, fresh) -> tuple[list, str]:
    """(nodes, their output): the batch's longest row from per-row lengths [batch], as [1] and at
    least 1 (`one`: an int64 [1] constant of 1; a fully padded batch keeps one column, whose rows
    attend to nothing and give zeros either way). `fresh(suffix)` names the nodes."""
    most, longest = fresh("max"), fresh("longest")
    return [helper.make_node("ReduceMax", [lengths], [most], name=most, keepdims=1),
            helper.make_node("Max", [most, one], [longest], name=longest)], longest


def _projection_chain(t: str, producer, readers, inits, outputs) -> list | None:
    """[matmul] or [matmul, bias Add] computing key/value tensor `t` from an activation with a
    constant weight, each output read by its next node only; None otherwise (slicing the
    matmul's input would change what another reader sees)."""
    chain = []
    node = producer.get(t)
    if node is not None and node.op_type == "Add" and node.domain == "":
        a, b = node.input
        if (a in inits) == (b in inits):
            return None
        chain.append(node)
        node = producer.get(b if a in inits else a)
    if node is None or (node.op_type, node.domain) not in _PROJECTIONS or node.input[1] not in inits:
        return None
    chain.insert(0, node)
    if any(n.output[0] in outputs or len(readers.get(n.output[0], ())) != 1 for n in chain):
        return None
    return chain


def trim_kv(model: onnx.ModelProto) -> RewriteReport:
    """Make each ONNX Attention's key and value projections read their input cut to the batch's
    longest sequence (module doc), in place."""
    report = RewriteReport("trim_kv")
    g = model.graph
    producer, readers = tensor_links(g)
    inits = {t.name: t for t in g.initializer}
    outputs = {o.name for o in g.output}
    plans, skipped = {}, []  # attention's output -> its K and V chains
    for node in g.node:
        if not key_lengths(node) or not any(a.name == "q_num_heads" for a in node.attribute):
            continue  # no nonpad_kv_seqlen, or 4-D inputs (heads already split by the graph)
        chains = [_projection_chain(node.input[i], producer, readers, inits, outputs) for i in (1, 2)]
        if None in chains:
            skipped.append(f"{node.name or node.output[0]}: keys or values not projected by a matmul only it reads")
        else:
            plans[node.output[0]] = chains
    if skipped:
        report.reason = "; ".join(skipped)
    if not plans:
        report.reason = report.reason or "no ONNX Attention with per-row key lengths (nonpad_kv_seqlen)"
        return report
    taken = {t for n in g.node for t in (*n.input, *n.output)} | set(inits) | {n.name for n in g.node}

    def const(name: str, values) -> str:
        name = _fresh(f"{TRIM_PREFIX}/{name}", taken)
        g.initializer.append(numpy_helper.from_array(np.array(values, np.int64), name))
        return name

    zero, one = const("zero", [0]), const("one", [1])  # `one`: the floor of the length and the axis
    longest: dict = {}   # lengths tensor -> the batch's longest row (longest_row)
    sliced: dict = {}    # activation -> the activation cut to that length
    moved = {n.output[0] for chains in plans.values() for chain in chains for n in chain}  # nodes by first output
    stale = set()
    new_nodes = []
    for node in g.node:
        if node.output and node.output[0] in moved:
            continue  # re-emitted just before its attention, after the length they need exists
        chains = plans.get(node.output[0] if node.output else "")
        if chains is None:
            new_nodes.append(node)
            continue
        lengths = node.input[6]
        if lengths not in longest:
            nodes, longest[lengths] = longest_row(lengths, one, lambda s: _fresh(f"{TRIM_PREFIX}/{lengths}/{s}", taken))
            new_nodes += nodes
        for chain in chains:
            mm = chain[0]
            x = mm.input[0]
            if (x, lengths) not in sliced:
                cut = _fresh(f"{TRIM_PREFIX}/{x}/cut", taken)
                pinned = _fresh(f"{TRIM_PREFIX}/{x}", taken)
                # Slice with a computed end leaves every dim unknown to shape inference, and ORT then
                # cannot size Attention's output: the Reshape (no copy) restores [batch, ?, width].
                width = const(f"{x}/shape", [0, -1, inits[mm.input[1]].dims[0]])
                new_nodes += [helper.make_node("Slice", [x, zero, longest[lengths], one], [cut], name=cut),
                              helper.make_node("Reshape", [cut, width], [pinned], name=pinned)]
                sliced[(x, lengths)] = pinned
            mm.input[0] = sliced[(x, lengths)]
            new_nodes += chain
            stale.update(n.output[0] for n in chain)  # their sequence length is no longer the batch's
        new_nodes.append(node)
        report.applied += 1
    del g.node[:]
    g.node.extend(new_nodes)
    kept = [v for v in g.value_info if v.name not in stale]
    del g.value_info[:]
    g.value_info.extend(kept)
    return report
