"""The precision workbench in the window: "Find precision..." asks for a target, a budget and the
validation data, runs the search (studio.core.session.Session.find_precision, in a child
process) with progress and cancel, and shows each quantizable node's sensitivity as a sorted
table (a row selects its node in the graph) and as a colour mode of both graph views. The
keep-list it finds goes into the build panel, or into a keep-file for `build --keep-file`."""

from __future__ import annotations

import collections
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QProgressBar,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from studio.core.precision_search.search import SearchResult
from studio.ui.accuracy_dialog import AccuracyDialog
from studio.ui.i18n import bind, button


class PrecisionDialog(AccuracyDialog):
    """The accuracy check's data fields, and what the search needs besides: target and budget."""

    def __init__(self, model: str, choices: dict, target: str, parent=None):
        super().__init__(model, choices, parent)
        self.setWindowTitle(self.tr("Find precision"))
        self.target = QComboBox()
        self.target.addItems(["int8", "fp8", "fp16", "bf16"])
        self.target.setCurrentText(target if target in ("int8", "fp8", "fp16", "bf16") else "int8")
        self.budget = QDoubleSpinBox()
        self.budget.setRange(0.0, 100.0)
        self.budget.setDecimals(2)
        self.budget.setSingleStep(0.1)
        self.budget.setValue(float(choices.get("precision_budget") or 0.5))
        self.budget.setSuffix(self.tr(" points"))
        self.metric = QComboBox()
        for key, text in (("", self.tr("accuracy with labels, else top-1 agreement")),
                          ("accuracy", self.tr("accuracy (needs a label column)")),
                          ("agreement", self.tr("top-1 agreement with FP32")),
                          ("cosine", self.tr("cosine similarity with FP32"))):
            self.metric.addItem(text, key)
        form = self.layout()
        form.insertRow(0, self.tr("Target"), self.target)
        form.insertRow(1, self.tr("Budget"), self.budget)
        form.insertRow(2, self.tr("Measured in"), self.metric)

    def request(self) -> dict:
        req = super().request()
        metric = self.metric.currentData() or ("accuracy" if req["label_column"] else "agreement")
        return {**req, "target": self.target.currentText(), "budget": self.budget.value(), "metric": metric,
                "precision_budget": self.budget.value()}


class PrecisionPanel(QWidget):
    """A search's progress, then its result. Signals: `node_clicked(name)`, `apply_requested`
    (the build panel takes the keep-list), `cancel_requested`."""

    node_clicked = Signal(str)
    apply_requested = Signal(object)     # SearchResult
    cancel_requested = Signal()
    calibration_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.result: SearchResult | None = None
        self.events: collections.deque = collections.deque()
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        bind(self.summary.setText, lambda: self.tr(
            "Find precision (in the Build panel) ranks each quantizable node by how far lowering it alone "
            "moves the output, and finds the fewest to keep high under an accuracy budget."))
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.cancel_btn = button(lambda: self.tr("Cancel"))
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel_requested)
        self.apply_btn = button(lambda: self.tr("Use in build"),
                                lambda: self.tr("Put the keep-list and the target into the Build panel"))
        self.save_btn = button(lambda: self.tr("Save keep-file..."),
                               lambda: self.tr("For engine-studio build --keep-file"))
        self.calib_btn = button(lambda: self.tr("Check calibration..."), lambda: self.tr(
            "Compare the calibration set with the validation set: lengths, duplicates, unknown tokens, values "
            "clipped, and minmax / entropy / percentile by predicted accuracy"))
        self.calib_btn.clicked.connect(self.calibration_requested)
        for b in (self.apply_btn, self.save_btn):
            b.setEnabled(False)
        self.apply_btn.clicked.connect(lambda: self.result and self.apply_requested.emit(self.result))
        self.save_btn.clicked.connect(lambda: self.save_keep_file())
        self.table = QTableWidget(0, 5)
        bind(self.table.setHorizontalHeaderLabels,
             lambda: [self.tr("node"), self.tr("drift 100 x (1 - cos)"), self.tr("SQNR (dB)"), self.tr("GFLOP / batch"),
                      self.tr("kept")])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        self.table.itemSelectionChanged.connect(self._row_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.cancel_btn)
        buttons.addWidget(self.apply_btn)
        buttons.addWidget(self.save_btn)
        buttons.addWidget(self.calib_btn)
        root = QVBoxLayout(self)
        root.addWidget(self.summary)
        root.addLayout(buttons)
        root.addWidget(self.table, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(100)
        self.timer.timeout.connect(self._drain)

    def started(self) -> None:
        self.events.clear()
        self.result = None
        self.table.setRowCount(0)
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_btn.setEnabled(True)
        self.apply_btn.setEnabled(False)
        self.save_btn.setEnabled(False)
        self.summary.setText(self.tr("starting the precision search..."))
        self.timer.start()

    def _drain(self) -> None:
        phase = None
        while self.events:
            ev = self.events.popleft()
            if ev.kind == "progress":
                phase = ev.phase or phase
                if ev.fraction is not None:
                    self.progress.setValue(int(1000 * max(0.0, min(1.0, ev.fraction))))
            elif ev.kind == "log" and ev.level != "verbose" and ev.message:
                self.summary.setText(ev.message)
        if phase:
            self.progress.setFormat(f"{self.tr(phase)}  %p%")

    def stopped(self, message: str) -> None:
        self._drain()
        self.timer.stop()
        self.progress.hide()
        self.cancel_btn.setEnabled(False)
        self.summary.setText(message)

    def show_result(self, res: SearchResult) -> None:
        self.stopped("")
        self.result = res
        kept = set(res.kept)
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(res.sensitivity))
        for r, s in enumerate(res.sensitivity):
            score = QTableWidgetItem()
            score.setData(Qt.DisplayRole, round(s["score"], 4))
            flops = QTableWidgetItem()
            flops.setData(Qt.DisplayRole, round(s["flops"] / 1e9, 3))
            sqnr = QTableWidgetItem()
            if s.get("sqnr_db") is not None:
                sqnr.setData(Qt.DisplayRole, round(s["sqnr_db"], 1))
            for c, item in enumerate((QTableWidgetItem(s["node"]), score, sqnr, flops,
                                      QTableWidgetItem(self.tr("yes") if s["node"] in kept else ""))):
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        self.table.sortItems(1, Qt.DescendingOrder)
        pct = lambda x: "-" if x is None else f"{100 * x:.2f} %"  # noqa: E731
        self.summary.setText(self.tr(
            "{target}: {kept} of {n} nodes kept high, {share:.1f} % of GEMM FLOPs in {target}; {metric} FP32 {ref}, "
            "predicted {pred} (drop {drop:+.2f} points, budget {budget:g}). Predicted: a CPU execution of the "
            "typed candidates, blind to kernel accumulation order, tactics and fused kernels.").format(
                target=res.target, kept=len(res.kept), n=len(res.sensitivity),
                share=100 * res.lowered_gemm_flops_share, metric=res.metric, ref=pct(res.reference_score),
                pred=pct(res.predicted_score), drop=res.drop_points, budget=res.budget))
        self.apply_btn.setEnabled(True)
        self.save_btn.setEnabled(True)

    def show_calibration(self, check: dict) -> None:
        """A calibration check (CalibrationCheck.to_dict()) in the summary: the sets, the methods,
        the most clipped tensors and what looks wrong."""
        self.stopped("")
        sets = []
        for name, f in ((self.tr("calibration"), check["calibration"]), (self.tr("validation"), check["validation"])):
            lengths = f["lengths"]
            span = f"{lengths['min']}-{lengths['max']}" if lengths else "-"
            sets.append(self.tr("{name}: {n} texts, {dup:.0f} % duplicates, {span} tokens").format(
                name=name, n=f["samples"], dup=100 * f["duplicate_share"], span=span))
        methods = ", ".join(f"{m['method']} {m['drop_points']:+.2f}" for m in check["methods"])
        clipped = ", ".join(f"{c['tensor'].rsplit('/', 2)[-2] if '/' in c['tensor'] else c['tensor']} "
                            f"{100 * c['clipped_share']:.2f} %" for c in check["clipping"][:3])
        lines = [escape(" | ".join(sets)),
                 escape(self.tr("drop by calibration method (points of {metric}): {methods}").format(
                     metric=check["metric"], methods=methods)),
                 escape(self.tr("most clipped: {tensors}").format(tensors=clipped or "-"))]
        lines += [f"<span style='color:#c0392b'>{escape(w)}</span>" for w in check["warnings"]]
        self.summary.setText("<br>".join(lines))

    def _row_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.node_clicked.emit(self.table.item(rows[0].row(), 0).text())

    def save_keep_file(self, path: str | None = None) -> str | None:
        if self.result is None:
            return None
        if path is None:
            model = Path(self.result.model)
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Save keep-file"),
                                                  str(model.with_name(f"{model.stem}.{self.result.target}.keep.json")),
                                                  self.tr("Keep-file (*.json);;All files (*)"))
            if not path:
                return None
        self.result.keep_file().save(path)
        return path
