"""Bench and accuracy results: round trips, fractions, older versions read, garbage refused,
atomic saves."""

import json

import pytest

from studio.core.bench import results
from studio.core.bench import stats
from studio.core.bench.results import AccuracyResult, BenchResult, OutputComparison, RunResult
from studio.core.errors import StudioError


def _run():
    lat = stats.summarize([1.0, 2.0, 3.0, 4.0])
    return RunResult(batch=8, concurrency=2, throughput=100.0, requests_per_s=12.5, latency_ms=lat, requests=4,
                     samples=32, duration_s=0.32, cv=lat.cv, timing_split={"compute": lat.to_dict()},
                     queue_ms=lat, batch_sizes={8: 4}, cold_start={"load_ms": 1.0, "context_ms": 2.0, "first_infer_ms": 3.0})


def test_bench_roundtrip_and_contract(tmp_path):
    b = BenchResult(model="m.onnx", backend="onnxruntime", precision="fp32", runs=[_run()])
    d = json.loads(json.dumps(b.to_dict()))
    assert d["schema_version"] == results.SCHEMA_VERSION and d["kind"] == "bench"
    run = d["runs"][0]
    for k in ("batch", "concurrency", "throughput"):
        assert k in run
    assert set(run["latency_ms"]) >= {"mean", "p50", "p90", "p95", "p99", "p99_9", "max"}
    assert "compute" in d["definitions"] and "H2D" in d["definitions"]["h2d"]
    p = tmp_path / "r.json"
    b.save(p)
    back = results.load(p)
    assert isinstance(back, BenchResult) and back.to_dict() == b.to_dict()
    assert back.runs[0].batch_sizes == {8: 4}


def test_accuracy_roundtrip_and_nan_safe(tmp_path):
    a = AccuracyResult(build="b", reference="r", backend="onnxruntime", precision="int8", samples=3,
                       outputs=[OutputComparison("logits", ["batch", 15], float("nan"), 0.1, 0.2, 0.01, 0.99, 0.9, 1, 0, 0.5)],
                       top1_agreement=0.5, accuracy=0.90, reference_accuracy=0.92, accuracy_change=-0.02, flagged=True)
    p = tmp_path / "a.json"
    a.save(p)
    text = p.read_text()
    assert "NaN" not in text                     # valid JSON: NaN becomes null
    back = results.load(p)
    assert isinstance(back, AccuracyResult) and back.flagged and back.outputs[0].max_abs_error is None


def _ratios(d):
    """Every number whose key names a ratio, anywhere in a results document."""
    out = []
    for k, v in d.items() if isinstance(d, dict) else enumerate(d):
        if isinstance(v, (dict, list)):
            out += _ratios(v)
        elif k in ("accuracy", "reference_accuracy", "accuracy_change", "threshold", "top1_agreement", "cv",
                   "cosine_min", "cosine_mean") and isinstance(v, (int, float)):
            out.append((k, v))
    return out


def test_every_ratio_is_a_fraction(tmp_path):
    """One convention for every results file: ratios are fractions 0-1 (a change -1..1)."""
    a = AccuracyResult(build="b", reference="r", backend="onnxruntime", precision="int8", samples=3,
                       top1_agreement=1.0, accuracy=0.95, reference_accuracy=0.96, accuracy_change=-0.01)
    b = BenchResult(model="m.onnx", backend="onnxruntime", precision="fp32",
                    runs=[RunResult(batch=1, concurrency=1, throughput=1.0, requests_per_s=1.0,
                                    latency_ms=stats.summarize([1.0, 9.0]), requests=2, samples=2, duration_s=1.0,
                                    cv=stats.summarize([1.0, 9.0]).cv)])
    for doc in (a.to_dict(), b.to_dict()):
        found = _ratios(doc)
        assert found and all(-1.0 <= v <= 1.0 for _, v in found), found
    assert "fraction" in a.to_dict()["definitions"]["accuracy_change"]


def test_version_1_files_are_read_in_fractions(tmp_path):
    """Files written before the fraction convention held percent; they still load, converted."""
    v1_acc = {"schema_version": 1, "kind": "accuracy", "build": "b.onnx", "reference": "r.onnx",
              "backend": "onnxruntime", "precision": "int8", "samples": 64, "outputs": [],
              "top1_agreement": 0.97, "accuracy": 91.25, "reference_accuracy": 92.5, "accuracy_change": -1.25,
              "threshold": 1.0, "flagged": True, "definitions": {"accuracy_change": "in percentage points"}}
    p = tmp_path / "old.accuracy.json"
    p.write_text(json.dumps(v1_acc))
    a = results.load(p)
    assert (a.accuracy, a.reference_accuracy, a.accuracy_change, a.threshold) == pytest.approx(
        (0.9125, 0.925, -0.0125, 0.01))
    assert a.top1_agreement == 0.97 and a.schema_version == results.SCHEMA_VERSION
    assert "fraction" in a.definitions["accuracy_change"]
    run = _run().to_dict()
    run["cv"] = run["latency_ms"]["cv"] = run["queue_ms"]["cv"] = run["timing_split"]["compute"]["cv"] = 44.7
    v1_bench = {**BenchResult(model="m", backend="x", precision="fp32").to_dict(), "schema_version": 1, "runs": [run]}
    p.write_text(json.dumps(v1_bench))
    r = results.load(p).runs[0]
    assert r.cv == r.latency_ms.cv == r.queue_ms.cv == r.timing_split["compute"]["cv"] == pytest.approx(0.447)


def test_schema_version_and_garbage_refused(tmp_path):
    p = tmp_path / "r.json"
    d = BenchResult(model="m", backend="x", precision="fp32").to_dict()
    d["schema_version"] = 99
    p.write_text(json.dumps(d))
    with pytest.raises(StudioError, match="schema version 99 is not supported"):
        results.load(p)
    p.write_text("{not json")
    with pytest.raises(StudioError, match="r.json: results file is not valid JSON"):
        results.load(p)
    p.write_text(json.dumps({"hello": 1}))
    with pytest.raises(StudioError, match="not an Engine Studio results file"):
        results.load(p)


def test_save_is_atomic(tmp_path, monkeypatch):
    p = tmp_path / "r.json"
    BenchResult(model="old", backend="x", precision="fp32").save(p)
    bad = BenchResult(model="new", backend="x", precision="fp32")
    bad.notes.append(object())                   # not serializable: the write fails midway
    with pytest.raises(TypeError):
        bad.save(p)
    assert results.load(p).model == "old"
    assert [f.name for f in tmp_path.iterdir()] == ["r.json"]
