"""The ONNX BERT graph against the independent numpy encoder, on the real all-MiniLM-L6-v2 weights."""

from collections import Counter

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from studio.core.data.tokenizer import TextTokenizer
from studio.core.demo import reference
from studio.core.demo.bert_onnx import build_bert_onnx, model_bytes
from studio.core.demo.train_head import load_head
from studio.core.demo.weights import BertConfig, load_minilm, minilm_tokenizer_path, random_head, random_weights

SENTENCES = [
    "where is my order??",
    "hi, the blender i got yesterday came with a cracked jug and the box was crushed, what do i do now",
    "cancel plz",
    "my coupon code isnt working at checkout",
]
TINY = BertConfig(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                  intermediate_size=64, max_position_embeddings=40)


@pytest.fixture(scope="module")
def minilm():
    cfg, weights = load_minilm()
    return cfg, weights, load_head()


@pytest.fixture(scope="module")
def feed():
    f = TextTokenizer(minilm_tokenizer_path()).encode(SENTENCES)
    assert (f["attention_mask"] == 0).any(), "the batch must contain padding"
    return f


def _session(model):
    return ort.InferenceSession(model_bytes(model), providers=["CPUExecutionProvider"])


def test_onnx_matches_numpy_reference_on_minilm(minilm, feed):
    cfg, weights, (hw, hb, labels) = minilm
    logits, emb = _session(build_bert_onnx(cfg, weights, (hw, hb))).run(["logits", "sentence_embedding"], feed)
    ref_emb = reference.sentence_embedding(cfg, weights, feed["input_ids"], feed["attention_mask"])
    ref_logits = reference.logits(cfg, weights, (hw, hb), feed["input_ids"], feed["attention_mask"])
    assert logits.shape == (len(SENTENCES), len(labels))
    assert emb.shape == (len(SENTENCES), 384)
    # relative to the values' size: logits reach about 17 and BLAS kernels round differently
    np.testing.assert_allclose(emb, ref_emb, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(logits, ref_logits, rtol=1e-4, atol=1e-4 * float(np.abs(ref_logits).max()))
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)


def test_padding_does_not_change_a_sentence(minilm, feed):
    cfg, weights, (hw, hb, _) = minilm
    sess = _session(build_bert_onnx(cfg, weights, (hw, hb)))
    batched = sess.run(["logits"], feed)[0]
    n = int(feed["attention_mask"][2].sum())
    alone = sess.run(["logits"], {k: v[2:3, :n] for k, v in feed.items()})[0]
    np.testing.assert_allclose(batched[2], alone[0], rtol=1e-4, atol=1e-4 * float(np.abs(alone).max()))


def test_trained_head_reads_the_demo_sentences(minilm, feed):
    cfg, weights, (hw, hb, labels) = minilm
    (logits,) = _session(build_bert_onnx(cfg, weights, (hw, hb))).run(["logits"], feed)
    assert [labels[i] for i in logits.argmax(1)] == [
        "order_status", "damaged_item", "cancel_order", "coupon_not_working"]


def test_random_tiny_model_matches_reference_and_catches_a_wrong_weight():
    weights = random_weights(TINY, seed=3)
    head = random_head(TINY.hidden_size, 5, seed=3)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, TINY.vocab_size, size=(3, 11)).astype(np.int64)
    mask = np.ones_like(ids)
    mask[1, 7:] = 0
    mask[2, 2:] = 0
    feed = {"input_ids": ids, "attention_mask": mask}
    (logits,) = _session(build_bert_onnx(TINY, weights, head)).run(["logits"], feed)
    ref = reference.logits(TINY, weights, head, ids, mask)
    assert np.abs(logits - ref).max() <= 1e-5
    # The comparison has teeth: one changed bias moves the output well past the tolerance.
    broken = dict(weights)
    broken["encoder.layer.1.attention.self.value.bias"] = weights["encoder.layer.1.attention.self.value.bias"] + 0.5
    (wrong,) = _session(build_bert_onnx(TINY, broken, head)).run(["logits"], feed)
    assert np.abs(wrong - ref).max() > 1e-3


def test_interface_and_structure():
    model = build_bert_onnx(TINY, random_weights(TINY), random_head(TINY.hidden_size, 7))
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == 17
    ins = {i.name: i for i in model.graph.input}
    assert list(ins) == ["input_ids", "attention_mask"]
    for i in ins.values():
        assert i.type.tensor_type.elem_type == onnx.TensorProto.INT64
        assert [d.dim_param for d in i.type.tensor_type.shape.dim] == ["batch", "sequence"]
    outs = {o.name: o for o in model.graph.output}
    assert list(outs) == ["logits", "sentence_embedding"]
    assert [d.dim_param or d.dim_value for d in outs["logits"].type.tensor_type.shape.dim] == ["batch", 7]
    ops = Counter(n.op_type for n in model.graph.node)
    assert ops["LayerNormalization"] == 1 + 2 * TINY.num_hidden_layers
    assert ops["Erf"] == TINY.num_hidden_layers
    assert ops["Softmax"] == TINY.num_hidden_layers
    names = [n.name for n in model.graph.node]
    assert len(set(names)) == len(names) and all(names)
    assert "/encoder/layer.1/attention/self/query/MatMul" in names
    assert "/encoder/layer.0/intermediate/intermediate_act_fn/Erf" in names


def test_encoder_only_graph_has_just_the_embedding():
    model = build_bert_onnx(TINY, random_weights(TINY), None)
    assert [o.name for o in model.graph.output] == ["sentence_embedding"]
    assert not any(n.name.startswith("/classifier") for n in model.graph.node)


def test_same_inputs_same_bytes_different_seed_different_bytes():
    a = model_bytes(build_bert_onnx(TINY, random_weights(TINY, 1), random_head(TINY.hidden_size, 4, 1)))
    b = model_bytes(build_bert_onnx(TINY, random_weights(TINY, 1), random_head(TINY.hidden_size, 4, 1)))
    c = model_bytes(build_bert_onnx(TINY, random_weights(TINY, 2), random_head(TINY.hidden_size, 4, 2)))
    assert a == b
    assert a != c


@pytest.mark.slow
def test_onnxruntime_transformer_optimizer_fuses_every_layer(tmp_path, minilm, feed):
    from onnxruntime.transformers import optimizer

    cfg, weights, (hw, hb, _) = minilm
    model = build_bert_onnx(cfg, weights, (hw, hb))
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    opt = optimizer.optimize_model(str(path), model_type="bert", num_heads=cfg.num_attention_heads,
                                   hidden_size=cfg.hidden_size, opt_level=0)
    fused = opt.get_fused_operator_statistics()
    assert fused["EmbedLayerNormalization"] == 1
    assert fused["Attention"] == cfg.num_hidden_layers
    assert fused["SkipLayerNormalization"] == 2 * cfg.num_hidden_layers
    assert fused["BiasGelu"] == cfg.num_hidden_layers
    # The fused kernels (mask turned into per-row lengths) compute the same thing.
    before = _session(model).run(["logits"], feed)[0]
    after = ort.InferenceSession(opt.model.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        ["logits"], feed)[0]
    assert np.abs(before - after).max() <= 1e-4
