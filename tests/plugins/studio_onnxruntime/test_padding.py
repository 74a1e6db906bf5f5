import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from studio.core.backends.base import BuildConfig
from studio.core.progress import TaskState
from studio_onnxruntime.backend import OnnxRuntimeBackend
from studio_onnxruntime.padding import CUT_PREFIX, padding_invariant


def build(model, out, precision="fp32", **options):
    cfg = BuildConfig(model=str(model), backend="onnxruntime", output=str(out), precision=precision, options=options)
    return OnnxRuntimeBackend().build(cfg, TaskState())


def rewrite(res, name="cut_padding") -> dict:
    return next(r for r in res.metadata["graph_rewrites"] if r["name"] == name)


def padded_feeds(bert_feed):
    """Batches padded past their longest row: 16 columns, rows of 9, 6 and 3 tokens and an empty
    one; then every row empty (the cut keeps one column)."""
    feed = bert_feed(seq=16)
    lengths = np.array([9, 6, 3, 0])
    yield {**feed, "attention_mask": (np.arange(16)[None, :] < lengths[:, None]).astype(np.int64)}
    yield {**feed, "attention_mask": np.zeros((4, 16), np.int64)}


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_cut_inputs_give_the_outputs_of_the_padded_batch(tmp_path, small_bert, ort_run, bert_feed, precision):
    on = build(small_bert, tmp_path / "on.onnx", precision)
    off = build(small_bert, tmp_path / "off.onnx", precision, ort_cut_padding=False)
    assert rewrite(on) == {"name": "cut_padding", "applied": 2, "reason": ""}  # input_ids and attention_mask
    assert "trim_kv" not in [r["name"] for r in on.metadata["graph_rewrites"]]  # nothing left for it to cut
    model = onnx.load(on.output)
    assert [i.name for i in model.graph.input] == ["input_ids", "attention_mask"]  # fed as before
    assert {n.op_type for n in model.graph.node if n.name.startswith(CUT_PREFIX)} == {
        "Cast", "ReduceSum", "ReduceMax", "Max", "Slice"}
    for feed in padded_feeds(bert_feed):
        for a, b in zip(ort_run(on.output, feed), ort_run(off.output, feed)):
            assert a.shape == b.shape and np.isfinite(a).all()
            if precision == "fp32":
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
            else:  # dynamic int8 now takes its ranges from the rows left: close, not equal
                assert np.abs(a - b).max() < 0.05 * max(1.0, np.abs(b).max())


def _with_output(small_bert, tmp_path, per_token: bool):
    """The small BERT with one more output from its last hidden states: those states as they are
    (per token), or their plain mean over the sequence, padding included."""
    model = onnx.load(str(small_bert))
    g = model.graph
    hidden = next(n for n in reversed(g.node) if n.op_type == "LayerNormalization").output[0]
    if per_token:
        g.output.append(helper.make_tensor_value_info(hidden, TensorProto.FLOAT, None))
    else:
        g.node.append(helper.make_node("ReduceMean", [hidden], ["mean_with_padding"], axes=[1], keepdims=0))
        g.output.append(helper.make_tensor_value_info("mean_with_padding", TensorProto.FLOAT, None))
    path = tmp_path / f"bert_{'tokens' if per_token else 'mean'}.onnx"
    onnx.save(model, str(path))
    return path, hidden


def test_a_model_with_per_token_outputs_keeps_its_padding(tmp_path, small_bert, ort_run, bert_feed):
    model, hidden = _with_output(small_bert, tmp_path, per_token=True)
    res = build(model, tmp_path / "out.onnx")
    assert rewrite(res) == {"name": "cut_padding", "applied": 0,
                            "reason": f"output {hidden!r} has the sequence axis (per-token outputs)"}
    assert rewrite(res, "trim_kv")["applied"] == 2  # the exact cut inside attention still applies
    feed = next(padded_feeds(bert_feed))
    assert ort_run(res.output, feed)[2].shape == (4, 16, 64)


def test_a_model_whose_outputs_see_the_padding_keeps_it(tmp_path, small_bert):
    model, _ = _with_output(small_bert, tmp_path, per_token=False)
    why = padding_invariant(str(model), "attention_mask")
    assert why.startswith("output 'mean_with_padding' depends on the padding (max difference ")
    assert padding_invariant(str(small_bert), "attention_mask") == ""
    assert rewrite(build(model, tmp_path / "out.onnx"))["reason"] == why


def test_a_probe_that_cannot_run_is_a_reason_not_an_error(tmp_path):
    assert padding_invariant(str(tmp_path / "missing.onnx"), "attention_mask").startswith(
        "the padding probe could not run the model (")
