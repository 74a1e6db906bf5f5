"""What the window shows before any model is open: open one of the user's models (or a recent
one), or try the sample intent model, which is then named as the sample it is."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from studio.ui.i18n import button, label


class StartPage(QWidget):
    open_requested = Signal()
    sample_requested = Signal()
    recent_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        title = label(lambda: "<h2>" + self.tr("Engine Studio") + "</h2>")
        blurb = label(lambda: self.tr("Open an ONNX model (as torch or Hugging Face exported it) to see its graph, "
                                      "build TensorRT or ONNX Runtime engines, benchmark them and check their accuracy."))
        blurb.setWordWrap(True)
        self.open_btn = button(lambda: self.tr("Open a model..."))
        self.open_btn.clicked.connect(self.open_requested)
        self.sample_btn = button(lambda: self.tr("Try the sample intent model"),
                                 lambda: self.tr("A MiniLM intent classifier for e-commerce customer service, with its "
                                                 "own tokenizer and texts: a sample, not your model"))
        self.sample_btn.clicked.connect(self.sample_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_btn)
        buttons.addWidget(self.sample_btn)
        buttons.addStretch(1)
        self.recent = QListWidget()
        self.recent.itemActivated.connect(lambda item: self.recent_requested.emit(item.data(Qt.UserRole)))
        self.recent_label = label(lambda: self.tr("Recent models"))
        box = QVBoxLayout()
        box.addWidget(title)
        box.addWidget(blurb)
        box.addLayout(buttons)
        box.addSpacing(12)
        box.addWidget(self.recent_label)
        box.addWidget(self.recent, 1)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        inner = QWidget()
        inner.setLayout(box)
        inner.setMaximumWidth(720)
        outer.addWidget(inner, 4)
        outer.addStretch(1)

    def set_recent(self, paths: list[str]) -> None:
        self.recent.clear()
        for p in paths:
            item = QListWidgetItem(f"{Path(p).name}    {Path(p).parent}")
            item.setData(Qt.UserRole, p)
            item.setToolTip(p)
            self.recent.addItem(item)
        self.recent_label.setVisible(bool(paths))
        self.recent.setVisible(bool(paths))
