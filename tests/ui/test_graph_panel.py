"""Reading the graph: search zooms to what it found, fit to the selected block, one selection at
a time across both views, a legend for every colour mode, values in the details, and the layers
a build could not optimize marked. On a user's export (TorchScript BERT) and the TensorRT-RTX
report recorded from its build."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "tests" / "data" / "corpus" / "bert_ts17_eager" / "model.onnx"
REPORT = ROOT / "tests" / "data" / "plans" / "corpus" / "bert_ts17_eager.fp32.layers.txt"


@pytest.fixture
def both(qtbot, window, open_model):
    """The window with the model before fusion and its engine's layers after fusion."""
    from studio.core.graph.onnx_loader import open_graph
    from studio.core.backends.layer_reports import load_plan
    from studio.ui.view_model import from_plan

    open_model(window, str(MODEL))
    plan = load_plan(REPORT, onnx_model=str(MODEL))
    marked = next(layer.name for layer in plan.layers if any("Softmax" in n for n in layer.onnx_nodes))
    plan = dataclasses.replace(plan, marked=((marked, "an attention block: no kernel for it here"),))
    panel = window.graphs
    panel.set_after(from_plan(plan, str(REPORT)), plan, open_graph(str(MODEL)))
    qtbot.waitUntil(lambda: panel.after.ready, timeout=30000)
    return panel, plan, marked


def _visible(canvas, node_id) -> bool:
    i = canvas._index[node_id]
    return canvas.mapToScene(canvas.viewport().rect()).boundingRect().contains(canvas.nodes_item.rects[i].center())


def test_search_zooms_to_what_it_found(both):
    panel, _, _ = both
    panel.before.zoom_to_fit()
    panel.before.scale(0.2, 0.2)           # far out: labels unreadable
    panel.search.setText("Softmax")
    panel.find_next()
    found = panel.before.selected_id() or panel.after.selected_id()
    canvas = panel.before if panel.before.selected_id() else panel.after
    assert "oftmax" in found
    assert canvas.transform().m11() >= 1.0 - 1e-6 and _visible(canvas, found)


def test_fit_selection_shows_the_fused_layer_and_what_it_absorbed(both):
    panel, plan, _ = both
    layer = max(plan.layers, key=lambda x: len(x.onnx_nodes))
    panel.after.select(layer.name)           # lights its ONNX nodes up in the before view
    lit = set(panel.link.nodes_for_layer(layer.name))
    assert lit
    panel.zoom_to_selection()
    assert _visible(panel.after, layer.name)
    assert all(_visible(panel.before, n) for n in lit if n in panel.before._index)
    assert panel.after.transform().m11() <= 1.5 + 1e-9


def test_one_selection_at_a_time_across_both_views(both):
    panel, plan, _ = both
    layer = max(plan.layers, key=lambda x: len(x.onnx_nodes))
    panel.after.select(layer.name)
    assert panel.before.nodes_item.highlighted
    other = next(n.id for n in panel.before.graph.nodes if n.kind == "node" and n.id not in layer.onnx_nodes)
    panel.before.select(other)
    assert panel.after.selected_id() == ""                       # the old selection went
    assert panel.before.nodes_item.highlighted == set()          # and so did its highlight
    assert panel.before.selected_id() == other


def test_every_colour_mode_has_a_legend(both):
    panel, _, _ = both
    panel.set_color_mode("type")
    kinds = {**panel.before.legend(), **panel.after.legend()}
    assert len(kinds) > 12 and "more" in panel.legend.text()     # the rest counted, not listed
    assert all(k in panel.legend.text() for k in list(panel.before.legend())[:3])
    panel.set_color_mode("precision")
    text = panel.legend.text()
    assert "fp32" in text.lower() or "float" in text.lower(), text
    panel.set_color_mode("time")
    assert "no layer times" in panel.legend.text() or "slowest" in panel.legend.text()
    assert "not optimized by the build (1" in panel.legend.text()   # the dashed outline, explained


def test_the_marked_layer_says_why_in_the_details(both, window):
    panel, _, marked = both
    assert panel.after.warned == 1
    panel.after.select(marked)
    assert window.details.rows()["Not optimized"].endswith("no kernel for it here")


def test_details_show_values_not_only_names(window, open_model):
    open_model(window, str(MODEL))
    panel = window.graphs
    div = next(n for n in panel.before.graph.nodes if n.title == "Div")   # attention's scale
    panel.before.select(div.id)
    shown = " ".join(str(v) for v in window.graphs.before.graph.node(div.id).details["Inputs"].values())
    assert "= " in shown, shown                    # the scale's value, not only its tensor name


def test_a_long_title_is_cut_short_and_never_widens_the_window(qtbot, window, open_model):
    """Showing the fused graph beside the model must fit the window as it is: a build's long
    title is elided (whole in its tooltip), not a minimum width the window grows to."""
    from studio.core.graph.onnx_loader import open_graph
    from studio.core.backends.layer_reports import load_plan
    from studio.ui.view_model import from_plan

    open_model(window, str(MODEL))
    window.resize(800, 700)
    qtbot.waitUntil(lambda: window.width() == 800, timeout=10000)
    panel = window.graphs
    panel.set_mode("before")
    plan = load_plan(REPORT, onnx_model=str(MODEL))
    title = "tensorrt FP32, " + "a-very-long-build-name-" * 6 + ".engine"
    panel.set_after(from_plan(plan, str(REPORT)), plan, open_graph(str(MODEL)), title=title)
    qtbot.waitUntil(lambda: panel.after.ready, timeout=30000)
    assert panel.after_title.isVisible()                       # side by side now
    assert window.width() == 800 and window.minimumSizeHint().width() <= 800
    assert panel.after_title.width() < panel.after_title.fontMetrics().horizontalAdvance(panel.after_title.text())
    assert title in panel.after_title.toolTip()
