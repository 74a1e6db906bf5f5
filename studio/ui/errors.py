"""How errors reach the user: a StudioError as its one line in a message box; a bug as one line
too (the traceback goes to the log dock and the log file, never to the user's face). The hook
keeps the event loop alive: an exception in a slot is shown, and the studio keeps working."""

from __future__ import annotations

import logging
import sys
import traceback

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from studio.ui.workers import error_text

log = logging.getLogger("studio.ui")


class ErrorReporter(QObject):
    """Shows errors without blocking callers. `shown` fires with the text (tests listen)."""

    shown = Signal(str)

    def __init__(self, parent: QWidget | None = None, modal: bool = True):
        super().__init__(parent)
        self.parent_widget = parent
        self.modal = modal          # tests and the demo run turn boxes into log lines
        self.history: list[str] = []
        self._box: QMessageBox | None = None

    def show_text(self, text: str, title: str | None = None) -> None:
        self.history.append(text)
        log.error("%s", text)
        self.shown.emit(text)
        if not self.modal:
            return
        if self._box is not None and self._box.isVisible():
            # one box at a time: a burst of failures appends instead of stacking dialogs
            self._box.setText(self._box.text() + "\n" + text)
            return
        box = QMessageBox(QMessageBox.Warning, title or self.tr("Engine Studio"), text, QMessageBox.Ok,
                          self.parent_widget)
        box.setModal(False)
        box.show()
        self._box = box

    def show_exception(self, exc: BaseException, title: str | None = None) -> None:
        self.show_text(error_text(exc), title)


_reporter: ErrorReporter | None = None
_previous_hook = None


def install_excepthook(reporter: ErrorReporter) -> None:
    """Route uncaught exceptions (Qt slots call through sys.excepthook) to the reporter."""
    global _reporter, _previous_hook
    _reporter = reporter
    if _previous_hook is None:
        _previous_hook = sys.excepthook
    sys.excepthook = _hook


def uninstall_excepthook() -> None:
    global _reporter, _previous_hook
    if _previous_hook is not None:
        sys.excepthook = _previous_hook
    _reporter = None
    _previous_hook = None


def _hook(etype, value, tb) -> None:
    if issubclass(etype, KeyboardInterrupt):
        QApplication.quit()
        return
    log.error("uncaught exception:\n%s", "".join(traceback.format_exception(etype, value, tb)))
    rep = _reporter
    if rep is None:
        sys.__excepthook__(etype, value, tb)
        return
    # show after the current slot returns: a modal box inside a paint event would recurse
    QTimer.singleShot(0, lambda: rep.show_exception(value))
