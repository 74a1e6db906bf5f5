"""ensure_demo_model(): builds once, beside its tokenizer and labels, rebuilds only when stale."""

import json

import numpy as np
import onnxruntime as ort
import pytest

from studio.core.data.tokenizer import TextTokenizer
from studio.core.demo import paths


@pytest.fixture
def generated(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "generated_dir", lambda: tmp_path / "generated")
    return tmp_path / "generated"


@pytest.mark.slow
def test_ensure_builds_once_and_the_model_classifies(generated):
    path = paths.ensure_demo_model()
    assert path == generated / "intent-minilm.onnx"
    labels = paths.demo_labels_path().read_text().split()
    assert len(labels) >= 15
    mtime = path.stat().st_mtime_ns
    assert paths.ensure_demo_model() == path and path.stat().st_mtime_ns == mtime  # no rebuild

    tok = TextTokenizer(paths.demo_tokenizer_path())
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    texts = ["i need to talk to a real person", "my card got declined when paying"]
    (logits,) = sess.run(["logits"], tok.encode(texts))
    assert [labels[i] for i in np.argmax(logits, 1)] == ["talk_to_human", "payment_failed"]

    # A stale stamp (say the head changed) means a rebuild.
    stamp = generated / paths.STAMP_NAME
    stamp.write_text(json.dumps({"fingerprint": "old"}))
    paths.ensure_demo_model()
    assert json.loads(stamp.read_text())["fingerprint"] == paths.demo_fingerprint()
    assert not [p for p in generated.iterdir() if p.name.endswith(".part")]
