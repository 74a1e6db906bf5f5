import json

import numpy as np
import onnx
import pytest

from studio.core.backends.base import BuildConfig, CalibrationSpec
from studio.core.backends.registry import get_backend
from studio.core.errors import BuildError, CapabilityError, Cancelled, ModelError, StudioError
from studio.core.progress import TaskState
from studio_onnxruntime.ffn_chunks import CHUNK_BYTES
from studio_onnxruntime.ort_optimized import STUDIO_PREFIX


def backend():
    return get_backend("onnxruntime")


def build(model, out, precision="fp32", state=None, **kw):
    cfg = BuildConfig(model=str(model), backend="onnxruntime", output=str(out), precision=precision, **kw)
    return backend().build(cfg, state or TaskState())


def test_capabilities_are_data():
    caps = backend().capabilities()
    d = caps.to_dict()
    json.dumps(d)
    assert d["precisions"]["fp32"] is None and d["precisions"]["int8"] is None and d["precisions"]["fp16"] is None
    assert "bf16" in d["precisions"]["bf16"] and "fp8" in d["precisions"]["fp8"]
    assert not caps.build_needs_gpu and not caps.run_needs_gpu and caps.layer_profiling
    assert caps.library.startswith("onnxruntime ")
    assert "fp16" in caps.notes and "slower" in caps.notes
    with pytest.raises(CapabilityError, match="bf16 is not available: ONNX Runtime's CPU provider has no bf16"):
        caps.check_precision("bf16")


def test_fp32_build_fuses_and_matches_source(tmp_path, small_bert, ort_run, bert_feed):
    out = tmp_path / "out" / "bert.onnx"
    events = []
    res = build(small_bert, out, state=TaskState(events.append))
    assert res.output == str(out) and out.exists() and res.size_bytes == out.stat().st_size
    ops = res.metadata["op_types_after"]
    # Fused attention with its core on ONNX's Attention op (projections as MatMul + Add).
    assert ops.get("Attention", 0) == 2 and ops.get("MatMul", 0) >= 6
    assert "Softmax" not in ops
    assert ops.get("Scan") == 2 and res.metadata["ffn_chunk_bytes"] == CHUNK_BYTES  # each FFN in row chunks
    assert ops.get("Gelu") == 2 and "BiasGelu" not in ops  # the chunks' GEMMs add the GELU's bias
    assert res.metadata["transformer_fusions"]["applied"]
    assert res.metadata["graph_rewrites"] == [{"name": "split_attention", "applied": 2, "reason": ""},
                                              {"name": "cut_padding", "applied": 2, "reason": ""},
                                              {"name": "chunk_ffn", "applied": 2, "reason": ""}]
    built = onnx.load(str(out)).graph
    own = sum(n.name.startswith(STUDIO_PREFIX) for n in built.node)  # chunking's shape arithmetic, the input cuts
    assert res.metadata["nodes_after"] - own < len(onnx.load(str(small_bert)).graph.node) * 0.6
    for key in ("onnxruntime_version", "providers", "optimization_level", "recipe", "calibration"):
        assert key in res.metadata
    json.dumps(res.to_dict())
    feed = bert_feed()
    np.testing.assert_allclose(ort_run(out, feed)[0], ort_run(small_bert, feed)[0], atol=1e-4)
    phases = [e.phase for e in events if e.kind == "progress"]
    assert phases[0] == "Transformer fusions" and phases[-1] == "Done"
    assert [p.name for p in out.parent.iterdir()] == ["bert.onnx"]  # nothing left beside it


def test_int8_build_uses_the_cpu_recipe(tmp_path, small_bert, ort_run, bert_feed):
    out = tmp_path / "bert-int8.onnx"
    res = build(small_bert, out, "int8")
    assert res.precision == "int8" and res.metadata["recipe"]["name"] == "ort-dynamic-int8"
    ops = res.metadata["op_types_after"]
    # Projections are int8 GEMMs (one shared activation quantization for Q, K and V), the
    # attention core stays float, and each FFN's bias moved from BiasGelu into its matmul.
    assert ops.get("Attention") == 2 and ops.get("DynamicQuantizeLinear") == 2 and ops.get("Gelu") == 2
    assert ops.get("MatMulIntegerToFloat", 0) + ops.get("DynamicQuantizeMatMul", 0) == 12
    assert "QAttention" not in ops and "BiasGelu" not in ops
    assert [(r["name"], r["applied"]) for r in res.metadata["graph_rewrites"]] == [
        ("split_attention", 2), ("fold_gelu_bias", 2), ("cut_padding", 2), ("chunk_ffn", 2)]
    feed = bert_feed()
    ref, got = ort_run(small_bert, feed)[0], ort_run(out, feed)[0]
    assert np.abs(ref - got).max() < 0.05 * max(1.0, np.abs(ref).max())


def test_trimmed_keys_change_no_output_of_an_int8_build(tmp_path, small_bert, ort_run, bert_feed):
    """K and V read the shared quantized input cut to the longest row: the same int8 values, so
    the same outputs as the build without the rewrite, bit for bit."""
    on = build(small_bert, tmp_path / "on.onnx", "int8", options={"ort_cut_padding": False})
    off = build(small_bert, tmp_path / "off.onnx", "int8", options={"ort_cut_padding": False, "ort_trim_kv": False})
    assert ("trim_kv", 2) in [(r["name"], r["applied"]) for r in on.metadata["graph_rewrites"]]
    assert "trim_kv" not in [r["name"] for r in off.metadata["graph_rewrites"]]
    assert on.metadata["op_types_after"]["Slice"] == off.metadata["op_types_after"].get("Slice", 0) + 2
    feed = bert_feed()
    feed["attention_mask"][:, 7:] = 0  # every row padded past 7 tokens, row 1 past 6
    for a, b in zip(ort_run(on.output, feed), ort_run(off.output, feed)):
        assert np.array_equal(a, b)
    with pytest.raises(BuildError, match="ort_trim_kv must be true or false, got 'no'"):
        build(small_bert, tmp_path / "x.onnx", options={"ort_trim_kv": "no"})
    with pytest.raises(BuildError, match="ort_cut_padding must be true or false, got 1"):
        build(small_bert, tmp_path / "x.onnx", options={"ort_cut_padding": 1})


def test_contrib_attention_on_request(tmp_path, small_bert, ort_run, bert_feed):
    res = build(small_bert, tmp_path / "c.onnx", "int8", options={"ort_attention": "contrib"})
    assert res.metadata["op_types_after"].get("QAttention") == 2 and res.metadata["attention"] == "contrib"
    assert [r["name"] for r in res.metadata["graph_rewrites"]] == ["fold_gelu_bias", "chunk_ffn"]  # no trim_kv
    split = build(small_bert, tmp_path / "s.onnx", "int8")
    feed = bert_feed()
    # Same int8 GEMMs, same masked softmax: the two attention cores agree to float rounding.
    np.testing.assert_allclose(ort_run(split.output, feed)[0], ort_run(res.output, feed)[0], atol=1e-4)
    with pytest.raises(BuildError, match="unknown ort_attention 'flash'; choose one of onnx, contrib"):
        build(small_bert, tmp_path / "x.onnx", options={"ort_attention": "flash"})


def test_after_fusion_view_links_split_projections_to_original_nodes(tmp_path, small_bert):
    from studio.core.graph.fusion import fusion_map
    from studio.core.backends.layer_reports import load_plan

    res = build(small_bert, tmp_path / "q.onnx", "int8")
    plan = load_plan(res.output, onnx_model=small_bert)
    fmap = fusion_map(plan)
    q = next(x for x in plan.layers if x.name.endswith("layer.0/attention/self/query/MatMul_quant"))
    assert fmap.nodes_for_layer(q.name) == ("/encoder/layer.0/attention/self/query/MatMul",
                                            "/encoder/layer.0/attention/self/query/Add")
    core = fmap.nodes_for_layer("Attention_0")
    assert "/encoder/layer.0/attention/self/Softmax" in core and not any("query/MatMul" in n for n in core)
    # The chunked FFN shows its body's nodes as layers (no Scan), mapped like any other.
    ffn2 = next(x for x in plan.layers if x.name.endswith("layer.0/output/dense/MatMul_quant"))
    assert fmap.nodes_for_layer(ffn2.name) == ("/encoder/layer.0/output/dense/MatMul",
                                               "/encoder/layer.0/output/dense/Add")
    # The FFN's first GEMM computes the bias Add the GELU fusion had absorbed, and shows it.
    ffn1 = next(x for x in plan.layers if x.name.endswith("layer.0/intermediate/dense/MatMul_quant"))
    assert fmap.nodes_for_layer(ffn1.name) == ("/encoder/layer.0/intermediate/dense/MatMul",
                                               "/encoder/layer.0/intermediate/dense/Add")
    gelu = next(x for x in plan.layers if x.type == "Gelu")
    assert not any(n.endswith("dense/Add") for n in fmap.nodes_for_layer(gelu.name))
    assert "Scan" not in {x.type for x in plan.layers}
    assert any("studio's own" in n for n in plan.notes)
    # The run-time activation quantizers are the recipe's, not unmapped layers.
    assert "DynamicQuantizeLinear" in {x.type for x in plan.layers}
    assert plan.unmapped == () and any("quantize activations" in n for n in plan.notes)
    assert all(fmap.nodes_for_layer(x.name) == () for x in plan.layers if x.name.startswith("MaskReduceSum"))
    assert fmap.unabsorbed == ()


def test_fp32_ffn_gemm_shows_the_bias_add_it_computes(tmp_path, small_bert):
    from studio.core.graph.fusion import fusion_map
    from studio.core.backends.layer_reports import load_plan

    res = build(small_bert, tmp_path / "f.onnx")
    plan = load_plan(res.output, onnx_model=small_bert)
    fmap = fusion_map(plan)
    gemm = next(x for x in plan.layers if x.name.endswith("layer.0/intermediate/dense/MatMul"))
    assert gemm.type == "Gemm"
    assert fmap.nodes_for_layer(gemm.name) == ("/encoder/layer.0/intermediate/dense/MatMul",
                                               "/encoder/layer.0/intermediate/dense/Add")
    assert fmap.unabsorbed == ()
    # ORT's attention fusion sums the mask into lengths in a node of its own: listed in a note, linked
    # to nothing (a small constant it shares with an embedding Slice once linked it there).
    mask = [x for x in plan.layers if x.name.startswith("MaskReduceSum")]
    assert mask and all(fmap.nodes_for_layer(x.name) == () for x in mask)
    assert plan.unmapped == () and any("attention mask" in n for n in plan.notes)


def test_int8_qdq_recipe_on_request_records_calibration(tmp_path, small_bert):
    from studio.core.demo.weights import minilm_tokenizer_path

    csv = tmp_path / "c.csv"
    csv.write_text("text\n" + "".join(f"sample number {i} about an order\n" for i in range(12)), encoding="utf-8")
    calib = CalibrationSpec(str(csv), tokenizer=str(minilm_tokenizer_path()), samples=8, max_length=16)
    res = build(small_bert, tmp_path / "q.onnx", "int8", calibration=calib, options={"int8_recipe": "qdq"})
    assert res.metadata["recipe"]["name"] == "tensorrt-qdq"
    assert res.metadata["calibration"]["samples"] == 8
    assert res.metadata["calibration"]["sequence_length"]["max"] <= 16
    assert any("slower than fp32" in w for w in res.warnings)


def test_fp16_build_runs(tmp_path, small_bert, ort_run, bert_feed):
    out = tmp_path / "f16.onnx"
    res = build(small_bert, out, "fp16")
    assert any("fp16" in w for w in res.warnings)
    feed = bert_feed()
    np.testing.assert_allclose(ort_run(out, feed)[0], ort_run(small_bert, feed)[0], atol=2e-2)


def test_fusion_options_override(tmp_path, small_bert):
    res = build(small_bert, tmp_path / "sln.onnx", options={"ort_fusion_options": {"enable_skip_layer_norm": True}})
    assert res.metadata["op_types_after"].get("SkipLayerNormalization", 0) >= 2
    with pytest.raises(StudioError, match="unknown ORT fusion option 'enable_magic'"):
        build(small_bert, tmp_path / "x.onnx", options={"ort_fusion_options": {"enable_magic": True}})


def test_non_bert_model_builds_without_fusions(tmp_path, mlp_path, ort_run):
    res = build(mlp_path, tmp_path / "mlp-opt.onnx", options={"ort_optimization": "basic"})
    assert not res.metadata["transformer_fusions"]["applied"]
    assert any("transformer fusions not applied: no attention" in w for w in res.warnings)
    assert res.metadata["optimization_level"] == "basic"
    x = np.ones((2, 8), np.float32)
    np.testing.assert_allclose(ort_run(res.output, {"x": x})[0], ort_run(mlp_path, {"x": x})[0], rtol=1e-5)


def test_bad_choices_refused(tmp_path, mlp_path):
    with pytest.raises(BuildError, match="unknown ort_optimization 'max'"):
        build(mlp_path, tmp_path / "x.onnx", options={"ort_optimization": "max"})
    with pytest.raises(BuildError, match="ort_ffn_chunk_bytes must be a whole number >= 0 .* got '3 MB'"):
        build(mlp_path, tmp_path / "x.onnx", options={"ort_ffn_chunk_bytes": "3 MB"})
    with pytest.raises(CapabilityError, match="precision bf16 is not available"):
        build(mlp_path, tmp_path / "x.onnx", "bf16")
    assert not (tmp_path / "x.onnx").exists()


def test_cancelled_build_leaves_nothing(tmp_path, small_bert):
    state = TaskState()
    state.cancel()
    with pytest.raises(Cancelled):
        build(small_bert, tmp_path / "c.onnx", state=state)
    assert list(tmp_path.iterdir()) == []


def test_unreadable_model_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a protobuf at all")
    with pytest.raises(ModelError) as e:
        build(bad, tmp_path / "o.onnx")
    assert "bad.onnx" in str(e.value)
    assert not (tmp_path / "o.onnx").exists()


@pytest.mark.slow
def test_demo_model_build_in_child_process(tmp_path):
    from studio.core.demo.paths import demo_model_path
    from studio.core.jobs.build_job import run_build

    model = demo_model_path()
    if not model.exists():
        pytest.skip("demo model not generated")
    out = tmp_path / "demo-ort.onnx"
    res = run_build(BuildConfig(model=str(model), backend="onnxruntime", output=str(out), precision="int8"))
    assert out.exists() and res.metadata["recipe"]["name"] == "ort-dynamic-int8"
    ops = res.metadata["op_types_after"]
    assert ops.get("Attention") == 6 and ops.get("DynamicQuantizeMatMul", 0) + ops.get("MatMulIntegerToFloat", 0) == 36
    sidecar = json.loads((tmp_path / "demo-ort.onnx.json").read_text())
    assert sidecar["backend"] == "onnxruntime"
    # The CPU recipe keeps the intent accuracy: within 2 of the 182 validation texts of fp32.
    from studio.core.data.tables import read_rows
    from studio.core.data.tokenizer import load_tokenizer

    labels = (model.parent / "labels.txt").read_text(encoding="utf-8").split()
    rows = read_rows(model.parents[1] / "intents_validation.csv", "text", "intent")
    y = np.array([labels.index(r.label) for r in rows])
    tok = load_tokenizer(str(model.parent / "tokenizer.json"))
    feeds = [tok.encode([r.text for r in rows[i:i + 64]], max_length=64) for i in range(0, len(rows), 64)]

    def accuracy(path):
        import onnxruntime as ort

        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return float((np.concatenate([sess.run(["logits"], f)[0].argmax(1) for f in feeds]) == y).mean())

    ref, got = accuracy(model), accuracy(out)
    assert ref > 0.85
    assert ref - got <= 2 / len(y) + 1e-9


def test_skip_layer_norm_fusion_left_off_and_kept_off_at_run_time(tmp_path, small_bert, ort_run, bert_feed):
    from studio.core.backends.sidecar import make_sidecar, write_sidecar
    from studio_onnxruntime.runner import OnnxRuntimeRunner

    # After dynamic int8, ORT's session optimizer fuses Add + LayerNorm into its slow
    # SkipLayerNormalization kernel; the build leaves that optimizer off.
    out = tmp_path / "plain.onnx"
    res = build(small_bert, out, "int8")
    assert res.metadata["ort_disabled_optimizers"] == ["SkipLayerNormFusion"]
    assert "SkipLayerNormalization" not in res.metadata["op_types_after"]
    assert res.metadata["op_types_after"].get("LayerNormalization", 0) >= 4
    fused = build(small_bert, tmp_path / "sln.onnx", "int8", options={"ort_disabled_optimizers": []})
    assert fused.metadata["op_types_after"].get("SkipLayerNormalization", 0) >= 2
    runner = OnnxRuntimeRunner(out)
    assert runner._build_details() == {}  # no sidecar: plain ORT defaults
    cfg = BuildConfig(model=str(small_bert), backend="onnxruntime", output=str(out), precision="int8")
    write_sidecar(out, make_sidecar(cfg, res, source_sha256=None))
    assert runner._build_details()["ort_disabled_optimizers"] == ["SkipLayerNormFusion"]
    feed = bert_feed()
    got = runner.activate().infer(feed)
    np.testing.assert_allclose(list(got.values())[0], ort_run(out, feed)[0], atol=1e-3)
    runner.deactivate()

