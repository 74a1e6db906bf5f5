"""Start the window: one QApplication, the excepthook that keeps the Qt layer alive, the main
window on its start page (or the file given, or the sample model when asked for)."""

from __future__ import annotations

import logging
import sys
import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from studio.core.backends.registry import installed_backends
from studio.core.errors import StudioError
from studio.ui.errors import install_excepthook
from studio.ui.main_window import MainWindow
from studio.ui.workers import freeze_startup_objects


def get_app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Engine Studio")
        app.setOrganizationName("EngineStudio")
        app.setApplicationDisplayName("Engine Studio")
    return app


def probe_backends() -> threading.Thread:
    """Ask every installed backend for its capabilities once, in a thread started as the window
    is made. A backend's first answer may load its native library (TensorRT-RTX: ~40-50 ms of
    static initializers, with the GIL held), which on the UI thread froze the window the first
    time the user chose that backend; here it overlaps the window's start-up."""
    def probe() -> None:
        for backend in installed_backends():
            try:
                backend.capabilities()
            except StudioError:
                pass     # said when the backend is chosen, as before
    thread = threading.Thread(target=probe, name="probe-backends", daemon=True)
    thread.start()
    return thread


def make_window(path: str | None = None, demo: bool = False, modal_errors: bool = True) -> MainWindow:
    get_app()
    logging.getLogger("studio").setLevel(logging.INFO)
    probe_backends()
    win = MainWindow(modal_errors=modal_errors)
    install_excepthook(win.errors)
    freeze_startup_objects()
    if path:
        win.guard(lambda: win.open_path(path))
    elif demo:
        win.open_demo_model()
    return win


def run_window(path: str | None = None, exit_when_ready: bool = False, sample: bool = False) -> int:
    app = get_app()
    win = make_window(path, demo=sample)
    win.show()
    if exit_when_ready and not (path or sample):   # the start page is all there is to show
        QTimer.singleShot(0, lambda: (print("window ready", flush=True), app.quit()))
    elif exit_when_ready:
        def ready(_seconds: float) -> None:
            # The graph is laid out; let the paint that follows happen, then report and quit.
            def done() -> None:
                print("window ready", flush=True)
                app.quit()
            QTimer.singleShot(0, done)
        win.graphs.before.layoutReady.connect(ready)
        win.errors.shown.connect(lambda text: (print(f"window error: {text}", flush=True), app.exit(1)))
    return app.exec()
