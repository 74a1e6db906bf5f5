"""The main window's menus, toolbar and their actions. Each action's text is bound to a function
(studio.ui.i18n.bind), so a language switch re-labels them; the texts keep the window's
translation context ("MainWindow")."""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

from studio import __version__
from studio.core.i18n import LANGUAGES
from studio.ui.i18n import bind, translate
from studio.ui.netron_server import open_in_netron


def action(win: QMainWindow, text, slot, shortcut=None, tip=None) -> QAction:
    """`text` and `tip` are functions giving the translated text (see studio.ui.i18n)."""
    a = QAction(win)
    bind(a.setText, text)
    if shortcut:
        a.setShortcut(QKeySequence(shortcut))
    if tip is not None:
        bind(a.setStatusTip, tip)
    a.triggered.connect(lambda checked=False: win.guard(slot))
    return a


def make_menus(win: QMainWindow) -> None:
    """The menu bar and the main toolbar; each action is kept on the window as `act_*`."""
    wf, graphs = win.workflow, win.graphs

    def menu(text) -> QMenu:
        m = win.menuBar().addMenu("")
        bind(m.setTitle, text)
        return m

    f = menu(lambda: translate("MainWindow", "&File"))
    win.act_open = action(win, lambda: translate("MainWindow", "&Open..."), win.open_dialog, QKeySequence.Open,
                          lambda: translate("MainWindow", "Open a model, engine or results"))
    win.act_open_demo = action(win, lambda: translate("MainWindow", "Open the &sample intent model"),
                               win.open_demo_model)
    win.recent_menu = f.addMenu("")
    bind(win.recent_menu.setTitle, lambda: translate("MainWindow", "Open &recent"))
    win.act_export = action(win, lambda: translate("MainWindow", "&Export engine + sidecar..."),
                            wf.export_engine_dialog, "Ctrl+E")
    win.act_report = action(win, lambda: translate("MainWindow", "Export &report..."), wf.export_report_dialog,
                            "Ctrl+Shift+E")
    win.act_netron = action(win, lambda: translate("MainWindow", "Open model in &Netron"),
                            lambda: show_in_netron(win, "onnx"), "Ctrl+Shift+N")
    win.act_netron_plan = action(win, lambda: translate("MainWindow", "Open after-fusion graph in Netron"),
                                 lambda: show_in_netron(win, "plan"))
    win.act_quit = action(win, lambda: translate("MainWindow", "&Quit"), win.close, QKeySequence.Quit)
    f.addAction(win.act_open)
    f.addAction(win.act_open_demo)
    f.addMenu(win.recent_menu)
    f.addSeparator()
    for a in (win.act_export, win.act_report, win.act_netron, win.act_netron_plan):
        f.addAction(a)
    f.addSeparator()
    f.addAction(win.act_quit)

    b = menu(lambda: translate("MainWindow", "&Build"))
    win.act_build = action(win, lambda: translate("MainWindow", "&Build engine"), win.build_panel.start_build,
                           "Ctrl+B")
    win.act_cancel = action(win, lambda: translate("MainWindow", "&Cancel build"), win.build_panel.cancel_build,
                            "Ctrl+.")
    b.addAction(win.act_build)
    b.addAction(win.act_cancel)

    r = menu(lambda: translate("MainWindow", "Bench&mark"))
    win.act_bench = action(win, lambda: translate("MainWindow", "&Run benchmark"), wf.run_benchmark, "Ctrl+R")
    win.act_stop = action(win, lambda: translate("MainWindow", "&Stop"), win.bench.stop, "Ctrl+Shift+R")
    win.act_accuracy = action(win, lambda: translate("MainWindow", "Check &accuracy of builds"), wf.run_accuracy,
                              "Ctrl+Shift+A")
    win.act_cancel_accuracy = action(win, lambda: translate("MainWindow", "Cancel accuracy check"),
                                     wf.cancel_accuracy, "Esc")
    for a in (win.act_bench, win.act_stop, win.act_accuracy, win.act_cancel_accuracy):
        r.addAction(a)

    v = menu(lambda: translate("MainWindow", "&View"))
    win.act_fit = action(win, lambda: translate("MainWindow", "Zoom to &fit"), graphs.zoom_to_fit, "Ctrl+0")
    win.act_find = action(win, lambda: translate("MainWindow", "&Find node"),
                          lambda: (graphs.search.setFocus(), graphs.search.selectAll()), QKeySequence.Find)
    win.act_fit_selection = action(win, lambda: translate("MainWindow", "Zoom to &selection"),
                                   graphs.zoom_to_selection, "Ctrl+Shift+0")
    for a in (win.act_fit, win.act_fit_selection, win.act_find):
        v.addAction(a)
    theme = v.addMenu("")
    bind(theme.setTitle, lambda: translate("MainWindow", "&Theme"))
    group = QActionGroup(win)
    win.theme_actions = {}
    names = {"light": lambda: translate("MainWindow", "Light"), "dark": lambda: translate("MainWindow", "Dark")}
    for name, text in names.items():
        a = QAction(win, checkable=True)
        bind(a.setText, text)
        a.triggered.connect(lambda checked=False, n=name: win.set_theme(n))
        group.addAction(a)
        theme.addAction(a)
        win.theme_actions[name] = a
    language = v.addMenu("")
    bind(language.setTitle, lambda: translate("MainWindow", "&Language"))
    group = QActionGroup(win)
    win.language_actions = {}
    for code, name in LANGUAGES.items():
        a = QAction(name, win, checkable=True)     # each language named in its own words
        a.triggered.connect(lambda checked=False, c=code: win.set_language(c))
        group.addAction(a)
        language.addAction(a)
        win.language_actions[code] = a
    v.addSeparator()
    for d in win.docks.values():
        v.addAction(d.toggleViewAction())
    h = menu(lambda: translate("MainWindow", "&Help"))
    h.addAction(action(win, lambda: translate("MainWindow", "&About Engine Studio"), lambda: about(win)))

    tb = win.addToolBar("")
    bind(tb.setWindowTitle, lambda: translate("MainWindow", "Main toolbar"))
    tb.setObjectName("toolbar-main")
    for a in (win.act_open, win.act_build, win.act_bench, win.act_export, win.act_fit):
        tb.addAction(a)


def show_in_netron(win: QMainWindow, kind: str) -> None:
    url = open_in_netron(win, kind)
    if url:
        win.statusBar().showMessage(translate("MainWindow", "Netron serving at {url}").format(url=url), 8000)


def about_text() -> str:
    return translate("MainWindow", "Engine Studio {version}\nBuild, inspect, benchmark and report "
                                   "ONNX -> TensorRT / ONNX Runtime engines.").format(version=__version__)


def about(win: QMainWindow) -> None:
    QMessageBox.about(win, translate("MainWindow", "Engine Studio"), about_text())
