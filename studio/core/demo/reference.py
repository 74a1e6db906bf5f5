"""An independent numpy implementation of the BERT encoder + pooling + head.

It shares nothing with the ONNX builder except the weight dictionary (HF names and layout), so
that agreement between the two checks the graph rather than restating it. Written in float64
where it is cheap, so the comparison measures the graph's error, not the reference's.
"""

from __future__ import annotations

import math

import numpy as np

from studio.core.demo.weights import BertConfig

_erf = np.frompyfunc(math.erf, 1, 1)


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def _dense(x: np.ndarray, w: dict, key: str) -> np.ndarray:
    return x @ w[key + ".weight"].astype(np.float64).T + w[key + ".bias"]


def encode(cfg: BertConfig, w: dict[str, np.ndarray], input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Last hidden states [batch, seq, hidden] (float64)."""
    b, s = input_ids.shape
    nh, hd = cfg.num_attention_heads, cfg.hidden_size // cfg.num_attention_heads
    x = (w["embeddings.word_embeddings.weight"][input_ids].astype(np.float64)
         + w["embeddings.position_embeddings.weight"][np.arange(s)][None]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], cfg.layer_norm_eps)
    bias = np.where(attention_mask[:, None, None, :] > 0, 0.0, -10000.0)

    def heads(t):  # [b, s, hidden] -> [b, heads, s, head_dim]
        return t.reshape(b, s, nh, hd).transpose(0, 2, 1, 3)

    for n in range(cfg.num_hidden_layers):
        p = f"encoder.layer.{n}."
        q = heads(_dense(x, w, p + "attention.self.query"))
        k = heads(_dense(x, w, p + "attention.self.key"))
        v = heads(_dense(x, w, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + bias
        scores = scores - scores.max(-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(-1, keepdims=True)
        ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(b, s, cfg.hidden_size)
        x = _layer_norm(_dense(ctx, w, p + "attention.output.dense") + x,
                        w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"],
                        cfg.layer_norm_eps)
        h = _gelu(_dense(x, w, p + "intermediate.dense"))
        x = _layer_norm(_dense(h, w, p + "output.dense") + x,
                        w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], cfg.layer_norm_eps)
    return x


def sentence_embedding(cfg: BertConfig, w: dict, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Masked mean pooling then L2 normalisation, [batch, hidden] (float64)."""
    hidden = encode(cfg, w, input_ids, attention_mask)
    m = attention_mask.astype(np.float64)[:, :, None]
    pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=-1, keepdims=True), 1e-12)


def logits(cfg: BertConfig, w: dict, head: tuple[np.ndarray, np.ndarray], input_ids: np.ndarray,
           attention_mask: np.ndarray) -> np.ndarray:
    hw, hb = head
    return sentence_embedding(cfg, w, input_ids, attention_mask) @ hw.astype(np.float64) + hb
