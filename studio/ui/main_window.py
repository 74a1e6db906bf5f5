"""The main window: graph canvas in the centre; docks for build settings, builds, benchmark,
comparison, details and log; menus, shortcuts, drag and drop, recent files, persisted settings,
themes, and a status bar that says which backend builds here and where engines run.

It renders the core's state and wires signals; every computation is a core call run through a
worker (studio.ui.workers) so the event loop never waits on one."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox, QScrollArea,
                               QStackedWidget, QWidget)

from studio import __version__
from studio.core.backends.base import BuildConfig, BuildResult, sidecar_path
from studio.core.backends.layer_reports import load_plan
from studio.core.backends.sidecar import load_sidecar
from studio.core.bench import results
from studio.core.bench.isolated import check_build_isolated
from studio.core.demo.paths import ensure_demo_model
from studio.core.errors import StudioError
from studio.core.graph.isolated import open_graph_isolated
from studio.core.i18n import LANGUAGES
from studio.core.jobs.build_job import BuildEntry
from studio.core.reports.export import report_format, write_report
from studio.core.session import Session
from studio.ui.accuracy_dialog import AccuracyDialog
from studio.ui.bench_panel import BenchPanel
from studio.ui.build_panel import BuildPanel, default_profiles
from studio.ui.builds_list import BuildsList
from studio.ui.compare_view import CompareView
from studio.ui.details_panel import DetailsPanel
from studio.ui.errors import ErrorReporter
from studio.ui.graph_panel import GraphPanel
from studio.ui.i18n import bind, install, preferred_language
from studio.ui.log_dock import LogView
from studio.ui.netron_server import open_in_netron, stop_all
from studio.ui.report_pdf import write_pdf
from studio.ui.settings import Settings
from studio.ui.start_page import StartPage
from studio.ui.theme import apply_theme, plot_colors
from studio.ui.view_model import from_onnx_graph, from_plan
from studio.ui.workers import Task, TaskRegistry, collect_garbage_in_main_thread

log = logging.getLogger("studio.ui")

OPENABLE = (".onnx", ".engine", ".plan", ".json", ".txt", ".log")
FILE_FILTER = QT_TRANSLATE_NOOP("MainWindow", "Engine Studio files (*.onnx *.engine *.plan *.json *.txt);;"
                                              "ONNX models (*.onnx);;Engines (*.engine *.plan);;Results (*.json);;"
                                              "All files (*)")


class MainWindow(QMainWindow):
    model_opened = Signal(str)
    plan_shown = Signal(str)

    def __init__(self, settings: Settings | None = None, modal_errors: bool = True):
        super().__init__()
        collect_garbage_in_main_thread()
        self.setWindowTitle(self.tr("Engine Studio"))
        self.setAcceptDrops(True)
        self.settings = settings or Settings()
        self.tasks = TaskRegistry()
        self.errors = ErrorReporter(self, modal=modal_errors)
        self.session = Session()
        self.model_path: str | None = None
        self.onnx_graph = None
        self.accuracy_task = None
        self.plans: dict[str, object] = {}       # artifact -> Plan
        self._closing = False
        self.last_report: str | None = None
        self.last_export: list[str] = []

        self.graphs = GraphPanel(self.tasks)
        self.start_page = StartPage()
        self.center = QStackedWidget()
        self.center.addWidget(self.start_page)
        self.center.addWidget(self.graphs)
        self.setCentralWidget(self.center)
        self.details = DetailsPanel()
        self.build_panel = BuildPanel(self.tasks)
        self.builds = BuildsList()
        self.bench = BenchPanel(self.tasks)
        self.compare = CompareView(self.session)
        self.log_view = LogView()
        self.build_panel.selection_provider = lambda: [self.graphs.before.selected_id()]

        self.docks: dict[str, QDockWidget] = {}
        self._dock("Build", lambda: self.tr("Build"), self.build_panel, Qt.LeftDockWidgetArea)
        self._dock("Details", lambda: self.tr("Details"), self.details, Qt.RightDockWidgetArea)
        self._dock("Builds", lambda: self.tr("Builds"), self.builds, Qt.RightDockWidgetArea)
        self._dock("Benchmark", lambda: self.tr("Benchmark"), self.bench, Qt.BottomDockWidgetArea)
        self._dock("Compare", lambda: self.tr("Compare"), self.compare, Qt.BottomDockWidgetArea)
        self._dock("Log", lambda: self.tr("Log"), self.log_view, Qt.BottomDockWidgetArea)
        self.tabifyDockWidget(self.docks["Benchmark"], self.docks["Compare"])
        self.tabifyDockWidget(self.docks["Compare"], self.docks["Log"])
        self.docks["Benchmark"].raise_()

        self._make_actions()
        self._make_status_bar()
        self._wire()
        self.fit_screen()
        self._restore_settings()

    def fit_screen(self, width: int | None = None, height: int | None = None) -> None:
        """A size that fits the screen (1500 x 950 where there is room), the graph given most of
        it: the side docks about a fifth of the width each, the bottom one about a quarter of the
        height."""
        screen = QApplication.primaryScreen()
        room = screen.availableGeometry().size() if screen is not None else None
        w = width or (min(1500, room.width()) if room is not None and room.width() > 0 else 1500)
        h = height or (min(950, room.height()) if room is not None and room.height() > 0 else 950)
        self.resize(w, h)
        self.resizeDocks([self.docks["Benchmark"]], [int(h * 0.27)], Qt.Vertical)
        self.resizeDocks([self.docks["Build"], self.docks["Builds"]], [int(w * 0.2), int(w * 0.14)], Qt.Horizontal)

    # ----- construction
    def _dock(self, key: str, title, widget: QWidget, area) -> QDockWidget:
        """`key` names the dock in code and saved state; `title` gives its translated title."""
        d = QDockWidget(self)
        bind(d.setWindowTitle, title)
        d.setObjectName(f"dock-{key.lower()}")
        # A panel taller or wider than its dock scrolls, rather than forcing the window past a
        # laptop's screen (1366 x 768): the graph keeps most of the space.
        scroll = QScrollArea()
        scroll.setWidget(widget)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        d.setWidget(scroll)
        self.addDockWidget(area, d)
        self.docks[key] = d
        return d

    def _action(self, text, slot, shortcut=None, tip=None) -> QAction:
        """`text` and `tip` are functions giving the translated text (see studio.ui.i18n)."""
        a = QAction(self)
        bind(a.setText, text)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
        if tip is not None:
            bind(a.setStatusTip, tip)
        a.triggered.connect(lambda checked=False: self._guard(slot))
        return a

    def _guard(self, slot) -> None:
        """Menu actions run through here: a StudioError becomes its one line in a box."""
        try:
            slot()
        except StudioError as e:
            self.errors.show_text(str(e))

    def _make_actions(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("")
        bind(f.setTitle, lambda: self.tr("&File"))
        self.act_open = self._action(lambda: self.tr("&Open..."), self.open_dialog, QKeySequence.Open,
                                     lambda: self.tr("Open a model, engine or results"))
        self.act_open_demo = self._action(lambda: self.tr("Open the &sample intent model"), self.open_demo_model)
        self.recent_menu = f.addMenu("")
        bind(self.recent_menu.setTitle, lambda: self.tr("Open &recent"))
        self.act_export = self._action(lambda: self.tr("&Export engine + sidecar..."), self.export_engine_dialog, "Ctrl+E")
        self.act_report = self._action(lambda: self.tr("Export &report..."), self.export_report_dialog, "Ctrl+Shift+E")
        self.act_netron = self._action(lambda: self.tr("Open model in &Netron"), lambda: self.open_in_netron("onnx"),
                                       "Ctrl+Shift+N")
        self.act_netron_plan = self._action(lambda: self.tr("Open after-fusion graph in Netron"),
                                            lambda: self.open_in_netron("plan"))
        self.act_quit = self._action(lambda: self.tr("&Quit"), self.close, QKeySequence.Quit)
        f.addAction(self.act_open)
        f.addAction(self.act_open_demo)
        f.addMenu(self.recent_menu)
        f.addSeparator()
        f.addAction(self.act_export)
        f.addAction(self.act_report)
        f.addAction(self.act_netron)
        f.addAction(self.act_netron_plan)
        f.addSeparator()
        f.addAction(self.act_quit)

        b = mb.addMenu("")
        bind(b.setTitle, lambda: self.tr("&Build"))
        self.act_build = self._action(lambda: self.tr("&Build engine"), self.build_panel.start_build, "Ctrl+B")
        self.act_cancel = self._action(lambda: self.tr("&Cancel build"), self.build_panel.cancel_build, "Ctrl+.")
        b.addAction(self.act_build)
        b.addAction(self.act_cancel)
        r = mb.addMenu("")
        bind(r.setTitle, lambda: self.tr("Bench&mark"))
        self.act_bench = self._action(lambda: self.tr("&Run benchmark"), self.run_benchmark, "Ctrl+R")
        self.act_stop = self._action(lambda: self.tr("&Stop"), self.bench.stop, "Ctrl+Shift+R")
        self.act_accuracy = self._action(lambda: self.tr("Check &accuracy of builds"), self.run_accuracy, "Ctrl+Shift+A")
        r.addAction(self.act_bench)
        r.addAction(self.act_stop)
        r.addAction(self.act_accuracy)

        v = mb.addMenu("")
        bind(v.setTitle, lambda: self.tr("&View"))
        self.act_fit = self._action(lambda: self.tr("Zoom to &fit"), self.graphs.zoom_to_fit, "Ctrl+0")
        self.act_find = self._action(lambda: self.tr("&Find node"), lambda: (self.graphs.search.setFocus(),
                                                                             self.graphs.search.selectAll()),
                                     QKeySequence.Find)
        self.act_fit_selection = self._action(lambda: self.tr("Zoom to &selection"), self.graphs.zoom_to_selection,
                                              "Ctrl+Shift+0")
        v.addAction(self.act_fit)
        v.addAction(self.act_fit_selection)
        v.addAction(self.act_find)
        theme = v.addMenu("")
        bind(theme.setTitle, lambda: self.tr("&Theme"))
        group = QActionGroup(self)
        self.theme_actions = {}
        names = {"light": lambda: self.tr("Light"), "dark": lambda: self.tr("Dark")}
        for name, text in names.items():
            a = QAction(self, checkable=True)
            bind(a.setText, text)
            a.triggered.connect(lambda checked=False, n=name: self.set_theme(n))
            group.addAction(a)
            theme.addAction(a)
            self.theme_actions[name] = a
        language = v.addMenu("")
        bind(language.setTitle, lambda: self.tr("&Language"))
        group = QActionGroup(self)
        self.language_actions = {}
        for code, name in LANGUAGES.items():
            a = QAction(name, self, checkable=True)     # each language named in its own words
            a.triggered.connect(lambda checked=False, c=code: self.set_language(c))
            group.addAction(a)
            language.addAction(a)
            self.language_actions[code] = a
        v.addSeparator()
        for d in self.docks.values():
            v.addAction(d.toggleViewAction())
        h = mb.addMenu("")
        bind(h.setTitle, lambda: self.tr("&Help"))
        h.addAction(self._action(lambda: self.tr("&About Engine Studio"), self.about))

        tb = self.addToolBar("")
        bind(tb.setWindowTitle, lambda: self.tr("Main toolbar"))
        tb.setObjectName("toolbar-main")
        for a in (self.act_open, self.act_build, self.act_bench, self.act_export, self.act_fit):
            tb.addAction(a)

    def _make_status_bar(self) -> None:
        self.backend_label = QLabel("")
        self.device_label = QLabel("")
        self.statusBar().addPermanentWidget(self.backend_label)
        self.statusBar().addPermanentWidget(self.device_label)
        self.update_status()

    def update_status(self) -> None:
        caps = self.build_panel.capabilities()
        name = self.build_panel.backend.currentText() or self.tr("no backend")
        self.backend_label.setText(self.tr("Backend: {name}").format(name=name)
                                   + (f" ({caps.library})" if caps and caps.library else ""))
        if caps is None:
            self.device_label.setText("")
        elif caps.can_run_here:
            self.device_label.setText(self.tr("CPU only: engines are built here and run on a GPU"))
            self.device_label.setToolTip(caps.can_run_here)
        else:
            self.device_label.setText(self.tr("Engines run on this machine"))
            self.device_label.setToolTip("")

    def _wire(self) -> None:
        # The session is changed on this thread only (workers hand results back through signals).
        self.session.events.build.connect(self.builds.add)
        self.start_page.open_requested.connect(lambda: self._guard(self.open_dialog))
        self.start_page.sample_requested.connect(lambda: self._guard(self.open_demo_model))
        self.start_page.recent_requested.connect(lambda p: self._guard(lambda: self.open_path(p)))
        self.graphs.selected.connect(self._on_selected)
        self.graphs.before.layoutReady.connect(
            lambda s: self.statusBar().showMessage(self.tr("graph laid out and drawn in {s:.2f} s").format(s=s), 5000))
        self.graphs.before.layoutFailed.connect(self.errors.show_text)
        self.graphs.after.layoutFailed.connect(self.errors.show_text)
        self.build_panel.built.connect(self._on_built)
        self.bench.tokenizer_provider = lambda: self.build_panel.tokenizer.text().strip() or None
        self.build_panel.failed.connect(self.errors.show_text)
        self.build_panel.log_line.connect(self.log_view.add)
        self.build_panel.backend.currentIndexChanged.connect(lambda _: self.update_status())
        self.builds.open_graph.connect(lambda e: self.show_build_graph(e))
        self.builds.changed.connect(lambda: self.bench.set_builds(self.builds.entries))
        self.bench.failed.connect(self.errors.show_text)
        self.bench.finished.connect(self._on_bench_finished)
        self.compare.export_engine_requested.connect(lambda: self._guard(self.export_engine_dialog))
        self.compare.export_report_requested.connect(lambda: self._guard(self.export_report_dialog))
        self.compare.price_changed.connect(lambda v: self.settings.set("price_per_gpu_hour", v))
        self.graphs.mode.currentIndexChanged.connect(
            lambda _: self.settings.set("graph_mode", self.graphs.mode.currentData()))
        self.graphs.color.currentIndexChanged.connect(
            lambda _: self.settings.set("color_mode", self.graphs.color.currentData()))

    # ----- settings and theme
    def _restore_settings(self) -> None:
        s = self.settings
        if s.notice:
            self.log_view.add(s.notice)
        geo = s.q.value("window/geometry")
        if isinstance(geo, QByteArray):
            self.restoreGeometry(geo)
        state = s.q.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        self.set_theme(s.get("theme"))
        self.set_language(preferred_language(s.get("language")), remember=False)
        self.graphs.set_mode(s.get("graph_mode"))
        self.graphs.set_color_mode(s.get("color_mode"))
        self.compare.price.setValue(float(s.get("price_per_gpu_hour")))
        try:
            self.build_panel.select_backend(s.get("build/backend"))
            self.build_panel.select_precision(s.get("build/precision"))
        except StudioError:
            pass
        self.build_panel.workspace.setValue(int(s.get("build/workspace_mib")))
        self.bench.duration.setValue(float(s.get("bench/duration_s")))
        self.bench.batches.setText(str(s.get("bench/batch_sizes")))
        i = self.bench.pattern.findData(s.get("bench/pattern"))
        if i >= 0:
            self.bench.pattern.setCurrentIndex(i)
        self.bench.qps.setText(str(s.get("bench/qps")))
        self._refresh_recent()

    def save_settings(self) -> None:
        s = self.settings
        s.set("window/geometry", self.saveGeometry())
        s.set("window/state", self.saveState())
        s.set("build/backend", self.build_panel.backend.currentData() or "")
        s.set("build/precision", self.build_panel.precision.currentData() or "")
        s.set("build/workspace_mib", self.build_panel.workspace.value())
        s.set("bench/duration_s", self.bench.duration.value())
        s.set("bench/batch_sizes", self.bench.batches.text())
        s.set("bench/pattern", self.bench.pattern.currentData())
        s.set("bench/qps", self.bench.qps.text())
        problem = s.sync()
        if problem:  # told in the log and the status bar, not a dialog: this also runs while closing
            log.warning(problem)
            self.log_view.add(self.tr("warning: {text}").format(text=problem))
            self.statusBar().showMessage(problem, 10000)

    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        name = apply_theme(app, name)
        self.theme_actions[name].setChecked(True)
        self.settings.set("theme", name)
        self.bench.set_theme(*plot_colors(name))
        for canvas in (self.graphs.before, self.graphs.after):
            canvas.setPalette(app.palette())
            canvas.refresh_theme()

    def set_language(self, lang: str, remember: bool = True) -> None:
        """Switch the window (and the reports it writes) to `lang`, in place: what is open, built
        and measured stays; every bound text is set again."""
        lang = install(lang)
        self.language_actions[lang].setChecked(True)
        if remember:
            self.settings.set("language", lang)
        self.update_status()
        self.graphs.update_legend()
        self.compare.recompute()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        items = self.settings.recent()
        for p in items:
            a = QAction(p, self)
            a.triggered.connect(lambda checked=False, p=p: self._guard(lambda: self.open_path(p)))
            self.recent_menu.addAction(a)
        self.recent_menu.setEnabled(bool(items))
        self.start_page.set_recent([p for p in items if p.lower().endswith(".onnx")])

    # ----- opening files
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Open"), str(Path(self.model_path or ".").parent),
                                              self.tr(FILE_FILTER))
        if path:
            self.open_path(path)

    def open_demo_model(self) -> Task:
        def work(cancel, emit):
            return str(ensure_demo_model())
        task = Task(work, name="demo-model", parent=self)
        task.finished.connect(lambda p: self._guard(lambda: self.open_path(p)))
        task.finished.connect(lambda p: self.log_view.add(
            self.tr("opened the sample intent model ({name}); open your own model with File > Open").format(
                name=Path(p).name)))
        task.failed.connect(self.errors.show_text)
        self.statusBar().showMessage(self.tr("preparing the sample model..."))
        self.center.setCurrentWidget(self.graphs)
        return self.tasks.start(task)

    def open_path(self, path: str) -> Task | None:
        p = Path(path)
        if not p.exists():
            raise StudioError("no such file", where=str(p))
        self.center.setCurrentWidget(self.graphs)
        suffix = p.suffix.lower()
        if suffix == ".onnx" and not Path(str(p) + ".json").exists():
            return self.open_model(str(p))
        if suffix in (".engine", ".plan") or (suffix == ".onnx"):
            return self.open_artifact(str(p))
        if suffix == ".json":
            return self.open_json(str(p))
        if suffix in (".txt", ".log"):
            return self.open_artifact(str(p))
        raise StudioError(self.tr("Engine Studio opens ONNX models (.onnx), engines it built (.engine, .plan), "
                                  "layer reports (.txt, .log) and results (.json); not {kind} files").format(
                                      kind=suffix or self.tr("extension-less")), where=str(p))

    def open_model(self, path: str) -> Task:
        def work(cancel, emit):
            # In a child process: a native crash while parsing must not take the window down.
            t0 = time.perf_counter()
            g = open_graph_isolated(path)
            try:
                profiles = default_profiles(path)
            except StudioError:
                profiles = None     # set_model says why in the log
            return g, from_onnx_graph(g, path), time.perf_counter() - t0, profiles
        task = Task(work, name="open-model", parent=self)
        task.finished.connect(lambda res: self._model_opened(path, *res))
        task.failed.connect(self.errors.show_text)
        self.statusBar().showMessage(self.tr("opening {path}...").format(path=path))
        return self.tasks.start(task)

    def cancel_accuracy(self) -> None:
        task = self.accuracy_task
        if task is not None and task.running:
            task.cancel()
            self.statusBar().showMessage(self.tr("accuracy check cancelled"), 4000)

    def _model_opened(self, path: str, graph, view, seconds: float, profiles=None) -> None:
        self.model_path = self.session.open(path)
        self.onnx_graph = graph
        self.graphs.set_before(view)
        self.graphs.set_after(None)
        self.build_panel.set_model(path, profiles, self.settings.model_choices(path))
        self.setWindowTitle(self.tr("Engine Studio - {name}").format(name=Path(path).name))
        self.settings.add_recent(path)
        self._refresh_recent()
        for w in graph.warnings:
            self.log_view.add(self.tr("warning: {text}").format(text=w))
        self.log_view.add(self.tr("opened {path}: {n} nodes ({s:.2f} s)").format(path=path, n=len(graph.nodes), s=seconds))
        self.statusBar().showMessage(self.tr("opened {name}").format(name=Path(path).name), 4000)
        self.model_opened.emit(path)

    def open_artifact(self, path: str) -> Task:
        """An engine, an optimized ONNX Runtime model with its sidecar, or a layer report."""
        def work(cancel, emit):
            plan = load_plan(path)
            entry = None
            if sidecar_path(path).exists():
                sc = load_sidecar(path)
                cfg = BuildConfig.from_dict(sc["build_config"])
                res = BuildResult(output=str(Path(path).resolve()), sidecar=str(sidecar_path(path)),
                                  backend=sc.get("backend", ""), precision=sc.get("precision", ""),
                                  build_seconds=float(sc.get("build_seconds") or 0.0),
                                  size_bytes=int((sc.get("artifact") or {}).get("size_bytes") or Path(path).stat().st_size))
                entry = BuildEntry(res, cfg)
            return plan, entry
        task = Task(work, name="open-artifact", parent=self)
        task.finished.connect(lambda res: self._artifact_opened(path, *res))
        task.failed.connect(self.errors.show_text)
        return self.tasks.start(task)

    def _artifact_opened(self, path: str, plan, entry) -> None:
        self.plans[path] = plan
        if entry is not None:
            self.session.add_build(entry)
            self.plans[entry.key] = plan
        self.graphs.set_after(from_plan(plan, path), plan, self.onnx_graph, title=Path(path).name)
        self.settings.add_recent(path)
        self._refresh_recent()
        self.plan_shown.emit(path)

    def open_json(self, path: str) -> None:
        p = Path(path)
        artifact = p.with_name(p.name[:-len(".json")])
        if artifact.exists() and artifact.suffix.lower() in (".engine", ".plan", ".onnx"):
            self.open_artifact(str(artifact))  # a sidecar: open what it describes
            return None
        self.session.add_result(results.load(path), source=path)   # StudioError if not a results file
        self.docks["Compare"].raise_()
        self.settings.add_recent(path)
        self._refresh_recent()
        return None

    # ----- builds
    def _on_built(self, entry: BuildEntry) -> None:
        self.settings.remember_choices(entry.config.model, self.build_panel.choices())
        self.session.add_build(entry)
        self.log_view.add(self.tr("build finished: {path}").format(path=entry.result.output))
        self.show_build_graph(entry)

    def show_build_graph(self, entry: BuildEntry) -> Task | None:
        plan = self.plans.get(entry.key)
        if plan is not None:
            self._show_plan(entry, plan)
            return None
        graph = self.onnx_graph if entry.config.model == self.model_path else None

        def work(cancel, emit):
            return load_plan(entry.result.output, onnx_model=graph if graph is not None else None)
        task = Task(work, name="load-plan", parent=self, nice=2)
        task.finished.connect(lambda plan: self._show_plan(entry, plan))
        task.failed.connect(lambda msg: self.errors.show_text(
            self.tr("after-fusion graph of {name}: {error}").format(name=Path(entry.result.output).name, error=msg)))
        return self.tasks.start(task)

    def _show_plan(self, entry: BuildEntry, plan) -> None:
        self.plans[entry.key] = plan
        self.graphs.set_after(from_plan(plan, entry.result.output), plan, self.onnx_graph,
                              title=entry.label)
        self.plan_shown.emit(entry.key)

    # ----- benchmark, accuracy, compare
    def run_benchmark(self) -> None:
        if not self.bench.checked_keys():
            runnable = [e.key for e in self.builds.entries if self.bench.can_run(e)[0]]
            self.bench.check(runnable)
        self.docks["Benchmark"].raise_()
        self.bench.start()

    def _on_bench_finished(self, out) -> None:
        grouped: dict[str, list] = {}
        entries = {}
        for entry, run in out:
            grouped.setdefault(entry.key, []).append(run)
            entries[entry.key] = entry
        for key, runs in grouped.items():
            res = self.session.add_runs(entries[key], runs, inputs=self.bench.declared_inputs)
            self.log_view.add(self.tr("benchmark saved: {path}").format(path=self.session.result_file(res)))

    def run_accuracy(self, request: dict | None = None) -> Task | None:
        """Each build that runs here against the FP32 source on the user's validation data.
        `request` is what AccuracyDialog.request gives; without one the dialog asks for it."""
        entries = [e for e in self.builds.entries if self.bench.can_run(e)[0]]
        if not entries:
            raise StudioError(self.tr("no build that runs here to check"))
        model = entries[0].config.model
        if request is None:
            choices = {"tokenizer": self.build_panel.tokenizer.text().strip() or None,
                       **self.settings.model_choices(model)}
            dialog = AccuracyDialog(model, choices, self)
            if dialog.exec() != AccuracyDialog.Accepted:
                return None
            request = dialog.request()
        if not request.get("val"):
            raise StudioError(self.tr("choose the validation data to check against"))
        self.settings.remember_choices(model, request)
        kwargs = {"label_column": request.get("label_column"), "labels_file": request.get("labels"),
                  "column": request.get("val_column"), "tokenizer": request.get("tokenizer")}
        data = request["val"]

        def work(cancel, emit):
            # The CLI's check (`engine-studio accuracy`), in a child process, as benchmarks run.
            out = {}
            for i, e in enumerate(entries):
                if cancel.is_set():
                    break
                emit(("progress", i, len(entries), e.label))
                res = check_build_isolated(e.result.output, data, cancel=cancel, **kwargs)
                path = e.result.output + ".accuracy.json"
                res.save(path)   # for the user; the session keeps the result itself
                out[e.key] = (path, res)
            return out
        task = Task(work, name="accuracy", parent=self, nice=5)
        task.event.connect(lambda ev: self.statusBar().showMessage(
            self.tr("checking accuracy of {name} ({i} of {n})... (Esc cancels)").format(name=ev[3], i=ev[1] + 1, n=ev[2])))
        task.finished.connect(self._accuracy_done)
        task.failed.connect(self.errors.show_text)
        self.accuracy_task = task
        return self.tasks.start(task)

    def _accuracy_done(self, out: dict) -> None:
        for key, (path, res) in out.items():
            self.session.add_result(res, source=path)
            acc, change = res.accuracy, res.accuracy_change
            text = f"{acc:.2%}" + (f" ({100 * change:+.2f})" if change is not None else "") if acc is not None else ""
            self.bench.set_accuracy(key, text)
            self.log_view.add(self.tr("accuracy saved: {path}").format(path=path))

    # ----- export
    def best_build(self) -> BuildEntry | None:
        return self.session.best_build(float(self.compare.price.value())) or self.builds.current()

    def export_engine_dialog(self, folder: str | None = None) -> Task | None:
        """Copy the build selected in the Builds list (else the best benchmarked one) with its
        sidecar into a folder, in a worker."""
        entry = self.builds.current() or self.best_build()
        if entry is None:
            raise StudioError(self.tr("build an engine first"))
        if folder is None:
            folder = QFileDialog.getExistingDirectory(
                self, self.tr("Export {name} to").format(name=Path(entry.result.output).name))
            if not folder:
                return None

        def done(written):
            self.last_export = written
            self.log_view.add(self.tr("exported {files}").format(files=", ".join(written)))
            self.statusBar().showMessage(self.tr("exported {n} file(s) to {folder}").format(n=len(written), folder=folder),
                                         5000)
        task = Task(lambda cancel, emit: self.session.export(entry.key, folder), name="export", parent=self)
        task.finished.connect(done)
        task.failed.connect(self.errors.show_text)
        return self.tasks.start(task)

    def export_report_dialog(self, path: str | None = None) -> Task | None:
        """Assemble and write the report in a worker (HTML/JSON); a PDF is drawn with Qt, so it is
        written on this thread after the report is assembled."""
        if self.session.model is None and not self.session.builds:
            raise StudioError(self.tr("nothing to report yet: open a model, build and benchmark first"))
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Export report"), "engine-studio-report.html",
                                                  self.tr("HTML (*.html);;PDF (*.pdf);;JSON (*.json)"))
            if not path:
                return None
        price = float(self.compare.price.value())
        fmt = report_format(path)   # an unknown extension is refused before any work, as the CLI does

        def work(cancel, emit):
            report = self.session.report(price_per_gpu_hour=price)
            if fmt != "pdf":
                write_report(report, path)
            return report

        def done(report):
            if fmt == "pdf":
                self._guard(lambda: write_report(report, path, pdf_writer=write_pdf))
            self.last_report = path
            self.log_view.add(self.tr("report written: {path}").format(path=path))
            self.statusBar().showMessage(self.tr("report written to {path}").format(path=path), 5000)

        task = Task(work, name="report", parent=self)
        task.finished.connect(done)
        task.failed.connect(self.errors.show_text)
        return self.tasks.start(task)

    def open_in_netron(self, kind: str = "onnx") -> None:
        url = open_in_netron(self, kind)
        if url:
            self.statusBar().showMessage(self.tr("Netron serving at {url}").format(url=url), 8000)

    def about(self) -> None:
        QMessageBox.about(self, self.tr("Engine Studio"),
                          self.tr("Engine Studio {version}\nBuild, inspect, benchmark and report "
                                  "ONNX -> TensorRT / ONNX Runtime engines.").format(version=__version__))

    # ----- selection
    def _on_selected(self, kind: str, node_id: str) -> None:
        canvas = self.graphs.before if kind == "onnx" else self.graphs.after
        if not node_id or canvas.graph is None:
            self.details.show_node(None)
            return
        node = canvas.graph.node(node_id)
        extra = {}
        link = self.graphs.link
        if link is not None:
            if kind == "onnx":
                layer = link.layer_for_node(node_id)
                extra[self.tr("Engine layer")] = layer or self.tr("(not in the engine: folded or removed)")
        self.details.show_node(node, extra)

    # ----- drag and drop
    def dragEnterEvent(self, ev):
        urls = ev.mimeData().urls() if ev.mimeData().hasUrls() else []
        if any(u.isLocalFile() and Path(u.toLocalFile()).suffix.lower() in OPENABLE for u in urls):
            ev.acceptProposedAction()

    def dropEvent(self, ev):
        for u in ev.mimeData().urls():
            if u.isLocalFile():
                self._guard(lambda p=u.toLocalFile(): self.open_path(p))
        ev.acceptProposedAction()

    # ----- closing
    def closeEvent(self, ev):
        """Cancel what runs and wait for it: a build's child process is stopped, a benchmark
        ends, no worker outlives the window."""
        self._closing = True
        self.save_settings()
        self.bench.stop()
        if self.bench.task is not None:
            self.bench.task.cancel()
        self.build_panel.cancel_build()
        self.graphs.shutdown()
        try:
            stop_all()
        except Exception:
            pass
        ok = self.tasks.shutdown(timeout=15.0)
        if not ok:
            log.warning("some background work did not stop in time")
        self.log_view.detach()
        super().closeEvent(ev)
