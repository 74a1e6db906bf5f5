"""Asks which data an accuracy check scores against: the user's validation file, its text and
label columns (from the file's header), the label names and the tokenizer. Nothing is assumed
for a model the studio does not know: the fields start from what was chosen for this model
before, else from what travels with it (labels.txt, tokenizer.json beside it)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QWidget)

from studio.core.data.tables import table_header
from studio.core.errors import StudioError


def _file_row(edit: QLineEdit, title: str, pattern: str, parent: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    browse = QPushButton("...")
    browse.setFixedWidth(28)

    def pick():
        path, _ = QFileDialog.getOpenFileName(parent, title, str(Path(edit.text() or ".").parent), pattern)
        if path:
            edit.setText(path)
            edit.editingFinished.emit()
    browse.clicked.connect(pick)
    row.addWidget(browse)
    return row


class AccuracyDialog(QDialog):
    def __init__(self, model: str, choices: dict, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Check accuracy"))
        self.data = QLineEdit(choices.get("val") or "")
        self.data.setPlaceholderText(self.tr("validation texts (.csv / .jsonl) or arrays (.npz)"))
        self.column = QComboBox()
        self.label_column = QComboBox()
        beside = Path(model).with_name("labels.txt")
        self.labels = QLineEdit(choices.get("labels") or (str(beside) if beside.is_file() else ""))
        self.labels.setPlaceholderText(self.tr("label names in output order (optional: labels that are indices need none)"))
        self.tokenizer = QLineEdit(choices.get("tokenizer") or "")
        self.tokenizer.setPlaceholderText(self.tr("tokenizer.json or a Hugging Face tokenizer folder"))
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(self.tr("Data"), _file_row(self.data, self.tr("Validation data"),
                                               self.tr("Data (*.csv *.jsonl *.npz);;All files (*)"), self))
        form.addRow(self.tr("Text column"), self.column)
        form.addRow(self.tr("Label column"), self.label_column)
        form.addRow(self.tr("Labels file"), _file_row(self.labels, self.tr("Label names"),
                                                      self.tr("Text (*.txt *.json);;All files (*)"), self))
        form.addRow(self.tr("Tokenizer"), _file_row(self.tokenizer, self.tr("Tokenizer"),
                                                    self.tr("tokenizer.json (*.json);;All files (*)"), self))
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.data.editingFinished.connect(lambda: self._read_header(None, None))
        self._read_header(choices.get("val_column"), choices.get("label_column"))

    def _read_header(self, text: str | None, label: str | None) -> None:
        self.column.clear()
        self.label_column.clear()
        self.label_column.addItem(self.tr("(none: agreement with the FP32 source only)"), "")
        path = self.data.text().strip()
        is_table = path and not path.lower().endswith((".npz", ".npy")) and Path(path).is_file()
        self.column.setEnabled(bool(is_table))
        self.label_column.setEnabled(bool(is_table))
        self.problem.setText("")
        if not is_table:
            return
        try:
            header = table_header(path)
        except StudioError as e:
            self.problem.setText(str(e))
            return
        self.column.addItems(list(header.columns))
        for c in header.columns:
            self.label_column.addItem(c, c)
        pick = text if text in header.columns else header.text_column
        if pick:
            self.column.setCurrentText(pick)
        pick = label if label in header.columns else header.label_column
        if pick:
            self.label_column.setCurrentText(pick)

    def request(self) -> dict:
        """The check's arguments (studio.core.bench.accuracy.check_build) and what to remember."""
        return {"val": self.data.text().strip(), "val_column": self.column.currentText() or None,
                "label_column": self.label_column.currentData() or None,
                "labels": self.labels.text().strip() or None, "tokenizer": self.tokenizer.text().strip() or None}
