"""Before (ONNX) and after (engine layers) side by side or one at a time, with the fusion
cross-highlight: select a fused layer and the ONNX nodes it absorbed light up in the before
view; select an ONNX node and the layer that absorbed it lights up in the after view.

The mapping comes from the core (studio.core.graph.fusion); this only forwards selections."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QT_TRANSLATE_NOOP, QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QSplitter, QToolButton, QVBoxLayout, QWidget

from studio.core.graph.fusion import FusionMap
from studio.ui import colors
from studio.ui.graph_view import GraphCanvas
from studio.ui.i18n import bind, bind_items
from studio.ui.view_model import ViewGraph
from studio.ui.workers import TaskRegistry


def make_link(plan, graph=None):
    """The core's layer <-> ONNX node map (studio.core.graph.fusion.FusionMap)."""
    return FusionMap.build(plan, graph)


# The as-built verdicts (studio.core.precision.as_built.VERDICTS), for the translators.
_VERDICTS = {"as asked": QT_TRANSLATE_NOOP("GraphPanel", "as asked"),
             "higher than asked": QT_TRANSLATE_NOOP("GraphPanel", "higher than asked"),
             "lower than asked": QT_TRANSLATE_NOOP("GraphPanel", "lower than asked"),
             "reformat": QT_TRANSLATE_NOOP("GraphPanel", "reformat"),
             "no origin": QT_TRANSLATE_NOOP("GraphPanel", "no origin")}


class PaneTitle(QLabel):
    """A graph pane's title, cut short with "..." (the whole of it in the tooltip) where the pane
    is narrower: a build's long name must not make the window wider, which reflowed every dock
    and repainted every plot when the first fused graph appeared."""

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def paintEvent(self, event) -> None:
        rect = self.contentsRect()
        painter = QPainter(self)
        painter.drawText(rect, self.alignment(), self.fontMetrics().elidedText(self.text(), Qt.ElideRight, rect.width()))
        painter.end()


def _swatch(color) -> str:
    return f'<span style="color:{color.name()}">&#9632;</span>'


class GraphPanel(QWidget):
    """Emits `selected(kind, node_id)` with kind "onnx" or "plan"."""

    selected = Signal(str, str)

    def __init__(self, tasks: TaskRegistry, parent=None):
        super().__init__(parent)
        self.before = GraphCanvas(tasks)
        self.after = GraphCanvas(tasks)
        bind(self.before.set_placeholder, lambda: self.tr("Open an ONNX model (Ctrl+O) or drop one here"))
        bind(self.after.set_placeholder, lambda: self.tr("Build an engine (Ctrl+B) to see the graph after fusion"))
        self.link = None
        self.sensitivity: dict[str, float] = {}    # ONNX node -> its precision sensitivity
        self._sync = False

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        self.mode = QComboBox()
        self.color = QComboBox()
        for combo, items in ((self.mode, ("side", "before", "after")), (self.color, ("type", "precision", "time", "sensitivity", "asbuilt"))):
            for data in items:
                combo.addItem("", data)
        bind_items(self.mode, {"side": lambda: self.tr("Side by side"),
                               "before": lambda: self.tr("Before fusion (ONNX)"),
                               "after": lambda: self.tr("After fusion (engine)")})
        bind_items(self.color, {"type": lambda: self.tr("Colour by op type"),
                                "precision": lambda: self.tr("Colour by precision"),
                                "time": lambda: self.tr("Colour by layer time"),
                                "sensitivity": lambda: self.tr("Colour by precision sensitivity"),
                                "asbuilt": lambda: self.tr("Colour as built against the recipe")})
        self.search = QLineEdit()
        bind(self.search.setPlaceholderText, lambda: self.tr("Find node by name (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.search_info = QLabel("")
        fit = QToolButton()
        bind(fit.setText, lambda: self.tr("Fit"))
        bind(fit.setToolTip, lambda: self.tr("Zoom to fit (Ctrl+0)"))
        fit.clicked.connect(self.zoom_to_fit)
        fit_sel = QToolButton()
        bind(fit_sel.setText, lambda: self.tr("Fit selection"))
        bind(fit_sel.setToolTip, lambda: self.tr("Zoom to the selected node and what it is linked to (Ctrl+Shift+0)"))
        fit_sel.clicked.connect(self.zoom_to_selection)
        for w in (self.mode, self.color):
            bar.addWidget(w)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.search_info)
        bar.addWidget(fit)
        bar.addWidget(fit_sel)
        self.legend = QLabel("")
        self.legend.setWordWrap(True)
        self.legend.setContentsMargins(6, 0, 6, 2)
        self.legend.setTextFormat(Qt.RichText)

        self.before_title, self.after_title = PaneTitle(), PaneTitle()
        bind(self.before_title.setText, lambda: self.tr("Before fusion: ONNX"))
        bind(self.after_title.setText, lambda: self.tr("After fusion: engine layers"))
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
        root.addWidget(self.legend)
        root.addWidget(self.split, 1)

        self.mode.currentIndexChanged.connect(lambda _: self.set_mode(self.mode.currentData()))
        self.color.currentIndexChanged.connect(lambda _: self.set_color_mode(self.color.currentData()))
        self.search.returnPressed.connect(self.find_next)
        self.search.textChanged.connect(lambda _: setattr(self, "_hits", None))
        self.before.nodeSelected.connect(self._before_selected)
        self.after.nodeSelected.connect(self._after_selected)
        for canvas in (self.before, self.after):
            canvas.layoutReady.connect(lambda _s: self.update_legend())
        self._hits = None
        self._hit_i = 0

    # ----- content
    def set_before(self, graph: ViewGraph | None) -> None:
        bind(self.before_title.setText, lambda: self.tr("Before fusion: ONNX ({n} nodes)").format(n=len(graph.nodes))
             if graph else self.tr("Before fusion: ONNX"))
        self.sensitivity = {}      # a search's scores belong to the model it ran on
        self.before.set_graph(graph)

    def set_after(self, graph: ViewGraph | None, plan=None, onnx_graph=None, title: str = "", built=None) -> None:
        """`built`: what was really built against the recipe (studio.core.precision.as_built), if known."""
        self.link = make_link(plan, onnx_graph) if plan is not None else None
        self.before.set_as_built({k: f"asked {v}" for k, v in built.asked.items()} if built is not None else {})
        def text() -> str:
            if graph is None:
                return self.tr("After fusion: engine layers")
            return self.tr("After fusion: engine layers ({n} layers{title})").format(
                n=len(graph.nodes), title=", " + title if title else "")
        bind(self.after_title.setText, text)
        if graph is not None:
            self._layer_sensitivity(graph)
        self.after.set_graph(graph)
        if graph is not None and self.mode.currentData() == "before":
            self.set_mode("side")

    def set_sensitivity(self, scores: dict[str, float]) -> None:
        """A precision search's per-node scores: on the ONNX nodes, and on each engine layer as
        the most sensitive node it absorbed."""
        self.sensitivity = dict(scores)
        self.before.set_sensitivity(self.sensitivity)
        if self.after.graph is not None:
            self._layer_sensitivity(self.after.graph)
            self.after.set_color_mode(self.after.color_mode)
        self.update_legend()

    def _layer_sensitivity(self, graph: ViewGraph) -> None:
        for n in graph.nodes:
            absorbed = self.link.nodes_for_layer(n.id) if self.link else ()
            scores = [self.sensitivity[a] for a in absorbed if a in self.sensitivity]
            n.sensitivity = max(scores) if scores else None

    def set_mode(self, mode: str) -> None:
        i = self.mode.findData(mode)
        if i >= 0 and i != self.mode.currentIndex():
            self.mode.setCurrentIndex(i)  # re-enters through the signal
            return
        self._left.setVisible(mode in ("side", "before"))
        self._right.setVisible(mode in ("side", "after"))
        self.update_legend()

    def set_color_mode(self, mode: str) -> None:
        i = self.color.findData(mode)
        if i >= 0 and i != self.color.currentIndex():
            self.color.setCurrentIndex(i)
            return
        self.before.set_color_mode(mode)
        self.after.set_color_mode(mode)
        self.update_legend()

    def update_legend(self, most: int = 12) -> None:
        """What the colours (and the dashed outline) of the views shown mean."""
        shown = [c for c, side in ((self.before, self._left), (self.after, self._right))
                 if not side.isHidden() and c.ready]
        entries: dict = {}
        slowest = []
        for c in shown:
            for k, (color, n) in c.legend().items():
                if k == "sensitivity":
                    entries[k] = (None, 0)
                elif k == "time":
                    slowest += [n] if n is not None else []
                    entries[k] = (None, 0)
                else:
                    entries[k] = (color, n + entries.get(k, (None, 0))[1])
        parts = []
        if "sensitivity" in entries:
            if not self.sensitivity:
                parts.append(_swatch(colors.time_color(None)) + " "
                             + self.tr("no precision sensitivity yet: Find precision in the Build panel"))
            else:
                parts.append(self.tr("precision sensitivity:") + " " + _swatch(colors.time_color(0.0)) + " "
                             + self.tr("lowering it moves the output least") + " &rarr; "
                             + _swatch(colors.time_color(1.0)) + " " + self.tr("most") + "; "
                             + _swatch(colors.time_color(None)) + " " + self.tr("not quantizable"))
        elif "time" in entries:
            if not slowest:
                parts.append(_swatch(colors.time_color(None)) + " " + self.tr("no layer times in this report"))
            else:
                parts.append(self.tr("layer time:") + " " + _swatch(colors.time_color(0.0)) + " " + self.tr("fast")
                             + " &rarr; " + _swatch(colors.time_color(1.0)) + " "
                             + self.tr("slowest ({ms:.3g} ms)").format(ms=max(slowest)) + "; "
                             + _swatch(colors.time_color(None)) + " " + self.tr("not timed"))
        else:
            items = sorted(entries.items(), key=lambda kv: -kv[1][1])
            parts += [f"{_swatch(color)} {escape(self._key_text(str(k)))} ({n})" for k, (color, n) in items[:most]]
            if len(items) > most:
                parts.append(self.tr("+{n} more").format(n=len(items) - most))
        if self.after.warned and not self._right.isHidden():
            parts.append(f'<span style="color:{colors.WARNED}">&#9476;&#9476;</span> '
                         + self.tr("not optimized by the build ({n}; select one for the reason)").format(
                             n=self.after.warned))
        self.legend.setText("&nbsp;&nbsp; ".join(parts))

    def _key_text(self, key: str) -> str:
        """A legend key as the reader reads it: the as-built verdicts are the studio's words."""
        if key in _VERDICTS:
            return self.tr(_VERDICTS[key])
        if key.startswith("asked ") and self.color.currentData() == "asbuilt":
            return self.tr("recipe asks {precision}").format(precision=key[len("asked "):])
        return key

    def show_onnx_node(self, name: str) -> None:
        """Select an ONNX node and bring it into view, readable."""
        self.before.select(name)
        self.before.reveal(name)

    def zoom_to_fit(self) -> None:
        self.before.zoom_to_fit()
        self.after.zoom_to_fit()

    def zoom_to_selection(self) -> None:
        """Each view zooms to its selected and highlighted nodes (a fused layer and the ONNX
        nodes it absorbed); a view with neither keeps its place."""
        self.before.zoom_to_selection()
        self.after.zoom_to_selection()

    def find_next(self) -> None:
        text = self.search.text().strip()
        if self._hits is None:
            hits = [("onnx", h) for h in self.before.find(text)] + [("plan", h) for h in self.after.find(text)]
            self._hits, self._hit_i = hits, 0
        if not self._hits:
            self.search_info.setText(self.tr("no match"))
            return
        kind, nid = self._hits[self._hit_i % len(self._hits)]
        self.search_info.setText(f"{self._hit_i % len(self._hits) + 1}/{len(self._hits)}")
        self._hit_i += 1
        canvas = self.before if kind == "onnx" else self.after
        canvas.select(nid)
        canvas.reveal(nid)      # zoomed in far enough to read what was found

    # ----- cross-highlight
    def _before_selected(self, node_id: str) -> None:
        if self._sync:
            return
        self.before.highlight(())
        self.after.select(None, emit=False)      # one selection at a time, across both views
        layer = self.link.layer_for_node(node_id) if (self.link and node_id) else None
        self.after.highlight([layer] if layer else [])
        self.selected.emit("onnx", node_id)

    def _after_selected(self, layer: str) -> None:
        if self._sync:
            return
        self.after.highlight(())
        self.before.select(None, emit=False)
        nodes = self.link.nodes_for_layer(layer) if (self.link and layer) else ()
        self.before.highlight(nodes)
        self.selected.emit("plan", layer)

    def shutdown(self) -> None:
        self.before.shutdown()
        self.after.shutdown()
