"""Start the window: one QApplication, the excepthook that keeps the Qt layer alive, the main
window on the demo model (or the file given)."""

from __future__ import annotations

import logging
import sys

from PySide6.QtWidgets import QApplication

from studio.ui.errors import install_excepthook
from studio.ui.main_window import MainWindow


def get_app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Engine Studio")
        app.setOrganizationName("EngineStudio")
        app.setApplicationDisplayName("Engine Studio")
    return app


def make_window(path: str | None = None, demo: bool = True, modal_errors: bool = True) -> MainWindow:
    get_app()
    logging.getLogger("studio").setLevel(logging.INFO)
    win = MainWindow(modal_errors=modal_errors)
    install_excepthook(win.errors)
    if path:
        win._guard(lambda: win.open_path(path))
    elif demo:
        win.open_demo_model()
    return win


def run_window(path: str | None = None) -> int:
    app = get_app()
    win = make_window(path)
    win.show()
    return app.exec()
