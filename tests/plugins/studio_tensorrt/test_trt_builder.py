"""Real TensorRT-RTX builds (CPU, ahead of time) of onnx.helper models, in this process."""

import json

import pytest

from studio.core.backends.base import BuildConfig, ShapeProfile
from studio.core.errors import BuildError, Cancelled, StudioError
from studio.core.progress import TaskState
from studio_tensorrt.builder import build_engine, layer_report_path
from studio_tensorrt.library import load_library


def _state(events):
    return TaskState(events.append, min_interval=0.0)


def test_fp32_build_writes_engine_and_layer_report(mlp_model, tmp_path):
    out = tmp_path / "out" / "mlp.engine"
    events = []
    res = build_engine(BuildConfig(str(mlp_model), "tensorrt", str(out)), _state(events))
    assert out.is_file() and out.stat().st_size == res.size_bytes > 0
    assert out.read_bytes()[:4] == b"vtrt"
    report = layer_report_path(out).read_text()
    assert res.layer_report == str(layer_report_path(out))
    # The fused layer names the three ONNX nodes it absorbed.
    assert report.startswith("Layers:")
    # (TensorRT-RTX separates the entries with \x1f, the ASCII unit separator.)
    assert "[ONNX Layer: mm]\x1f[ONNX Layer: add]\x1f[ONNX Layer: relu]" in report
    fractions = [e.fraction for e in events if e.kind == "progress"]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    phases = {e.phase for e in events if e.kind == "progress"}
    assert any("Building engine" in p for p in phases)
    md = res.metadata
    assert md["library"] == "tensorrt_rtx" and md["artifact_sha256"]
    assert md["input_profiles"] == [{"name": "x", "min": [1, 16], "opt": [8, 16], "max": [32, 16]}]
    assert md["target_compute_capabilities"] == ["8.0", "8.6", "8.9", "12.0", "12.1"]
    json.dumps(res.to_dict())
    # Nothing but the engine and its report.
    assert sorted(p.name for p in out.parent.iterdir()) == ["mlp.engine", "mlp.engine.layers.txt"]


def test_parser_error_lists_every_node_and_writes_nothing(unsupported_model, tmp_path):
    out = tmp_path / "bad.engine"
    with pytest.raises(BuildError) as ei:
        build_engine(BuildConfig(str(unsupported_model), "tensorrt", str(out)), TaskState())
    msg = str(ei.value)
    assert "2 error(s)" in msg
    assert "node 1 'frob_1' (FrobnicateOp)" in msg and "node 2 'wibble_2' (WibbleOp)" in msg
    assert len(ei.value.log_tail) == 2
    assert list(tmp_path.iterdir()) == [unsupported_model]


def test_workspace_too_small_surfaces_the_builders_words(big_matmul_model, tmp_path):
    out = tmp_path / "big.engine"
    with pytest.raises(BuildError) as ei:
        build_engine(BuildConfig(str(big_matmul_model), "tensorrt", str(out), workspace=1), TaskState())
    assert "workspace" in str(ei.value).lower()
    assert not out.exists()


def test_profile_contradicting_the_model_is_refused_before_building(mlp_model, tmp_path):
    out = tmp_path / "m.engine"
    for spec, words in (("x:1x8,2x16,4x16", "fixed at 16"), ("nope:1x16,2x16,4x16", "model's inputs are x"),
                        ("x:1,2,4", "rank 1")):
        with pytest.raises(StudioError, match=words):
            build_engine(BuildConfig(str(mlp_model), "tensorrt", str(out), profiles=[ShapeProfile.parse(spec)]),
                         TaskState())
    assert not out.exists()


def test_user_profile_and_opt_level_are_used(mlp_model, tmp_path):
    out = tmp_path / "m.engine"
    res = build_engine(BuildConfig(str(mlp_model), "tensorrt", str(out), optimization_level=0, workspace=1 << 26,
                                   profiles=[ShapeProfile.parse("x:2x16,4x16,64x16")]), TaskState())
    assert res.metadata["input_profiles"] == [{"name": "x", "min": [2, 16], "opt": [4, 16], "max": [64, 16]}]
    report = layer_report_path(out).read_text()
    assert "Layers:" in report


def test_timing_cache_is_reported_as_a_noop_on_tensorrt_rtx(mlp_model, tmp_path):
    assert load_library().is_rtx
    tc = tmp_path / "tc.bin"
    events = []
    res = build_engine(BuildConfig(str(mlp_model), "tensorrt", str(tmp_path / "m.engine"), timing_cache=str(tc)),
                       _state(events))
    assert res.timing_cache_hit is None
    assert "no-ops" in res.metadata["timing_cache"]["note"]
    assert any("no-ops" in w for w in res.warnings)
    assert any(e.kind == "log" and e.level == "warning" and "timing cache" in e.message for e in events)
    assert not tc.exists()


def test_cancel_before_the_builder_starts(mlp_model, tmp_path):
    state = TaskState()
    state.cancel()
    with pytest.raises(Cancelled):
        build_engine(BuildConfig(str(mlp_model), "tensorrt", str(tmp_path / "m.engine")), state)
    assert not (tmp_path / "m.engine").exists()


def test_progress_monitor_false_stops_the_builder(mlp_model, tmp_path):
    """Cancel from inside the first builder progress event: step_complete answers False."""
    state = TaskState(min_interval=0.0)
    seen = []

    def on_event(ev):
        seen.append(ev)
        if ev.kind == "progress" and ev.phase.startswith("Building engine") and ev.fraction and ev.fraction > 0.1:
            state.cancel()

    state._on_event = on_event
    with pytest.raises(Cancelled):
        build_engine(BuildConfig(str(mlp_model), "tensorrt", str(tmp_path / "m.engine")), state)
    assert list(tmp_path.glob("m.engine*")) == []


def test_missing_model_is_a_model_error(tmp_path):
    with pytest.raises(StudioError, match="not found"):
        build_engine(BuildConfig(str(tmp_path / "none.onnx"), "tensorrt", str(tmp_path / "m.engine")), TaskState())


def test_external_data_leaving_the_model_folder_is_refused_before_parsing(tmp_path):
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    from studio.core.errors import ModelError

    outside = tmp_path / "outside.bin"
    outside.write_bytes(np.ones(16, np.float32).tobytes())
    folder = tmp_path / "model"
    folder.mkdir()
    w = numpy_helper.from_array(np.ones((4, 4), np.float32), "W")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "../outside.bin"), ("offset", "0"), ("length", "64")):
        e = w.external_data.add()
        e.key, e.value = k, v
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 4])
    m = helper.make_model(helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], "g", [x], [y], [w]),
                          opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    (folder / "m.onnx").write_bytes(m.SerializeToString())
    with pytest.raises(ModelError, match="W"):
        build_engine(BuildConfig(str(folder / "m.onnx"), "tensorrt", str(folder / "m.engine")), TaskState())
    assert not (folder / "m.engine").exists()
