"""The demo intent model (built by `make setup`) through the whole build path."""

import json

import pytest

from studio.cli.main import main
from studio.core.resources import resource

DEMO = resource("demo", "generated", "intent-minilm.onnx")
CALIB = resource("demo", "intents_calibration.csv")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not DEMO.exists(), reason="demo model not generated (make setup builds it)")]


def test_demo_model_fp32_build(tmp_path, capsys):
    out = tmp_path / "demo.engine"
    assert main(["build", str(DEMO), "-o", str(out), "--json", "--workspace", "1G"]) == 0
    doc = json.loads(capsys.readouterr().out)
    side = json.loads(open(doc["sidecar"]).read())
    assert side["input_profiles"][0] == {"name": "input_ids", "min": [1, 1], "opt": [8, 64], "max": [32, 128]}
    report = open(doc["layer_report"]).read()
    layers = [l for l in report.splitlines() if l.startswith("Name: ")]
    # ~230 ONNX nodes fuse into ~100 engine layers, nearly all naming their ONNX origins.
    assert 60 < len(layers) < 160
    assert sum("[ONNX Layer:" in l for l in layers) > 0.8 * len(layers)


def test_demo_model_int8_profiles_follow_calibration_lengths(tmp_path, capsys):
    out = tmp_path / "demo.int8.engine"
    rc = main(["build", str(DEMO), "--precision", "int8", "--calib", str(CALIB), "--calib-column", "text",
               "--calib-samples", "16", "-o", str(out), "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    side = json.loads(open(doc["sidecar"]).read())
    lengths = side["calibration"]["sequence_length"]
    prof = side["input_profiles"][0]
    assert prof["opt"][1] == max(8, -(-int(lengths["p50"]) // 8) * 8)   # the typical real length
    assert prof["max"][1] == 128                                         # the tokenizer's limit
    assert side["recipe"]["name"] == "tensorrt-qdq"
    assert "Int8" in open(doc["layer_report"]).read()
