"""The graph canvas: a native QGraphicsView over two batched items (all nodes, all edges).

One item per node would cost a QGraphicsItem, a Python wrapper and a scene-index entry each;
with 10k nodes that alone takes seconds. Here nodes are numpy arrays, painted per exposed rect:
far out (low level of detail) as one drawRects call per colour, closer in as rounded boxes with
text. Edges are QPainterPaths in chunks with their bounding boxes, so only the chunks in view
are stroked. The layout (studio.core.graph.layout) runs in a worker thread and is cancelled if
another graph arrives first."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsView, QStyleOptionGraphicsItem, QWidget

from studio.core.graph.layout import Layout, LayoutOptions, layered_layout
from studio.ui import colors
from studio.ui.i18n import bind
from studio.ui.view_model import ViewGraph
from studio.ui.workers import Task, TaskRegistry

NODE_H = 40.0
EDGE_CHUNK = 256

COLOR_MODES = ("type", "precision", "time")


def node_sizes(graph: ViewGraph) -> np.ndarray:
    """Width from the label length (no font metrics: this runs in the worker thread)."""
    n = len(graph.nodes)
    out = np.empty((n, 2))
    for i, node in enumerate(graph.nodes):
        chars = max(len(node.title), min(len(node.subtitle), 28) * 0.8)
        out[i, 0] = min(260.0, max(72.0, 8.0 * chars + 20.0))
        out[i, 1] = NODE_H if node.kind == "node" else 30.0
    return out


def compute_layout(graph: ViewGraph, cancel=None) -> Layout:
    ids = [n.id for n in graph.nodes]
    known = set(ids)
    edges = [(s, d) for s, d, _ in graph.edges if s in known and d in known and s != d]
    return layered_layout(ids, node_sizes(graph), edges, options=LayoutOptions(), cancel=cancel)


class NodesItem(QGraphicsItem):
    def __init__(self, graph: ViewGraph, layout: Layout):
        super().__init__()
        self.graph = graph
        self.lay = layout
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, True)
        lay = layout
        self.x0 = lay.x - lay.width / 2
        self.y0 = lay.y - lay.height / 2
        self.x1 = lay.x + lay.width / 2
        self.y1 = lay.y + lay.height / 2
        self.rects = [QRectF(a, b, w, h) for a, b, w, h in
                      zip(self.x0.tolist(), self.y0.tolist(), lay.width.tolist(), lay.height.tolist())]
        self.selected: set[int] = set()
        self.highlighted: set[int] = set()
        self.warned = [i for i, n in enumerate(graph.nodes) if n.warning]
        self.dimmed = False
        self.title_font = QFont()
        self.title_font.setPointSizeF(9.0)
        self.title_font.setBold(True)
        self.sub_font = QFont()
        self.sub_font.setPointSizeF(7.0)
        self.set_color_mode("type")
        self._bounds = QRectF(*layout.bounds[:2], layout.bounds[2] - layout.bounds[0],
                              layout.bounds[3] - layout.bounds[1]).adjusted(-20, -20, 20, 20)

    def set_color_mode(self, mode: str) -> None:
        nodes = self.graph.nodes
        if mode == "precision":
            keys = [n.precision or "?" for n in nodes]
            make = colors.precision_color
        elif mode in ("time", "sensitivity"):
            # one heat ramp, from the least to the most of the view: a layer's time, or how far
            # lowering a node alone moves the model's output
            values = [n.time_ms if mode == "time" else n.sensitivity for n in nodes]
            times = np.array([np.nan if v is None else v for v in values], dtype=float)
            top = float(np.nanmax(times)) if np.isfinite(times).any() else 1.0
            top = top if top > 0 else 1.0
            keys = ["none" if not np.isfinite(t) else f"{round(20 * t / top)}" for t in times]
            make = lambda k: colors.time_color(None if k == "none" else int(k) / 20)  # noqa: E731
        elif mode == "asbuilt":
            keys = [n.as_built or "no origin" for n in nodes]
            make = colors.as_built_color
        else:
            keys = [n.category for n in nodes]
            make = colors.type_color
        palette: dict[str, int] = {}
        self.color_index = np.empty(len(nodes), np.int64)
        self.brushes: list[QColor] = []
        for i, k in enumerate(keys):
            j = palette.get(k)
            if j is None:
                j = palette[k] = len(self.brushes)
                self.brushes.append(make(k))
            self.color_index[i] = j
        self.text_colors = [colors.text_color_on(c) for c in self.brushes]
        if mode in ("time", "sensitivity"):
            self.legend = {mode: (None, top if np.isfinite(times).any() else None)}
        else:
            counts = np.bincount(self.color_index, minlength=len(self.brushes))
            # most frequent first, so a legend cut short keeps what covers the most of the graph
            self.legend = dict(sorted(((k, (self.brushes[j], int(counts[j]))) for k, j in palette.items()),
                                      key=lambda kv: -kv[1][1]))
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def visible(self, rect: QRectF) -> np.ndarray:
        return np.flatnonzero((self.x1 >= rect.left()) & (self.x0 <= rect.right())
                              & (self.y1 >= rect.top()) & (self.y0 <= rect.bottom()))

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        idx = self.visible(option.exposedRect)
        if len(idx) == 0:
            return
        rects = self.rects
        ci = self.color_index[idx]
        order = np.argsort(ci, kind="stable")
        idx, ci = idx[order], ci[order]
        bounds = np.flatnonzero(np.diff(ci)) + 1
        groups = np.split(idx, bounds)
        painter.setPen(Qt.NoPen)
        if lod < 0.35:
            # far out: plain boxes, one call per colour
            for g in groups:
                c = QColor(self.brushes[self.color_index[g[0]]])
                if self.dimmed and not self.highlighted:
                    c.setAlpha(255)
                painter.setBrush(c)
                painter.drawRects([rects[i] for i in g.tolist()])
        else:
            painter.setRenderHint(QPainter.Antialiasing, lod > 0.6)
            for g in groups:
                painter.setBrush(self.brushes[self.color_index[g[0]]])
                for i in g.tolist():
                    painter.drawRoundedRect(rects[i], 5, 5)
            if lod > 0.5:
                nodes = self.graph.nodes
                for g in groups:
                    painter.setPen(self.text_colors[self.color_index[g[0]]])
                    for i in g.tolist():
                        r = rects[i]
                        node = nodes[i]
                        if lod > 0.9 and node.kind == "node" and node.subtitle:
                            painter.setFont(self.title_font)
                            painter.drawText(QRectF(r.x() + 4, r.y() + 2, r.width() - 8, r.height() / 2),
                                             Qt.AlignCenter, node.title)
                            painter.setFont(self.sub_font)
                            painter.drawText(QRectF(r.x() + 4, r.y() + r.height() / 2, r.width() - 8,
                                                    r.height() / 2 - 2),
                                             Qt.AlignCenter | Qt.TextSingleLine,
                                             painter.fontMetrics().elidedText(node.subtitle, Qt.ElideMiddle,
                                                                              int(r.width() - 8)))
                        else:
                            painter.setFont(self.title_font)
                            painter.drawText(r, Qt.AlignCenter, node.title)
        # emphasis on top: what the build could not optimize, highlighted (cross-view), selected
        width = max(2.0, 2.5 / max(lod, 1e-3)) if lod < 1 else 2.5
        if self.warned:
            painter.setBrush(Qt.NoBrush)
            painter.setPen(QPen(QColor(colors.WARNED), width * 1.2, Qt.DashLine))
            for i in self.warned:
                painter.drawRoundedRect(rects[i].adjusted(-2, -2, 2, 2), 6, 6)
        if self.highlighted:
            painter.setBrush(Qt.NoBrush)
            painter.setPen(QPen(QColor("#f2b600"), width * 1.4))
            for i in self.highlighted:
                painter.drawRoundedRect(rects[i].adjusted(-3, -3, 3, 3), 6, 6)
        if self.selected:
            painter.setBrush(Qt.NoBrush)
            painter.setPen(QPen(QColor("#e8368f"), width * 1.4))
            for i in self.selected:
                painter.drawRoundedRect(rects[i].adjusted(-4, -4, 4, 4), 6, 6)


class EdgesItem(QGraphicsItem):
    def __init__(self, layout: Layout, color: QColor):
        super().__init__()
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, True)
        self.color = color
        self.chunks: list[tuple[QRectF, QPainterPath]] = []
        polys = layout.edges
        # Chunks of edges that lie near each other (sorted by where they start, long edges in
        # small chunks of their own), so a zoomed-in view strokes only the few in sight.
        if polys:
            top = np.array([p[:, 1].min() for p in polys])
            span = np.array([p[:, 1].max() for p in polys]) - top
            long_cut = max(float(np.percentile(span, 90)), 1.0) * 2
            order = np.lexsort((top, span > long_cut))
            is_long = span[order] > long_cut
            short, long_ = order[~is_long], order[is_long]
            groups = [short[i:i + EDGE_CHUNK] for i in range(0, len(short), EDGE_CHUNK)]
            groups += [long_[i:i + 16] for i in range(0, len(long_), 16)]
        else:
            groups = []
        for g in groups:
            path = QPainterPath()
            for k in g.tolist():
                p = polys[k].tolist()
                path.moveTo(p[0][0], p[0][1])
                for px, py in p[1:]:
                    path.lineTo(px, py)
            self.chunks.append((path.boundingRect(), path))
        self.hot = QPainterPath()
        b = layout.bounds
        self._bounds = QRectF(b[0], b[1], b[2] - b[0], b[3] - b[1]).adjusted(-200, -60, 200, 60)

    def set_hot(self, polylines: list) -> None:
        path = QPainterPath()
        for pts in polylines:
            p = pts.tolist()
            path.moveTo(p[0][0], p[0][1])
            for px, py in p[1:]:
                path.lineTo(px, py)
        self.hot = path
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if lod < 0.02:
            # a whole deep model in one view: an edge is shorter than a pixel apart from its
            # length along the graph; stroking tens of thousands of paths there costs ~0.5 s a
            # frame and shows nothing the node columns do not
            return
        pen = QPen(self.color, 0)   # cosmetic: widened strokes of long paths cost ~10x as much
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        painter.setRenderHint(QPainter.Antialiasing, lod > 0.5)
        exposed = option.exposedRect
        for rect, path in self.chunks:
            if rect.intersects(exposed):
                painter.drawPath(path)
        if not self.hot.isEmpty():
            hot = QPen(QColor("#e8368f"), 2.0)
            hot.setCosmetic(True)
            painter.setPen(hot)
            painter.drawPath(self.hot)


class MiniMap(QWidget):
    """Overview for big graphs: the whole scene rendered once, the visible area as a frame;
    click or drag to move there."""

    def __init__(self, view: "GraphCanvas"):
        super().__init__(view)
        self.view = view
        self.pixmap: QPixmap | None = None
        self.scene_rect = QRectF()
        self.setCursor(Qt.PointingHandCursor)
        bind(self.setToolTip, lambda: self.tr("Overview: click or drag to move"))
        self.hide()

    def refresh(self) -> None:
        scene = self.view.scene()
        rect = scene.itemsBoundingRect()
        if rect.isEmpty():
            self.hide()
            return
        max_w, max_h = 110, max(100, int(self.view.height() * 0.45))
        s = min(max_w / rect.width(), max_h / rect.height())
        w, h = max(24, int(rect.width() * s)), max(24, int(rect.height() * s))
        img = QImage(w, h, QImage.Format_ARGB32_Premultiplied)
        img.fill(QColor(128, 128, 128, 40))
        p = QPainter(img)
        scene.render(p, QRectF(0, 0, w, h), rect, Qt.IgnoreAspectRatio)
        p.end()
        self.pixmap = QPixmap.fromImage(img)
        self.scene_rect = rect
        self.resize(w + 2, h + 2)
        self.reposition()
        self.show()
        self.update()

    def reposition(self) -> None:
        vp = self.view.viewport().geometry()
        self.move(vp.right() - self.width() - 6, vp.top() + 6)

    def _to_scene(self, pos) -> QPointF:
        r = self.scene_rect
        return QPointF(r.left() + (pos.x() - 1) / max(1, self.width() - 2) * r.width(),
                       r.top() + (pos.y() - 1) / max(1, self.height() - 2) * r.height())

    def paintEvent(self, _):
        if self.pixmap is None:
            return
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().color(QPalette.Base))
        p.drawPixmap(1, 1, self.pixmap)
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        r = self.scene_rect
        sx = (self.width() - 2) / r.width()
        sy = (self.height() - 2) / r.height()
        frame = QRectF(1 + (visible.left() - r.left()) * sx, 1 + (visible.top() - r.top()) * sy,
                       visible.width() * sx, visible.height() * sy)
        p.setPen(QPen(QColor("#e8368f"), 1.5))
        p.drawRect(frame.intersected(QRectF(self.rect()).adjusted(0, 0, -1, -1)))
        p.setPen(QPen(self.palette().color(QPalette.Mid), 1))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))

    def mousePressEvent(self, ev):
        self.view.centerOn(self._to_scene(ev.position()))

    def mouseMoveEvent(self, ev):
        if ev.buttons() & Qt.LeftButton:
            self.view.centerOn(self._to_scene(ev.position()))


class GraphCanvas(QGraphicsView):
    """Shows one ViewGraph. Emits `nodeSelected(id or "")`, `layoutReady(seconds)`,
    `layoutFailed(message)`."""

    nodeSelected = Signal(str)
    layoutReady = Signal(float)
    layoutFailed = Signal(str)

    def __init__(self, tasks: TaskRegistry | None = None, parent=None):
        super().__init__(parent)
        self.tasks = tasks or TaskRegistry()
        self.setScene(QGraphicsScene(self))
        self.scene().setItemIndexMethod(QGraphicsScene.NoIndex)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.DontSavePainterState, True)
        self.setRenderHint(QPainter.TextAntialiasing, True)
        self.graph: ViewGraph | None = None
        self.layout_result: Layout | None = None
        self.nodes_item: NodesItem | None = None
        self.edges_item: EdgesItem | None = None
        self.color_mode = "type"
        self._task: Task | None = None
        self._token = 0
        self._press = None
        self._index: dict[str, int] = {}
        self._t0 = 0.0
        self.minimap = MiniMap(self)
        self.horizontalScrollBar().valueChanged.connect(self.minimap.update)
        self.verticalScrollBar().valueChanged.connect(self.minimap.update)
        self.placeholder = self.tr("No graph")

    # ----- loading
    def set_graph(self, graph: ViewGraph | None) -> None:
        """Lay `graph` out in a worker; an earlier layout still running is cancelled."""
        if self._task is not None:
            self._task.cancel()
        self._token += 1
        self.scene().clear()
        self.nodes_item = self.edges_item = None
        self.layout_result = None
        self.graph = graph
        self._index = {}
        self.minimap.hide()
        if graph is None:
            return
        self.placeholder = self.tr("Laying out {n} nodes...").format(n=len(graph.nodes))
        self.viewport().update()
        token = self._token
        self._t0 = time.perf_counter()
        task = Task(lambda cancel, emit: compute_layout(graph, cancel), name="layout", parent=self, nice=2)
        task.finished.connect(lambda lay, tok=token: self._on_layout(tok, lay))
        task.failed.connect(lambda msg, tok=token: self._on_layout_failed(tok, msg))
        self._task = task
        self.tasks.start(task)

    def set_graph_sync(self, graph: ViewGraph) -> None:
        """Lay out in this thread (benchmarks and tests that measure the whole path)."""
        self.set_graph(None)
        self.graph = graph
        self._t0 = time.perf_counter()
        self._token += 1
        self._on_layout(self._token, compute_layout(graph))

    def _on_layout_failed(self, token: int, msg: str) -> None:
        if token != self._token:
            return
        self.placeholder = self.tr("Layout failed: {error}").format(error=msg)
        self.viewport().update()
        self.layoutFailed.emit(msg)

    def _on_layout(self, token: int, lay: Layout) -> None:
        if token != self._token or self.graph is None:
            return  # a newer graph replaced this one
        self.layout_result = lay
        self._index = {nid: i for i, nid in enumerate(lay.ids)}
        edge_color = self.palette().color(QPalette.Text)
        edge_color.setAlpha(110)
        self.edges_item = EdgesItem(lay, edge_color)
        self.nodes_item = NodesItem(self.graph, lay)
        self.nodes_item.set_color_mode(self.color_mode)
        self.scene().addItem(self.edges_item)
        self.scene().addItem(self.nodes_item)
        self.scene().setSceneRect(self.nodes_item.boundingRect().united(self.edges_item.boundingRect()))
        self.zoom_to_fit(readable=True)
        if len(lay.ids) > 60:
            self.minimap.refresh()
        self.layoutReady.emit(time.perf_counter() - self._t0)

    def set_placeholder(self, text: str) -> None:
        """What the empty canvas says (until a graph is laid out)."""
        self.placeholder = text
        self.viewport().update()

    @property
    def ready(self) -> bool:
        return self.nodes_item is not None

    # ----- view operations
    def zoom_to_fit(self, readable: bool = False) -> None:
        """Fit the whole graph. With `readable` (a freshly opened graph), a deep model that would
        shrink to specks is shown from its top at a scale where labels can be read instead; the
        overview shows where that is."""
        if self.nodes_item is None:
            return
        rect = self.scene().sceneRect()
        vw, vh = max(1, self.viewport().width()), max(1, self.viewport().height())
        fit = min(vw / rect.width(), vh / rect.height())
        if readable and fit < 0.5:
            s = max(0.55, min(vw / rect.width(), 1.0))
            self.resetTransform()
            self.scale(s, s)
            self.centerOn(rect.center().x(), rect.top() + vh / s / 2)
        else:
            self.fitInView(rect, Qt.KeepAspectRatio)
        self.minimap.update()

    def zoom(self, factor: float) -> None:
        s = self.transform().m11() * factor
        if 0.005 < s < 8:
            self.scale(factor, factor)
            self.minimap.update()

    def refresh_theme(self) -> None:
        if self.edges_item is not None:
            c = self.palette().color(QPalette.Text)
            c.setAlpha(110)
            self.edges_item.color = c
            self.edges_item.update()
        if self.minimap.isVisible():
            self.minimap.refresh()
        self.viewport().update()

    def set_color_mode(self, mode: str) -> None:
        self.color_mode = mode
        if self.nodes_item is not None:
            self.nodes_item.set_color_mode(mode)
            if self.minimap.isVisible():
                self.minimap.refresh()

    def set_as_built(self, keys: dict[str, str]) -> None:
        """Each node's "as built" colour key (a layer's verdict, an ONNX node's asked precision)."""
        if self.graph is None:
            return
        for n in self.graph.nodes:
            n.as_built = keys.get(n.id, "")
        self.set_color_mode(self.color_mode)

    def set_sensitivity(self, scores: dict[str, float]) -> None:
        """Each node's precision sensitivity (None for a node without one), shown in the
        "sensitivity" colour mode."""
        if self.graph is None:
            return
        for n in self.graph.nodes:
            n.sensitivity = scores.get(n.id)
        self.set_color_mode(self.color_mode)

    def legend(self) -> dict:
        """{key: (colour, nodes)} of the colour mode shown, most frequent first; in time mode
        {"time": (None, slowest layer in ms)}. Empty without a graph."""
        return self.nodes_item.legend if self.nodes_item is not None else {}

    @property
    def warned(self) -> int:
        return len(self.nodes_item.warned) if self.nodes_item is not None else 0

    def reveal(self, node_id: str, scale: float = 1.0) -> None:
        """Centre `node_id` at a scale where its label reads (zooming in, never out past `scale`)."""
        i = self._index.get(node_id)
        if i is None:
            return
        s = self.transform().m11()
        if s < scale:
            self.scale(scale / s, scale / s)
        self.centerOn(float(self.layout_result.x[i]), float(self.layout_result.y[i]))
        self.minimap.update()

    def zoom_to_selection(self, max_scale: float = 1.5) -> bool:
        """Fit the selected and highlighted nodes (a fused layer and what it absorbed); False
        when nothing is selected."""
        if self.nodes_item is None:
            return False
        idx = sorted(self.nodes_item.selected | self.nodes_item.highlighted)
        if not idx:
            return False
        it = self.nodes_item
        rect = QRectF()
        for i in idx:
            rect = rect.united(it.rects[i])
        self.fitInView(rect.adjusted(-60, -60, 60, 60), Qt.KeepAspectRatio)
        s = self.transform().m11()
        if s > max_scale:
            self.scale(max_scale / s, max_scale / s)
            self.centerOn(rect.center())
        self.minimap.update()
        return True

    def find(self, text: str) -> list[str]:
        if self.graph is None or not text:
            return []
        t = text.lower()
        return [n.id for n in self.graph.nodes
                if t in n.id.lower() or t in n.title.lower()]

    def select(self, node_id: str | None, center: bool = True, emit: bool = True) -> None:
        if self.nodes_item is None:
            return
        i = self._index.get(node_id) if node_id else None
        self.nodes_item.selected = {i} if i is not None else set()
        hot = []
        if i is not None and self.graph is not None:
            lay = self.layout_result
            for k, (s, d, _) in enumerate(self._drawn_edges()):
                if s == node_id or d == node_id:
                    hot.append(lay.edges[k])
        self.edges_item.set_hot(hot)
        self.nodes_item.update()
        if i is not None and center:
            self.centerOn(float(self.layout_result.x[i]), float(self.layout_result.y[i]))
        if emit:
            self.nodeSelected.emit(node_id if i is not None else "")

    def highlight(self, node_ids) -> None:
        """Light up nodes selected in the other view (fusion cross-highlight)."""
        if self.nodes_item is None:
            return
        idx = {self._index[n] for n in node_ids if n in self._index}
        self.nodes_item.highlighted = idx
        self.nodes_item.update()
        if idx:
            lay = self.layout_result
            first = sorted(idx, key=lambda i: lay.y[i])[0]
            visible = self.mapToScene(self.viewport().rect()).boundingRect()
            if not visible.contains(QPointF(lay.x[first], lay.y[first])):
                self.centerOn(float(lay.x[first]), float(lay.y[first]))

    def selected_id(self) -> str:
        if self.nodes_item is None or not self.nodes_item.selected:
            return ""
        return self.layout_result.ids[next(iter(self.nodes_item.selected))]

    def node_at(self, scene_pos: QPointF) -> str | None:
        if self.nodes_item is None:
            return None
        it = self.nodes_item
        x, y = scene_pos.x(), scene_pos.y()
        hit = np.flatnonzero((it.x0 <= x) & (it.x1 >= x) & (it.y0 <= y) & (it.y1 >= y))
        return self.layout_result.ids[int(hit[0])] if len(hit) else None

    def _drawn_edges(self):
        known = self._index
        return [(s, d, t) for s, d, t in self.graph.edges if s in known and d in known and s != d]

    # ----- events
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, self.palette().color(QPalette.Base))

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if self.nodes_item is None:
            painter.save()
            painter.resetTransform()
            painter.setPen(self.palette().color(QPalette.PlaceholderText))
            painter.drawText(self.viewport().rect(), Qt.AlignCenter, self.placeholder)
            painter.restore()

    def wheelEvent(self, ev):
        factor = 1.0015 ** ev.angleDelta().y()
        self.zoom(factor)

    def mousePressEvent(self, ev):
        self._press = ev.position()
        super().mousePressEvent(ev)

    def mouseReleaseEvent(self, ev):
        super().mouseReleaseEvent(ev)
        if self._press is not None and (ev.position() - self._press).manhattanLength() < 4:
            nid = self.node_at(self.mapToScene(ev.position().toPoint()))
            self.select(nid, center=False)
        self._press = None
        self.minimap.update()

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self.minimap.reposition()

    def shutdown(self) -> None:
        if self._task is not None:
            self._task.cancel()
