"""The benchmark panel: pick builds, a load pattern, batch sizes and a duration; live plots fed
from the harness's sample stream (studio.core.bench.harness), Stop.

Samples arrive on the harness's dispatch thread and go into a deque; a timer on the UI thread
drains it at a frame rate, so a stream of thousands of samples per second costs one plot update
per frame, not one per sample. Curves downsample (peak) and clip to the view."""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QListWidget, QListWidgetItem, QSpinBox,
                               QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from studio.core.backends.registry import get_backend
from studio.core.bench.harness import BenchConfig
from studio.core.bench.inputs import declare_inputs, describe_feed
from studio.core.bench.plan import describe, parse_counts, parse_rates, plan
from studio.core.bench.isolated import IsolatedBench, feed_spec
from studio.core.errors import StudioError
from studio.core.jobs.build_job import BuildEntry
from studio.ui.i18n import bind, bind_items, button, label, translate
from studio.ui.theme import SERIES
from studio.ui.workers import Task, TaskRegistry

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


class BenchPanel(QWidget):
    finished = Signal(object)        # list of (BuildEntry, RunResult)
    failed = Signal(str)
    running_changed = Signal(bool)

    def __init__(self, tasks: TaskRegistry, parent=None):
        super().__init__(parent)
        self.tasks = tasks
        self.entries: list[BuildEntry] = []
        self.series: dict[str, Series] = {}
        self.buffer: collections.deque = collections.deque()
        self.task: Task | None = None
        self.current_bench = None
        self.frames = 0
        self.frame_times: collections.deque = collections.deque(maxlen=120)
        self._last_table = 0.0
        self.results: list[tuple[BuildEntry, object]] = []
        self._stop: threading.Event | None = None
        self._slow_queue: list[str] = []

        self.build_list = QListWidget()
        self.build_list.setSelectionMode(QAbstractItemView.NoSelection)
        self.build_list.setMaximumHeight(110)
        self.pattern = QComboBox()
        for data in ("closed", "qps", "dynamic"):
            self.pattern.addItem("", data)
        bind_items(self.pattern, {"closed": lambda: self.tr("Closed loop (N clients)"),
                                  "qps": lambda: self.tr("Target QPS (Poisson arrivals)"),
                                  "dynamic": lambda: self.tr("Dynamic batching (QPS + batcher)")})
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 64)
        self.qps = QLineEdit("200")
        bind(self.qps.setToolTip, lambda: self.tr("Requests per second; several (100,200,400) sweep the rate and "
                                                  "draw the latency-vs-throughput curve"))
        self.max_batch = QSpinBox()
        self.max_batch.setRange(1, 1024)
        self.max_batch.setValue(16)
        self.max_delay = QDoubleSpinBox()
        self.max_delay.setRange(0.1, 1000)
        self.max_delay.setValue(5.0)
        self.max_delay.setSuffix(" ms")
        self.batches = QLineEdit("1")
        self.duration = QDoubleSpinBox()
        self.duration.setRange(0.2, 3600)
        self.duration.setValue(5.0)
        self.duration.setSuffix(" s")
        form = QFormLayout()
        form.addRow(label(lambda: self.tr("Builds")), self.build_list)
        form.addRow(label(lambda: self.tr("Load")), self.pattern)
        form.addRow(label(lambda: self.tr("Clients")), self.concurrency)
        form.addRow(label(lambda: self.tr("Target QPS (sweep)")), self.qps)
        form.addRow(label(lambda: self.tr("Max batch / delay")), self._pair(self.max_batch, self.max_delay))
        form.addRow(label(lambda: self.tr("Batch sizes")), self.batches)
        form.addRow(label(lambda: self.tr("Duration")), self.duration)
        self.inputs = QLineEdit()
        bind(self.inputs.setPlaceholderText, lambda: self.tr("empty: synthetic token ids"))
        bind(self.inputs.setToolTip, lambda: self.tr(
            "What each request feeds: texts (.csv/.jsonl, tokenized with the build panel's "
            "tokenizer), arrays (.npz), or synthetic ids when empty"))
        self.seq_len = QSpinBox()
        self.seq_len.setRange(0, 8192)
        self.seq_len.setValue(0)
        bind(self.seq_len.setSpecialValueText, lambda: self.tr("own length"))
        bind(self.seq_len.setToolTip, lambda: self.tr("Tokens per text: 0 keeps each text's own length "
                                                      "(synthetic ids use 64)"))
        form.addRow(label(lambda: self.tr("Inputs")), self._pair(self.inputs, self.seq_len))
        self.inputs_note = QLabel("")
        self.inputs_note.setWordWrap(True)
        self.inputs.textChanged.connect(lambda _: self._describe_inputs())
        self.seq_len.valueChanged.connect(lambda _: self._describe_inputs())
        self.tokenizer_provider = lambda: None   # the build panel's tokenizer field
        form.addRow("", self.inputs_note)
        self.run_btn = button(lambda: self.tr("Run benchmark"), lambda: self.tr("Benchmark the checked builds (Ctrl+R)"))
        self.stop_btn = button(lambda: self.tr("Stop"))
        self.stop_btn.setEnabled(False)
        self.run_btn.clicked.connect(self.start)
        self.stop_btn.clicked.connect(self.stop)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_btn, 1)
        buttons.addWidget(self.stop_btn)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(2, 2, 2, 2)
        ll.addLayout(form)
        ll.addLayout(buttons)
        ll.addWidget(self.status)
        ll.addStretch(1)

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
            p.addLegend(offset=(-5, 5), labelTextSize="8pt")
        self.lat_plot.setDownsampling(auto=True, mode="peak")
        self._x_span = 0.0
        for p in (self.lat_plot, self.tp_plot):
            p.disableAutoRange(axis="x")
        self.lat_plot.setClipToView(True)
        self.curves: dict[str, dict] = {}

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
        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 4)
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.addWidget(split)

        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self.refresh)
        self.pattern.currentIndexChanged.connect(lambda _: self._pattern_changed())
        self._pattern_changed()
        self.declared_inputs: dict = {}
        self._describe_inputs()

    @staticmethod
    def _pair(a, b) -> QWidget:
        w = QWidget()
        lay = QHBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(a)
        lay.addWidget(b)
        return w

    def input_spec(self) -> tuple[dict, dict]:
        """The panel's data file with the tokenizer, or synthetic ids (declare_inputs)."""
        data = self.inputs.text().strip() or None
        is_arrays = data is not None and data.lower().endswith((".npz", ".npy"))
        tok = self.tokenizer_provider() if data is not None and not is_arrays else None
        return declare_inputs(data, self.seq_len.value() or None, tok)

    def _describe_inputs(self) -> None:
        _, d = self.input_spec()
        bind(self.inputs_note.setText, lambda: self.tr("inputs: {what}").format(what=describe_feed(d)))

    def _pattern_changed(self) -> None:
        p = self.pattern.currentData()
        self.concurrency.setEnabled(p == "closed")
        self.qps.setEnabled(p != "closed")
        self.max_batch.setEnabled(p == "dynamic")
        self.max_delay.setEnabled(p == "dynamic")
        self.batches.setEnabled(p != "dynamic")

    def set_theme(self, background: str, foreground: str) -> None:
        for w in self.plot_widgets:
            w.setBackground(background)
        for p in (self.lat_plot, self.tp_plot, self.hist_plot, self.curve_plot):
            for ax in ("left", "bottom"):
                p.getAxis(ax).setPen(foreground)
                p.getAxis(ax).setTextPen(foreground)
            p.titleLabel.setText(p.titleLabel.text, color=foreground)

    # ----- builds
    def set_builds(self, entries: list[BuildEntry]) -> None:
        checked = self.checked_keys()
        self.entries = list(entries)
        self.build_list.clear()
        for e in self.entries:
            item = QListWidgetItem(f"{e.label}  ({Path(e.result.output).name})")
            item.setData(Qt.UserRole, e.key)
            runnable, why = self.can_run(e)
            item.setFlags(Qt.ItemIsUserCheckable | (Qt.ItemIsEnabled if runnable else Qt.NoItemFlags))
            item.setCheckState(Qt.Checked if (e.key in checked and runnable) else Qt.Unchecked)
            item.setToolTip(why or e.result.output)
            self.build_list.addItem(item)

    @staticmethod
    def can_run(entry: BuildEntry) -> tuple[bool, str | None]:
        try:
            caps = get_backend(entry.result.backend).capabilities()
        except StudioError as e:
            return False, str(e)
        if caps.can_run_here:
            return False, translate("BenchPanel", "cannot run here: {reason}").format(reason=caps.can_run_here)
        return True, None

    def checked_keys(self) -> list[str]:
        return [self.build_list.item(i).data(Qt.UserRole) for i in range(self.build_list.count())
                if self.build_list.item(i).checkState() == Qt.Checked]

    def check(self, keys) -> None:
        keys = set(keys)
        for i in range(self.build_list.count()):
            it = self.build_list.item(i)
            if it.flags() & Qt.ItemIsEnabled:
                it.setCheckState(Qt.Checked if it.data(Qt.UserRole) in keys else Qt.Unchecked)

    # ----- run
    @property
    def running(self) -> bool:
        return self.run_btn is not None and not self.run_btn.isEnabled()

    def plan_runs(self):
        """(build, configuration, label) for each run the panel's fields ask for (studio.core.bench.plan)."""
        keys = self.checked_keys()
        chosen = [e for e in self.entries if e.key in keys]
        if not chosen:
            raise StudioError("check at least one build that can run here (ONNX Runtime builds run on this CPU)")
        pattern = self.pattern.currentData()
        base = BenchConfig(duration_s=float(self.duration.value()), warmup_s=0.3,
                           max_batch=self.max_batch.value() if pattern == "dynamic" else None,
                           max_delay_ms=float(self.max_delay.value()))
        rates = parse_rates(self.qps.text(), self.tr("target QPS")) if pattern != "closed" else None
        batches = parse_counts(self.batches.text(), self.tr("batch sizes")) if pattern != "dynamic" else [1]
        clients = [self.concurrency.value()] if pattern == "closed" else [1]
        configs = plan(base, batches=batches, concurrencies=clients, rates=rates)
        return [(e, cfg, f"{e.label} {describe(cfg)}") for e in chosen for cfg in configs]

    def start(self) -> Task | None:
        if self.running:
            return None
        try:
            runs = self.plan_runs()
        except StudioError as e:
            self.failed.emit(str(e))
            return None
        self.clear_plots()
        for i, (e, cfg, run_label) in enumerate(runs):
            key = f"{e.key}|{i}"
            self.series[key] = Series(key, run_label, SERIES[i % len(SERIES)])
        buf = self.buffer
        panel = self
        inputs, self.declared_inputs = self.input_spec()
        stop = self._stop = threading.Event()   # Stop keeps what was measured; cancel (closing) does not

        def work(cancel, emit):
            # Each run in a child process (studio.core.bench.isolated): a runtime that crashes
            # costs one failed run, and session creation does not hold this process's GIL.
            out = []
            for i, (e, cfg, run_label) in enumerate(runs):
                if cancel.is_set() or stop.is_set():
                    break
                key = f"{e.key}|{i}"
                bench = IsolatedBench(e.result.output, e.result.backend, feed_spec(e.config.model, **inputs), cfg,
                                      on_sample=lambda s, key=key: buf.append((key, s)))
                panel.current_bench = bench
                emit(("run", key, run_label))
                bench.start()
                while not bench.wait(0.1):
                    if cancel.is_set():
                        bench.cancel()      # closing: nothing to keep
                    elif stop.is_set():
                        bench.stop()
                res = bench.result()
                emit(("result", key, res))
                out.append((e, res))
            panel.current_bench = None
            return out

        # Niced, as builds are: the benchmark child inherits it, and on a machine whose cores it
        # fills the window still gets the CPU when it needs it (an idle window costs the run nothing).
        self.task = task = Task(work, name="benchmark", parent=self, nice=5)
        task.event.connect(self._on_event)
        task.finished.connect(self._finished)
        task.failed.connect(self._failed)
        task.cancelled.connect(lambda: self._finished([]))
        task.done.connect(self._done)
        self.run_btn.setEnabled(False)
        self.stop_btn.setEnabled(True)
        bind(self.status.setText, lambda: self.tr("{n} run(s)...").format(n=len(runs)))
        self.timer.start()
        self.running_changed.emit(True)
        return self.tasks.start(task)

    def stop(self) -> None:
        """Stop the whole sequence: the current run ends with what it measured."""
        if self._stop is not None:
            self._stop.set()
        bench = self.current_bench
        if bench is not None:
            bench.stop()

    def _on_event(self, ev) -> None:
        kind, key = ev[0], ev[1]
        if kind == "run":
            bind(self.status.setText, lambda: self.tr("running {run}...").format(run=ev[2]))
        elif kind == "result" and key in self.series:
            self.series[key].result = ev[2]
            self.series[key].dirty = True

    def _finished(self, out) -> None:
        self.refresh(force=True)
        if out:
            self.results = out
            stopped = self._stop is not None and self._stop.is_set()
            bind(self.status.setText, lambda: (self.tr("stopped: {n} run(s)") if stopped
                                               else self.tr("done: {n} run(s)")).format(n=len(out)))
            self.finished.emit(out)
        else:
            bind(self.status.setText, lambda: self.tr("stopped"))

    def _failed(self, msg: str) -> None:
        bind(self.status.setText, lambda: self.tr("failed: {error}").format(error=msg))
        self.failed.emit(msg)

    def _done(self) -> None:
        self.refresh(force=True)
        self.timer.stop()
        self.run_btn.setEnabled(True)
        self.stop_btn.setEnabled(False)
        self.running_changed.emit(False)

    # ----- plots
    def clear_plots(self) -> None:
        self.series.clear()
        self.buffer.clear()
        for p in (self.lat_plot, self.tp_plot, self.hist_plot, self.curve_plot):
            p.clear()
            if p.legend is not None:
                p.legend.clear()
        self.curves.clear()
        self.table.setRowCount(0)
        self._x_span = 0.0

    def add_samples(self, key: str, samples) -> None:
        """Feed samples directly (replayed recorded data, tests, the stall benchmark)."""
        for s in samples:
            self.buffer.append((key, s))

    def ensure_series(self, key: str, label: str) -> Series:
        if key not in self.series:
            self.series[key] = Series(key, label, SERIES[len(self.series) % len(SERIES)])
        return self.series[key]

    def refresh(self, force: bool = False) -> None:
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
        # The slow panes (throughput, histogram + P99 curve, table) are refreshed a few times a
        # second, one per frame in turn, so no single frame does all of that work at once.
        if force:
            parts = {"tp", "hist", "table"}
        elif self._slow_queue:
            parts = {self._slow_queue.pop(0)}
        elif now - self._last_table > TABLE_EVERY_S:
            self._last_table = now
            self._slow_queue = ["hist", "table"]
            parts = {"tp"}
        else:
            parts = set()
        for ser in self.series.values():
            if ser.dirty or parts & {"tp", "hist"}:
                self._draw(ser, parts)
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
        """The latency trace every frame; throughput, histogram and the P99 point (which
        change slowly and cost a pass over all samples) when `parts` names them."""
        ser.dirty = False
        if ser.t.n == 0:
            return
        c = self.curves.get(ser.key)
        color = QColor(ser.color)
        if c is None:
            c = {
                "lat": self.lat_plot.plot(pen=pg.mkPen(color, width=1), name=ser.label),
                "tp": self.tp_plot.plot(pen=pg.mkPen(color, width=2), name=ser.label),
                "hist": self.hist_plot.plot(stepMode="center", fillLevel=0, pen=pg.mkPen(color),
                                            brush=pg.mkBrush(color.red(), color.green(), color.blue(), 70),
                                            name=ser.label),
            }
            c["lat"].setDownsampling(auto=True, method="peak")
            c["lat"].setClipToView(True)
            self.curves[ser.key] = c
        t, lat, rows = ser.t.view, ser.lat.view, ser.rows.view
        c["lat"].setData(t, lat)
        # The time axis grows in 10 s steps instead of every frame: re-laying out the axes
        # (tick text) was most of a frame's cost.
        span = 10.0 * np.ceil(max(float(t[-1]), 1e-3) / 10.0)
        if span > self._x_span:
            self._x_span = span
            for p in (self.lat_plot, self.tp_plot):
                p.setXRange(0, span, padding=0.01)
        if "tp" not in parts:
            if "hist" in parts:
                self._draw_hist(ser, c, lat)
            return
        # throughput: rows completed per bin
        end = float(t.max())
        nb = max(1, int(np.ceil(end / THROUGHPUT_BIN_S)))
        counts = np.bincount(np.minimum((t / THROUGHPUT_BIN_S).astype(int), nb - 1), weights=rows, minlength=nb)
        centers = (np.arange(nb) + 0.5) * THROUGHPUT_BIN_S
        c["tp"].setData(centers, counts / THROUGHPUT_BIN_S)
        if "hist" in parts:
            self._draw_hist(ser, c, lat)

    def _draw_hist(self, ser: Series, c: dict, lat: np.ndarray) -> None:
        hi = float(np.percentile(lat, 99.5)) if len(lat) > 20 else float(lat.max())
        lo = float(lat.min())
        if hi <= lo:
            hi = lo + 1e-3
        hist, edges = np.histogram(np.clip(lat, lo, hi), bins=40, range=(lo, hi))
        c["hist"].setData(edges, hist)
        if ser.result is not None:
            self._draw_curve(ser.key.split("|")[0])

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
            label = next((e.label for e in self.entries if e.key == build), runs[0].label)
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
