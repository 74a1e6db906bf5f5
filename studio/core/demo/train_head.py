"""Train the demo's linear intent head on frozen all-MiniLM-L6-v2 sentence embeddings.

Embeddings come from the encoder-only ONNX graph (the same builder as the shipped model) run by
ONNX Runtime; the head is softmax regression with L2, fitted by full-batch gradient descent in
numpy, so the result is the same on every machine that gives the same embeddings.

    python -m studio.core.demo.train_head     # rewrites resources/demo/intent_head.npz
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.core.data.tokenizer import TextTokenizer
from studio.core.errors import StudioError
from studio.core.io import write_bytes_atomic
from studio.core.resources import resource
from studio.core.serde import Record

HEAD_FILE = "intent_head.npz"
L2 = 1e-3
STEPS = 400


@dataclass
class HeadResult(Record):
    labels: list[str]
    train_accuracy: float
    validation_accuracy: float
    calibration_accuracy: float
    train_rows: int
    validation_rows: int
    calibration_rows: int
    l2: float
    steps: int


def head_path() -> Path:
    return resource("demo", HEAD_FILE)


def encoder_session(cfg, weights):
    # lazy: 948 ms off this module's import
    import onnxruntime as ort

    from studio.core.demo.bert_onnx import build_bert_onnx, model_bytes

    opts = ort.SessionOptions()
    # One thread: identical sums on every machine, hence an identical head file.
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(model_bytes(build_bert_onnx(cfg, weights, None)), opts,
                                providers=["CPUExecutionProvider"])


def embed(session, tokenizer, texts: list[str], batch: int = 64, max_length: int = 128) -> np.ndarray:
    """Sentence embeddings [n, hidden]; texts are batched by length so padding stays small."""
    lengths = tokenizer.lengths(texts, max_length)
    order = np.argsort(lengths, kind="stable")
    out = None
    for start in range(0, len(texts), batch):
        idx = order[start:start + batch]
        feed = tokenizer.encode([texts[i] for i in idx], max_length=max_length)
        (emb,) = session.run(["sentence_embedding"], feed)
        if out is None:
            out = np.zeros((len(texts), emb.shape[1]), np.float32)
        out[idx] = emb
    return out


def fit_softmax(x: np.ndarray, y: np.ndarray, n_classes: int, l2: float = L2, steps: int = STEPS):
    """Multinomial logistic regression on standardised features; returns (W, b) for the raw features."""
    x = x.astype(np.float64)
    mean, std = x.mean(0), x.std(0) + 1e-6
    # float32 for the loop: half the time of float64 and no difference in accuracy here.
    z = ((x - mean) / std).astype(np.float32)
    n, d = z.shape
    onehot = np.eye(n_classes, dtype=np.float32)[y]
    w, b = np.zeros((d, n_classes), np.float32), np.zeros(n_classes, np.float32)
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    # Step 1/L for the softmax loss's curvature bound (largest eigenvalue of z'z/n, /2) plus the L2 term.
    lr = np.float32(1.0 / (0.5 * np.linalg.eigvalsh((z.T @ z / n).astype(np.float64))[-1] + l2))
    l2 = np.float32(l2)
    for _ in range(steps):
        # Nesterov momentum: gradient at the look-ahead point.
        wl, bl = w + 0.9 * vw, b + 0.9 * vb
        logits = z @ wl + bl
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(1, keepdims=True)
        g = (p - onehot) / n
        vw = 0.9 * vw - lr * (z.T @ g + l2 * wl)
        vb = 0.9 * vb - lr * g.sum(0)
        w, b = w + vw, b + vb
    # Fold the standardisation into the head: (x - mean)/std @ W + b = x @ (W/std) + (b - mean/std @ W).
    w, b = w.astype(np.float64), b.astype(np.float64)
    w_raw = w / std[:, None]
    b_raw = b - (mean / std) @ w
    return w_raw.astype(np.float32), b_raw.astype(np.float32)


def accuracy(w: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    return float(((x @ w + b).argmax(1) == y).mean())


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An .npz whose bytes depend only on the arrays (np.savez stamps the current time)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            arr_buf = io.BytesIO()
            np.lib.format.write_array(arr_buf, np.ascontiguousarray(arr), allow_pickle=False)
            zf.writestr(info, arr_buf.getvalue())
    return buf.getvalue()


def save_head(path: str | Path, w: np.ndarray, b: np.ndarray, labels: list[str]) -> None:
    write_bytes_atomic(path, _npz_bytes({"weight": w, "bias": b, "labels": np.array(labels, dtype=str)}))


def load_head(path: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(W [hidden, n], b [n], labels) from an intent head file."""
    path = Path(path) if path else head_path()
    try:
        with np.load(path, allow_pickle=False) as z:
            w, b, labels = z["weight"], z["bias"], [str(s) for s in z["labels"]]
    except FileNotFoundError:
        raise StudioError("intent head file not found (run: python -m studio.core.demo.train_head)",
                          where=str(path)) from None
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as e:
        raise StudioError(f"not an intent head file ({e})", where=str(path)) from None
    if w.ndim != 2 or b.shape != (w.shape[1],) or len(labels) != w.shape[1]:
        raise StudioError(f"inconsistent head shapes: weight {w.shape}, bias {b.shape}, {len(labels)} labels",
                          where=str(path))
    return w.astype(np.float32), b.astype(np.float32), labels


def train(out: str | Path | None = None, data_dir: str | Path | None = None) -> HeadResult:
    # lazy: 4 ms off this module's import
    from studio.core.demo.dataset import read_labels, read_split
    from studio.core.demo.weights import load_minilm, minilm_tokenizer_path

    labels = read_labels(data_dir)
    index = {name: i for i, name in enumerate(labels)}
    cfg, weights = load_minilm()
    session = encoder_session(cfg, weights)
    tokenizer = TextTokenizer(minilm_tokenizer_path())

    def load(split):
        texts, intents = read_split(split, data_dir)
        unknown = sorted(set(intents) - set(index))
        if unknown:
            raise StudioError(f"intents not in labels.txt: {', '.join(unknown)}", where=f"intents_{split}.csv")
        return embed(session, tokenizer, texts), np.array([index[i] for i in intents])

    xt, yt = load("train")
    xv, yv = load("validation")
    # Calibration lines are held out too (the head never sees them): a second, independent check.
    xc, yc = load("calibration")
    w, b = fit_softmax(xt, yt, len(labels))
    save_head(out or head_path(), w, b, labels)
    return HeadResult(labels, accuracy(w, b, xt, yt), accuracy(w, b, xv, yv), accuracy(w, b, xc, yc),
                      len(yt), len(yv), len(yc), L2, STEPS)


if __name__ == "__main__":
    r = train()
    print(f"train accuracy:      {r.train_accuracy:.4f} ({r.train_rows} rows)")
    print(f"validation accuracy: {r.validation_accuracy:.4f} ({r.validation_rows} rows)")
    print(f"calibration accuracy: {r.calibration_accuracy:.4f} ({r.calibration_rows} rows, also held out)")
    print(f"wrote {head_path()}")
