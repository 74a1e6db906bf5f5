"""The build panel's main path and error paths with the real TensorRT-RTX builder (CPU) and
ONNX Runtime; nothing here is mocked."""

import os
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from studio.core.jobs.launch import live_children


def _build(qtbot, window, backend, precision, timeout=120000):
    panel = window.build_panel
    panel.select_backend(backend)
    panel.select_precision(precision)
    with qtbot.waitSignal(panel.built, timeout=timeout) as sig:
        assert panel.start_build() is not None
    return sig.args[0]


@pytest.mark.slow
def test_tensorrt_build_lists_it_and_shows_the_fused_graph_with_cross_highlight(qtbot, window, tiny_model, open_model):
    open_model(window, tiny_model)
    entry = _build(qtbot, window, "tensorrt", "fp32")
    assert Path(entry.result.output).is_file() and entry.result.output.endswith(".engine")
    assert window.build_panel.progress.format() == "done"
    assert "built" in window.build_panel.log.toPlainText()
    assert [e.key for e in window.builds.entries] == [entry.key]
    assert window.builds.table.item(0, 2).text() == "FP32"
    qtbot.waitUntil(lambda: window.graphs.after.ready, timeout=30000)
    plan = window.plans[entry.key]
    after = window.graphs.after
    assert len(after.graph.nodes) == len(plan.layers)
    # a fused layer (absorbing several ONNX nodes) lights those nodes up in the before view
    link = window.graphs.link
    fused = max(plan.layers, key=lambda layer: len(link.nodes_for_layer(layer.name)))
    absorbed = link.nodes_for_layer(fused.name)
    assert len(absorbed) >= 2
    after.select(fused.name)
    lit = {window.graphs.before.layout_result.ids[i] for i in window.graphs.before.nodes_item.highlighted}
    assert lit == set(absorbed)
    # and selecting one of those ONNX nodes lights up the layer that absorbed it
    window.graphs.before.select(absorbed[0])
    lit_after = {after.layout_result.ids[i] for i in after.nodes_item.highlighted}
    assert lit_after == {link.layer_for_node(absorbed[0])}
    assert window.details.rows()["Engine layer"] == link.layer_for_node(absorbed[0])
    # colour by precision uses the plan's precisions
    window.graphs.set_color_mode("precision")
    assert "fp32" in {k.lower() for k in after.nodes_item.legend}
    # the engine cannot run here: listed for benchmarks but greyed out with the reason
    item = window.bench.build_list.item(0)
    assert not (item.flags() & Qt.ItemIsEnabled)
    assert "cannot run here" in item.toolTip()


@pytest.mark.slow
def test_cancelled_build_leaves_nothing_behind(qtbot, window, tiny_model, open_model):
    open_model(window, tiny_model)
    panel = window.build_panel
    panel.select_backend("tensorrt")
    panel.select_precision("fp16")
    out = Path(panel.make_config().output)
    with qtbot.waitSignal(panel.cancelled, timeout=30000):
        panel.start_build()
        qtbot.wait(300)
        panel.cancel_build()
    assert panel.progress.format() == "cancelled"
    assert not out.exists() and not Path(str(out) + ".json").exists()
    assert window.builds.entries == []
    assert not live_children()
    assert window.errors.history == []


def test_bad_calibration_file_names_file_and_line(qtbot, window, tiny_model, open_model, tmp_path):
    open_model(window, tiny_model)
    bad = tmp_path / "calib.jsonl"
    bad.write_text('{"text": "where is my order"}\n{"text": "refund please"\nnot json at all\n')
    panel = window.build_panel
    panel.calib.setText(str(bad))
    with qtbot.waitSignal(panel.failed, timeout=10000) as sig:
        panel.preview_calibration()
    msg = sig.args[0]
    assert "calib.jsonl:2" in msg and "\n" not in msg
    assert msg in window.errors.history


def test_calibration_preview_shows_rows_and_token_ids(qtbot, window, tiny_model, open_model, tmp_path):
    open_model(window, tiny_model)
    good = tmp_path / "calib.csv"
    good.write_text("text,intent\nwhere is my order,track\nI want a refund,refund\ncancel it,cancel\n")
    panel = window.build_panel
    panel.calib.setText(str(good))
    task = panel.preview_calibration()
    qtbot.waitUntil(lambda: not task.running and panel.preview_table.rowCount() == 3, timeout=10000)
    texts = {panel.preview_table.item(r, 1).text() for r in range(3)}
    assert "where is my order" in texts
    ids = panel.preview_table.item(0, 2).text().split()
    assert ids[0] == "101"         # [CLS] of the real tokenizer
    assert "3 samples" in panel.calib_info.text()


def test_unavailable_precision_is_greyed_with_the_reason(window):
    panel = window.build_panel
    panel.select_backend("onnxruntime")
    i = panel.precision.findData("bf16")
    item = panel.precision.model().item(i)
    assert not item.isEnabled()
    assert "bf16" in item.toolTip()
    with pytest.raises(Exception, match="not available"):
        panel.select_precision("bf16")
    assert "runs here" in panel.runs_here.text()
    panel.select_backend("tensorrt")
    assert "cannot run here" in panel.runs_here.text()


def test_build_options_from_the_window_reach_the_backend_and_bad_ones_fail_clearly(qtbot, window, tiny_model,
                                                                                  open_model):
    open_model(window, tiny_model)
    panel = window.build_panel
    panel.select_backend("onnxruntime")
    panel.select_precision("fp32")
    panel.options.setText("ort_ffn_chunk_bytes=0  ort_optimization=basic")
    assert panel.make_config().options == {"ort_ffn_chunk_bytes": 0, "ort_optimization": "basic"}
    panel.options.setText("verbose")
    with qtbot.waitSignal(panel.failed, timeout=5000) as sig:
        assert panel.start_build() is None
    assert "KEY=VALUE (got 'verbose')" in sig.args[0]
    panel.options.setText("ort_ffn_chunk_byte=0")  # a typo the backend refuses, in its child process
    with qtbot.waitSignal(panel.failed, timeout=60000) as sig:
        assert panel.start_build() is not None
    assert "unknown build option 'ort_ffn_chunk_byte' for backend onnxruntime" in sig.args[0]
    assert window.builds.entries == []


def test_a_backend_that_fails_to_load_is_greyed_with_the_reason(window, monkeypatch):
    from studio.core.errors import StudioError
    from studio.ui import build_panel as bp
    real = bp.backend_choices

    def with_broken():
        return real() + [("broken", None, str(StudioError("backend 'broken' failed to load: ImportError: no libfoo")))]
    monkeypatch.setattr(bp, "backend_choices", with_broken)
    panel = window.build_panel
    panel.load_backends()
    i = panel.backend.findData("broken")
    item = panel.backend.model().item(i)
    assert not item.isEnabled() and "no libfoo" in item.toolTip()
    with pytest.raises(StudioError, match="cannot be used"):
        panel.select_backend("broken")


@pytest.mark.slow
def test_closing_the_window_mid_build_cancels_and_waits(qtbot, tiny_model, tmp_path):
    """Run in a fresh interpreter: a 'QThread destroyed while running' abort or a crash at exit
    would show as a non-zero status there, not be hidden by pytest's own process."""
    script = tmp_path / "close_mid_build.py"
    script.write_text(f"""
import os, sys, time
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
from studio.ui.main_window import MainWindow
from studio.ui.settings import Settings
win = MainWindow(settings=Settings({str(tmp_path / 's.ini')!r}), modal_errors=False)
win.build_panel.output_dir = {str(tmp_path / 'builds')!r}
win.show()
win.open_path({tiny_model!r})
t0 = time.time()
while not win.graphs.before.ready and time.time() - t0 < 60:
    app.processEvents(); time.sleep(0.01)
win.build_panel.select_backend("tensorrt")
task = win.build_panel.start_build()
# Close while the builder itself is working (its progress monitor has reported a phase),
# not at a fixed time: a tiny build takes under a second on an idle machine.
t0 = time.time()
while time.time() - t0 < 60 and not (0 < win.build_panel.progress.value() < 1000):
    app.processEvents(); time.sleep(0.002)
assert task.running, "the build should still be running"
win.close()
assert not task.running
from studio.core.jobs.launch import live_children
assert live_children() == []
app.processEvents()
del win
app.quit()
# Closing may land just after the engine was renamed into place (a tiny build takes ~1 s):
# then the build is complete, sidecar included. What must never stay is a part-written file
# or an engine without its sidecar.
out = Path({str(tmp_path / 'builds')!r})
parts = [p.name for p in out.glob('.*.part')] if out.exists() else []
orphans = [p.name for p in out.glob('*.engine') if not Path(str(p) + '.json').exists()] if out.exists() else []
print("CLOSED-OK", parts, orphans)
""")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    r = subprocess.run([os.sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "CLOSED-OK [] []" in r.stdout
    assert "QThread" not in r.stderr


@pytest.mark.slow
def test_a_failed_build_says_which_node_failed(qtbot, window, tmp_path, open_model):
    import onnx
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["h"], name="ok_relu"),
                               helper.make_node("FrobnicateTensor", ["h"], ["y"], name="the_bad_node",
                                                domain="com.example")], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    path = tmp_path / "bad_op.onnx"
    onnx.save(model, str(path))
    open_model(window, str(path))
    panel = window.build_panel
    panel.select_backend("tensorrt")
    panel.select_precision("fp32")
    out = Path(panel.make_config().output)
    with qtbot.waitSignal(panel.failed, timeout=60000) as sig:
        panel.start_build()
    msg = sig.args[0]
    assert "the_bad_node" in msg and "\n" not in msg
    assert msg in window.errors.history
    assert panel.progress.format() == "failed" and not out.exists()
    qtbot.waitUntil(lambda: panel.build_btn.isEnabled(), timeout=5000)
