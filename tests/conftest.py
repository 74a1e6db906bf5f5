"""Fixtures shared across the tree. pytest's importlib mode cannot import a conftest as a
module, so shared helpers are handed out as fixtures."""

import importlib.util
import os
from pathlib import Path

import numpy as np
import onnx
import pytest

# Every test is headless.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Ray's test clusters stay on the loopback interface: Ray's own switch, read when Ray is first
# imported (by whichever test imports it first), keeps 127.0.0.1 from being resolved to this
# machine's network address.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

SMALL_MODELS = Path(__file__).resolve().parent / "core" / "bench" / "small_models.py"


@pytest.fixture(scope="session")
def models():
    """tests/core/bench/small_models.py: small onnx.helper models for runner and bench tests."""
    spec = importlib.util.spec_from_file_location("bench_small_models", SMALL_MODELS)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def mlp_path(tmp_path_factory, models):
    return models.mlp(tmp_path_factory.mktemp("m") / "mlp.onnx")


@pytest.fixture
def ort_factory(mlp_path):
    from studio_onnxruntime.runner import OnnxRuntimeRunner

    return lambda: OnnxRuntimeRunner(mlp_path, intra_op_threads=1)


@pytest.fixture(scope="session")
def small_bert(tmp_path_factory) -> Path:
    """A 2-layer BERT (hidden 64) with a 5-way head, built by the demo builder from random
    weights: BERT-shaped for the fusions, small enough for tests."""
    from studio.core.demo.bert_onnx import build_bert_onnx
    from studio.core.demo.weights import BertConfig, random_head, random_weights

    cfg = BertConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                     max_position_embeddings=64)
    p = tmp_path_factory.mktemp("bert") / "small-bert.onnx"
    onnx.save(build_bert_onnx(cfg, random_weights(cfg), random_head(64, 5)), str(p))
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
    """Run a model file once on ORT's CPU provider."""
    return _run


@pytest.fixture
def bert_feed():
    """A BERT feed (input_ids, attention_mask) with one padded row."""
    return _bert_feed
