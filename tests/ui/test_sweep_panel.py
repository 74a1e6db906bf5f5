"""The Targets and sweep panel on a user's export: the machine's targets listed, a sweep run from
the window through the session with its rows streaming into the table and the plot (each
target's Pareto front), the serving plan shown, and a wrong entry refused with one line."""

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "tests" / "data" / "corpus" / "bert_ts17_eager" / "model.onnx"


@pytest.mark.slow
def test_a_sweep_from_the_window_streams_rows_and_shows_the_plan(qtbot, window, open_model, tmp_path):
    model = Path(shutil.copytree(MODEL.parent, tmp_path / "user")) / MODEL.name   # its builds land beside it
    open_model(window, str(model))
    window.build_panel.select_backend("onnxruntime")
    window.build_panel.select_precision("fp32")
    panel = window.sweep
    with qtbot.waitSignal(panel.targets_loaded, timeout=60000) as sig:
        panel.load_targets()
    assert [t.name for t in sig.args[0]] == ["local"] and panel.target_table.rowCount() == 1
    assert panel.target_table.item(0, 3).text() and panel.chosen_targets() == ["local"]
    panel.precisions.setText("fp32")
    panel.batches.setText("1,2")
    panel.passes.setValue(1)   # each batch of the inputs once, for every build
    assert panel.settings()["passes"] == 1
    panel.peak.setValue(100)
    panel.p99.setValue(100)
    rows = []
    panel.run_added.connect(lambda r: rows.append(panel.table.rowCount()))
    with qtbot.waitSignal(panel.finished, timeout=120000) as done:
        panel.run_btn.click()
    result = done.args[0]
    assert rows == [1, 2]                           # each row arrived as it was measured
    assert window.session.sweep_result is result and len(result.runs) == 2
    assert [panel.table.item(r, 2).text() for r in range(2)] == ["1", "2"]
    assert len(panel.plot.getPlotItem().listDataItems()) == 2    # the points and the Pareto line
    assert "local: 1 x CPU (" in panel.plan.text()
    assert Path(result.runs[0].build).parent == model.with_name("model-sweep") / "local"
    assert window.session.report().sweep is result          # the report the window exports holds it
    assert not window.errors.history


def test_a_wrong_entry_is_refused_before_anything_runs(qtbot, window, open_model):
    open_model(window, str(MODEL))
    window.build_panel.select_backend("onnxruntime")
    window.sweep.batches.setText("1,zero")
    window.guard(window.workflow.run_sweep)
    assert window.errors.history and "zero" in window.errors.history[-1]
    assert window.sweep.task is None and window.sweep.run_btn.isEnabled()


@pytest.mark.slow
def test_the_compatibility_matrix_shows_which_build_runs_where(qtbot, window, open_model, tiny_model):
    open_model(window, tiny_model)
    built = {}
    for backend in ("tensorrt", "onnxruntime"):
        window.build_panel.select_backend(backend)
        window.build_panel.select_precision("fp32")
        with qtbot.waitSignal(window.build_panel.built, timeout=120000) as sig:
            window.build_panel.start_build()
        built[backend] = sig.args[0]
    panel = window.sweep
    with qtbot.waitSignal(panel.targets_loaded, timeout=60000):
        panel.load_targets()
    task = window.workflow.check_compatibility()
    qtbot.waitUntil(lambda: not task.running and panel.check_btn.isEnabled(), timeout=60000)
    assert task.error is None, task.error
    m = panel.matrix
    assert (m.rowCount(), m.columnCount()) == (2, 1) and m.horizontalHeaderItem(0).text() == "local"
    rows = {m.verticalHeaderItem(r).text(): m.item(r, 0).text() for r in range(2)}
    engine = Path(built["tensorrt"].result.output).name
    assert rows[Path(built["onnxruntime"].result.output).name] == "runs"
    assert rows[engine].startswith("no: ") and len(rows[engine]) > 8      # this machine's reason, e.g. no GPU
    assert "1 of 2" in panel.status.text()
