import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "studio", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=60, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})


def test_window_with_a_missing_file_is_a_one_line_error():
    r = _cli("window", "no/such/model.onnx")
    assert r.returncode == 2
    assert r.stderr.strip() == "engine-studio: error: no/such/model.onnx: no such file"


def test_demo_rejects_a_bad_duration():
    r = _cli("demo", "--bench-seconds", "0")
    assert r.returncode == 2 and "--bench-seconds must be more than 0" in r.stderr


def test_cli_modules_do_not_import_qt_until_run():
    code = ("import sys; import studio.cli.main as m; m.make_parser(); "
            "print(any(k.startswith('PySide6') for k in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.stdout.strip() == "False", r.stderr


def test_demo_with_a_model_needs_its_validation_data(tmp_path):
    model = ROOT / "tests" / "data" / "corpus" / "bert_ts17_sdpa" / "model.onnx"
    r = _cli("demo", "--model", str(model), "--out", str(tmp_path))
    assert r.returncode == 2 and "--data is needed with --model" in r.stderr


@pytest.mark.slow
def test_demo_tells_a_users_models_story_with_the_users_files(tmp_path):
    """The real window, offscreen, driven through the whole story on a torch SDPA export with its
    own tokenizer and the user's texts; no label column, so accuracy is agreement with the source."""
    corpus = ROOT / "tests" / "data" / "corpus" / "bert_ts17_sdpa"
    data = ROOT / "resources" / "demo" / "intents_validation.csv"
    calib = ROOT / "resources" / "demo" / "intents_calibration.csv"
    r = subprocess.run([sys.executable, "-m", "studio", "demo", "--model", str(corpus / "model.onnx"),
                        "--tokenizer", str(corpus / "tokenizer.json"), "--calib", str(calib), "--calib-column", "text",
                        "--data", str(data), "--data-column", "text", "--bench-seconds", "0.5", "--out", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=600,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                            "ENGINE_STUDIO_SETTINGS": str(tmp_path / "settings.ini")})
    assert r.returncode == 0, r.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["model"] == str(corpus / "model.onnx") and summary["errors_shown"] == []
    assert set(summary["layers_after_fusion"]) == {"model.fp32.engine", "model.fp16.engine", "model.int8.engine",
                                                   "model.fp32.ort.onnx", "model.int8.ort.onnx"}
    assert all(n > 10 for n in summary["layers_after_fusion"].values())
    assert {f["top1_agreement"] for f in summary["accuracy"].values()} and all(
        f["top1_agreement"] > 0.8 for f in summary["accuracy"].values())
    assert all(Path(s["screenshot"]).is_file() for s in summary["steps"])
