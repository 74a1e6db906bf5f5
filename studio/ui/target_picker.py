"""Where a job runs: this machine, or one of the targets the Targets tab found on a cluster. The
Build and Benchmark panels each have one; the window fills them when targets are found."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from studio.core.jobs.targets import Target
from studio.ui.i18n import bind_items


class TargetPicker(QComboBox):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.addItem("", None)
        bind_items(self, {None: lambda: self.tr("this machine")})

    def set_targets(self, address: str | None, targets: list[Target]) -> None:
        """The cluster's targets, offered beside this machine (none when `address` is None)."""
        while self.count() > 1:
            self.removeItem(1)
        for t in targets if address else []:
            self.addItem(t.name, (address, t))

    def target(self) -> tuple[str, Target] | None:
        """(cluster address, target) the job goes to, or None for this machine."""
        return self.currentData()
