"""Details of the selected node or layer: attributes, shapes, dtypes, parameters, tactic."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem

from studio.ui.i18n import bind
from studio.ui.view_model import ViewNode

# The rows the views give a node or layer (studio.ui.view_model), translated when shown; other
# keys are the model's own names (attributes, tensors) and are shown as they are.
_KEYS = {
    QT_TRANSLATE_NOOP("DetailsPanel", "Name"),
    QT_TRANSLATE_NOOP("DetailsPanel", "Op type"),
    QT_TRANSLATE_NOOP("DetailsPanel", "Domain"),
    QT_TRANSLATE_NOOP("DetailsPanel", "Attributes"),
    QT_TRANSLATE_NOOP("DetailsPanel", "Inputs"),
    QT_TRANSLATE_NOOP("DetailsPanel", "Parameters"),
    QT_TRANSLATE_NOOP("DetailsPanel", "Outputs"),
    QT_TRANSLATE_NOOP("DetailsPanel", "Graph input"),
    QT_TRANSLATE_NOOP("DetailsPanel", "Graph output"),
    QT_TRANSLATE_NOOP("DetailsPanel", "Type"),
    QT_TRANSLATE_NOOP("DetailsPanel", "Layer type"),
    QT_TRANSLATE_NOOP("DetailsPanel", "Precision"),
    QT_TRANSLATE_NOOP("DetailsPanel", "Tactic"),
    QT_TRANSLATE_NOOP("DetailsPanel", "ONNX nodes absorbed"),
    QT_TRANSLATE_NOOP("DetailsPanel", "Time (ms)"),
    QT_TRANSLATE_NOOP("DetailsPanel", "Not optimized"),
    QT_TRANSLATE_NOOP("DetailsPanel", "Recipe asked"),
    QT_TRANSLATE_NOOP("DetailsPanel", "As built"),
}


class DetailsPanel(QTreeWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setColumnCount(2)
        bind(self.setHeaderLabels, lambda: [self.tr("Property"), self.tr("Value")])
        self.header().setSectionResizeMode(0, QHeaderView.ResizeToContents)
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)

    def show_node(self, node: ViewNode | None, extra: dict | None = None) -> None:
        self.clear()
        if node is None:
            return
        data = dict(node.details)
        if extra:
            data.update(extra)
        self._fill(self.invisibleRootItem(), data)
        self.expandAll()

    def _fill(self, parent: QTreeWidgetItem, data) -> None:
        items = data.items() if isinstance(data, dict) else enumerate(data)
        for k, v in items:
            if isinstance(v, (dict, list, tuple)) and v:
                child = QTreeWidgetItem(parent, [self.tr(str(k)) if k in _KEYS else str(k),
                                                 self.tr("{n} item(s)").format(n=len(v))])
                if isinstance(v, dict):
                    self._fill(child, v)
                else:
                    for x in v:
                        QTreeWidgetItem(child, ["", str(x)])
            else:
                item = QTreeWidgetItem(parent, [self.tr(str(k)) if k in _KEYS else str(k),
                                                "" if v in ((), [], {}) else str(v)])
                item.setToolTip(1, str(v))

    def rows(self) -> dict:
        """Top-level rows as text (tests)."""
        root = self.invisibleRootItem()
        return {root.child(i).text(0): root.child(i).text(1) for i in range(root.childCount())}
