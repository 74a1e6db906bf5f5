"""The build panel: backend, precision, workspace, optimization profiles, calibration data with
a preview, nodes kept in fp32, timing cache; Build runs studio.core.jobs.build_job.run_build (a
child process) from a worker thread, with a phase progress bar, elapsed time and an estimate,
a live log and Cancel.

Every choice here maps onto a BuildConfig field, the same object `engine-studio build` makes;
the capabilities the backend reports decide what is greyed out, with the reason as tooltip."""

from __future__ import annotations

import collections
import time
from html import escape
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QTimer, Signal
from PySide6.QtGui import QPalette, QStandardItemModel
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QPlainTextEdit, QProgressBar, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from studio.core.backends.base import BuildConfig, BuildResult, CalibrationSpec, ShapeProfile, parse_build_options
from studio.core.backends.naming import default_output, unused
from studio.core.backends.profiles import model_inputs, resolve_profiles
from studio.core.backends.registry import backend_names, get_backend
from studio.core.data.calibration import ARRAY_SUFFIXES, preview_for_model
from studio.core.data.tables import table_header
from studio.core.data.tokenizer import tokenizer_beside
from studio.core.errors import StudioError
from studio.core.jobs.build_job import BuildEntry, run_build
from studio.core.jobs.executor import Job, executor_for
from studio.ui.i18n import bind, button, label
from studio.ui.target_picker import TargetPicker
from studio.ui.workers import Task, TaskRegistry


def backend_choices() -> list[tuple[str, object | None, str | None]]:
    """(name, backend or None, reason it cannot be used) for every registered backend."""
    out = []
    for name in backend_names():
        try:
            out.append((name, get_backend(name), None))
        except StudioError as e:
            out.append((name, None, str(e)))
    return out


# Where a data field's value came from, as the panel says it (translated when shown).
_TOKENIZER_SOURCES = (QT_TRANSLATE_NOOP("BuildPanel", "beside the model"), QT_TRANSLATE_NOOP("BuildPanel", "remembered"),
                      QT_TRANSLATE_NOOP("BuildPanel", "given"), QT_TRANSLATE_NOOP("BuildPanel", "chosen"),
                      QT_TRANSLATE_NOOP("BuildPanel", "none found beside the model"))
_PROGRESS_STATES = (QT_TRANSLATE_NOOP("BuildPanel", "idle"), QT_TRANSLATE_NOOP("BuildPanel", "starting..."),
                    QT_TRANSLATE_NOOP("BuildPanel", "cancelling..."), QT_TRANSLATE_NOOP("BuildPanel", "done"),
                    QT_TRANSLATE_NOOP("BuildPanel", "failed"), QT_TRANSLATE_NOOP("BuildPanel", "cancelled"))


def _set_item_enabled(combo: QComboBox, index: int, enabled: bool, reason: str | None) -> None:
    model = combo.model()
    if isinstance(model, QStandardItemModel):
        item = model.item(index)
        flags = item.flags()
        item.setFlags(flags | Qt.ItemIsEnabled if enabled else flags & ~Qt.ItemIsEnabled)
        item.setToolTip(reason or "")


def default_profiles(model: str) -> list:
    return resolve_profiles(model_inputs(model), where=model)


class BuildPanel(QWidget):
    built = Signal(object)          # BuildEntry
    failed = Signal(str)
    cancelled = Signal()
    log_line = Signal(str)
    running_changed = Signal(bool)
    find_precision_requested = Signal()

    def __init__(self, tasks: TaskRegistry, parent=None):
        super().__init__(parent)
        self.tasks = tasks
        self.model_path: str | None = None
        self.suggested_profiles = ""     # the profiles prefilled for the model, as text
        self.output_dir: str | None = None
        self.selection_provider = lambda: []   # the graph's selected ONNX node names
        self.task: Task | None = None
        self._events: collections.deque = collections.deque()
        self._started = 0.0
        self._fraction = 0.0
        self._phase = ""
        self._history: dict[tuple[str, str], float] = {}   # (backend, precision) -> last build seconds
        self._backends: dict[str, tuple[object | None, str | None]] = {}
        self._busy = False

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.backend = QComboBox()
        self.precision = QComboBox()
        self.runs_here = QLabel("")
        self.runs_here.setWordWrap(True)
        self.runs_here.setForegroundRole(QPalette.PlaceholderText)
        self.workspace = QSpinBox()
        self.workspace.setRange(0, 1 << 20)
        self.workspace.setSuffix(" MiB")
        bind(self.workspace.setSpecialValueText, lambda: self.tr("backend default"))
        bind(self.workspace.setToolTip, lambda: self.tr("Memory the builder may use for tactics (TensorRT workspace pool)"))
        self.profiles = QPlainTextEdit()
        bind(self.profiles.setPlaceholderText, lambda: self.tr("input_ids:1x8,8x64,32x128  (one dynamic input per line)"))
        self.profiles.setMaximumHeight(64)
        bind(self.profiles.setToolTip,
             lambda: self.tr("Optimization profiles: NAME:MIN,OPT,MAX, prefilled from the model's inputs; "
                             "left as they are, the backend chooses them as engine-studio build does"))
        self.where = TargetPicker()
        bind(self.where.setToolTip, lambda: self.tr("Where the build runs: this machine, or a target of the cluster "
                                                    "listed in the Targets and sweep tab (an engine is best built on "
                                                    "the GPU it will serve on)"))
        form.addRow(label(lambda: self.tr("Build on")), self.where)
        form.addRow(label(lambda: self.tr("Backend")), self.backend)
        form.addRow("", self.runs_here)
        form.addRow(label(lambda: self.tr("Precision")), self.precision)
        form.addRow(label(lambda: self.tr("Workspace")), self.workspace)
        form.addRow(label(lambda: self.tr("Profiles")), self.profiles)

        self.calib = QLineEdit()
        bind(self.calib.setPlaceholderText, lambda: self.tr("CSV / JSONL text or .npz arrays (INT8/FP8)"))
        browse = QPushButton("...")
        browse.setFixedWidth(28)
        browse.clicked.connect(self._browse_calibration)
        self.preview_btn = button(lambda: self.tr("Preview"))
        self.preview_btn.clicked.connect(self.preview_calibration)
        self.calib_source = QLabel("")
        self.calib_source.setForegroundRole(QPalette.PlaceholderText)
        row = QHBoxLayout()
        row.addWidget(self.calib, 1)
        row.addWidget(browse)
        row.addWidget(self.preview_btn)
        row.addWidget(self.calib_source)
        form.addRow(label(lambda: self.tr("Calibration")), row)
        self.calib_column = QComboBox()
        bind(self.calib_column.setToolTip, lambda: self.tr("The column that holds the texts (from the file's header)"))
        self.calib.editingFinished.connect(self._read_header)
        self.calib_samples = QSpinBox()
        self.calib_samples.setRange(1, 100000)
        self.calib_samples.setValue(256)
        self.calib_method = QComboBox()
        self.calib_method.addItems(["minmax", "entropy", "percentile"])
        bind(self.calib_method.setToolTip, lambda: self.tr("How INT8 ranges are chosen from the calibration activations"))
        self.calib_max_length = QSpinBox()
        self.calib_max_length.setRange(1, 8192)
        self.calib_max_length.setValue(128)
        bind(self.calib_max_length.setToolTip, lambda: self.tr("Texts longer than this many tokens are truncated"))
        row = QHBoxLayout()
        for text, widget in ((lambda: self.tr("column"), self.calib_column),
                             (lambda: self.tr("samples"), self.calib_samples),
                             (lambda: self.tr("method"), self.calib_method),
                             (lambda: self.tr("max tokens"), self.calib_max_length)):
            row.addWidget(label(text))
            row.addWidget(widget, 1 if widget is self.calib_column else 0)
        form.addRow("", row)
        self.tokenizer = QLineEdit()
        bind(self.tokenizer.setPlaceholderText,
             lambda: self.tr("tokenizer.json or a Hugging Face tokenizer folder (for text data)"))
        browse_tok = QPushButton("...")
        browse_tok.setFixedWidth(28)
        browse_tok.clicked.connect(self._browse_tokenizer)
        self.tokenizer_source = QLabel("")
        self.tokenizer_source.setForegroundRole(QPalette.PlaceholderText)
        row = QHBoxLayout()
        row.addWidget(self.tokenizer, 1)
        row.addWidget(browse_tok)
        row.addWidget(self.tokenizer_source)
        form.addRow(label(lambda: self.tr("Tokenizer")), row)

        self.keep_fp32 = QLineEdit()
        bind(self.keep_fp32.setPlaceholderText, lambda: self.tr("node names, op types or patterns, comma separated"))
        bind(self.keep_fp32.setToolTip, lambda: self.tr(
            "Kept in FP32 when the rest is lowered. Patterns: a glob on node names (*/attention/output/dense/MatMul), "
            "layer:first, layer:last or layer:N, and & to intersect (layer:last & MatMul)"))
        pick = button(lambda: self.tr("Add selected"), lambda: self.tr("Add the node selected in the graph"))
        pick.clicked.connect(self.add_selected_to_fp32)
        self.find_precision_btn = button(lambda: self.tr("Find precision..."), lambda: self.tr(
            "Rank the nodes by precision sensitivity and find the fewest to keep high under an accuracy budget"))
        self.find_precision_btn.clicked.connect(self.find_precision_requested)
        row = QHBoxLayout()
        row.addWidget(self.keep_fp32, 1)
        row.addWidget(pick)
        row.addWidget(self.find_precision_btn)
        form.addRow(label(lambda: self.tr("Keep in FP32")), row)
        self.timing_cache = QLineEdit()
        bind(self.timing_cache.setPlaceholderText, lambda: self.tr("timing cache file (optional)"))
        form.addRow(label(lambda: self.tr("Timing cache")), self.timing_cache)
        self.options = QLineEdit()
        bind(self.options.setPlaceholderText, lambda: self.tr("backend options, KEY=VALUE separated by spaces (optional)"))
        bind(self.options.setToolTip, lambda: self.tr(
            "As `engine-studio build --option KEY=VALUE`, e.g. ort_ffn_chunk_bytes=0; "
            "a key the backend does not read fails the build with the list of those it does"))
        form.addRow(label(lambda: self.tr("Options")), self.options)
        self.output = QLineEdit()
        bind(self.output.setToolTip, lambda: self.tr("Where the build is written; empty: the name the command line "
                                                     "would give, numbered when that file exists already"))
        form.addRow(label(lambda: self.tr("Output")), self.output)

        self.preview_table = QTableWidget(0, 3)
        bind(self.preview_table.setHorizontalHeaderLabels, lambda: [self.tr("line"), self.tr("text"), self.tr("token ids")])
        self.preview_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        self.preview_table.verticalHeader().hide()
        self.preview_table.setMaximumHeight(120)
        self.preview_table.hide()
        self.calib_info = QLabel("")
        self.calib_info.setWordWrap(True)

        self.build_btn = button(lambda: self.tr("Build"), lambda: self.tr("Build an engine with these settings (Ctrl+B)"))
        self.build_btn.setDefault(True)
        self.cancel_btn = button(lambda: self.tr("Cancel"))
        self.cancel_btn.setEnabled(False)
        self.build_btn.clicked.connect(self.start_build)
        self.cancel_btn.clicked.connect(self.cancel_build)
        buttons = QHBoxLayout()
        buttons.addWidget(self.build_btn, 1)
        buttons.addWidget(self.cancel_btn)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self._set_progress("idle")
        self.progress.setTextVisible(True)
        self.time_label = QLabel("")
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        bind(self.log.setPlaceholderText, lambda: self.tr("build log"))

        box = QGroupBox()
        bind(box.setTitle, lambda: self.tr("Build settings"))
        box.setLayout(form)
        root = QVBoxLayout(self)
        root.addWidget(box)
        root.addWidget(self.calib_info)
        root.addWidget(self.preview_table)
        root.addLayout(buttons)
        root.addWidget(self.progress)
        root.addWidget(self.time_label)
        root.addWidget(self.log, 1)

        self.backend.currentIndexChanged.connect(lambda _: self._backend_changed())
        self.precision.currentIndexChanged.connect(lambda _: self._update_output_hint())
        self.timer = QTimer(self)
        self.timer.setInterval(100)   # drain build events at 10 Hz: a verbose builder cannot flood the UI
        self.timer.timeout.connect(self._drain)
        self.load_backends()
        self.set_model(None)

    # ----- backends and capabilities
    def load_backends(self) -> None:
        self.backend.blockSignals(True)
        self.backend.clear()
        self._backends = {}
        for name, backend, reason in backend_choices():
            self._backends[name] = (backend, reason)
            title = backend.display_name if backend is not None else name
            self.backend.addItem(title, name)
            _set_item_enabled(self.backend, self.backend.count() - 1, backend is not None, reason)
        first_ok = next((i for i in range(self.backend.count())
                         if self._backends[self.backend.itemData(i)][0] is not None), 0)
        self.backend.setCurrentIndex(first_ok)
        self.backend.blockSignals(False)
        self._backend_changed()

    def select_backend(self, name: str) -> None:
        i = self.backend.findData(name)
        if i < 0:
            raise StudioError(self.tr("no backend named {name!r}").format(name=name))
        backend, reason = self._backends[name]
        if backend is None:
            raise StudioError(self.tr("backend {name} cannot be used: {reason}").format(name=name, reason=reason))
        self.backend.setCurrentIndex(i)

    def select_precision(self, precision: str) -> None:
        i = self.precision.findData(precision)
        if i < 0:
            raise StudioError(self.tr("precision {precision} is not offered by this backend").format(precision=precision))
        item = self.precision.model().item(i)
        if not item.isEnabled():
            raise StudioError(self.tr("precision {precision} is not available: {reason}").format(
                precision=precision, reason=item.toolTip()))
        self.precision.setCurrentIndex(i)

    def capabilities(self):
        backend, _ = self._backends.get(self.backend.currentData(), (None, None))
        return backend.capabilities() if backend is not None else None

    def _backend_changed(self) -> None:
        caps = self.capabilities()
        keep = self.precision.currentData()
        self.precision.clear()
        if caps is None:
            _, reason = self._backends.get(self.backend.currentData(), (None, None))
            bind(self.runs_here.setText, lambda: reason or self.tr("no backend"))
            self.build_btn.setEnabled(False)
            return
        for p, reason in caps.precisions.items():
            self.precision.addItem(p.upper(), p)
            _set_item_enabled(self.precision, self.precision.count() - 1, reason is None, reason)
        i = self.precision.findData(keep)
        if i >= 0 and self.precision.model().item(i).isEnabled():
            self.precision.setCurrentIndex(i)
        def facts() -> str:
            out = [caps.library] if caps.library else []
            out.append(self.tr("builds here") if not caps.build_needs_gpu else self.tr("build needs a GPU"))
            out.append(self.tr("runs here") if caps.can_run_here is None else
                       self.tr("cannot run here: {reason}").format(reason=caps.can_run_here))
            return "; ".join(out)
        bind(self.runs_here.setText, facts)
        self.runs_here.setToolTip(caps.notes)
        self.timing_cache.setEnabled(caps.timing_cache)
        bind(self.timing_cache.setToolTip, lambda: "" if caps.timing_cache else
             self.tr("this backend has no timing cache (TensorRT-RTX: a no-op)"))
        self.build_btn.setEnabled(self.model_path is not None and not self.running)
        self._update_output_hint()

    # ----- model
    def set_model(self, path: str | None, profiles: list | None = None, choices: dict | None = None) -> None:
        """`profiles` are the model's default optimization profiles when the caller already
        read them off the UI thread; otherwise they are read here. `choices`: the data chosen
        for this model before (apply_choices)."""
        self.model_path = path
        self.profiles.clear()
        self.suggested_profiles = ""
        self.build_btn.setEnabled(path is not None and self.capabilities() is not None and not self.running)
        if path is None:
            return
        try:
            profs = profiles if profiles is not None else default_profiles(path)
            self.suggested_profiles = "\n".join(
                f"{p.name}:{'x'.join(map(str, p.min))},{'x'.join(map(str, p.opt))},{'x'.join(map(str, p.max))}"
                for p in profs)
            self.profiles.setPlainText(self.suggested_profiles)
        except StudioError as e:
            self.log_line.emit(self.tr("profiles: {error}").format(error=e))
        self.apply_choices(choices or {})
        self._update_output_hint()

    # ----- data choices (kept per model by the window)
    def apply_choices(self, choices: dict, source: str = "remembered") -> None:
        """The data a model's builds use: `choices` (what was chosen for it before, or what the
        caller was given: `source` says which), else the tokenizer that travels with it; nothing
        carries over from another model."""

        self.calib.setText(choices.get("calib") or "")
        self._show_source(self.calib_source, source if choices.get("calib") else "")
        self._read_header(choices.get("calib_column"))
        self.calib_method.setCurrentText(choices.get("calib_method") or "minmax")
        self.calib_max_length.setValue(int(choices.get("calib_max_length") or 128))
        tok = choices.get("tokenizer")
        if not tok and self.model_path:
            tok, source = tokenizer_beside(self.model_path), "beside the model"
        self.tokenizer.setText(tok or "")
        self._show_source(self.tokenizer_source, source if tok else "none found beside the model")

    def _show_source(self, where: QLabel, source: str) -> None:
        """Where a field's value came from: beside the model, remembered, given, chosen."""
        bind(where.setText, lambda: self.tr(source) if source else "")

    def choices(self) -> dict:
        """What apply_choices takes back (the window remembers it per model)."""
        return {"calib": self.calib.text().strip() or None, "calib_column": self.calib_column.currentText() or None,
                "calib_method": self.calib_method.currentText(), "calib_max_length": self.calib_max_length.value(),
                "tokenizer": self.tokenizer.text().strip() or None}

    def _read_header(self, wanted: str | None = None) -> None:
        """Fill the column picker from the calibration file's header (one line: no worker needed)."""

        self.calib_column.clear()
        path = self.calib.text().strip()
        if not path or path.lower().endswith(ARRAY_SUFFIXES) or not Path(path).is_file():
            self.calib_column.setEnabled(False)
            return
        try:
            header = table_header(path)
        except StudioError as e:
            self.calib_info.setText(f"<span style='color:#c0392b'>{escape(str(e))}</span>")
            self.calib_column.setEnabled(False)
            return
        self.calib_column.addItems(list(header.columns))
        self.calib_column.setEnabled(True)
        pick = wanted if wanted in header.columns else header.text_column
        if pick:
            self.calib_column.setCurrentText(pick)

    def _browse_tokenizer(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Tokenizer"), "",
                                              self.tr("tokenizer.json (*.json);;All files (*)"))
        if path:
            self.tokenizer.setText(path)
            self._show_source(self.tokenizer_source, "chosen")

    def _update_output_hint(self) -> None:
        if self.model_path and self.capabilities() is not None and self.precision.currentData():
            self.output.setPlaceholderText(str(self.output_path()))

    def output_path(self) -> Path:
        """The output field's path, else the command line's name for this build, numbered when a
        build of that name exists (a rebuild never replaces the last one unasked)."""

        text = self.output.text().strip()
        if text:
            return Path(text)
        return unused(default_output(self.model_path, self.backend.currentData(), self.precision.currentData(),
                                     self.output_dir))

    # ----- calibration preview
    def _browse_calibration(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Calibration data"), "",
                                              self.tr("Data (*.csv *.jsonl *.json *.npz *.npy);;All files (*)"))
        if path:
            self.calib.setText(path)
            self._show_source(self.calib_source, "chosen")
            self._read_header()

    def calibration_spec(self) -> CalibrationSpec | None:
        text = self.calib.text().strip()
        if not text:
            return None

        is_text = not text.lower().endswith(ARRAY_SUFFIXES)
        return CalibrationSpec(path=text, samples=self.calib_samples.value(),
                               column=(self.calib_column.currentText() or None) if is_text else None,
                               tokenizer=(self.tokenizer.text().strip() or None) if is_text else None,
                               max_length=self.calib_max_length.value(), method=self.calib_method.currentText())

    def preview_calibration(self) -> Task | None:
        spec = self.calibration_spec()
        if spec is None or self.model_path is None:
            self.calib_info.setText(self.tr("choose a model and a calibration file first"))
            return None
        model = self.model_path

        def work(cancel, emit):
            return preview_for_model(spec, model, rows=5)

        task = Task(work, name="calibration-preview", parent=self)
        task.finished.connect(self._show_preview)
        task.failed.connect(self._preview_failed)
        self.calib_info.setText(self.tr("reading calibration data..."))
        return self.tasks.start(task)

    def _preview_failed(self, msg: str) -> None:
        self.preview_table.hide()
        self.calib_info.setText(f"<span style='color:#c0392b'>{msg}</span>")
        self.failed.emit(msg)

    def _show_preview(self, res) -> None:
        preview, summary = res
        rows = preview.rows
        self.preview_table.setRowCount(len(rows))
        first = next(iter(preview.tensors.values())) if preview.tensors else None
        for r, row in enumerate(rows):
            ids = first[r].tolist() if first is not None and r < len(first) else []
            ids_text = " ".join(str(x) for x in ids[:24]) + (" ..." if len(ids) > 24 else "")
            for c, text in enumerate([str(row.get("line", row.get("index", ""))), str(row.get("text", "")), ids_text]):
                self.preview_table.setItem(r, c, QTableWidgetItem(text))
        self.preview_table.show()
        sl = summary.sequence_length
        lengths = ""
        if sl is not None:
            lengths = self.tr("; tokens per sample: min {lo}, median {mid}, max {hi}").format(lo=sl.min, mid=sl.p50, hi=sl.max)
        self.calib_info.setText(self.tr("{n} samples ({kind})").format(n=summary.samples, kind=summary.kind) + lengths)

    def add_selected_to_fp32(self) -> None:
        names = [n for n in self.selection_provider() if n]
        if not names:
            return
        have = [s.strip() for s in self.keep_fp32.text().split(",") if s.strip()]
        for n in names:
            if n not in have:
                have.append(n)
        self.keep_fp32.setText(", ".join(have))

    def keep_entries(self) -> list[str]:
        return [s.strip() for s in self.keep_fp32.text().split(",") if s.strip()]

    # ----- build
    @property
    def running(self) -> bool:
        # idle as soon as the outcome arrived, even if the worker thread is still unwinding
        return self._busy

    def make_config(self) -> BuildConfig:
        if self.model_path is None:
            raise StudioError(self.tr("open an ONNX model first"))
        backend = self.backend.currentData()
        precision = self.precision.currentData()
        caps = self.capabilities()
        if caps is None:
            raise StudioError(self.tr("backend {name} cannot be used here").format(name=backend))
        caps.check_precision(precision)
        # Profiles left as suggested are the backend's to choose, as `engine-studio build` leaves
        # them (it may fit them to the calibration data); only the user's own edits are passed.
        text = self.profiles.toPlainText().strip()
        profiles = [] if text == self.suggested_profiles.strip() else [
            ShapeProfile.parse(line.strip()) for line in text.splitlines() if line.strip()]
        calib = self.calibration_spec() if precision in ("int8", "fp8") else None
        keep = self.keep_entries()
        ws = self.workspace.value()
        return BuildConfig(model=self.model_path, backend=backend,
                           output=str(self.output_path()),
                           precision=precision, workspace=ws * (1 << 20) if ws else None,
                           profiles=profiles, calibration=calib, keep_fp32=keep,
                           timing_cache=self.timing_cache.text().strip() or None if caps.timing_cache else None,
                           options=parse_build_options(self.options.text().split()))

    def start_build(self) -> Task | None:
        if self.running:
            return None
        try:
            config = self.make_config()
        except StudioError as e:
            self.failed.emit(str(e))
            return None

        events = self._events

        remote = self.where.target()

        def work(cancel, emit):
            if remote is None:
                return run_build(config, on_event=events.append, cancel=cancel)
            executor = executor_for(remote[0])
            try:   # on the target's node; the engine and its sidecar come back to the output path
                ran = executor.run(Job.build(config), target=remote[1].name, on_event=events.append, cancel=cancel)
            finally:
                executor.close()
            return BuildResult(**ran.payload)

        self.task = task = Task(work, name=f"build-{config.backend}-{config.precision}", parent=self, nice=5)
        task.finished.connect(lambda res, cfg=config: self._finished(res, cfg))
        task.failed.connect(self._failed)
        task.cancelled.connect(self._cancelled)
        task.done.connect(self._done)
        self.log.clear()
        self._append(self.tr("building {name} with {backend}, {precision} -> {output}").format(
            name=Path(config.model).name, backend=config.backend, precision=config.precision, output=config.output))
        self._started = time.monotonic()
        self._fraction = 0.0
        self._phase = "starting"
        self.progress.setValue(0)
        self._set_progress("starting...")
        self.build_btn.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        self.timer.start()
        self._busy = True
        self.running_changed.emit(True)
        return self.tasks.start(task)

    def cancel_build(self) -> None:
        if self.task is not None and self.running:
            self.task.cancel()
            self._set_progress("cancelling...")
            self.cancel_btn.setEnabled(False)

    def _set_progress(self, state: str) -> None:
        """The progress bar's text when no phase is running: idle, starting, done, failed..."""
        bind(self.progress.setFormat, lambda: self.tr(state))

    def _append(self, text: str) -> None:
        self.log.appendPlainText(text)
        self.log_line.emit(text)

    def _drain(self) -> None:
        lines = []
        while self._events:
            ev = self._events.popleft()
            if ev.kind == "progress":
                self._phase = ev.phase or self._phase
                if ev.fraction is not None:
                    self._fraction = max(0.0, min(1.0, ev.fraction))
            elif ev.kind == "log" and ev.message:
                if ev.level != "verbose":
                    lines.append(ev.message)
        if lines:
            self.log.appendPlainText("\n".join(lines[-500:]))
            for line in lines[-50:]:
                self.log_line.emit(line)
        if self._busy:
            self.progress.setValue(int(self._fraction * 1000))
            phase, pct = self._phase, self._fraction * 100
            bind(self.progress.setFormat, lambda: f"{self.tr(phase)}  {pct:.0f}%")
            elapsed = time.monotonic() - self._started
            key = (self.backend.currentData(), self.precision.currentData())
            if self._fraction > 0.05:
                est = elapsed / self._fraction - elapsed
                est_text = self.tr(", about {s:.0f} s left").format(s=est)
            elif key in self._history:
                est_text = self.tr(", last time {s:.0f} s").format(s=self._history[key])
            else:
                est_text = ""
            self.time_label.setText(self.tr("elapsed {s:.1f} s").format(s=elapsed) + est_text)

    def _finished(self, result: BuildResult, config: BuildConfig) -> None:
        self._idle()
        self._history[(config.backend, config.precision)] = result.build_seconds
        self.progress.setValue(1000)
        self._set_progress("done")
        bind(self.time_label.setText, lambda: self.tr("built in {s:.1f} s, {mb:.1f} MB").format(
            s=result.build_seconds, mb=result.size_bytes / 1e6))
        self._append(self.tr("built {path} ({mb:.1f} MB, {s:.1f} s)").format(
            path=result.output, mb=result.size_bytes / 1e6, s=result.build_seconds))
        for w in result.warnings:
            self._append(self.tr("warning: {text}").format(text=w))
        self.built.emit(BuildEntry(result, config))

    def _failed(self, msg: str) -> None:
        self._idle()
        self._set_progress("failed")
        self._append(self.tr("build failed: {error}").format(error=msg))
        self.failed.emit(msg)

    def _cancelled(self) -> None:
        self._idle()
        self.progress.setValue(0)
        self._set_progress("cancelled")
        self._append(self.tr("build cancelled"))
        self.cancelled.emit()

    def _idle(self) -> None:
        self._drain()
        self.timer.stop()
        self._busy = False
        self.cancel_btn.setEnabled(False)
        self.build_btn.setEnabled(self.model_path is not None and self.capabilities() is not None)
        self.running_changed.emit(False)

    def _done(self) -> None:
        if self._busy:   # the worker ended without an outcome signal (should not happen)
            self._idle()
