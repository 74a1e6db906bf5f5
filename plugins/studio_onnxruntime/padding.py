"""Cut a batch's padding off at the model's inputs: every column past the batch's longest row.

A batch padded to a fixed length (a tokenizer's padding="max_length", a static-shape deployment,
`--seq-len 64`) often has no row as long as the padding: the demo's validation texts at 64 tokens
give batches of 32 whose longest is 14-53 tokens. For a model whose outputs do not depend on
padded tokens (a classifier that pools with its attention mask, or reads the first token), the
whole graph run on the first L columns, L the batch's longest row, gives the same outputs.

That a model is such a model is checked, not assumed: `padding_invariant` runs the source model
(ONNX Runtime, CPU) on a probe batch padded past its longest row and on the same batch cut to it,
and the cut applies only when every output comes back the same shape and the same values (float
rounding). A model with per-token outputs (token classification) or one that pools padding is
left as it is, with the reason in the build's rewrites. Like ORT's attention fusion, whose mask
index is a per-row length, the cut assumes right padding (the mask's ones come first).

In the built graph the mask and the other [batch, sequence] inputs stay as they are; each is
cut by a Slice, and every node that read it, subgraphs included, reads the cut tensor instead.
L comes from the mask (at least 1). Dynamic int8 quantizes from the rows that are left: its
ranges no longer see the padding."""

from __future__ import annotations

import functools

import numpy as np
import onnx
from onnx import helper, numpy_helper

from studio.core.precision.model_io import subgraphs, tensor_links
from studio_onnxruntime.ort_optimized import STUDIO_PREFIX

from studio_onnxruntime.rewrites import RewriteReport, _fresh, key_lengths, longest_row

CUT_PREFIX = STUDIO_PREFIX + "CutPadding"
_PROBE_LENGTHS = (11, 4, 7)  # rows of the probe batch, padded to _PROBE_SEQ
_PROBE_SEQ = 16


def find_mask(model: onnx.ModelProto) -> str | None:
    """The graph input the attention's per-row key lengths are summed from (ONNX Attention's
    nonpad_kv_seqlen = ReduceSum(Cast(mask))), or None."""
    g = model.graph
    producer, _ = tensor_links(g)
    inputs = {i.name for i in g.input}
    for node in g.node:
        t = key_lengths(node)
        if not t:
            continue
        for _ in range(3):  # ReduceSum, then a Cast or two
            if t in inputs:
                return t
            p = producer.get(t)
            if p is None or p.op_type not in ("ReduceSum", "Cast") or not p.input:
                return None
            t = p.input[0]
        return t if t in inputs else None
    return None


def _dims(value_info) -> tuple:
    tt = value_info.type.tensor_type
    return tuple(d.dim_param or d.dim_value or None for d in tt.shape.dim) if tt.HasField("shape") else ()


def sequence_inputs(model: onnx.ModelProto, mask: str) -> tuple[list[str], str]:
    """([the graph inputs shaped like the mask], '') when every input is [batch, sequence] as the
    mask is, else ([], why not)."""
    g = model.graph
    inits = {t.name for t in g.initializer}
    inputs = {i.name: i for i in g.input if i.name not in inits}
    want = _dims(inputs[mask])
    if len(want) != 2 or None in want or isinstance(want[1], int):
        return [], f"the mask {mask!r} is not [batch, sequence] with a named sequence length"
    for name, vi in inputs.items():
        if _dims(vi) != want:
            return [], f"input {name!r} is not shaped [batch, sequence] like the mask"
    return list(inputs), ""


def _session(model):
    # lazy: 23 ms off this module's import
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    src = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    return ort.InferenceSession(src, so, providers=["CPUExecutionProvider"])


def probe_feed(sess, mask: str | None) -> dict:
    """A right-padded probe batch for `sess`: rows of _PROBE_LENGTHS tokens padded to _PROBE_SEQ,
    the mask (when there is one) marking them."""
    rng = np.random.default_rng(0)
    feed = {}
    for i in sess.get_inputs():
        dtype = np.int32 if i.type == "tensor(int32)" else np.int64
        if i.name == mask:
            feed[i.name] = (np.arange(_PROBE_SEQ)[None, :] < np.array(_PROBE_LENGTHS)[:, None]).astype(dtype)
        else:  # token ids, or 0/1 segment ids where the name says so: any valid ids will do
            high = 2 if "type" in i.name or "segment" in i.name else 100
            ids = rng.integers(0 if high == 2 else 1, high, (len(_PROBE_LENGTHS), _PROBE_SEQ))
            feed[i.name] = ids.astype(dtype)
    return feed


def padding_invariant(source: str, mask: str) -> str:
    """'' when the model at `source` gives the same outputs for a probe batch padded past its
    longest row and for the same batch cut to that row (module doc), else why not."""
    try:
        sess = _session(source)
        feed = probe_feed(sess, mask)
        padded = sess.run(None, feed)
        cut = sess.run(None, {k: v[:, :max(_PROBE_LENGTHS)] for k, v in feed.items()})
    except Exception as e:
        return f"the padding probe could not run the model ({type(e).__name__}: {str(e)[:200]})"
    return _compare(sess.get_outputs(), padded, cut, "depends on the padding",
                    "has the sequence axis (per-token outputs)")


def same_outputs(source, rewritten, mask: str | None) -> str:
    """'' when `rewritten` (a model or its path) gives the outputs of the model at `source` on a
    right-padded probe batch, else how they differ. Float outputs agree to fp32 rounding after a
    change of summation order (rtol 1e-3, atol 1e-4 of the output's scale)."""
    try:
        ref_sess = _session(source)
        feed = probe_feed(ref_sess, mask)
        ref = ref_sess.run(None, feed)
        got = _session(rewritten).run(None, feed)
    except Exception as e:
        return f"the check run failed ({type(e).__name__}: {str(e)[:200]})"
    return _compare(ref_sess.get_outputs(), ref, got, "differs from the source", "changed shape", loose=True)


def _compare(metas, want, got, differs: str, reshaped: str, loose: bool = False) -> str:
    for out, a, b in zip(metas, want, got):
        if a.shape != b.shape:
            return f"output {out.name!r} {reshaped}"
        if a.dtype.kind == "f":
            atol = 1e-4 * max(1.0, float(np.abs(a).max())) if loose else 1e-5
            if not np.allclose(a, b, rtol=1e-3 if loose else 1e-4, atol=atol):
                return f"output {out.name!r} {differs} (max difference {np.abs(a - b).max():.3g})"
        elif not np.array_equal(a, b):
            return f"output {out.name!r} {differs}"
    return ""


def cut_padding(model: onnx.ModelProto, source) -> RewriteReport:
    """Cut the built `model`'s [batch, sequence] inputs to the batch's longest row, in place, when
    the model at `source` (the one it was built from) passes the padding probe (module doc)."""
    report = RewriteReport("cut_padding")
    mask = find_mask(model)
    if mask is None:
        report.reason = "no attention mask input that ONNX Attention's key lengths are summed from"
        return report
    inputs, why = sequence_inputs(model, mask)
    report.reason = why or padding_invariant(source, mask)
    if report.reason:
        return report
    g = model.graph
    taken = ({t for n in g.node for t in (*n.input, *n.output)} | {t.name for t in g.initializer}
             | {i.name for i in g.input})

    fresh = functools.partial(_fresh, taken=taken)
    cut = {name: fresh(f"{CUT_PREFIX}/{name}") for name in inputs}
    batch, seq = _dims(next(vi for vi in g.input if vi.name == mask))
    cut_seq = f"{seq}_cut"  # the length inside the graph is no longer the inputs' `seq`
    for graph in _graphs(g):
        for node in graph.node:
            for i, t in enumerate(node.input):
                if t in cut:
                    node.input[i] = cut[t]
        for vi in graph.value_info:
            for d in vi.type.tensor_type.shape.dim:
                if d.dim_param == seq:
                    d.dim_param = cut_seq
    for vi in g.input:
        if vi.name in cut:
            g.value_info.append(helper.make_tensor_value_info(cut[vi.name], vi.type.tensor_type.elem_type,
                                                              [batch, cut_seq]))
    zero, one = fresh(f"{CUT_PREFIX}/zero"), fresh(f"{CUT_PREFIX}/one")
    g.initializer.extend([numpy_helper.from_array(np.array([0], np.int64), zero),
                          numpy_helper.from_array(np.array([1], np.int64), one)])
    as64, lengths = fresh(f"{CUT_PREFIX}/mask_int64"), fresh(f"{CUT_PREFIX}/lengths")
    nodes = [helper.make_node("Cast", [mask], [as64], name=as64, to=onnx.TensorProto.INT64),
             helper.make_node("ReduceSum", [as64, one], [lengths], name=lengths, keepdims=0)]
    reduce, longest = longest_row(lengths, one, lambda s: fresh(f"{CUT_PREFIX}/{s}"))
    nodes += reduce
    for name in inputs:
        nodes.append(helper.make_node("Slice", [name, zero, longest, one], [cut[name]], name=cut[name]))
    rest = list(g.node)
    del g.node[:]
    g.node.extend(nodes + rest)
    report.applied = len(inputs)
    return report


def _graphs(g: onnx.GraphProto):
    """g and every subgraph in it (a chunked FFN's Scan body)."""
    yield g
    for n in g.node:
        for sub in subgraphs(n):
            yield from _graphs(sub)
