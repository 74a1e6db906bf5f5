"""The window's status bar: which backend builds here and whether its engines run on this
machine (a CPU-only machine builds TensorRT engines that run on a GPU elsewhere)."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QStatusBar


class BackendStatus(QObject):
    """Two permanent labels of a status bar, set again whenever the chosen backend changes."""

    def __init__(self, bar: QStatusBar):
        super().__init__(bar)
        self.backend_label = QLabel("")
        self.device_label = QLabel("")
        bar.addPermanentWidget(self.backend_label)
        bar.addPermanentWidget(self.device_label)

    def show(self, name: str | None, caps) -> None:
        """`caps`: the backend's Capabilities, or None when no backend is installed."""
        self.backend_label.setText(self.tr("Backend: {name}").format(name=name or self.tr("no backend"))
                                   + (f" ({caps.library})" if caps and caps.library else ""))
        if caps is None:
            self.device_label.setText("")
        elif caps.can_run_here:
            self.device_label.setText(self.tr("CPU only: engines are built here and run on a GPU"))
            self.device_label.setToolTip(caps.can_run_here)
        else:
            self.device_label.setText(self.tr("Engines run on this machine"))
            self.device_label.setToolTip("")
