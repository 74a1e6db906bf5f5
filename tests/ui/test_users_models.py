"""The window on users' models (the corpus: torch and Hugging Face exports), not the demo: each
opens with its graph, and its TensorRT build's fused graph shows with its layers linked to the
model's nodes; the data choices are the model's own (the tokenizer beside it, nothing carried
over from another model, remembered per model); build names follow the command line's rule and
a rebuild never replaces the last build, and the fused graph shown is the selected build's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "corpus"
MODELS = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["models"]
CALIB = ROOT / "resources" / "demo" / "intents_calibration.csv"


def _build(qtbot, win, backend: str, precision: str):
    panel = win.build_panel
    panel.select_backend(backend)
    panel.select_precision(precision)
    with qtbot.waitSignal(panel.built, timeout=120000) as sig:
        assert panel.start_build() is not None, win.errors.history
    return sig.args[0]


@pytest.mark.slow
@pytest.mark.parametrize("entry", MODELS, ids=[m["name"] for m in MODELS])
def test_each_users_model_opens_and_shows_its_fused_graph(qtbot, window, open_model, entry):
    model = str(CORPUS / entry["path"])
    open_model(window, model)
    assert len(window.onnx_graph.nodes) > 10
    built = _build(qtbot, window, "tensorrt", "fp16")
    qtbot.waitUntil(lambda: built.key in window.plans and window.graphs.after.ready, timeout=60000)
    plan = window.plans[built.key]
    assert len(window.graphs.after.graph.nodes) == len(plan.layers)
    linked = [layer for layer in plan.layers if window.graphs.link.nodes_for_layer(layer.name)]
    assert len(linked) >= len(plan.layers) // 2
    assert not window.errors.history


def test_data_choices_are_the_models_own_and_remembered(qtbot, window, open_model, tmp_path):
    bert = CORPUS / "bert_ts17_eager" / "model.onnx"
    cnn = CORPUS / "resnet_like" / "model.onnx"
    panel = window.build_panel
    open_model(window, str(bert))
    assert panel.tokenizer.text() == str(bert.with_name("tokenizer.json"))
    assert panel.tokenizer_source.text() == "beside the model"
    assert panel.calib.text() == "" and panel.calib_source.text() == ""   # no demo data behind a user's model
    data = tmp_path / "chats.csv"
    data.write_text("customer_message,label\nwhere is my parcel,track\nrefund please,refund\n", encoding="utf-8")
    panel.calib.setText(str(data))
    panel.calib.editingFinished.emit()
    assert [panel.calib_column.itemText(i) for i in range(panel.calib_column.count())] == ["customer_message", "label"]
    panel.calib_column.setCurrentText("customer_message")
    spec = panel.calibration_spec()
    assert spec.column == "customer_message" and spec.tokenizer == panel.tokenizer.text()
    window.settings.remember_choices(str(bert), panel.choices())
    # the benchmark's inputs: the same file, its own column picker, declared as what it is
    bench = window.bench
    bench.inputs.setText(str(data))
    bench.inputs.editingFinished.emit()
    assert [bench.column.itemText(i) for i in range(bench.column.count())] == ["customer_message", "label"]
    bench.column.setCurrentText("customer_message")
    args, declared = bench.input_spec()
    assert args["column"] == "customer_message" and declared["tokenizer"] == panel.tokenizer.text()
    assert "chats.csv [customer_message]" in bench.inputs_note.text()
    window.settings.remember_choices(str(bert), bench.choices())
    open_model(window, str(cnn))   # another model: nothing carries over
    assert panel.calib.text() == "" and panel.tokenizer.text() == "" and panel.calib_source.text() == ""
    assert bench.inputs.text() == "" and "synthetic" in bench.inputs_note.text()
    assert panel.tokenizer_source.text() == "none found beside the model"
    open_model(window, str(bert))  # back: what was chosen for it
    assert panel.calib.text() == str(data) and panel.calib_column.currentText() == "customer_message"
    assert panel.tokenizer_source.text() == "remembered" and panel.calib_source.text() == "remembered"
    assert bench.inputs.text() == str(data) and bench.column.currentText() == "customer_message"
    assert bench.inputs_source.text() == "remembered for this model"


@pytest.mark.slow
def test_build_names_follow_the_cli_and_a_rebuild_keeps_the_last_build(qtbot, window, open_model, tmp_path):
    model = CORPUS / "bert_ts17_eager" / "model.onnx"
    open_model(window, str(model))
    folder = tmp_path / "user"
    folder.mkdir()
    window.build_panel.output_dir = str(folder)
    first = _build(qtbot, window, "onnxruntime", "fp32")
    second = _build(qtbot, window, "onnxruntime", "fp32")
    assert Path(first.result.output).name == "model.fp32.ort.onnx"   # what `engine-studio build` writes
    assert Path(second.result.output).name == "model-2.fp32.ort.onnx"
    assert Path(first.result.output).is_file() and Path(second.result.output).is_file()
    assert [e.key for e in window.builds.entries] == [first.key, second.key]
    # one click shows a build's fused graph; a plan that arrives after another build was selected
    # is kept but not shown
    qtbot.waitUntil(lambda: second.key in window.plans, timeout=60000)
    window.plans.pop(first.key, None)
    window.builds.table.selectRow(0)
    assert window.shown_build == first.key and first.key in window._loading_plans
    window.builds.table.selectRow(1)
    assert window.shown_build == second.key
    qtbot.waitUntil(lambda: first.key in window.plans and not window._loading_plans, timeout=60000)
    assert "model-2.fp32.ort.onnx" in window.graphs.after_title.text()
    window.builds.table.selectRow(0)
    assert "model.fp32.ort.onnx" in window.graphs.after_title.text()   # loaded already: shown at once


def test_accuracy_scores_the_users_data_it_was_given(qtbot, window, open_model, tmp_path):
    model = CORPUS / "minilm_2in_pooled" / "model.onnx"
    open_model(window, str(model))
    built = _build(qtbot, window, "onnxruntime", "fp32")
    task = window.workflow.run_accuracy({"val": str(CALIB), "val_column": "text", "label_column": None,
                                "labels": None, "tokenizer": str(model.with_name("tokenizer.json"))})
    # the result arrives through a queued signal, after the worker thread has ended
    qtbot.waitUntil(lambda: built.key in window.session.accuracy or task.error is not None, timeout=120000)
    assert task.error is None, task.error
    doc = json.loads(Path(window.session.result_file(window.session.accuracy[built.key])).read_text())
    assert doc["data"] == str(CALIB) and doc.get("accuracy") is None and doc["top1_agreement"] > 0.99
    assert doc["inputs"]["tokenizer"] == str(model.with_name("tokenizer.json"))   # the result says what scored it
    assert window.settings.model_choices(str(model))["val"] == str(CALIB)


@pytest.mark.slow
def test_export_engine_exports_the_build_selected_in_the_list(qtbot, window, open_model, tmp_path):
    model = CORPUS / "bert_ts17_eager" / "model.onnx"
    open_model(window, str(model))
    engine = _build(qtbot, window, "tensorrt", "fp16")
    _build(qtbot, window, "onnxruntime", "int8")   # listed last, and selected
    window.builds.table.selectRow(0)
    task = window.workflow.export_engine_dialog(str(tmp_path / "export"))
    qtbot.waitUntil(lambda: not task.running and bool(window.workflow.last_export), timeout=60000)
    assert task.error is None
    name = Path(engine.result.output).name
    # the engine, its sidecar, the layer report, and the typed model its accuracy is predicted from
    assert sorted(Path(p).name for p in window.workflow.last_export) == sorted(
        [name, name + ".json", name + ".typed.onnx"]
        + ([name + ".layers.txt"] if Path(engine.result.output + ".layers.txt").exists() else []))
