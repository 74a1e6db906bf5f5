import numpy as np
import onnx

from studio.core.precision.cpu_int8 import head_nodes, quantize_cpu_int8


def test_dynamic_int8_tiny_close_and_head_kept(tmp_path, tiny_path, ort_run):
    out = tmp_path / "q.onnx"
    recipe = quantize_cpu_int8(tiny_path, out)
    m = onnx.load(str(out))
    onnx.checker.check_model(m)
    ops = [n.op_type for n in m.graph.node]
    # mm1 quantized (dynamic, U8S8); mm2 feeds the only output, so it is the head and stays fp32.
    assert recipe["nodes_excluded"] == ["mm2"] and recipe["quantized_nodes"] >= 1
    assert "MatMul" in ops and ({"MatMulInteger", "DynamicQuantizeMatMul"} & set(ops))
    x = np.random.default_rng(3).normal(size=(5, 16)).astype(np.float32)
    ref, got = ort_run(tiny_path, {"x": x})[0], ort_run(out, {"x": x})[0]
    assert np.abs(ref - got).max() < 0.1


def test_head_included_on_request(tmp_path, tiny_path):
    recipe = quantize_cpu_int8(tiny_path, tmp_path / "q.onnx", exclude_head=False)
    assert recipe["nodes_excluded"] == []
    assert recipe["quantized_nodes"] >= 2


def test_head_nodes_of_bert(small_bert):
    assert head_nodes(onnx.load(str(small_bert))) == ["/classifier/MatMul"]


def test_small_bert_after_fusion_quantizes_attention(tmp_path, small_bert, ort_run, bert_feed):
    from studio_onnxruntime.optimize import transformer_fusions

    fused = tmp_path / "fused.onnx"
    assert transformer_fusions(small_bert, fused).applied
    out = tmp_path / "q.onnx"
    recipe = quantize_cpu_int8(fused, out)
    ops = {n.op_type for n in onnx.load(str(out)).graph.node}
    assert "QAttention" in ops and recipe["quantized_nodes"] > 4
    feed = bert_feed()
    ref, got = ort_run(small_bert, feed)[0], ort_run(out, feed)[0]
    assert np.abs(ref - got).max() < 0.05 * max(1.0, np.abs(ref).max())


def test_a_model_without_a_classifier_head_keeps_no_encoder_matmul_in_fp32():
    """An embedding or hidden-states output is reached through the encoder's last LayerNorm: no
    head there, and the walk must not follow the residual Adds into every layer."""
    from pathlib import Path

    corpus = Path(__file__).resolve().parents[2] / "data" / "corpus"
    assert head_nodes(onnx.load(str(corpus / "minilm_2in_pooled" / "model.onnx"))) == []
    assert head_nodes(onnx.load(str(corpus / "bert_hidden_states" / "model.onnx"))) == []
    assert head_nodes(onnx.load(str(corpus / "roberta_ts17" / "model.onnx"))) == ["/m/classifier/out_proj/Gemm"]
