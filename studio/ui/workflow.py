"""The window's steps after a build, over the session (studio.core.session): benchmark the
checked builds, check their accuracy on the user's data, export a build and the report. Long work
runs in workers; results come back to this thread and into the session, which the compare view
and the builds list follow."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMainWindow

from studio.core.backends.base import Precision
from studio.core.backends.naming import default_output
from studio.core.bench.isolated import check_build_isolated
from studio.core.bench.sweep import SweepRequest
from studio.core.errors import StudioError
from studio.core.jobs.build_job import BuildEntry
from studio.core.jobs.compatibility import compatibility
from studio.core.jobs.executor import executor_for
from studio.core.precision_search.job import run_calibration_check, run_search
from studio.core.precision_search.search import SearchRequest, SearchResult
from studio.core.reports.export import report_format, write_report
from studio.ui.accuracy_dialog import AccuracyDialog
from studio.ui.bench_panel import runs_here
from studio.ui.precision_panel import PrecisionDialog
from studio.ui.report_pdf import write_pdf
from studio.ui.workers import Task


class Workflow(QObject):
    """Owned by the main window; its menu actions and the compare view's buttons call these."""

    def __init__(self, win: QMainWindow):
        super().__init__(win)
        self.win = win
        self.accuracy_task: Task | None = None
        self.precision_task: Task | None = None
        self.last_report: str | None = None
        self.last_export: list[str] = []
        win.bench.finished.connect(self._on_bench_finished)
        win.build_panel.find_precision_requested.connect(lambda: win.guard(self.find_precision))
        win.precision.cancel_requested.connect(self.cancel_precision)
        win.precision.apply_requested.connect(self.use_precision)
        win.precision.calibration_requested.connect(lambda: win.guard(self.check_calibration))
        win.precision.node_clicked.connect(win.graphs.show_onnx_node)
        win.sweep.run_btn.clicked.connect(lambda: win.guard(self.run_sweep))
        win.sweep.check_btn.clicked.connect(lambda: win.guard(self.check_compatibility))

    def run_benchmark(self) -> None:
        if not self.win.bench.checked_keys():
            runnable = [e.key for e in self.win.builds.entries if self.win.bench.can_run(e)[0]]
            self.win.bench.check(runnable)
        self.win.docks["Benchmark"].raise_()
        if self.win.bench.start() is not None and self.win.session.model:
            self.win.settings.remember_choices(self.win.session.model, self.win.bench.choices())

    def _on_bench_finished(self, out) -> None:
        """The panel has added the runs to the session; say where each build's were saved."""
        for key in dict.fromkeys(entry.key for entry, _ in out):
            path = self.win.session.result_file(self.win.session.runs[key])
            self.win.log_view.add(self.tr("benchmark saved: {path}").format(path=path))

    def run_sweep(self) -> Task:
        """The sweep the Sweep panel asks for, of the open model, built as the Build panel says
        (backend, calibration, options) at each precision, fed as the Benchmark panel says."""
        model = self.win.session.model
        if model is None:
            raise StudioError(self.tr("open an ONNX model first"))
        panel, build = self.win.sweep, self.win.build_panel
        asked = panel.settings()
        template = build.make_config()
        builds = {}
        for name in asked["precisions"]:
            precision = Precision.parse(name).value
            calibration = build.calibration_spec() if precision in ("int8", "fp8") else None
            if precision in ("int8", "fp8") and calibration is None:
                raise StudioError(self.tr("{target} needs calibration data: choose it in the Build panel first").format(
                    target=precision.upper()))
            builds[precision] = replace(template, precision=precision, calibration=calibration,
                                        output=str(default_output(model, template.backend, precision)))
        args, _ = self.win.bench.input_spec()
        req = SweepRequest(model, builds, asked["batches"], asked["concurrencies"],
                           out_dir=str(Path(model).with_name(f"{Path(model).stem}-sweep")), targets=asked["targets"],
                           data=args["data"], column=args.get("column"), tokenizer=args.get("tokenizer"),
                           seq_len=args.get("seq_len"), duration_s=asked["duration_s"], passes=asked["passes"],
                           warmup_s=min(1.0, asked["duration_s"] / 2))
        address, price = panel.address(), float(self.win.compare.price.value())

        def work(cancel, on_run):
            executor = executor_for(address)
            try:
                return self.win.session.sweep(req, executor, peak=asked["peak"], prices=asked["prices"],
                                              default_price=price, on_run=on_run, cancel=cancel)
            finally:
                executor.close()
        self.win.docks["Sweep"].raise_()
        return panel.start(work)

    def check_compatibility(self) -> Task:
        """Each build of the session checked on each target selected in the Targets tab."""
        artifacts = [e.result.output for e in self.win.builds.entries]
        if not artifacts:
            raise StudioError(self.tr("build an engine first"))
        panel = self.win.sweep
        address, targets = panel.address(), panel.chosen_targets()

        def work(cancel):
            executor = executor_for(address)
            try:
                return compatibility(executor, artifacts, targets)
            finally:
                executor.close()
        self.win.docks["Sweep"].raise_()
        return panel.check_builds(work)

    def run_accuracy(self, request: dict | None = None) -> Task | None:
        """Each build that runs here against the FP32 source on the user's validation data.
        `request` is what AccuracyDialog.request gives; without one the dialog asks for it."""
        entries = [e for e in self.win.builds.entries if runs_here(e)[0]]
        if not entries:
            raise StudioError(self.tr("no build that runs here to check"))
        model = entries[0].config.model
        if request is None:
            choices = {"tokenizer": self.win.build_panel.tokenizer.text().strip() or None,
                       **self.win.settings.model_choices(model)}
            dialog = AccuracyDialog(model, choices, self.win)
            if dialog.exec() != AccuracyDialog.Accepted:
                return None
            request = dialog.request()
        if not request.get("val"):
            raise StudioError(self.tr("choose the validation data to check against"))
        self.win.settings.remember_choices(model, request)
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
        task.event.connect(lambda ev: self.win.statusBar().showMessage(
            self.tr("checking accuracy of {name} ({i} of {n})... (Esc cancels)").format(name=ev[3], i=ev[1] + 1, n=ev[2])))
        task.finished.connect(self._accuracy_done)
        task.failed.connect(self.win.errors.show_text)
        self.accuracy_task = task
        return self.win.tasks.start(task)

    def _precision_request(self, title: str, request: dict | None) -> SearchRequest | None:
        """The search's (or the calibration check's) request: the dialog's data, target and
        budget, the build panel's calibration and keep-list; None when the dialog is cancelled."""
        model = self.win.session.model
        if model is None:
            raise StudioError(self.tr("open an ONNX model first"))
        if self.precision_task is not None and self.precision_task.running:
            raise StudioError(self.tr("a precision search is running already"))
        panel = self.win.build_panel
        if request is None:
            choices = {"tokenizer": panel.tokenizer.text().strip() or None, **self.win.settings.model_choices(model)}
            dialog = PrecisionDialog(model, choices, panel.precision.currentData() or "int8", self.win)
            dialog.setWindowTitle(title)
            if dialog.exec() != PrecisionDialog.Accepted:
                return None
            request = dialog.request()
        if not request.get("val"):
            raise StudioError(self.tr("choose the validation data the search scores against"))
        target = request["target"]
        calibration = panel.calibration_spec() if target in ("int8", "fp8") else None
        if target in ("int8", "fp8") and calibration is None:
            raise StudioError(self.tr("{target} needs calibration data: choose it in the Build panel first").format(
                target=target.upper()))
        self.win.settings.remember_choices(model, {k: request.get(k) for k in (
            "val", "val_column", "label_column", "labels", "tokenizer", "precision_budget")})
        return SearchRequest(model=model, target=target, data=request["val"], budget=request["budget"],
                             metric=request["metric"], column=request.get("val_column"),
                             label_column=request.get("label_column"), labels_file=request.get("labels"),
                             tokenizer=request.get("tokenizer") or panel.tokenizer.text().strip() or None,
                             calibration=calibration, keep=panel.keep_entries())

    def _start_precision(self, work, done) -> Task:
        view = self.win.precision
        task = Task(work, name="precision", parent=self, nice=5)
        task.finished.connect(done)
        task.failed.connect(lambda msg: (view.stopped(msg), self.win.errors.show_text(msg)))
        task.cancelled.connect(lambda: view.stopped(self.tr("precision search cancelled; nothing was written")))
        self.precision_task = task
        view.started()
        self.win.docks["Precision"].raise_()
        return self.win.tasks.start(task)

    def find_precision(self, request: dict | None = None) -> Task | None:
        """The precision search on the open model, with the build panel's calibration and
        keep-list; `request` is what PrecisionDialog.request gives (asked for when None)."""
        req = self._precision_request(self.tr("Find precision"), request)
        if req is None:
            return None
        events = self.win.precision.events
        return self._start_precision(lambda cancel, emit: run_search(req, on_event=events.append, cancel=cancel),
                                     self._precision_done)

    def check_calibration(self, request: dict | None = None) -> Task | None:
        """The build panel's calibration set checked against the validation data (int8/fp8)."""
        req = self._precision_request(self.tr("Check calibration"), request)
        if req is None:
            return None
        if req.target not in ("int8", "fp8"):
            raise StudioError(self.tr("only INT8 and FP8 are calibrated: choose one of them as the target"))
        events = self.win.precision.events
        return self._start_precision(
            lambda cancel, emit: run_calibration_check(req, on_event=events.append, cancel=cancel),
            self.win.precision.show_calibration)

    def cancel_precision(self) -> None:
        if self.precision_task is not None and self.precision_task.running:
            self.precision_task.cancel()

    def _precision_done(self, res: SearchResult) -> None:
        self.win.session.add_precision(res)
        self.win.precision.show_result(res)
        self.win.graphs.set_sensitivity({s["node"]: s["score"] for s in res.sensitivity})
        self.win.graphs.set_color_mode("sensitivity")
        self.win.log_view.add(self.tr("precision search: {n} node(s) kept high, drop {drop:+.2f} points").format(
            n=len(res.kept), drop=res.drop_points))

    def use_precision(self, res: SearchResult) -> None:
        """The build panel takes the search's target and keep-list."""
        panel = self.win.build_panel
        panel.select_precision(res.target)
        panel.keep_fp32.setText(", ".join(res.keep_file().entries))
        self.win.docks["Build"].raise_()

    def _accuracy_done(self, out: dict) -> None:
        for key, (path, res) in out.items():
            self.win.session.add_result(res, source=path)
            acc, change = res.accuracy, res.accuracy_change
            text = f"{acc:.2%}" + (f" ({100 * change:+.2f})" if change is not None else "") if acc is not None else ""
            self.win.bench.live.set_accuracy(key, text)
            self.win.log_view.add(self.tr("accuracy saved: {path}").format(path=path))

    def best_build(self) -> BuildEntry | None:
        return self.win.session.best_build(float(self.win.compare.price.value())) or self.win.builds.current()

    def export_engine_dialog(self, folder: str | None = None) -> Task | None:
        """Copy the build selected in the Builds list (else the best benchmarked one) with its
        sidecar into a folder, in a worker."""
        entry = self.win.builds.current() or self.best_build()
        if entry is None:
            raise StudioError(self.tr("build an engine first"))
        if folder is None:
            folder = QFileDialog.getExistingDirectory(
                self.win, self.tr("Export {name} to").format(name=Path(entry.result.output).name))
            if not folder:
                return None

        def done(written):
            self.last_export = written
            self.win.log_view.add(self.tr("exported {files}").format(files=", ".join(written)))
            self.win.statusBar().showMessage(self.tr("exported {n} file(s) to {folder}").format(n=len(written), folder=folder),
                                         5000)
        task = Task(lambda cancel, emit: self.win.session.export(entry.key, folder), name="export", parent=self)
        task.finished.connect(done)
        task.failed.connect(self.win.errors.show_text)
        return self.win.tasks.start(task)

    def export_report_dialog(self, path: str | None = None) -> Task | None:
        """Assemble and write the report in a worker (HTML/JSON); a PDF is drawn with Qt, so it is
        written on this thread after the report is assembled."""
        if self.win.session.model is None and not self.win.session.builds:
            raise StudioError(self.tr("nothing to report yet: open a model, build and benchmark first"))
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.win, self.tr("Export report"), "engine-studio-report.html",
                                                  self.tr("HTML (*.html);;PDF (*.pdf);;JSON (*.json)"))
            if not path:
                return None
        price = float(self.win.compare.price.value())
        fmt = report_format(path)   # an unknown extension is refused before any work, as the CLI does

        def work(cancel, emit):
            report = self.win.session.report(price_per_device_hour=price)
            if fmt != "pdf":
                write_report(report, path)
            return report

        def done(report):
            if fmt == "pdf":
                self.win.guard(lambda: write_report(report, path, pdf_writer=write_pdf))
            self.last_report = path
            self.win.log_view.add(self.tr("report written: {path}").format(path=path))
            self.win.statusBar().showMessage(self.tr("report written to {path}").format(path=path), 5000)

        task = Task(work, name="report", parent=self)
        task.finished.connect(done)
        task.failed.connect(self.win.errors.show_text)
        return self.win.tasks.start(task)

    def cancel_accuracy(self) -> None:
        task = self.accuracy_task
        if task is not None and task.running:
            task.cancel()
            self.win.statusBar().showMessage(self.tr("accuracy check cancelled"), 4000)
