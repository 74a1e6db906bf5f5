"""What the window remembers between runs (studio.ui.settings): its geometry and docks, theme and
language, the build and benchmark fields, and the recent files."""

from __future__ import annotations

import logging
from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMainWindow

from studio.core.errors import StudioError
from studio.ui.i18n import preferred_language, translate

log = logging.getLogger("studio.ui")


def fit_screen(win: QMainWindow, width: int | None = None, height: int | None = None) -> None:
    """A size that fits the screen (1500 x 950 where there is room), the graph given most of it:
    the side docks about a fifth of the width each, the bottom one about a quarter of the height."""
    screen = QApplication.primaryScreen()
    room = screen.availableGeometry().size() if screen is not None else None
    w = width or (min(1500, room.width()) if room is not None and room.width() > 0 else 1500)
    h = height or (min(950, room.height()) if room is not None and room.height() > 0 else 950)
    win.resize(w, h)
    win.resizeDocks([win.docks["Benchmark"]], [int(h * 0.27)], Qt.Vertical)
    win.resizeDocks([win.docks["Build"], win.docks["Builds"]], [int(w * 0.2), int(w * 0.14)], Qt.Horizontal)


def restore(win: QMainWindow) -> None:
    s = win.settings
    if s.notice:
        win.log_view.add(s.notice)
    geo = s.q.value("window/geometry")
    if isinstance(geo, QByteArray):
        win.restoreGeometry(geo)
    state = s.q.value("window/state")
    if isinstance(state, QByteArray):
        win.restoreState(state)
    win.set_theme(s.get("theme"))
    win.set_language(preferred_language(s.get("language")), remember=False)
    win.graphs.set_mode(s.get("graph_mode"))
    win.graphs.set_color_mode(s.get("color_mode"))
    win.compare.price.setValue(float(s.get("price_per_device_hour")))
    try:
        win.build_panel.select_backend(s.get("build/backend"))
        win.build_panel.select_precision(s.get("build/precision"))
    except StudioError:
        pass
    win.build_panel.workspace.setValue(int(s.get("build/workspace_mib")))
    win.bench.duration.setValue(float(s.get("bench/duration_s")))
    win.bench.passes.setValue(int(s.get("bench/passes")))
    win.bench.batches.setText(str(s.get("bench/batch_sizes")))
    i = win.bench.pattern.findData(s.get("bench/pattern"))
    if i >= 0:
        win.bench.pattern.setCurrentIndex(i)
    win.bench.qps.setText(str(s.get("bench/qps")))
    refresh_recent(win)


def save(win: QMainWindow) -> None:
    s = win.settings
    s.set("window/geometry", win.saveGeometry())
    s.set("window/state", win.saveState())
    s.set("build/backend", win.build_panel.backend.currentData() or "")
    s.set("build/precision", win.build_panel.precision.currentData() or "")
    s.set("build/workspace_mib", win.build_panel.workspace.value())
    s.set("bench/duration_s", win.bench.duration.value())
    s.set("bench/passes", win.bench.passes.value())
    s.set("bench/batch_sizes", win.bench.batches.text())
    s.set("bench/pattern", win.bench.pattern.currentData())
    s.set("bench/qps", win.bench.qps.text())
    problem = s.sync()
    if problem:  # told in the log and the status bar, not a dialog: this also runs while closing
        log.warning(problem)
        win.log_view.add(translate("MainWindow", "warning: {text}").format(text=problem))
        win.statusBar().showMessage(problem, 10000)


def refresh_recent(win: QMainWindow) -> None:
    win.recent_menu.clear()
    items = win.settings.recent()
    for p in items:
        a = QAction(p, win)
        a.triggered.connect(lambda checked=False, p=p: win.guard(lambda: win.open_path(p)))
        win.recent_menu.addAction(a)
    win.recent_menu.setEnabled(bool(items))
    win.start_page.set_recent([p for p in items if p.lower().endswith(".onnx")])
