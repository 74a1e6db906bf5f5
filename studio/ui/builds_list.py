"""The builds made in this session (or opened from disk): precision, size, build time; selecting
one shows its after-fusion graph."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from studio.core.jobs.build_job import BuildEntry
from studio.ui.i18n import bind, button

COLUMNS = 6   # build, backend, precision, size, build time, file


class BuildsList(QWidget):
    open_graph = Signal(object)     # BuildEntry
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.entries: list[BuildEntry] = []
        self.table = QTableWidget(0, COLUMNS)
        bind(self.table.setHorizontalHeaderLabels, lambda: [
            self.tr("Build"), self.tr("Backend"), self.tr("Precision"), self.tr("Size (MB)"), self.tr("Build (s)"),
            self.tr("File")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(COLUMNS - 1, QHeaderView.Stretch)
        self.table.setAlternatingRowColors(True)
        # One click shows the build's fused graph: the graph always shows the build selected here.
        self.table.itemSelectionChanged.connect(lambda: self._open(self.table.currentRow()))
        show = button(lambda: self.tr("Show graph after fusion"))
        show.clicked.connect(lambda: self._open(self.table.currentRow()))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(show)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.table, 1)
        lay.addLayout(row)

    def add(self, entry: BuildEntry) -> None:
        self.entries = [e for e in self.entries if e.key != entry.key] + [entry]
        self._refresh()
        # Whoever added the build shows its graph (a new build's, or an opened artifact's) already.
        self.table.blockSignals(True)
        self.table.selectRow(len(self.entries) - 1)
        self.table.blockSignals(False)
        self.changed.emit()

    def _refresh(self) -> None:
        self.table.setRowCount(len(self.entries))
        for r, e in enumerate(self.entries):
            res = e.result
            values = [e.label, res.backend, res.precision.upper(), f"{res.size_bytes / 1e6:.1f}",
                      f"{res.build_seconds:.1f}", Path(res.output).name]
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                if c in (3, 4):
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                item.setToolTip(res.output)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()

    def _open(self, row: int) -> None:
        if 0 <= row < len(self.entries):
            self.open_graph.emit(self.entries[row])

    def current(self) -> BuildEntry | None:
        r = self.table.currentRow()
        return self.entries[r] if 0 <= r < len(self.entries) else None
