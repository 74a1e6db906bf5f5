"""Targets and sweeps: the machines jobs can run on (this one, or a Ray cluster's nodes) with what
each is and which backends build and run there; which builds can run on which target (the
compatibility matrix, each check made on the target itself); a sweep of precisions x batch sizes x
concurrencies over the chosen targets, its rows streaming in as they are measured, throughput
against P99 per target with each target's Pareto front; and the serving plan for a peak.

The work is the session's (studio.core.session.Session.sweep); this panel gathers the request,
runs it in a worker and shows what comes back."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QDoubleSpinBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from studio.core.bench.plan import parse_counts
from studio.core.bench.serving import parse_prices
from studio.core.bench.sweep import SweepResult, SweepRun, pareto
from studio.core.errors import StudioError
from studio.core.jobs.executor import executor_for
from studio.core.jobs.targets import Target
from studio.ui.bench_panel import pair, passes_box
from studio.ui.i18n import bind, button
from studio.ui.theme import SERIES
from studio.ui.workers import Task, TaskRegistry


class SweepPanel(QWidget):
    """`request_sweep` asks the window for the build configurations (the Build panel's choices)
    and runs the sweep; the panel only knows what the user typed here."""

    targets_loaded = Signal(list)      # list[Target]
    run_added = Signal(object)         # SweepRun, on the UI thread
    finished = Signal(object)          # SweepResult

    def __init__(self, tasks: TaskRegistry, parent=None):
        super().__init__(parent)
        self.tasks = tasks
        self.targets: list[Target] = []
        self.runs: list[SweepRun] = []
        self.result: SweepResult | None = None
        self.task: Task | None = None
        self.targets_task: Task | None = None

        self.cluster = QLineEdit()
        bind(self.cluster.setPlaceholderText, lambda: self.tr("this machine, or a cluster: ray:HOST:PORT"))
        refresh = button(lambda: self.tr("Find targets"))
        refresh.clicked.connect(self.load_targets)
        self.cluster.returnPressed.connect(self.load_targets)
        top = QHBoxLayout()
        top.addWidget(self.cluster, 1)
        top.addWidget(refresh)

        self.target_table = QTableWidget(0, 5)
        bind(self.target_table.setHorizontalHeaderLabels, lambda: [
            self.tr("Target"), self.tr("GPU"), self.tr("CPU"), self.tr("Builds"), self.tr("Runs")])
        self._table_style(self.target_table)
        self.target_table.setSelectionMode(QAbstractItemView.MultiSelection)

        self.precisions = QLineEdit("fp32")
        self.batches = QLineEdit("1,8")
        self.concurrencies = QLineEdit("1")
        self.duration = QDoubleSpinBox()
        self.duration.setRange(0.1, 600.0)
        self.duration.setValue(5.0)
        bind(self.duration.setSuffix, lambda: self.tr(" s"))
        self.passes = passes_box()
        self.peak = QDoubleSpinBox()
        self.peak.setRange(0.0, 1e7)
        self.peak.setDecimals(0)
        self.peak.setValue(5000.0)
        bind(self.peak.setSuffix, lambda: self.tr(" requests/s"))
        bind(self.peak.setSpecialValueText, lambda: self.tr("no serving plan"))
        self.p99 = QDoubleSpinBox()
        self.p99.setRange(1.0, 60000.0)
        self.p99.setValue(200.0)
        bind(self.p99.setSuffix, lambda: self.tr(" ms"))
        self.prices = QLineEdit()
        bind(self.prices.setPlaceholderText, lambda: self.tr("per device-hour by target, e.g. t4=0.35,l4=0.8"))
        form = QFormLayout()
        for text, w in ((lambda: self.tr("Precisions"), self.precisions), (lambda: self.tr("Batch sizes"), self.batches),
                        (lambda: self.tr("Concurrency"), self.concurrencies),
                        (lambda: self.tr("Duration"), pair(self.duration, self.passes)),
                        (lambda: self.tr("Peak rate"), self.peak), (lambda: self.tr("P99 budget"), self.p99),
                        (lambda: self.tr("Prices ($)"), self.prices)):
            name = QLabel()
            bind(name.setText, text)
            form.addRow(name, w)
        self.run_btn = button(lambda: self.tr("Run sweep"))
        self.cancel_btn = button(lambda: self.tr("Cancel"))
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_btn)
        buttons.addWidget(self.cancel_btn)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.check_btn = button(lambda: self.tr("Check builds on targets"),
                                lambda: self.tr("Whether each build can run on each selected target, and why not"))
        self.matrix = QTableWidget(0, 0)
        self._table_style(self.matrix)

        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.target_table, 1)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.status)
        lay.addWidget(self.check_btn)
        lay.addWidget(self.matrix, 1)

        self.table = QTableWidget(0, 8)
        bind(self.table.setHorizontalHeaderLabels, lambda: [
            self.tr("Target"), self.tr("Precision"), self.tr("Batch"), self.tr("Clients"), self.tr("Samples/s"),
            self.tr("P50 ms"), self.tr("P99 ms"), self.tr("Accuracy")])
        self._table_style(self.table)
        self.plot = pg.PlotWidget()
        item = self.plot.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.2)
        item.addLegend(offset=(-5, 5), labelTextSize="8pt")
        bind(item.setTitle, lambda: self.tr("Throughput vs P99 per target (line: Pareto front)"))
        item.setLabel("left", "P99", units="ms")
        bind(lambda t: item.setLabel("bottom", t), lambda: self.tr("samples/s"), owner=item)
        self.plan = QLabel("")
        self.plan.setWordWrap(True)
        self.plan.setTextInteractionFlags(Qt.TextSelectableByMouse)
        right = QSplitter(Qt.Vertical)
        right.addWidget(self.table)
        right.addWidget(self.plot)
        right.addWidget(self.plan)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.addWidget(split)
        self.run_added.connect(self._add_row)

    @staticmethod
    def _table_style(table: QTableWidget) -> None:
        table.setSelectionBehavior(QAbstractItemView.SelectRows)
        table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)

    def set_theme(self, background: str, foreground: str) -> None:
        self.plot.setBackground(background)
        for ax in ("left", "bottom"):
            self.plot.getPlotItem().getAxis(ax).setPen(foreground)
            self.plot.getPlotItem().getAxis(ax).setTextPen(foreground)

    # ----- targets
    def address(self) -> str | None:
        return self.cluster.text().strip() or None

    def load_targets(self) -> Task:
        """Ask the executor for its targets in a worker (a cluster may take seconds to answer)."""
        address = self.address()

        def work(cancel, emit):
            executor = executor_for(address)
            try:
                return executor.targets()
            finally:
                executor.close()
        self.status.setText(self.tr("asking {where} for its targets...").format(
            where=address or self.tr("this machine")))
        task = Task(work, name="targets", parent=self)
        task.finished.connect(self._show_targets)
        task.failed.connect(lambda msg: self.status.setText(msg))
        self.targets_task = task
        return self.tasks.start(task)

    def _show_targets(self, targets: list[Target]) -> None:
        self.targets = list(targets)
        t = self.target_table
        t.setRowCount(len(targets))
        for r, target in enumerate(targets):
            gpu = self.tr("no GPU") if target.gpu is None else (
                f"{target.gpu.get('name')} (sm {target.gpu.get('compute_capability')})")
            values = [target.name, gpu, f"{target.cpu.get('model', '?')} x{target.cpu.get('cores', '?')}",
                      ", ".join(b["name"] for b in target.backends if b["build"]) or "-",
                      ", ".join(b["name"] for b in target.backends if b["run"]) or "-"]
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                why = [f"{b['name']}: {b['why_not']}" for b in target.backends if b.get("why_not")]
                item.setToolTip("\n".join(why))
                t.setItem(r, c, item)
        t.selectAll()
        self.status.setText(self.tr("{n} target(s)").format(n=len(targets)))
        self.targets_loaded.emit(self.targets)

    def chosen_targets(self) -> list[str] | None:
        """The targets selected in the table; None (all) when none are listed yet."""
        rows = sorted({i.row() for i in self.target_table.selectedIndexes()})
        if not self.targets:
            return None
        if not rows:
            raise StudioError(self.tr("select at least one target"))
        return [self.targets[r].name for r in rows]

    # ----- the compatibility matrix
    def check_builds(self, work) -> Task:
        """Run `work(cancel)` (the window's call of studio.core.jobs.compatibility) in a worker."""
        task = Task(lambda cancel, emit: work(cancel), name="compatibility", parent=self)
        task.finished.connect(self.show_matrix)
        task.failed.connect(lambda msg: self.status.setText(msg))
        task.done.connect(lambda: self.check_btn.setEnabled(True))
        self.check_btn.setEnabled(False)
        self.status.setText(self.tr("checking the builds on each target..."))
        return self.tasks.start(task)

    def show_matrix(self, fits: list) -> None:
        """Builds down, targets across: yes, or no with the target's reasons (also as a tooltip)."""
        builds = list(dict.fromkeys(f.artifact for f in fits))
        targets = list(dict.fromkeys(f.target for f in fits))
        m = self.matrix
        m.clear()
        m.setRowCount(len(builds))
        m.setColumnCount(len(targets))
        m.setHorizontalHeaderLabels(targets)
        m.setVerticalHeaderLabels([Path(b).name for b in builds])
        m.verticalHeader().show()
        for f in fits:
            item = QTableWidgetItem(self.tr("runs") if f.runs else self.tr("no: {why}").format(why="; ".join(f.reasons)))
            item.setToolTip("\n".join(f.reasons) or self.tr("runs here"))
            item.setForeground(QColor("#15803d" if f.runs else "#b91c1c"))
            m.setItem(builds.index(f.artifact), targets.index(f.target), item)
        self.status.setText(self.tr("{ok} of {n} build-target pairs can run").format(
            ok=sum(f.runs for f in fits), n=len(fits)))

    # ----- the sweep
    def settings(self) -> dict:
        """What the user asked for, checked: precisions, counts, duration, peak and prices."""
        precisions = [p.strip().lower() for p in self.precisions.text().split(",") if p.strip()]
        if not precisions:
            raise StudioError(self.tr("name at least one precision, e.g. fp32,int8"))
        peak = self.peak.value()
        return {"precisions": precisions, "batches": parse_counts(self.batches.text(), "batch sizes"),
                "concurrencies": parse_counts(self.concurrencies.text(), "concurrency"),
                "duration_s": self.duration.value(), "passes": self.passes.value() or None,
                "targets": self.chosen_targets(),
                "peak": (peak, self.p99.value()) if peak > 0 else None, "prices": parse_prices(self.prices.text())}

    def start(self, work) -> Task:
        """Run `work(cancel, on_run)` (the window's call of Session.sweep) in a worker."""
        self.runs.clear()
        self.result = None
        self.table.setRowCount(0)
        self.plot.getPlotItem().clear()
        self.plan.setText("")

        def run(cancel, emit):
            return work(cancel, self.run_added.emit)
        task = Task(run, name="sweep", parent=self, nice=5)
        task.finished.connect(self._finished)
        task.failed.connect(lambda msg: self.status.setText(self.tr("sweep failed: {error}").format(error=msg)))
        task.cancelled.connect(lambda: self.status.setText(self.tr("sweep cancelled: nothing was counted")))
        task.done.connect(lambda: (self.run_btn.setEnabled(True), self.cancel_btn.setEnabled(False)))
        self.run_btn.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        self.status.setText(self.tr("sweeping..."))
        self.task = task
        return self.tasks.start(task)

    def cancel(self) -> None:
        if self.task is not None and self.task.running:
            self.task.cancel()

    def _add_row(self, r: SweepRun) -> None:
        self.runs.append(r)
        row = self.table.rowCount()
        self.table.insertRow(row)
        acc = r.accuracy
        acc_text = "-" if acc is None else f"{acc['value']:.2%}" + (self.tr(" (predicted)") if acc["predicted"] else "")
        for c, v in enumerate([r.target, r.precision.upper(), str(r.batch), str(r.concurrency), f"{r.throughput:,.1f}",
                               f"{r.latency_ms['p50']:.2f}", f"{r.latency_ms['p99']:.2f}", acc_text]):
            item = QTableWidgetItem(v)
            if c >= 2:
                item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            self.table.setItem(row, c, item)
        self._plot()

    def _plot(self) -> None:
        """Each target's points, and its Pareto front as a line through them."""
        item = self.plot.getPlotItem()
        item.clear()
        for i, target in enumerate(dict.fromkeys(r.target for r in self.runs)):
            mine = [r for r in self.runs if r.target == target]
            color = QColor(SERIES[i % len(SERIES)])
            item.plot([r.throughput for r in mine], [r.latency_ms["p99"] for r in mine], pen=None, symbol="o",
                      symbolBrush=color, symbolSize=7, name=target)
            front = pareto(mine)
            item.plot([r.throughput for r in front], [r.latency_ms["p99"] for r in front],
                      pen=pg.mkPen(color, width=2))

    def _finished(self, result: SweepResult) -> None:
        self.result = result
        failed = "; ".join(f"{f.target} {f.precision} {f.what}: {f.error}" for f in result.failed)
        self.status.setText(self.tr("{n} configuration(s) measured").format(n=len(result.runs))
                            + (self.tr("; failed: {what}").format(what=failed) if failed else ""))
        self.plan.setText(self.plan_text(result))
        self.finished.emit(result)

    def plan_text(self, result: SweepResult) -> str:
        plan = result.plan
        if plan is None:
            return ""
        lines = [self.tr("Serving plan for {qps:,.0f} requests/s with P99 under {ms:g} ms:").format(
            qps=plan.peak_qps, ms=plan.p99_budget_ms)]
        best = plan.cheapest
        for p in plan.plans:
            lines.append(self.tr("{mark}{target}: {devices} x {device}, {precision}, max batch {batch}, window "
                                 "{delay:g} ms, P99 {p99:.1f} ms, ${hour:.2f}/hour, ${million:.3f} per million "
                                 "requests").format(
                mark="* " if p is best else "  ", target=p.target, devices=p.devices, device=p.device,
                precision=p.precision.upper(), batch=p.max_batch, delay=p.max_delay_ms, p99=p.p99_ms,
                hour=p.cost_per_hour, million=p.cost_per_million))
        for target, why in plan.unplanned.items():
            lines.append(self.tr("  {target}: no plan ({why})").format(target=target, why=why))
        return "\n".join(lines)
