import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from studio_onnxruntime.optimize import transformer_fusions
from studio_onnxruntime.rewrites import TRIM_PREFIX, attention_kernel_missing, fold_gelu_bias, split_attention, trim_kv


@pytest.fixture
def fused(tmp_path, small_bert):
    out = tmp_path / "fused.onnx"
    assert transformer_fusions(small_bert, out).applied
    return out


def ops(path) -> dict:
    out: dict = {}
    for n in onnx.load(str(path)).graph.node:
        out[n.op_type] = out.get(n.op_type, 0) + 1
    return out


def test_this_onnxruntime_has_the_attention_kernel():
    assert attention_kernel_missing() == ""


def test_split_attention_computes_what_the_contrib_op_did(tmp_path, fused, small_bert, ort_run, bert_feed):
    out = tmp_path / "split.onnx"
    report = split_attention(fused, out, original=small_bert)
    assert (report.applied, report.reason) == (2, "")
    model = onnx.load(str(out))
    assert next(o.version for o in model.opset_import if o.domain == "") == 24
    assert {n.op_type for n in model.graph.node if n.domain == "com.microsoft"} == {"BiasGelu"}
    assert ops(out)["Attention"] == 2 and "Cast" not in ops(out).keys() - ops(fused).keys()
    for seed in range(3):
        feed = bert_feed(seed=seed)  # row 1 is half padding
        np.testing.assert_allclose(ort_run(out, feed)[0], ort_run(fused, feed)[0], atol=1e-5)


def test_projections_take_the_original_names_when_the_original_is_given(tmp_path, fused, small_bert):
    named, plain = tmp_path / "named.onnx", tmp_path / "plain.onnx"
    split_attention(fused, named, original=small_bert)
    split_attention(fused, plain)
    original = {n.name for n in onnx.load(str(small_bert)).graph.node}
    projections = [n.name for n in onnx.load(str(named)).graph.node if n.op_type in ("MatMul", "Add")
                   and "/attention/self/" in n.name]
    assert len(projections) == 12 and set(projections) <= original  # Q, K, V x MatMul, Add x 2 layers
    assert any(n.name == "Attention_0/q/MatMul" for n in onnx.load(str(plain)).graph.node)


def test_attention_the_rewrite_cannot_express_is_left_alone(tmp_path, fused, ort_run, bert_feed):
    model = onnx.load(str(fused))
    causal = next(n for n in model.graph.node if n.op_type == "Attention")
    causal.attribute.append(helper.make_attribute("unidirectional", 1))
    onnx.save(model, str(tmp_path / "causal.onnx"))
    out = tmp_path / "split.onnx"
    report = split_attention(tmp_path / "causal.onnx", out)
    assert report.applied == 1 and f"{causal.name}: attributes unidirectional" in report.reason
    kept = [n for n in onnx.load(str(out)).graph.node if n.op_type == "Attention" and n.domain == "com.microsoft"]
    assert [n.name for n in kept] == [causal.name]
    feed = bert_feed()
    np.testing.assert_allclose(ort_run(out, feed)[0], ort_run(tmp_path / "causal.onnx", feed)[0], atol=1e-5)


def test_split_attention_of_a_graph_without_node_names(tmp_path, fused, ort_run, bert_feed):
    model = onnx.load(str(fused))
    for n in model.graph.node:
        n.name = ""  # names are optional in ONNX; the rewrite keys nodes by their outputs
    onnx.save(model, str(tmp_path / "unnamed.onnx"))
    out = tmp_path / "split.onnx"
    assert split_attention(tmp_path / "unnamed.onnx", out).applied == 2
    feed = bert_feed()
    np.testing.assert_allclose(ort_run(out, feed)[0], ort_run(fused, feed)[0], atol=1e-5)


def test_split_attention_writes_nothing_without_contrib_attention(tmp_path, small_bert):
    report = split_attention(small_bert, tmp_path / "x.onnx")
    assert (report.applied, report.reason) == (0, "no contrib Attention")
    assert not (tmp_path / "x.onnx").exists()


def _quantized_ffn(tmp_path, extra_reader=False, gelu="BiasGelu"):
    """x -> DynamicQuantizeMatMul (no bias) -> BiasGelu -> y, as ORT leaves a dynamic int8 FFN
    (FastGelu with a bias where the model was fused with the GELU approximation)."""
    rng = np.random.default_rng(0)
    w = rng.integers(-127, 128, (16, 32)).astype(np.int8)
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.full(32, 0.01, np.float32), "ws"),
             numpy_helper.from_array(np.zeros(32, np.int8), "wz"),
             numpy_helper.from_array(rng.normal(size=32).astype(np.float32), "b")]
    nodes = [helper.make_node("DynamicQuantizeMatMul", ["x", "w", "ws", "wz"], ["h"], name="mm", domain="com.microsoft"),
             helper.make_node(gelu, ["h", "b"], ["y"], name="gelu", domain="com.microsoft")]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    if extra_reader:
        outputs.append(helper.make_tensor_value_info("h", TensorProto.FLOAT, None))
    g = helper.make_graph(nodes, "ffn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 16])], outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    p = tmp_path / f"ffn{int(extra_reader)}.onnx"
    onnx.save(m, str(p))
    return p


@pytest.mark.parametrize("gelu, unbiased", [("BiasGelu", "Gelu"), ("FastGelu", "FastGelu")])
def test_fold_gelu_bias_is_bit_identical(tmp_path, ort_run, gelu, unbiased, rewrite_file):
    src, out = _quantized_ffn(tmp_path, gelu=gelu), tmp_path / "folded.onnx"
    report = rewrite_file(fold_gelu_bias, src, out)
    assert report.applied == 1
    nodes = onnx.load(str(out)).graph.node
    assert [n.op_type for n in nodes] == ["DynamicQuantizeMatMul", unbiased] and nodes[0].input[4] == "b"
    assert list(nodes[1].input) == ["h"]
    x = {"x": np.random.default_rng(1).normal(size=(4, 16)).astype(np.float32)}
    assert np.array_equal(ort_run(out, x)[0], ort_run(src, x)[0])


def test_fold_gelu_bias_leaves_a_matmul_output_read_elsewhere(tmp_path, rewrite_file):
    report = rewrite_file(fold_gelu_bias, _quantized_ffn(tmp_path, extra_reader=True), tmp_path / "folded.onnx")
    assert report.applied == 0 and "no BiasGelu" in report.reason
    assert not (tmp_path / "folded.onnx").exists()


@pytest.fixture
def split(tmp_path, fused):
    out = tmp_path / "split.onnx"
    assert split_attention(fused, out).applied == 2
    return out


def test_trim_kv_changes_no_output(tmp_path, split, ort_run, bert_feed, rewrite_file):
    out = tmp_path / "trimmed.onnx"
    report = rewrite_file(trim_kv, split, out)
    assert (report.applied, report.reason) == (2, "")
    nodes = onnx.load(str(out)).graph.node
    own = [n for n in nodes if n.name.startswith(TRIM_PREFIX)]
    # one longest length for both layers; one cut input per layer, K and V reading it
    assert sorted(n.op_type for n in own) == ["Max", "ReduceMax", "Reshape", "Reshape", "Slice", "Slice"]
    cut = {n.output[0] for n in own if n.op_type == "Reshape"}
    assert sum(any(i in cut for i in n.input) for n in nodes if n.op_type == "MatMul") == 4
    feed = bert_feed(seq=16)
    # none padded; all padded past 9 tokens, one row empty; all empty (the length's floor of 1)
    for mask in (np.ones((4, 16)), np.r_[[[1] * 9 + [0] * 7], [[1] * 3 + [0] * 13] * 2, [[0] * 16]], np.zeros((4, 16))):
        feed["attention_mask"] = mask.astype(np.int64)
        for a, b in zip(ort_run(out, feed), ort_run(split, feed)):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
            assert np.isfinite(a).all()


def test_trim_kv_leaves_keys_whose_projection_is_read_elsewhere(tmp_path, split, rewrite_file):
    model = onnx.load(str(split))
    att = next(n for n in model.graph.node if n.op_type == "Attention")
    model.graph.output.append(helper.make_tensor_value_info(att.input[1], TensorProto.FLOAT, None))
    onnx.save(model, str(tmp_path / "shared.onnx"))
    report = rewrite_file(trim_kv, tmp_path / "shared.onnx", tmp_path / "t.onnx")
    assert report.applied == 1 and report.reason == f"{att.name}: keys or values not projected by a matmul only it reads"


def test_trim_kv_needs_onnx_attention_with_key_lengths(tmp_path, fused, rewrite_file):
    report = rewrite_file(trim_kv, fused, tmp_path / "t.onnx")  # ORT's contrib Attention: nothing to trim
    assert (report.applied, report.reason) == (0, "no ONNX Attention with per-row key lengths (nonpad_kv_seqlen)")
    assert not (tmp_path / "t.onnx").exists()
