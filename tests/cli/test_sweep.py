"""`engine-studio sweep` on a user's export: the JSON contract scripts rely on ({"runs": [...]},
and with a peak "plan" and "plans"), the table, accuracy on the user's texts, and one-line errors
for what is asked wrongly, before anything is built."""

import json
from pathlib import Path

import pytest

from studio.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "tests" / "data" / "corpus" / "minilm_2in_pooled" / "model.onnx"
TEXTS = ROOT / "resources" / "demo" / "intents_calibration.csv"
pytestmark = pytest.mark.slow


def test_sweep_json_contract_with_a_serving_plan(tmp_path, capsys):
    out = tmp_path / "sweep.json"
    argv = ["sweep", str(MODEL), "--backend", "onnxruntime", "--precisions", "fp32,int8", "--calib", str(TEXTS),
            "--calib-column", "text", "--calib-samples", "16", "--batch", "1,4", "--passes", "1", "--warmup", "0.1",
            "--data", str(TEXTS), "--data-column", "text", "--out-dir", str(tmp_path / "builds"),
            "--peak-qps", "300", "--p99-ms", "100", "--price", "local=0.2", "--json", "-q", "-o", str(out)]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert json.loads(out.read_text()) == doc
    assert [(r["precision"], r["batch"]) for r in doc["runs"]] == [("fp32", 1), ("fp32", 4), ("int8", 1), ("int8", 4)]
    for r in doc["runs"]:
        assert {"target", "precision", "batch", "concurrency", "throughput", "latency_ms"} <= r.keys()
        assert r["target"] == "local" and r["throughput"] > 0 and r["latency_ms"]["p50"] <= r["latency_ms"]["p99"]
        # no labels given: the build's top-1 agreement with its FP32 source, on the user's texts
        assert r["accuracy"]["metric"] == "top1_agreement" and 0.5 < r["accuracy"]["value"] <= 1.0
    assert doc["failed"] == [] and doc["inputs"]["kind"] == "text"
    plan = doc["plan"]
    assert {"target", "build", "max_batch", "max_delay_ms", "devices", "cost_per_million"} <= plan.keys()
    assert plan["target"] == "local" and plan["price_per_device_hour"] == 0.2 and plan["p99_ms"] <= 100
    assert Path(plan["build"]).is_file() and len(doc["plans"]) == 1
    # the saved sweep goes into a report: its plan and rows in HTML, and back whole from JSON
    assert main(["report", str(out), "-o", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Sweep and serving plan" in page and "At a peak of 300 requests/s with P99 under 100 ms" in page
    assert page.count("&#10003;") == sum(r["pareto"] for r in doc["runs"]) >= 1
    assert main(["report", str(out), "-o", str(tmp_path / "r.json")]) == 0
    again = json.loads((tmp_path / "r.json").read_text())
    assert again["sweep"] == doc and again["sources"] == [{"path": str(out), "kind": "sweep"}]


def test_sweep_table(tmp_path, capsys):
    assert main(["sweep", str(MODEL), "--backend", "onnxruntime", "--batch", "2", "--duration", "0.2",
                 "--warmup", "0.1", "--out-dir", str(tmp_path), "--peak-qps", "50", "--p99-ms", "200", "-q"]) == 0
    text = capsys.readouterr().out
    assert "samples/s" in text and "serving plan: 50 requests/s with P99 <= 200 ms" in text
    assert "cheapest: 1 x local (CPU (" in text


@pytest.mark.parametrize("extra,needle", [
    (["--precisions", "int8"], "int8 needs calibration data: give --calib FILE"),
    (["--peak-qps", "100"], "needs both --peak-qps and --p99-ms"),
    (["--peak-qps", "100", "--p99-ms", "50", "--price", "T4=0.35"], "--price names T4, not a target of this sweep"),
    (["--targets", "a100"], "no target 'a100' here; the targets are: local"),
    (["--batch", "0"], "--batch"),
    (["--precisions", "fp7"], "fp7"),
    (["--passes", "0"], "--passes must be at least 1"),
])
def test_sweep_errors_are_one_line_and_build_nothing(tmp_path, capsys, extra, needle):
    assert main(["sweep", str(MODEL), "--backend", "onnxruntime", "--out-dir", str(tmp_path / "b"), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1
    assert not (tmp_path / "b").exists()
