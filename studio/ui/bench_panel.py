"""The benchmark panel: pick builds, a load pattern, batch sizes and a duration, run them (each
in a child process, here or on a target machine of a cluster), Stop; the runs' samples stream
into the live plots (bench_plots.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QListWidget, QListWidgetItem, QSpinBox, QSplitter, QVBoxLayout, QWidget)

from studio.core.backends.registry import get_backend
from studio.core.bench.harness import BenchConfig
from studio.core.bench.inputs import declare_inputs, describe_feed
from studio.core.bench.plan import describe, parse_counts, parse_rates, plan
from studio.core.bench.results import RunResult
from studio.core.bench.sequence import BenchRun, BenchSequence
from studio.core.data.tables import table_header
from studio.core.errors import StudioError
from studio.core.jobs.build_job import BuildEntry
from studio.core.session import Session
from studio.ui.bench_plots import LivePlots
from studio.ui.i18n import bind, bind_items, button, label, translate
from studio.ui.target_picker import TargetPicker
from studio.ui.theme import SERIES
from studio.ui.workers import Task, TaskRegistry


class BenchPanel(QWidget):
    finished = Signal(object)        # list of (BuildEntry, RunResult)
    failed = Signal(str)
    running_changed = Signal(bool)

    def __init__(self, tasks: TaskRegistry, session: Session, parent=None):
        super().__init__(parent)
        self.tasks, self.session = tasks, session
        self.entries: list[BuildEntry] = []
        self.task: Task | None = None
        self.sequence: BenchSequence | None = None   # the runs in progress, or the last ones
        self.results: list[tuple[BuildEntry, object]] = []

        self.build_list = QListWidget()
        self.build_list.setSelectionMode(QAbstractItemView.NoSelection)
        self.build_list.setMaximumHeight(110)
        self.pattern = QComboBox()
        for data in ("closed", "qps", "dynamic"):
            self.pattern.addItem("", data)
        bind_items(self.pattern, {"closed": lambda: self.tr("Closed loop (N clients)"),
                                  "qps": lambda: self.tr("Target QPS (Poisson arrivals)"),
                                  "dynamic": lambda: self.tr("Dynamic batching (QPS + batcher)")})
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 64)
        self.qps = QLineEdit("200")
        bind(self.qps.setToolTip, lambda: self.tr("Requests per second; several (100,200,400) sweep the rate and "
                                                  "draw the latency-vs-throughput curve"))
        self.max_batch = QSpinBox()
        self.max_batch.setRange(1, 1024)
        self.max_batch.setValue(16)
        self.max_delay = QDoubleSpinBox()
        self.max_delay.setRange(0.1, 1000)
        self.max_delay.setValue(5.0)
        self.max_delay.setSuffix(" ms")
        self.batches = QLineEdit("1")
        self.duration = QDoubleSpinBox()
        self.duration.setRange(0.2, 3600)
        self.duration.setValue(5.0)
        self.duration.setSuffix(" s")
        self.passes = passes_box()
        self.where = TargetPicker()
        bind(self.where.setToolTip, lambda: self.tr("Where the runs go: this machine, or a target of the cluster "
                                                    "listed in the Targets and sweep tab"))
        self.where.currentIndexChanged.connect(lambda _: self.set_builds(self.entries))
        form = QFormLayout()
        form.addRow(label(lambda: self.tr("Run on")), self.where)
        form.addRow(label(lambda: self.tr("Builds")), self.build_list)
        form.addRow(label(lambda: self.tr("Load")), self.pattern)
        form.addRow(label(lambda: self.tr("Clients")), self.concurrency)
        form.addRow(label(lambda: self.tr("Target QPS (sweep)")), self.qps)
        form.addRow(label(lambda: self.tr("Max batch / delay")), pair(self.max_batch, self.max_delay))
        form.addRow(label(lambda: self.tr("Batch sizes")), self.batches)
        form.addRow(label(lambda: self.tr("Duration")), pair(self.duration, self.passes))
        self.inputs = QLineEdit()
        bind(self.inputs.setPlaceholderText, lambda: self.tr("empty: synthetic token ids"))
        bind(self.inputs.setToolTip, lambda: self.tr(
            "What each request feeds: texts (.csv/.jsonl, tokenized with the build panel's "
            "tokenizer), arrays (.npz), or synthetic ids when empty"))
        self.seq_len = QSpinBox()
        self.seq_len.setRange(0, 8192)
        self.seq_len.setValue(0)
        bind(self.seq_len.setSpecialValueText, lambda: self.tr("own length"))
        bind(self.seq_len.setToolTip, lambda: self.tr("Tokens per text: 0 keeps each text's own length "
                                                      "(synthetic ids use 64)"))
        form.addRow(label(lambda: self.tr("Inputs")), pair(self.inputs, self.seq_len))
        self.column = QComboBox()
        bind(self.column.setToolTip, lambda: self.tr("The column that holds the texts (from the file's header)"))
        self.inputs_source = QLabel("")
        form.addRow(label(lambda: self.tr("Text column")), pair(self.column, self.inputs_source))
        self.inputs_note = QLabel("")
        self.inputs_note.setWordWrap(True)
        self.inputs.textChanged.connect(lambda _: self._describe_inputs())
        self.inputs.editingFinished.connect(lambda: self._read_header(None))
        self.column.currentIndexChanged.connect(lambda _: self._describe_inputs())
        self.seq_len.valueChanged.connect(lambda _: self._describe_inputs())
        self.tokenizer_provider = lambda: None   # the build panel's tokenizer field
        form.addRow("", self.inputs_note)
        self.run_btn = button(lambda: self.tr("Run benchmark"), lambda: self.tr("Benchmark the checked builds (Ctrl+R)"))
        self.stop_btn = button(lambda: self.tr("Stop"))
        self.stop_btn.setEnabled(False)
        self.run_btn.clicked.connect(self.start)
        self.stop_btn.clicked.connect(self.stop)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        # What the runs themselves warn of (noisy timings, too few requests, inputs timed only in
        # part), as the command line prints them: a figure shown without them misleads.
        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setTextFormat(Qt.PlainText)
        self.warnings.setStyleSheet("color: #c0392b")
        self.warnings.setVisible(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_btn, 1)
        buttons.addWidget(self.stop_btn)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(2, 2, 2, 2)
        ll.addLayout(form)
        ll.addLayout(buttons)
        ll.addWidget(self.status)
        ll.addWidget(self.warnings)
        ll.addStretch(1)

        self.live = LivePlots()
        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(self.live)
        split.setStretchFactor(1, 4)
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.addWidget(split)

        self.pattern.currentIndexChanged.connect(lambda _: self._pattern_changed())
        self._pattern_changed()
        self._describe_inputs()

    def input_spec(self) -> tuple[dict, dict]:
        """The panel's data file with the tokenizer and text column, or synthetic ids (declare_inputs)."""
        data = self.inputs.text().strip() or None
        is_arrays = data is not None and data.lower().endswith((".npz", ".npy"))
        tok = self.tokenizer_provider() if data is not None and not is_arrays else None
        return declare_inputs(data, self.seq_len.value() or None, tok, self.column.currentText() or None)

    def _read_header(self, wanted: str | None) -> None:
        """Fill the column picker from the data file's header (a text table), choosing `wanted`
        if it is there, else the column the header looks like text."""
        self.column.blockSignals(True)
        self.column.clear()
        path = self.inputs.text().strip()
        is_table = bool(path) and not path.lower().endswith((".npz", ".npy")) and Path(path).is_file()
        self.column.setEnabled(is_table)
        if is_table:
            try:
                header = table_header(path)
            except StudioError as e:
                self.failed.emit(str(e))
            else:
                self.column.addItems(list(header.columns))
                pick = wanted if wanted in header.columns else header.text_column
                if pick:
                    self.column.setCurrentText(pick)
        self.column.blockSignals(False)
        self._describe_inputs()

    def choices(self) -> dict:
        """What to remember for the model: the benchmark's data, its column and length."""
        return {"bench_data": self.inputs.text().strip() or None, "bench_column": self.column.currentText() or None,
                "bench_seq_len": self.seq_len.value() or None}

    def apply_choices(self, choices: dict) -> None:
        """A model's remembered benchmark inputs (none: synthetic ids), saying where they came from."""
        self.inputs.setText(choices.get("bench_data") or "")
        self.seq_len.setValue(int(choices.get("bench_seq_len") or 0))
        self._read_header(choices.get("bench_column"))
        bind(self.inputs_source.setText, lambda: self.tr("remembered for this model") if choices.get("bench_data") else "")

    def _describe_inputs(self) -> None:
        _, d = self.input_spec()
        bind(self.inputs_note.setText, lambda: self.tr("inputs: {what}").format(what=describe_feed(d)))

    def _pattern_changed(self) -> None:
        p = self.pattern.currentData()
        self.concurrency.setEnabled(p == "closed")
        self.qps.setEnabled(p != "closed")
        self.max_batch.setEnabled(p == "dynamic")
        self.max_delay.setEnabled(p == "dynamic")
        self.batches.setEnabled(p != "dynamic")

    # ----- builds
    def set_builds(self, entries: list[BuildEntry]) -> None:
        checked = self.checked_keys()
        self.entries = list(entries)
        self.build_list.clear()
        for e in self.entries:
            item = QListWidgetItem(f"{e.label}  ({Path(e.result.output).name})")
            item.setData(Qt.UserRole, e.key)
            runnable, why = self.can_run(e)
            item.setFlags(Qt.ItemIsUserCheckable | (Qt.ItemIsEnabled if runnable else Qt.NoItemFlags))
            item.setCheckState(Qt.Checked if (e.key in checked and runnable) else Qt.Unchecked)
            item.setToolTip(why or e.result.output)
            self.build_list.addItem(item)

    def can_run(self, entry: BuildEntry) -> tuple[bool, str | None]:
        remote = self.where.target()
        if remote is not None:
            if remote[1].can(entry.result.backend, "run"):
                return True, None
            return False, translate("BenchPanel", "cannot run on {target}").format(target=remote[1].name)
        return runs_here(entry)

    def checked_keys(self) -> list[str]:
        return [self.build_list.item(i).data(Qt.UserRole) for i in range(self.build_list.count())
                if self.build_list.item(i).checkState() == Qt.Checked]

    def check(self, keys) -> None:
        keys = set(keys)
        for i in range(self.build_list.count()):
            it = self.build_list.item(i)
            if it.flags() & Qt.ItemIsEnabled:
                it.setCheckState(Qt.Checked if it.data(Qt.UserRole) in keys else Qt.Unchecked)

    # ----- run
    @property
    def running(self) -> bool:
        return self.run_btn is not None and not self.run_btn.isEnabled()

    def plan_runs(self):
        """(build, configuration, label) for each run the panel's fields ask for (studio.core.bench.plan)."""
        keys = self.checked_keys()
        chosen = [e for e in self.entries if e.key in keys]
        if not chosen:
            raise StudioError("check at least one build that can run here (ONNX Runtime builds run on this CPU)")
        pattern = self.pattern.currentData()
        base = BenchConfig(duration_s=float(self.duration.value()), warmup_s=0.3,
                           passes=(self.passes.value() or None) if pattern == "closed" else None,
                           max_batch=self.max_batch.value() if pattern == "dynamic" else None,
                           max_delay_ms=float(self.max_delay.value()))
        rates = parse_rates(self.qps.text(), self.tr("target QPS")) if pattern != "closed" else None
        batches = parse_counts(self.batches.text(), self.tr("batch sizes")) if pattern != "dynamic" else [1]
        clients = [self.concurrency.value()] if pattern == "closed" else [1]
        configs = plan(base, batches=batches, concurrencies=clients, rates=rates)
        return [(e, cfg, f"{e.label} {describe(cfg)}") for e in chosen for cfg in configs]

    def start(self) -> Task | None:
        if self.running:
            return None
        try:
            runs = self.plan_runs()
        except StudioError as e:
            self.failed.emit(str(e))
            return None
        self.live.clear_plots()
        self.live.entry_labels = {e.key: e.label for e in self.entries}
        for i, (e, cfg, run_label) in enumerate(runs):
            key = f"{e.key}|{i}"
            self.live.ensure_series(key, run_label, SERIES[i % len(SERIES)])
        buf = self.live.buffer
        inputs, _ = self.input_spec()
        remote = self.where.target()
        runs = [BenchRun(e, cfg, run_label, f"{e.key}|{i}") for i, (e, cfg, run_label) in enumerate(runs)]

        def work(cancel, emit):
            with seq:
                out = seq.run(runs)
            # Saved here, not on the UI thread: an atomic write ends with an fsync, which on a
            # busy disk held the window for tens of milliseconds per build.
            results = self.session.sequence_results(seq, out)
            for res in results:
                res.save(self.session.result_path_beside(res))
            return out, results

        # Niced, as builds are: the benchmark child inherits it, and on a machine whose cores it
        # fills the window still gets the CPU when it needs it (an idle window costs the run nothing).
        self.task = task = Task(work, name="benchmark", parent=self, nice=5)
        # Each run in a child process here (a runtime that crashes costs one failed run, and the
        # measurement shares no GIL with the plots) or as a job on the cluster's target.
        seq = self.sequence = self.session.bench_sequence(
            **inputs, remote=(remote[0], remote[1].name) if remote is not None else None,
            on_sample=lambda key, s: buf.append((key, s)),
            on_run=lambda run: task.event.emit(("run", run.key, run.label)),
            on_result=lambda run, res: task.event.emit(("result", run.key, res)))
        task.event.connect(self._on_event)
        task.finished.connect(self._finished)
        task.failed.connect(self._failed)
        task.cancelled.connect(lambda: self._finished(([], [])))
        task.on_cancel(seq.cancel)      # closing the window: the run in progress keeps nothing
        task.done.connect(self._done)
        self.run_btn.setEnabled(False)
        self.stop_btn.setEnabled(True)
        self.warnings.setVisible(False)
        bind(self.status.setText, lambda: self.tr("{n} run(s)...").format(n=len(runs)))
        self.live.timer.start()
        self.running_changed.emit(True)
        return self.tasks.start(task)

    def stop(self) -> None:
        """Stop the whole sequence: the current run ends with what it measured."""
        if self.sequence is not None:
            self.sequence.stop()

    def _on_event(self, ev) -> None:
        kind, key = ev[0], ev[1]
        if kind == "run":
            bind(self.status.setText, lambda: self.tr("running {run}...").format(run=ev[2]))
        elif kind == "result" and key in self.live.series:
            self.live.series[key].result = ev[2]
            self.live.series[key].dirty = True

    def _finished(self, done) -> None:
        out, results = done
        self.live.refresh(force=True)
        for res in results:
            self.session.add_result(res, source=self.session.result_path_beside(res))
        said = run_warnings(out)
        self.warnings.setText("\n".join(said))
        self.warnings.setVisible(bool(said))
        if out:
            out = self.results = [(run.entry, res) for run, res in out]
            stopped = self.sequence.stopped
            bind(self.status.setText, lambda: (self.tr("stopped: {n} run(s)") if stopped
                                               else self.tr("done: {n} run(s)")).format(n=len(out)))
            self.finished.emit(out)
        else:
            bind(self.status.setText, lambda: self.tr("stopped"))

    def _failed(self, msg: str) -> None:
        bind(self.status.setText, lambda: self.tr("failed: {error}").format(error=msg))
        self.failed.emit(msg)

    def _done(self) -> None:
        self.live.refresh(force=True)
        self.live.timer.stop()
        self.run_btn.setEnabled(True)
        self.stop_btn.setEnabled(False)
        self.running_changed.emit(False)



def pair(a: QWidget, b: QWidget) -> QWidget:
    """Two fields on one form row."""
    w = QWidget()
    lay = QHBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(a)
    lay.addWidget(b)
    return w


def passes_box() -> QSpinBox:
    """Whole passes over the inputs instead of a duration (0: by duration), as the Benchmark and
    sweep panels offer it."""
    box = QSpinBox()
    box.setRange(0, 1000)
    bind(box.setSpecialValueText, lambda: translate("BenchPanel", "by duration"))
    bind(box.setSuffix, lambda: translate("BenchPanel", " pass(es)"))
    bind(box.setToolTip, lambda: translate(
        "BenchPanel", "Closed loop: time whole passes over the inputs instead of a duration, so that every "
        "build is timed on the same texts (texts at their own lengths differ in cost)"))
    return box


def run_warnings(out: list[tuple[BenchRun, RunResult]]) -> list[str]:
    """Each run's warnings, once each, as "run: warning" in the order the runs ran."""
    said = [f"{run.label}: {w}" for run, res in out for w in res.warnings]
    return list(dict.fromkeys(said))


def runs_here(entry: BuildEntry) -> tuple[bool, str | None]:
    """Whether this machine runs the build, and why not."""
    try:
        caps = get_backend(entry.result.backend).capabilities()
    except StudioError as e:
        return False, str(e)
    if caps.can_run_here:
        return False, translate("BenchPanel", "cannot run here: {reason}").format(reason=caps.can_run_here)
    return True, None
