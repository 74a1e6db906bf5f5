"""Details of the selected node or layer: attributes, shapes, dtypes, parameters, tactic."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem

from studio.ui.view_model import ViewNode


class DetailsPanel(QTreeWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderLabels(["Property", "Value"])
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
                child = QTreeWidgetItem(parent, [str(k), f"{len(v)} item(s)"])
                if isinstance(v, dict):
                    self._fill(child, v)
                else:
                    for x in v:
                        QTreeWidgetItem(child, ["", str(x)])
            else:
                item = QTreeWidgetItem(parent, [str(k), "" if v in ((), [], {}) else str(v)])
                item.setToolTip(1, str(v))

    def rows(self) -> dict:
        """Top-level rows as text (tests)."""
        root = self.invisibleRootItem()
        return {root.child(i).text(0): root.child(i).text(1) for i in range(root.childCount())}
