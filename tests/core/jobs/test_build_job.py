"""The process-isolated build: real TensorRT-RTX builds in a child process, real crashes."""

import threading
import time

import onnx
import pytest
from onnx import TensorProto, helper

from studio.core.backends.base import BuildConfig, sidecar_path
from studio.core.errors import BuildError, Cancelled
from studio.core.jobs.build_job import run_build
from studio.core.jobs.child import FAULT_ENV
from studio.core.jobs.launch import live_children


def test_build_in_child_streams_progress_and_writes_sidecar(tmp_path, mlp_onnx):
    model = mlp_onnx(tmp_path / "m.onnx")
    out = tmp_path / "out" / "m.engine"
    events = []
    res = run_build(BuildConfig(model, "tensorrt", str(out)), on_event=events.append)
    assert out.is_file() and res.size_bytes == out.stat().st_size
    kinds = {e.kind for e in events}
    assert {"progress", "log"} <= kinds
    assert [e.fraction for e in events if e.kind == "progress"][-1] == 1.0
    sc = sidecar_path(out)
    assert res.sidecar == str(sc) and sc.is_file()
    assert sorted(p.name for p in out.parent.iterdir()) == ["m.engine", "m.engine.json", "m.engine.layers.txt"]
    assert live_children() == []


def test_parser_errors_cross_the_process_boundary(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    m = helper.make_model(helper.make_graph([helper.make_node("NoSuchOp", ["x"], ["y"], name="the_bad_one")],
                                            "g", [x], [y]), opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, tmp_path / "bad.onnx")
    with pytest.raises(BuildError, match="node 0 'the_bad_one' \\(NoSuchOp\\)") as ei:
        run_build(BuildConfig(str(tmp_path / "bad.onnx"), "tensorrt", str(tmp_path / "bad.engine")))
    assert ei.value.log_tail
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.onnx"]


def test_unknown_backend_is_a_clean_error(tmp_path, mlp_onnx):
    from studio.core.errors import StudioError
    with pytest.raises(StudioError, match="unknown backend 'nope'"):
        run_build(BuildConfig(mlp_onnx(tmp_path / "m.onnx"), "nope", str(tmp_path / "m.engine")))


@pytest.mark.parametrize("fault,signame", [("abort", "SIGABRT"), ("segv", "SIGSEGV"), ("kill", "SIGKILL")])
def test_a_native_crash_becomes_a_build_error_with_the_log_tail(tmp_path, monkeypatch, fault, signame, mlp_onnx):
    monkeypatch.setenv(FAULT_ENV, fault)
    out = tmp_path / "m.engine"
    with pytest.raises(BuildError) as ei:
        run_build(BuildConfig(mlp_onnx(tmp_path / "m.onnx"), "tensorrt", str(out)))
    msg = str(ei.value)
    assert signame in msg
    tail = "\n".join(ei.value.log_tail)
    assert "Input filename" in tail               # the builder's own words made it across
    if fault == "segv":
        assert "Fatal Python error" in tail       # faulthandler's stack, from the child's stderr
    if fault == "kill":
        assert "out of memory?" in msg
    assert not out.exists() and not sidecar_path(out).exists()
    assert live_children() == []
    # The caller lives on, and the next build works.
    monkeypatch.delenv(FAULT_ENV)
    assert run_build(BuildConfig(str(tmp_path / "m.onnx"), "tensorrt", str(out))).size_bytes > 0


def test_a_python_exception_in_a_backend_is_one_line_with_the_stack_in_the_tail(tmp_path, monkeypatch, mlp_onnx):
    monkeypatch.setenv(FAULT_ENV, "raise:Parsing")   # raised from a progress report in the builder
    out = tmp_path / "m.engine"
    with pytest.raises(BuildError) as ei:
        run_build(BuildConfig(mlp_onnx(tmp_path / "m.onnx"), "tensorrt", str(out)))
    assert "ImportError: the backend's import failed" in str(ei.value)
    assert "\n" not in str(ei.value) and "advice" not in str(ei.value)
    assert any("advice" in line for line in ei.value.log_tail)   # the whole text is kept
    assert not out.exists() and live_children() == []


@pytest.mark.slow
def test_cancel_mid_build_takes_effect_within_a_second_and_leaves_nothing(tmp_path, chain_onnx):
    model = chain_onnx(tmp_path / "chain.onnx")
    out = tmp_path / "out" / "chain.engine"
    cancel = threading.Event()
    when = {}

    def on_event(ev):
        if ev.kind == "progress" and ev.phase.startswith("Building engine") and "t" not in when:
            when["t"] = time.monotonic()
            cancel.set()

    with pytest.raises(Cancelled):
        run_build(BuildConfig(model, "tensorrt", str(out)), on_event=on_event, cancel=cancel)
    assert time.monotonic() - when["t"] < 5   # at once, not when the build ends
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
    assert live_children() == []


@pytest.mark.slow
def test_a_child_that_ignores_cancel_is_killed_after_five_seconds(tmp_path, monkeypatch, mlp_onnx):
    monkeypatch.setenv(FAULT_ENV, "hang")
    cancel = threading.Event()
    out = tmp_path / "m.engine"

    def on_event(ev):
        if ev.kind == "progress" and ev.phase.startswith("Building"):
            cancel.set()

    t0 = time.monotonic()
    with pytest.raises(Cancelled, match="killed"):
        run_build(BuildConfig(mlp_onnx(tmp_path / "m.onnx"), "tensorrt", str(out)), on_event=on_event, cancel=cancel)
    assert 4.5 < time.monotonic() - t0 < 12
    assert not out.exists() and live_children() == []


@pytest.mark.slow
def test_cancel_loop_leaves_no_file_and_no_process(tmp_path, chain_onnx):
    """The 50-times loop is benchmarks/bench_cancel_loop.py; a short one here."""
    model = chain_onnx(tmp_path / "chain.onnx", n=120)
    out = tmp_path / "out" / "chain.engine"
    for i in range(3):
        cancel = threading.Event()
        threading.Timer(0.3 + 0.2 * i, cancel.set).start()
        with pytest.raises(Cancelled):
            run_build(BuildConfig(model, "tensorrt", str(out)), cancel=cancel)
        assert not out.parent.exists() or list(out.parent.iterdir()) == []
        assert live_children() == []


def test_any_registered_backend_runs_in_the_child_and_gets_a_sidecar(tmp_path, mlp_onnx):
    """The job is backend-agnostic: ONNX Runtime's build goes the same way."""
    from studio.core.backends.check import check_artifact
    from studio.core.backends.sidecar import load_sidecar

    out = tmp_path / "m.ort.onnx"
    res = run_build(BuildConfig(mlp_onnx(tmp_path / "m.onnx"), "onnxruntime", str(out)))
    doc = load_sidecar(out)
    assert res.backend == doc["backend"] == "onnxruntime" and doc["library"] == "onnxruntime"
    rep = check_artifact(out)
    assert rep.trusted and rep.runs_here, rep.reasons


def test_a_crash_after_the_engine_was_renamed_into_place_leaves_nothing(tmp_path, monkeypatch, mlp_onnx):
    """The child dies after writing the engine and its layer report but before reporting:
    a complete engine without a sidecar would pass for a foreign one, so it goes too."""
    out = tmp_path / "m.engine"
    old = tmp_path / "old.engine"
    old.write_bytes(b"an older artifact elsewhere is not touched")
    monkeypatch.setenv(FAULT_ENV, "abort:Done")
    with pytest.raises(BuildError, match="SIGABRT"):
        run_build(BuildConfig(mlp_onnx(tmp_path / "m.onnx"), "tensorrt", str(out)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "old.engine"]


def test_a_deadlocked_child_is_stopped_by_the_watchdog_and_leaves_nothing(tmp_path, monkeypatch, mlp_onnx):
    """A child that goes silent and idle (a futex wait, as TensorRT-RTX did under memory
    pressure) and ignores SIGTERM is killed after the stall limit: a BuildError, not a wait forever."""
    monkeypatch.setenv(FAULT_ENV, "deadlock")
    out = tmp_path / "out" / "m.engine"
    t0 = time.monotonic()
    with pytest.raises(BuildError, match="stopped responding: no progress and no CPU use for 1.5 s") as ei:
        run_build(BuildConfig(mlp_onnx(tmp_path / "m.onnx"), "tensorrt", str(out)), stall_s=1.5)
    assert 1.5 <= time.monotonic() - t0 < 8
    assert ei.value.where == str(tmp_path / "m.onnx")
    assert "Input filename" in "\n".join(ei.value.log_tail)  # the builder's words before it stopped
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
    assert live_children() == []


@pytest.mark.slow
def test_a_busy_child_is_not_taken_for_a_stalled_one(tmp_path, monkeypatch, mlp_onnx):
    """"hang" keeps a core busy and says nothing: the watchdog must leave it to the user's cancel."""
    monkeypatch.setenv(FAULT_ENV, "hang")
    cancel = threading.Event()
    out = tmp_path / "m.engine"
    threading.Timer(3.0, cancel.set).start()
    with pytest.raises(Cancelled, match="killed"):
        run_build(BuildConfig(mlp_onnx(tmp_path / "m.onnx"), "tensorrt", str(out)), cancel=cancel, stall_s=1.0)
    assert not out.exists() and live_children() == []
