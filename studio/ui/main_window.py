"""The main window: graph canvas in the centre; docks for build settings, builds, benchmark,
comparison, details and log; menus, shortcuts, drag and drop, recent files, persisted settings,
themes, and a status bar that says which backend builds here and where engines run.

It renders the core's state and wires signals; every computation is a core call run through a
worker (studio.ui.workers) so the event loop never waits on one."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QMainWindow, QScrollArea,
                               QStackedWidget, QWidget)

from studio.core.backends.layer_reports import load_plan
from studio.core.bench import results
from studio.core.demo.paths import ensure_demo_model
from studio.core.errors import StudioError
from studio.core.graph.isolated import open_graph_isolated
from studio.core.jobs.build_job import BuildEntry
from studio.core.precision_search.job import as_built_isolated
from studio.core.session import Session
from studio.ui.bench_panel import BenchPanel
from studio.ui.build_panel import BuildPanel, default_profiles
from studio.ui.builds_list import BuildsList
from studio.ui.sweep_panel import SweepPanel
from studio.ui.compare_view import CompareView
from studio.ui.details_panel import DetailsPanel
from studio.ui.errors import ErrorReporter
from studio.ui.graph_panel import GraphPanel
from studio.ui.i18n import bind, install
from studio.ui.log_dock import LogView
from studio.ui.netron_server import stop_all
from studio.ui.precision_panel import PrecisionPanel
from studio.ui.settings import Settings
from studio.ui.start_page import StartPage
from studio.ui.status_bar import BackendStatus
from studio.ui.theme import apply_theme, plot_colors
from studio.ui.view_model import from_onnx_graph, from_plan
from studio.ui import window_settings
from studio.ui.window_menus import make_menus
from studio.ui.workflow import Workflow
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
        self.plans: dict[str, object] = {}       # artifact -> Plan
        self.as_built: dict[str, object] = {}    # artifact -> AsBuilt (its layers against the recipe), or None
        self.shown_build: str | None = None      # the build whose fused graph the user asked for last
        self._loading_plans: dict[str, Task] = {}
        self._closing = False

        self.graphs = GraphPanel(self.tasks)
        self.start_page = StartPage()
        self.center = QStackedWidget()
        self.center.addWidget(self.start_page)
        self.center.addWidget(self.graphs)
        self.setCentralWidget(self.center)
        self.details = DetailsPanel()
        self.build_panel = BuildPanel(self.tasks)
        self.builds = BuildsList()
        self.bench = BenchPanel(self.tasks, self.session)
        self.compare = CompareView(self.session)
        self.log_view = LogView()
        self.precision = PrecisionPanel()
        self.sweep = SweepPanel(self.tasks)
        self.build_panel.selection_provider = lambda: [self.graphs.before.selected_id()]

        self.docks: dict[str, QDockWidget] = {}
        self._dock("Build", lambda: self.tr("Build"), self.build_panel, Qt.LeftDockWidgetArea)
        self._dock("Details", lambda: self.tr("Details"), self.details, Qt.RightDockWidgetArea)
        self._dock("Builds", lambda: self.tr("Builds"), self.builds, Qt.RightDockWidgetArea)
        self._dock("Benchmark", lambda: self.tr("Benchmark"), self.bench, Qt.BottomDockWidgetArea)
        self._dock("Compare", lambda: self.tr("Compare"), self.compare, Qt.BottomDockWidgetArea)
        self._dock("Precision", lambda: self.tr("Precision"), self.precision, Qt.BottomDockWidgetArea)
        self._dock("Sweep", lambda: self.tr("Targets and sweep"), self.sweep, Qt.BottomDockWidgetArea)
        self._dock("Log", lambda: self.tr("Log"), self.log_view, Qt.BottomDockWidgetArea)
        self.tabifyDockWidget(self.docks["Benchmark"], self.docks["Compare"])
        self.tabifyDockWidget(self.docks["Compare"], self.docks["Precision"])
        self.tabifyDockWidget(self.docks["Precision"], self.docks["Sweep"])
        self.tabifyDockWidget(self.docks["Sweep"], self.docks["Log"])
        self.docks["Benchmark"].raise_()

        self.workflow = Workflow(self)
        make_menus(self)
        self.status = BackendStatus(self.statusBar())
        self.update_status()
        self._wire()
        self.fit_screen()
        window_settings.restore(self)

    def fit_screen(self, width: int | None = None, height: int | None = None) -> None:
        window_settings.fit_screen(self, width, height)

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

    def guard(self, slot) -> None:
        """Menu actions run through here: a StudioError becomes its one line in a box."""
        try:
            slot()
        except StudioError as e:
            self.errors.show_text(str(e))

    def update_status(self) -> None:
        self.status.show(self.build_panel.backend.currentText(), self.build_panel.capabilities())

    def _wire(self) -> None:
        # The session is changed on this thread only (workers hand results back through signals).
        self.session.events.build.connect(self.builds.add)
        self.start_page.open_requested.connect(lambda: self.guard(self.open_dialog))
        self.start_page.sample_requested.connect(lambda: self.guard(self.open_demo_model))
        self.start_page.recent_requested.connect(lambda p: self.guard(lambda: self.open_path(p)))
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
        for picker in (self.bench.where, self.build_panel.where):
            self.sweep.targets_loaded.connect(lambda targets, p=picker: p.set_targets(self.sweep.address(), targets))
        self.bench.failed.connect(self.errors.show_text)
        self.compare.export_engine_requested.connect(lambda: self.guard(self.workflow.export_engine_dialog))
        self.compare.export_report_requested.connect(lambda: self.guard(self.workflow.export_report_dialog))
        self.compare.price_changed.connect(lambda v: self.settings.set("price_per_device_hour", v))
        self.graphs.mode.currentIndexChanged.connect(
            lambda _: self.settings.set("graph_mode", self.graphs.mode.currentData()))
        self.graphs.color.currentIndexChanged.connect(
            lambda _: self.settings.set("color_mode", self.graphs.color.currentData()))

    # ----- theme and language
    def save_settings(self) -> None:
        window_settings.save(self)

    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        name = apply_theme(app, name)
        self.theme_actions[name].setChecked(True)
        self.settings.set("theme", name)
        self.bench.live.set_theme(*plot_colors(name))
        self.sweep.set_theme(*plot_colors(name))
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
        task.finished.connect(lambda p: self.guard(lambda: self.open_path(p)))
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

    def _model_opened(self, path: str, graph, view, seconds: float, profiles=None) -> None:
        self.model_path = self.session.open(path)
        self.onnx_graph = graph
        self.graphs.set_before(view)
        self.graphs.set_after(None)
        self.build_panel.set_model(path, profiles, self.settings.model_choices(path))
        self.bench.apply_choices(self.settings.model_choices(path))
        self.setWindowTitle(self.tr("Engine Studio - {name}").format(name=Path(path).name))
        self.settings.add_recent(path)
        window_settings.refresh_recent(self)
        for w in graph.warnings:
            self.log_view.add(self.tr("warning: {text}").format(text=w))
        self.log_view.add(self.tr("opened {path}: {n} nodes ({s:.2f} s)").format(path=path, n=len(graph.nodes), s=seconds))
        self.statusBar().showMessage(self.tr("opened {name}").format(name=Path(path).name), 4000)
        self.model_opened.emit(path)

    def open_artifact(self, path: str) -> Task:
        """An engine, an optimized ONNX Runtime model with its sidecar, or a layer report."""
        def work(cancel, emit):
            plan = load_plan(path)
            entry = BuildEntry.from_sidecar(path)
            return plan, entry, as_built_isolated(path)[0]
        task = Task(work, name="open-artifact", parent=self)
        task.finished.connect(lambda res: self._artifact_opened(path, *res))
        task.failed.connect(self.errors.show_text)
        return self.tasks.start(task)

    def _artifact_opened(self, path: str, plan, entry, built=None) -> None:
        self.plans[path] = plan
        self.shown_build = entry.key if entry is not None else path
        if entry is not None:
            self.session.add_build(entry)
            self.plans[entry.key] = plan
            self.as_built[entry.key] = built
        self.graphs.set_after(from_plan(plan, path, built=built), plan, self.onnx_graph, title=Path(path).name, built=built)
        self.settings.add_recent(path)
        window_settings.refresh_recent(self)
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
        window_settings.refresh_recent(self)
        return None

    # ----- builds
    def _on_built(self, entry: BuildEntry) -> None:
        self.settings.remember_choices(entry.config.model, self.build_panel.choices())
        self.session.add_build(entry)
        self.log_view.add(self.tr("build finished: {path}").format(path=entry.result.output))
        self.show_build_graph(entry)

    def show_build_graph(self, entry: BuildEntry) -> Task | None:
        """Show a build's fused graph; its plan is read once, in a worker. A plan that arrives
        after the user has selected another build is kept, not shown."""
        self.shown_build = entry.key
        plan = self.plans.get(entry.key)
        if plan is not None:
            self._show_plan(entry, plan, self.as_built.get(entry.key))
            return None
        if entry.key in self._loading_plans:
            return self._loading_plans[entry.key]
        graph = self.onnx_graph if entry.config.model == self.model_path else None

        def work(cancel, emit):
            plan = load_plan(entry.result.output, onnx_model=graph if graph is not None else None)
            return plan, as_built_isolated(entry.result.output)[0]
        task = Task(work, name="load-plan", parent=self, nice=2)
        task.finished.connect(lambda out: self._plan_loaded(entry, *out))
        task.failed.connect(lambda msg: self.errors.show_text(
            self.tr("after-fusion graph of {name}: {error}").format(name=Path(entry.result.output).name, error=msg)))
        task.done.connect(lambda: self._loading_plans.pop(entry.key, None))
        self._loading_plans[entry.key] = task
        return self.tasks.start(task)

    def _plan_loaded(self, entry: BuildEntry, plan, built=None) -> None:
        self.plans[entry.key] = plan
        self.as_built[entry.key] = built
        if self.shown_build == entry.key:
            self._show_plan(entry, plan, built)

    def _show_plan(self, entry: BuildEntry, plan, built=None) -> None:
        self.graphs.set_after(from_plan(plan, entry.result.output, built=built), plan, self.onnx_graph,
                              title=f"{entry.label}, {Path(entry.result.output).name}", built=built)
        self.plan_shown.emit(entry.key)

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
                self.guard(lambda p=u.toLocalFile(): self.open_path(p))
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
