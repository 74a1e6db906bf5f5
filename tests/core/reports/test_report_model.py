"""Report assembly from real inputs (inspect --json, ORT benchmarks through the harness, an
accuracy check) and from hand-written sidecars; the speedup arithmetic; refusals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from studio.core.errors import StudioError
from studio.core.bench import results
from studio.core.reports.environment import collect_environment
from studio.core.reports.inputs import assemble_report, classify
from studio.core.reports.report_model import (
    BenchInfo, Report, compute_speedup, cost_per_million,
)

from importlib.util import module_from_spec, spec_from_file_location

_spec = spec_from_file_location("_ri_model", Path(__file__).with_name("report_inputs.py"))
ri = module_from_spec(_spec)
_spec.loader.exec_module(ri)


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    return ri.real_inputs(tmp_path_factory.mktemp("real"))


def test_report_from_real_runs_has_every_section(real):
    rep = assemble_report([str(real[k]) for k in ("summary", "sidecar", "bench32", "bench16", "accuracy")],
                          title="T", price_per_device_hour=3.0)
    # model summary: the real inspect --json of the helper model
    assert rep.model is not None
    assert [t.name for t in rep.model.inputs] == ["x"] and rep.model.inputs[0].shape == ["batch", 16]
    assert rep.model.op_histogram == {"MatMul": 2, "Add": 1, "Relu": 1}
    assert rep.model.parameters == 16 * 32 + 32 + 32 * 4
    # build from the real build's sidecar, fused-graph stats from its layer report
    (b,) = rep.builds
    side = json.loads(real["sidecar"].read_text())
    assert b.precision == "fp32" and b.size_bytes == side["artifact"]["size_bytes"] > 0
    assert b.build_seconds == side["build_seconds"] and b.library.startswith("tensorrt_rtx ")
    assert b.config["profiles"][0]["name"] == "x"
    assert b.layers_before == 4 and 1 <= b.layers_after < 4
    assert [(p.pattern, p.count) for p in b.fusion_patterns] == [("MatMul+Add+Relu", 1)]
    assert b.fused_layers[0].nodes == 3 and b.precision_per_layer.get("fp32")
    # benchmarks: the numbers are the results file's, headline = highest request rate
    saved = results.load(real["bench32"])
    b32 = next(x for x in rep.benchmarks if x.precision == "fp32")
    head = max(saved.runs, key=lambda r: r.requests_per_s)
    assert b32.throughput == head.requests_per_s
    assert b32.latency_ms["p99"] == head.latency_ms.p99
    assert b32.latency_ms["p50"] <= b32.latency_ms["p99"] <= b32.latency_ms["max"]
    assert len(b32.curve) == 2 and b32.curve[0].throughput <= b32.curve[1].throughput
    assert sum(b32.histogram["counts"]) == head.requests
    assert set(b32.cold_start_ms) >= {"load_ms", "context_ms", "first_infer_ms"}
    # accuracy: fractions, as the results file holds them, and what it was scored on
    (a,) = rep.accuracy
    acc = results.load(real["accuracy"])
    assert a.top1_agreement == acc.top1_agreement
    assert a.accuracy == pytest.approx(acc.accuracy) and 0 < a.accuracy <= 1
    assert a.inputs == "synthetic token ids, 64 tokens (not real texts)"
    assert a.max_abs_error == pytest.approx(acc.max_abs_error) and a.max_abs_error > 0
    # speedup: baseline FP32 vs the best run
    sp = rep.speedup
    b16 = next(x for x in rep.benchmarks if x.precision == "fp16")
    best = max((b32, b16), key=lambda x: x.throughput)
    assert sp.best == best.label
    # two equally small models: either may win; with FP32 fastest there is no FP32 baseline left
    if best is b16:
        assert sp.baseline == b32.label and sp.throughput_ratio >= 1.0
    else:
        assert sp.baseline == b16.label and any("No FP32" in n for n in rep.notes)
    assert sp.price_per_device_hour == 3.0 and "$3.00 per device-hour of" in sp.assumption
    assert sp.best_cost_per_million == pytest.approx(3.0 / (best.throughput * 3600) * 1e6)
    # environment of this machine
    env = rep.environment
    assert env.cores and env.cpu and env.libraries["onnxruntime"] and env.libraries["numpy"]
    assert [s.kind for s in rep.sources] == ["model", "build", "benchmark", "benchmark", "accuracy"]


def test_build_alone_from_a_real_build(real, tmp_path):
    rep = assemble_report([str(real["sidecar"]).removesuffix(".json")])   # the artifact itself
    assert rep.builds[0].layers_after and rep.model is not None   # model read from the build's source


def test_one_build_alone_is_a_report(tmp_path):
    model = ri.tiny_model(tmp_path / "m.onnx")
    ri.sidecar(tmp_path / "m.engine", model, precision="int8")
    rep = assemble_report([str(tmp_path / "m.engine")])   # the artifact; its sidecar is beside it
    assert len(rep.builds) == 1 and not rep.benchmarks and rep.speedup is None
    # the build's source model is summarized when it is still there
    assert rep.model is not None and rep.model.nodes == 4
    assert any("source model" in n for n in rep.notes)


def test_onnx_model_alone_is_a_report(tmp_path):
    model = ri.tiny_model(tmp_path / "m.onnx")
    rep = assemble_report([str(model)])
    assert rep.model.nodes == 4 and rep.model.opsets == {"ai.onnx": 17}


def test_sidecar_without_layer_report_still_reports_the_build(tmp_path):
    model = ri.tiny_model(tmp_path / "m.onnx")
    ri.sidecar(tmp_path / "m.engine", model, precision="fp16")
    rep = assemble_report([str(tmp_path / "m.engine.json")])
    (b,) = rep.builds
    assert b.artifact == str(tmp_path / "m.engine") and b.size_bytes == 4096
    assert b.layers_after is None and b.fusion_patterns == [] and b.library == "tensorrt_rtx 1.7.1"


@pytest.mark.parametrize("content,needle", [
    (None, "no such file"),
    ("not json", "not a result"),
    ('{"hello": 1}', "not a result"),
    ('[1, 2]', "not a result"),
    ('{"kind": "bench", "schema_version": 99}', "schema version"),
    ('{"kind": "bench", "schema_version": 1, "model": "m"}', "not a valid BenchResult: $.backend: missing"),
])
def test_bad_input_names_the_file(tmp_path, content, needle):
    p = tmp_path / "r.json"
    if content is not None:
        p.write_text(content, encoding="utf-8")
    with pytest.raises(StudioError) as e:
        assemble_report([str(p)])
    assert needle in str(e.value) and str(p) in str(e.value)


def test_artifact_without_sidecar_and_folder_are_refused(tmp_path):
    (tmp_path / "x.engine").write_bytes(b"junk")
    with pytest.raises(StudioError, match="no build sidecar"):
        assemble_report([str(tmp_path / "x.engine")])
    with pytest.raises(StudioError, match="folder"):
        assemble_report([str(tmp_path)])


def test_negative_or_nan_price_is_refused(tmp_path):
    model = ri.tiny_model(tmp_path / "m.onnx")
    for bad in (-1.0, math.nan, math.inf):
        with pytest.raises(StudioError, match="price"):
            assemble_report([str(model)], price_per_device_hour=bad)


def _bench(label, precision, thr, p99, backend="tensorrt", device="H100"):
    return BenchInfo(label=label, precision=precision, throughput=thr, latency_ms={"p99": p99},
                     backend=backend, device=device)


def test_speedup_baseline_is_fp32_and_best_is_fastest():
    runs = [_bench("fp32", "fp32", 100.0, 20.0), _bench("fp16", "fp16", 300.0, 8.0),
            _bench("int8", "int8", 450.0, 5.0)]
    sp, notes = compute_speedup(runs, 2.5)
    assert (sp.baseline, sp.best) == ("fp32", "int8")
    assert sp.throughput_ratio == pytest.approx(4.5)
    assert sp.p99_saved_ms == pytest.approx(15.0)
    assert sp.baseline_cost_per_million == pytest.approx(2.5 / 360000 * 1e6)   # $6.94
    assert sp.best_cost_per_million == pytest.approx(2.5 / (450 * 3600) * 1e6)
    assert notes == []


def test_speedup_without_fp32_says_so_and_one_run_has_none():
    sp, notes = compute_speedup([_bench("a", "fp16", 100, 3), _bench("b", "int8", 200, 2)], 2.5)
    assert sp.baseline == "a" and any("No FP32" in n for n in notes)
    assert compute_speedup([_bench("a", "fp32", 100, 3)], 2.5) == (None, [])
    sp, notes = compute_speedup([_bench("a", "fp32", 100, 3, device="cpu"), _bench("b", "fp16", 200, 2)], 2.5)
    assert not sp.same_device and any("different devices" in n for n in notes)


def test_cost_per_million():
    assert cost_per_million(1000.0, 3.6) == pytest.approx(1.0)
    assert cost_per_million(0.0, 3.6) is None and cost_per_million(None, 3.6) is None


def test_classify_knows_what_the_studio_writes_and_nothing_else():
    assert classify({"kind": "engine-studio-artifact"}) == "build"
    assert classify({"kind": "bench", "schema_version": 1}) == "benchmark"
    assert classify({"kind": "accuracy", "schema_version": 1}) == "accuracy"
    assert classify({"inputs": [], "op_histogram": {}, "nodes": 3}) == "model"    # inspect --json
    assert classify({"schema": "engine-studio/report"}) == "report"
    assert classify({"x": 1}) is None and classify([1]) is None
    # shapes no producer of the studio writes are not guessed at
    assert classify({"latency_ms": {"p50": 1.0}, "throughput": 10}) is None
    assert classify({"kind": "bench"}) is None


def test_report_dict_round_trip(real):
    rep = assemble_report([str(real[k]) for k in ("summary", "sidecar", "bench32", "bench16", "accuracy")])
    again = Report.from_dict(json.loads(json.dumps(rep.to_dict())))
    assert again == rep


def test_environment_names_libraries():
    env = collect_environment()
    assert set(env.libraries) >= {"onnxruntime", "tensorrt_rtx", "tensorrt", "numpy", "onnx", "engine-studio"}
    assert env.libraries["tensorrt"] is None or isinstance(env.libraries["tensorrt"], str)


JUNK = [None, "x", -1, 1e308, [], {}, {"a": [1]}, True, "<script>alert(1)</script>", 10**30]


def _paths(obj, prefix=()):
    """Every key/index path inside a JSON value."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:3]):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


@pytest.mark.slow
def test_mutated_inputs_give_a_report_or_one_studio_error(real, tmp_path):
    """Seeded mutations of real result files: each one either becomes a report that renders to
    HTML and validates as JSON, or is refused with a StudioError naming the file; never a crash."""
    import random
    from studio.core.reports.html import render_html
    from studio.core.reports.json_report import dumps
    rng = random.Random(1234)
    sources = {k: json.loads(real[k].read_text()) for k in ("summary", "sidecar", "bench32", "accuracy")}
    outcomes = {"report": 0, "refused": 0}
    for i in range(160):
        key = rng.choice(sorted(sources))
        doc = json.loads(json.dumps(sources[key]))
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(list(_paths(doc)))
            parent = doc
            for p in path[:-1]:
                parent = parent[p]
            parent[path[-1]] = rng.choice(JUNK)
        f = tmp_path / f"m{i}.json"
        f.write_text(json.dumps(doc), encoding="utf-8")
        try:
            rep = assemble_report([str(f)])
        except StudioError as e:
            assert str(f) in str(e), str(e)
            outcomes["refused"] += 1
            continue
        render_html(rep)
        try:
            dumps(rep)
        except StudioError as e:
            raise AssertionError(f"{key} mutated to {doc} gave an invalid report: {e}") from None
        outcomes["report"] += 1
    assert outcomes["report"] > 20 and outcomes["refused"] > 5, outcomes


def test_gpu_and_driver_from_recorded_nvidia_smi():
    """Output recorded from `nvidia-smi --query-gpu=name,driver_version --format=csv,noheader`
    on an H100 machine (this machine has no GPU; the query itself is what gpu_info runs)."""
    from studio.core.reports.environment import parse_nvidia_smi
    out = (Path(__file__).with_name("fixtures") / "nvidia-smi-h100.csv").read_text()
    assert parse_nvidia_smi(out) == ("NVIDIA H100 80GB HBM3", "580.159.04")
    assert parse_nvidia_smi(out * 2) == ("2 x NVIDIA H100 80GB HBM3", "580.159.04")
    assert parse_nvidia_smi("") == (None, None)
    assert parse_nvidia_smi("NVIDIA A10G, 535.1\nNVIDIA L4, 535.1\n")[0] == "NVIDIA A10G, NVIDIA L4"
