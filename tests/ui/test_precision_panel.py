"""Find precision in the window, on a torch-exported BERT of the corpus: the search runs in the
background, its sensitivity fills a sorted table and a colour mode of the graph, a row selects its
node, and its keep-list goes to the build panel or a keep-file."""

from pathlib import Path

import pytest

from studio.core.errors import StudioError
from studio.core.precision.keep import KeepFile

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "tests" / "data" / "corpus" / "bert_ts17_eager" / "model.onnx"
VAL = ROOT / "resources" / "demo" / "intents_validation.csv"
CALIB = ROOT / "resources" / "demo" / "intents_calibration.csv"
REQUEST = {"val": str(VAL), "val_column": "text", "label_column": None, "labels": None, "tokenizer": None,
           "target": "int8", "budget": 100.0, "metric": "cosine", "precision_budget": 100.0}


def _with_calibration(win):
    panel = win.build_panel
    panel.calib.setText(str(CALIB))
    panel._read_header("text")
    panel.calib_samples.setValue(32)


def test_find_precision_shows_sensitivity_on_the_graph_and_hands_the_keep_list_on(qtbot, window, open_model,
                                                                                   tmp_path):
    open_model(window, str(MODEL))
    _with_calibration(window)
    window.build_panel.keep_fp32.setText("layer:0 & MatMul")
    task = window.workflow.find_precision(REQUEST)
    # the result arrives through a queued signal, after the worker thread has ended
    qtbot.waitUntil(lambda: window.session.precision is not None or task.error is not None, timeout=120000)
    assert task.error is None, task.error
    res = window.session.precision
    assert res is not None and res.keep_entries == ["layer:0 & MatMul"]
    view = window.precision
    table = view.table
    assert table.rowCount() == len(res.sensitivity) > 0
    scores = [float(table.item(r, 1).text()) for r in range(table.rowCount())]
    assert scores == sorted(scores, reverse=True)
    assert "predicted" in view.summary.text().lower()
    # the graph: coloured by sensitivity, with a legend that says so
    assert window.graphs.color.currentData() == "sensitivity"
    scored = {n.id: n.sensitivity for n in window.graphs.before.graph.nodes if n.sensitivity is not None}
    assert set(scored) == {s["node"] for s in res.sensitivity}
    assert "precision sensitivity" in window.graphs.legend.text()
    # a row selects its node
    table.selectRow(0)
    assert window.graphs.before.selected_id() == table.item(0, 0).text()
    # the build panel takes the target and the keep-list; a keep-file keeps them for the CLI
    view.apply_btn.click()
    assert window.build_panel.precision.currentData() == "int8"
    assert window.build_panel.keep_entries() == res.keep_file().entries
    saved = view.save_keep_file(str(tmp_path / "k.json"))
    assert KeepFile.load(saved).entries == res.keep_file().entries


def test_cancel_stops_the_search_and_says_so(qtbot, window, open_model):
    open_model(window, str(MODEL))
    _with_calibration(window)
    task = window.workflow.find_precision(REQUEST)
    qtbot.waitUntil(lambda: "Sensitivity" in window.precision.progress.format(), timeout=120000)
    window.precision.cancel_btn.click()
    qtbot.waitUntil(lambda: "cancelled" in window.precision.summary.text(), timeout=30000)
    assert not task.running
    assert window.session.precision is None
    assert "cancelled" in window.precision.summary.text()


def test_int8_without_calibration_is_refused_before_any_work(window, open_model):
    open_model(window, str(MODEL))
    with pytest.raises(StudioError, match="calibration"):
        window.workflow.find_precision(REQUEST)
    assert window.workflow.precision_task is None


@pytest.mark.slow
def test_the_after_view_colours_each_layer_as_built_against_its_recipe(qtbot, window, open_model):
    open_model(window, str(MODEL))
    panel = window.build_panel
    panel.select_backend("tensorrt")
    panel.select_precision("fp16")
    with qtbot.waitSignal(panel.built, timeout=180000) as sig:
        assert panel.start_build() is not None, window.errors.history
    entry = sig.args[0]
    window.show_build_graph(entry)
    qtbot.waitUntil(lambda: entry.key in window.plans and window.graphs.after.ready, timeout=60000)
    built = window.as_built[entry.key]
    assert built is not None and built.counts["as asked"] > 0
    window.graphs.set_color_mode("asbuilt")
    legend = window.graphs.legend.text()
    assert "as asked" in legend and "recipe asks fp16" in legend
    layer = next(v for v in built.layers if v.verdict == "as asked")
    assert window.graphs.after.graph.node(layer.layer).details["As built"] == "as asked"


def test_check_calibration_shows_the_sets_the_methods_and_the_warnings(qtbot, window, open_model, tmp_path):
    open_model(window, str(MODEL))
    _with_calibration(window)
    window.build_panel.calib_samples.setValue(16)      # too few: the check says so
    task = window.workflow.check_calibration(REQUEST)
    qtbot.waitUntil(lambda: "minmax" in window.precision.summary.text() or task.error is not None, timeout=120000)
    assert task.error is None, task.error
    text = window.precision.summary.text()
    assert "calibration: 16 texts" in text and "entropy" in text and "percentile" in text
    assert "only 16 calibration samples" in text
