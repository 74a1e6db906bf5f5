from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper


@pytest.fixture(scope="session")
def small_bert(tmp_path_factory) -> Path:
    """A 2-layer BERT (hidden 64) with a 5-way head from the demo builder's random weights."""
    from studio.core.demo.bert_onnx import build_bert_onnx
    from studio.core.demo.weights import BertConfig, random_head, random_weights

    cfg = BertConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                     max_position_embeddings=64)
    p = tmp_path_factory.mktemp("bert") / "small-bert.onnx"
    onnx.save(build_bert_onnx(cfg, random_weights(cfg), random_head(64, 5)), str(p))
    return p


@pytest.fixture
def mlp_path(tmp_path) -> Path:
    """Not BERT-like: MatMul -> Relu -> MatMul."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.normal(size=(8, 8)).astype(np.float32), "W1"),
             numpy_helper.from_array(rng.normal(size=(8, 3)).astype(np.float32), "W2")]
    nodes = [helper.make_node("MatMul", ["x", "W1"], ["h"], name="mm1"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("MatMul", ["r", "W2"], ["y"], name="mm2")]
    g = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", 3])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    p = tmp_path / "mlp.onnx"
    onnx.save(m, str(p))
    return p


def _run(path, feed):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"]).run(None, feed)


def _bert_feed(batch=4, seq=12, seed=0):
    rng = np.random.default_rng(seed)
    mask = np.ones((batch, seq), np.int64)
    mask[1, seq // 2:] = 0
    return {"input_ids": rng.integers(1000, 5000, (batch, seq)).astype(np.int64), "attention_mask": mask}


@pytest.fixture
def ort_run():
    return _run


@pytest.fixture
def bert_feed():
    return _bert_feed
