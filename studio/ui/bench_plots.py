"""The benchmark panel's live view: latency over time, throughput, the latency histogram and the
latency-vs-throughput curve, with a table of each run's percentiles.

Samples arrive on the harness's dispatch thread and go into a deque; a timer on the UI thread
drains it at a frame rate, so a stream of thousands of samples per second costs one plot update
per frame, not one per sample. Curves downsample (peak) and clip to the view."""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QGraphicsItem, QGridLayout, QHeaderView, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from studio.ui.i18n import bind
from studio.ui.theme import SERIES

FRAME_MS = 33           # ~30 frames per second
TABLE_EVERY_S = 0.25    # percentile table refresh
THROUGHPUT_BIN_S = 0.25


class _Grow:
    """Append-only float array with amortised doubling."""

    def __init__(self):
        self.a = np.empty(1024)
        self.n = 0

    def extend(self, values) -> None:
        values = np.asarray(values, dtype=float)
        need = self.n + len(values)
        if need > len(self.a):
            b = np.empty(max(need, 2 * len(self.a)))
            b[:self.n] = self.a[:self.n]
            self.a = b
        self.a[self.n:need] = values
        self.n = need

    @property
    def view(self) -> np.ndarray:
        return self.a[:self.n]


@dataclass
class Series:
    key: str
    label: str
    color: str
    t: _Grow = field(default_factory=_Grow)
    lat: _Grow = field(default_factory=_Grow)
    rows: _Grow = field(default_factory=_Grow)
    result: object | None = None          # RunResult when the run finished
    accuracy: str = ""
    dirty: bool = True


class LivePlots(QWidget):
    """Plots and table of the runs of one benchmark, fed sample by sample (add_samples, or the
    panel's harness callback into `buffer`) and redrawn by `timer` while it runs."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.series: dict[str, Series] = {}
        self.buffer: collections.deque = collections.deque()
        self.entry_labels: dict[str, str] = {}     # build key -> its label, for the curve legend
        self.frames = 0
        self.frame_times: collections.deque = collections.deque(maxlen=120)
        self.last_refresh_ms = 0.0
        self._last_table = 0.0
        self._slow_queue: list[str] = []
        self._all_drawn = False     # every pane shows every sample (after a forced refresh)
        pg.setConfigOptions(antialias=False)
        # Four views rather than one layout: a new frame of the latency trace repaints that
        # view only, not the other plots' axes.
        self.plot_widgets = [pg.PlotWidget() for _ in range(4)]
        self.lat_plot, self.tp_plot, self.hist_plot, self.curve_plot = (w.getPlotItem() for w in self.plot_widgets)
        self.plots = QWidget()
        grid = QGridLayout(self.plots)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        for i, w in enumerate(self.plot_widgets):
            grid.addWidget(w, i // 2, i % 2)
        bind(self.lat_plot.setTitle, lambda: self.tr("Latency over time"))
        bind(lambda t: self.lat_plot.setLabel("left", t, units="ms"), lambda: self.tr("latency"), owner=self.lat_plot)
        bind(lambda t: self.lat_plot.setLabel("bottom", t, units="s"), lambda: self.tr("time"), owner=self.lat_plot)
        bind(self.tp_plot.setTitle, lambda: self.tr("Throughput over time"))
        bind(lambda t: self.tp_plot.setLabel("left", t), lambda: self.tr("samples/s"), owner=self.tp_plot)
        bind(lambda t: self.tp_plot.setLabel("bottom", t, units="s"), lambda: self.tr("time"), owner=self.tp_plot)
        bind(self.hist_plot.setTitle, lambda: self.tr("Latency histogram"))
        bind(lambda t: self.hist_plot.setLabel("bottom", t, units="ms"), lambda: self.tr("latency"), owner=self.hist_plot)
        bind(self.curve_plot.setTitle, lambda: self.tr("Latency vs throughput (P99)"))
        self.curve_plot.setLabel("left", "P99", units="ms")
        bind(lambda t: self.curve_plot.setLabel("bottom", t), lambda: self.tr("samples/s"), owner=self.curve_plot)
        for p in (self.lat_plot, self.tp_plot, self.hist_plot, self.curve_plot):
            p.showGrid(x=True, y=True, alpha=0.2)
            # An axis (tick text and grid lines) was most of a frame's paint, and a new point on
            # a curve does not change it: cached as a pixmap it is redrawn only when its range
            # changes (benchmark step of `engine-studio demo`: the window's CPU -20 %, and Qt's
            # raster threads, which the UI thread waited on, almost idle).
            for side in ("left", "bottom"):
                p.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.lat_plot.setDownsampling(auto=True, mode="peak")
        self._x_span = 0.0
        for p in (self.lat_plot, self.tp_plot):
            p.disableAutoRange(axis="x")
        self.lat_plot.setClipToView(True)
        # One legend for the runs (the latency plot's: every plot draws a run in the same colour)
        # and one for the builds' P99 curves. A legend entry is a text item laid out anew on each
        # change: three legends of the same runs were most of a benchmark's start.
        for p in (self.lat_plot, self.curve_plot):
            p.addLegend(offset=(-5, 5), labelTextSize="8pt")
        self.curves: dict[str, dict] = {}
        # Each run's curves come from a pool kept between benchmarks: made once, recoloured and
        # relabelled at a start, hidden at a clear, never removed from their plots.
        self._pool: list[dict] = []

        self.table = QTableWidget(0, 8)
        bind(self.table.setHorizontalHeaderLabels, lambda: [
            self.tr("Run"), self.tr("Requests"), self.tr("Samples/s"), self.tr("P50 ms"), self.tr("P90 ms"),
            self.tr("P99 ms"), self.tr("Max ms"), self.tr("Accuracy")])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setMaximumHeight(120)
        self.plots.setMinimumHeight(160)
        right = QSplitter(Qt.Vertical)
        right.addWidget(self.plots)
        right.addWidget(self.table)
        right.setStretchFactor(0, 4)
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.addWidget(right)
        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self.refresh)
        self._warm_up()

    def _warm_up(self) -> None:
        """Paint the plots once, off screen, with a run in them, before anyone sees them. The
        first paint lays out the legend's and axes' text for the first time (fonts, glyphs):
        ~30 ms that otherwise fell in the first frame of the first benchmark, with the
        panel's start, as one stall (measured in `benchmarks/bench_plots_start.py`)."""
        self.ensure_series("warm-up", "warm-up")
        self.plots.grab()
        self.clear_plots()

    def set_theme(self, background: str, foreground: str) -> None:
        for w in self.plot_widgets:
            w.setBackground(background)
        for p in (self.lat_plot, self.tp_plot, self.hist_plot, self.curve_plot):
            for ax in ("left", "bottom"):
                p.getAxis(ax).setPen(foreground)
                p.getAxis(ax).setTextPen(foreground)
            p.titleLabel.setText(p.titleLabel.text, color=foreground)

    def clear_plots(self) -> None:
        self.series.clear()
        self.buffer.clear()
        for c in self._pool:
            for item in c.values():
                item.clear()
                item.hide()
        self.lat_plot.legend.clear()
        self.curve_plot.clear()
        self.curve_plot.legend.clear()
        self.curves.clear()
        self.table.setRowCount(0)
        self._x_span = 0.0
        self._all_drawn = False

    def add_samples(self, key: str, samples) -> None:
        """Feed samples directly (replayed recorded data, tests, the stall benchmark)."""
        for s in samples:
            self.buffer.append((key, s))

    def ensure_series(self, key: str, label: str, color: str | None = None) -> Series:
        """The series `key`, with its curves: made when a benchmark starts, for every run it
        will make, so that adding curves and legend entries never lands in a frame mid-run."""
        if key not in self.series:
            c = self._slot(len(self.series))
            ser = self.series[key] = Series(key, label, color or SERIES[len(self.series) % len(SERIES)])
            color = QColor(ser.color)
            c["lat"].setPen(pg.mkPen(color, width=1))
            c["tp"].setPen(pg.mkPen(color, width=2))
            c["hist"].setPen(pg.mkPen(color))
            c["hist"].setBrush(pg.mkBrush(color.red(), color.green(), color.blue(), 70))
            for item in c.values():
                item.show()
            self.lat_plot.legend.addItem(c["lat"], label)
            self.curves[key] = c
        return self.series[key]

    def _slot(self, i: int) -> dict:
        """The i-th run's curves, from the pool (made the first time a benchmark has that many runs)."""
        while len(self._pool) <= i:
            c = {"lat": self.lat_plot.plot(), "tp": self.tp_plot.plot(),
                 "hist": self.hist_plot.plot(stepMode="center", fillLevel=0)}
            c["lat"].setDownsampling(auto=True, method="peak")
            c["lat"].setClipToView(True)
            self._pool.append(c)
        return self._pool[i]

    def refresh(self, force: bool = False) -> None:
        """Drain the samples that arrived and draw; `force` draws every pane (a run ended)."""
        changed = bool(self.buffer) or any(ser.dirty for ser in self.series.values())
        if force and self._all_drawn and not changed:
            return      # a run's end is announced twice (finished, then done): draw it once
        self._all_drawn = force or (self._all_drawn and not changed)
        t0 = time.perf_counter()
        n = len(self.buffer)
        grouped: dict[str, list] = {}
        for _ in range(n):
            key, s = self.buffer.popleft()
            grouped.setdefault(key, []).append(s)
        for key, items in grouped.items():
            ser = self.series.get(key) or self.ensure_series(key, key)
            ser.t.extend([s.t for s in items])
            ser.lat.extend([s.latency_ms for s in items])
            ser.rows.extend([s.batch for s in items])
            ser.dirty = True
        now = time.monotonic()
        # The slow panes (throughput, histogram, P99 curve, table) are refreshed a few times a
        # second, one per frame in turn: each is another view to paint, and a frame that painted
        # them all at once was the window's longest stall during a benchmark.
        if force:
            parts = {"tp", "hist", "curve", "table"}
        elif self._slow_queue:
            parts = {self._slow_queue.pop(0)}
        elif now - self._last_table > TABLE_EVERY_S:
            self._last_table = now
            self._slow_queue = ["hist", "curve", "table"]
            parts = {"tp"}
        else:
            parts = set()
        for ser in self.series.values():
            if ser.dirty or parts & {"tp", "hist"}:
                self._draw(ser, parts)
        if "curve" in parts:
            for build in dict.fromkeys(k.split("|")[0] for k, ser in self.series.items() if ser.result is not None):
                self._draw_curve(build)
        if "table" in parts:
            self._table()
        self.frames += 1
        self.frame_times.append(time.monotonic())
        self.last_refresh_ms = (time.perf_counter() - t0) * 1e3

    def fps(self) -> float:
        ts = list(self.frame_times)
        if len(ts) < 2 or ts[-1] == ts[0]:
            return 0.0
        return (len(ts) - 1) / (ts[-1] - ts[0])

    def _draw(self, ser: Series, parts=frozenset({"tp", "hist"})) -> None:
        """The latency trace when new samples came; throughput and the histogram (which change
        slowly and cost a pass over all samples) when `parts` names them."""
        new, ser.dirty = ser.dirty, False
        if ser.t.n == 0:
            return
        c = self.curves[ser.key]
        t, lat, rows = ser.t.view, ser.lat.view, ser.rows.view
        if new:     # a finished run's trace is not set again on every slow frame
            c["lat"].setData(t, lat)
            # The time axis grows in 10 s steps instead of every frame: re-laying out the axes
            # (tick text) was most of a frame's cost.
            span = 10.0 * np.ceil(max(float(t[-1]), 1e-3) / 10.0)
            if span > self._x_span:
                self._x_span = span
                for p in (self.lat_plot, self.tp_plot):
                    p.setXRange(0, span, padding=0.01)
        if "tp" in parts:   # throughput: rows completed per bin
            end = float(t.max())
            nb = max(1, int(np.ceil(end / THROUGHPUT_BIN_S)))
            counts = np.bincount(np.minimum((t / THROUGHPUT_BIN_S).astype(int), nb - 1), weights=rows, minlength=nb)
            centers = (np.arange(nb) + 0.5) * THROUGHPUT_BIN_S
            c["tp"].setData(centers, counts / THROUGHPUT_BIN_S)
        if "hist" in parts:
            hi = float(np.percentile(lat, 99.5)) if len(lat) > 20 else float(lat.max())
            lo = float(lat.min())
            if hi <= lo:
                hi = lo + 1e-3
            hist, edges = np.histogram(np.clip(lat, lo, hi), bins=40, range=(lo, hi))
            c["hist"].setData(edges, hist)

    def _draw_curve(self, build: str) -> None:
        """One latency-vs-throughput line per build through its finished runs (batch sizes,
        rates), in the colour of its first run."""
        runs = [s for s in self.series.values() if s.key.split("|")[0] == build and s.result is not None]
        if not runs:
            return
        pts = sorted((s.result.throughput, s.result.latency_ms.p99) for s in runs)
        color = QColor(runs[0].color)
        c = self.curves.setdefault("__curve__" + build, {})
        x, y = [p[0] for p in pts], [p[1] for p in pts]
        if "line" not in c:
            label = self.entry_labels.get(build, runs[0].label)
            c["line"] = self.curve_plot.plot(x, y, pen=pg.mkPen(color, width=2), symbol="o", symbolBrush=color,
                                             symbolPen=None, name=label)
        else:
            c["line"].setData(x, y)

    def _table(self) -> None:
        rows = [s for s in self.series.values() if s.t.n or s.result is not None]
        self.table.setRowCount(len(rows))
        for r, ser in enumerate(rows):
            if ser.result is not None:
                res = ser.result
                lat = res.latency_ms
                vals = [ser.label, str(res.requests), f"{res.throughput:.1f}", f"{lat.p50:.3f}", f"{lat.p90:.3f}",
                        f"{lat.p99:.3f}", f"{lat.max:.3f}", ser.accuracy]
            else:
                a = ser.lat.view
                p50, p90, p99 = np.percentile(a, [50, 90, 99])
                span = float(ser.t.view.max()) or 1e-9
                vals = [ser.label + self.tr(" (live)"), str(ser.t.n), f"{ser.rows.view.sum() / span:.1f}", f"{p50:.3f}",
                        f"{p90:.3f}", f"{p99:.3f}", f"{a.max():.3f}", ser.accuracy]
            for ci, v in enumerate(vals):
                item = QTableWidgetItem(v)
                if ci:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                item.setForeground(QColor(ser.color) if ci == 0 else item.foreground())
                self.table.setItem(r, ci, item)

    def set_accuracy(self, build_key: str, text: str) -> None:
        for ser in self.series.values():
            if ser.key.split("|")[0] == build_key:
                ser.accuracy = text
        self._table()
