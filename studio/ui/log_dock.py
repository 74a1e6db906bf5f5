"""The log: every `studio` logger record, build log lines and errors, in one read-only view
that keeps its last lines (old ones scroll away, memory stays bounded). A record of several
lines (a traceback) shows as its first line; the rest is folded, one right-click away."""

from __future__ import annotations

import collections
import logging
import time

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QMessageBox, QPlainTextEdit


class _Bridge(QObject):
    line = Signal(str)


class QtLogHandler(logging.Handler):
    """Thread-safe: records from worker threads arrive through a queued signal."""

    def __init__(self):
        super().__init__()
        self.bridge = _Bridge()
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", "%H:%M:%S"))

    def emit(self, record):
        try:
            self.bridge.line.emit(self.format(record))
        except RuntimeError:
            pass  # the view is gone (shutdown)


class LogView(QPlainTextEdit):
    def __init__(self, parent=None, max_lines: int = 5000):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(max_lines)
        f = QFont("monospace")
        f.setStyleHint(QFont.Monospace)
        f.setPointSizeF(8.5)
        self.setFont(f)
        self.folded: collections.deque = collections.deque(maxlen=50)   # (first line, whole text)
        self.handler = QtLogHandler()
        self.handler.bridge.line.connect(self._append)
        logging.getLogger("studio").addHandler(self.handler)
        logging.getLogger("studio").setLevel(logging.INFO)

    def add(self, text: str) -> None:
        self._append(time.strftime("%H:%M:%S ") + text)

    def _append(self, text: str) -> None:
        first, _, rest = text.partition("\n")
        if rest.strip():
            self.folded.append((first, text))
            first += "  " + self.tr("[{n} more lines: right-click > Show details]").format(n=rest.count(chr(10)) + 1)
        self.appendPlainText(first)

    def lines(self) -> list[str]:
        return self.toPlainText().splitlines()

    def contextMenuEvent(self, event) -> None:
        menu = self.createStandardContextMenu()
        if self.folded:
            menu.addSeparator()
            menu.addAction(self.tr("Show details of the last folded message"), self.show_details)
        menu.exec(event.globalPos())

    def show_details(self) -> QMessageBox | None:
        if not self.folded:
            return None
        first, whole = self.folded[-1]
        box = QMessageBox(QMessageBox.Information, self.tr("Details"), first, QMessageBox.Ok, self)
        box.setDetailedText(whole)
        box.setModal(False)
        box.show()
        return box

    def detach(self) -> None:
        logging.getLogger("studio").removeHandler(self.handler)
