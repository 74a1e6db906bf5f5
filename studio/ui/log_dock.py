"""The log: every `studio` logger record, build log lines and errors, in one read-only view
that keeps its last lines (old ones scroll away, memory stays bounded)."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QPlainTextEdit


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
        self.handler = QtLogHandler()
        self.handler.bridge.line.connect(self.appendPlainText)
        logging.getLogger("studio").addHandler(self.handler)
        logging.getLogger("studio").setLevel(logging.INFO)

    def add(self, text: str) -> None:
        self.appendPlainText(time.strftime("%H:%M:%S ") + text)

    def detach(self) -> None:
        logging.getLogger("studio").removeHandler(self.handler)
