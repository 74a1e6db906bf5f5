"""Before (ONNX) and after (engine layers) side by side or one at a time, with the fusion
cross-highlight: select a fused layer and the ONNX nodes it absorbed light up in the before
view; select an ONNX node and the layer that absorbed it lights up in the after view.

The mapping comes from the core (studio.core.graph.fusion); this only forwards selections."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QLineEdit, QSplitter, QToolButton,
                               QVBoxLayout, QWidget)

from studio.ui.graph_view import GraphCanvas
from studio.ui.view_model import ViewGraph
from studio.ui.workers import TaskRegistry


def make_link(plan, graph=None):
    """The core's layer <-> ONNX node map (studio.core.graph.fusion.FusionMap)."""
    from studio.core.graph.fusion import FusionMap
    return FusionMap.build(plan, graph)


class GraphPanel(QWidget):
    """Emits `selected(kind, node_id)` with kind "onnx" or "plan"."""

    selected = Signal(str, str)

    def __init__(self, tasks: TaskRegistry, parent=None):
        super().__init__(parent)
        self.before = GraphCanvas(tasks)
        self.after = GraphCanvas(tasks)
        self.before.placeholder = "Open an ONNX model (Ctrl+O) or drop one here"
        self.after.placeholder = "Build an engine (Ctrl+B) to see the graph after fusion"
        self.link = None
        self._sync = False

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        self.mode = QComboBox()
        self.mode.addItem("Side by side", "side")
        self.mode.addItem("Before fusion (ONNX)", "before")
        self.mode.addItem("After fusion (engine)", "after")
        self.color = QComboBox()
        self.color.addItem("Colour by op type", "type")
        self.color.addItem("Colour by precision", "precision")
        self.color.addItem("Colour by layer time", "time")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find node by name (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search_info = QLabel("")
        fit = QToolButton()
        fit.setText("Fit")
        fit.setToolTip("Zoom to fit (Ctrl+0)")
        fit.clicked.connect(self.zoom_to_fit)
        for w in (self.mode, self.color):
            bar.addWidget(w)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.search_info)
        bar.addWidget(fit)

        self.before_title = QLabel("Before fusion: ONNX")
        self.after_title = QLabel("After fusion: engine layers")
        for t in (self.before_title, self.after_title):
            f = t.font()
            f.setBold(True)
            t.setFont(f)      # a font, not a style sheet: the label keeps following the theme
            t.setContentsMargins(6, 2, 6, 2)
        left, right = QWidget(), QWidget()
        for w, title, canvas in ((left, self.before_title, self.before), (right, self.after_title, self.after)):
            lay = QVBoxLayout(w)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.setSpacing(0)
            lay.addWidget(title)
            lay.addWidget(canvas, 1)
        self.split = QSplitter(Qt.Horizontal)
        self.split.addWidget(left)
        self.split.addWidget(right)
        self._left, self._right = left, right

        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addLayout(bar)
        root.addWidget(self.split, 1)

        self.mode.currentIndexChanged.connect(lambda _: self.set_mode(self.mode.currentData()))
        self.color.currentIndexChanged.connect(lambda _: self.set_color_mode(self.color.currentData()))
        self.search.returnPressed.connect(self.find_next)
        self.search.textChanged.connect(lambda _: setattr(self, "_hits", None))
        self.before.nodeSelected.connect(self._before_selected)
        self.after.nodeSelected.connect(self._after_selected)
        self._hits = None
        self._hit_i = 0

    # ----- content
    def set_before(self, graph: ViewGraph | None) -> None:
        self.before_title.setText(f"Before fusion: ONNX ({len(graph.nodes)} nodes)" if graph else "Before fusion: ONNX")
        self.before.set_graph(graph)

    def set_after(self, graph: ViewGraph | None, plan=None, onnx_graph=None, title: str = "") -> None:
        self.link = make_link(plan, onnx_graph) if plan is not None else None
        label = "After fusion: engine layers"
        if graph is not None:
            label += f" ({len(graph.nodes)} layers{', ' + title if title else ''})"
        self.after_title.setText(label)
        self.after.set_graph(graph)
        if graph is not None and self.mode.currentData() == "before":
            self.set_mode("side")

    def set_mode(self, mode: str) -> None:
        i = self.mode.findData(mode)
        if i >= 0 and i != self.mode.currentIndex():
            self.mode.setCurrentIndex(i)  # re-enters through the signal
            return
        self._left.setVisible(mode in ("side", "before"))
        self._right.setVisible(mode in ("side", "after"))

    def set_color_mode(self, mode: str) -> None:
        i = self.color.findData(mode)
        if i >= 0 and i != self.color.currentIndex():
            self.color.setCurrentIndex(i)
            return
        self.before.set_color_mode(mode)
        self.after.set_color_mode(mode)

    def zoom_to_fit(self) -> None:
        self.before.zoom_to_fit()
        self.after.zoom_to_fit()

    def find_next(self) -> None:
        text = self.search.text().strip()
        if self._hits is None:
            hits = [("onnx", h) for h in self.before.find(text)] + [("plan", h) for h in self.after.find(text)]
            self._hits, self._hit_i = hits, 0
        if not self._hits:
            self.search_info.setText("no match")
            return
        kind, nid = self._hits[self._hit_i % len(self._hits)]
        self.search_info.setText(f"{self._hit_i % len(self._hits) + 1}/{len(self._hits)}")
        self._hit_i += 1
        (self.before if kind == "onnx" else self.after).select(nid)

    # ----- cross-highlight
    def _before_selected(self, node_id: str) -> None:
        if self._sync:
            return
        self.before.highlight(())
        layer = self.link.layer_for_node(node_id) if (self.link and node_id) else None
        self.after.highlight([layer] if layer else [])
        self.selected.emit("onnx", node_id)

    def _after_selected(self, layer: str) -> None:
        if self._sync:
            return
        self.after.highlight(())
        nodes = self.link.nodes_for_layer(layer) if (self.link and layer) else ()
        self.before.highlight(nodes)
        self.selected.emit("plan", layer)

    def shutdown(self) -> None:
        self.before.shutdown()
        self.after.shutdown()
